"""``siamfc convert``: public SiamFC weight files -> this project's safetensors + model card."""
from __future__ import annotations

HELP = "convert siamfc-pytorch (.pth) or MatConvNet (.mat) SiamFC weights to .safetensors"
DESCRIPTION = """Convert one of the two public SiamFC weight files to this project's format
(safetensors, which cannot execute code, plus a JSON model card saying where it came from):

  siamfc-pytorch  siamfc_alexnet_e50.pth (huanglianghua/siamfc-pytorch, AlexNetV1 state dict)
  matconvnet      2016-08-17.net.mat (the authors' MatConvNet DagNN; needs scipy)

The converted model computes the same scores as the original on the same frames: the sources
take RGB frames and this project BGR, so conv1's input channels are swapped, and the
batch-norm and score-adjustment conventions are folded in exactly (see docs/usage.md).

  siamfc convert siamfc_alexnet_e50.pth siamfc_pytorch_e50.safetensors
  siamfc track clip.mp4 --box 10,20,40,60 --weights siamfc_pytorch_e50.safetensors"""


def add_arguments(p) -> None:
    p.add_argument("src", metavar="SRC", help="siamfc-pytorch .pth or MatConvNet .mat file")
    p.add_argument("dst", metavar="DST", help="output .safetensors file (the .json card is written beside it)")
    p.add_argument("--format", choices=["siamfc-pytorch", "matconvnet"],
                   help="source format (default: from the extension, .pth/.pt or .mat)")


def run(args) -> int:
    from ..model.convert import convert_file

    path, card = convert_file(args.src, args.dst, args.format)
    print(f"wrote {path} and {path.with_suffix('.json')} (converted from {card['converted_from']['format']} "
          f"{card['converted_from']['file']})")
    return 0
