"""``siamfc convert``: public SiamFC weight files -> this project's safetensors + model card."""

from __future__ import annotations

HELP = "convert siamfc-pytorch (.pth), MatConvNet (.mat) or TFLite (.tflite) SiamFC weights to .safetensors"
DESCRIPTION = """Convert a public SiamFC weight file to this project's format (safetensors, which
cannot execute code, plus a JSON model card saying where it came from):

  siamfc-pytorch  siamfc_alexnet_e50.pth (huanglianghua/siamfc-pytorch, AlexNetV1 state dict)
  matconvnet      2016-08-17.net.mat (the authors' MatConvNet DagNN; needs scipy)
  tflite          the authors' network as an int8 TFLite file (feature extractor or whole model;
                  needs the tflite package: pip install 'siamfc[convert]')

The converted model computes the same scores as the original on the same frames: the sources
take RGB frames and this project BGR, so conv1's input channels are swapped, and the
batch-norm and score-adjustment conventions are folded in exactly (see docs/usage.md). Files of
another network (CFNet's stride-4 AlexNet, other widths) are refused with the reason.

  siamfc convert siamfc_alexnet_e50.pth siamfc_pytorch_e50.safetensors
  siamfc convert template_image_feature_extractor_full_quant_scale1.tflite paper.safetensors \\
      --adjust cross_correlation_scale3.tflite
  siamfc track clip.mp4 --box 10,20,40,60 --weights paper.safetensors"""


def add_arguments(p) -> None:
    p.add_argument("src", metavar="SRC", help="siamfc-pytorch .pth, MatConvNet .mat or TFLite .tflite file")
    p.add_argument("dst", metavar="DST", help="output .safetensors file (the .json card is written beside it)")
    p.add_argument(
        "--format",
        choices=["siamfc-pytorch", "matconvnet", "tflite"],
        help="source format (default: from the extension, .pth/.pt, .mat or .tflite, or the content)",
    )
    p.add_argument(
        "--adjust",
        metavar="FILE",
        help="TFLite only: the file with the score adjustment (cross-correlation or whole-model .tflite); "
        "default: SRC itself, else such a file beside SRC",
    )


def run(args) -> int:
    from siamfc.errors import ConfigError
    from siamfc.model.convert import convert_file

    if args.adjust and (args.format or "") not in ("", "tflite"):
        raise ConfigError("--adjust applies to TFLite files only")
    path, card = convert_file(args.src, args.dst, args.format, adjust=args.adjust)
    print(
        f"wrote {path} and {path.with_suffix('.json')} (converted from {card['converted_from']['format']} "
        f"{card['converted_from']['file']})"
    )
    return 0
