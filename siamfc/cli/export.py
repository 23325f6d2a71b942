"""``siamfc export``: the embedding as an ONNX file, for ONNX Runtime / OpenVINO deployments."""
from __future__ import annotations

HELP = "export the embedding network to ONNX"
DESCRIPTION = """Export the embedding phi (the heavy part of SiamFC) to ONNX, with dynamic batch and
image size (127x127 exemplars and 255x255 search images both run through it). The correlation
head (a fixed gain and one learned bias) stays in the weights file; track with the ONNX file by
`siamfc.tracking.backends.onnx_model(ONNX, weights=W)` or `siamfc bench --onnx ONNX`."""


def add_arguments(p) -> None:
    p.add_argument("--weights", help="weights file (.safetensors); default: the shipped weights")
    p.add_argument("--out", default="siamfc_alexnet.onnx", help="ONNX file to write (default: %(default)s)")
    p.add_argument("--opset", type=int, default=17, help="ONNX opset (default: %(default)s)")


def run(args) -> int:
    from ..model.weights import load_weights
    from ..tracking.backends import export_onnx

    path = export_onnx(load_weights(args.weights), args.out, opset=args.opset)
    print(f"wrote {path}")
    return 0
