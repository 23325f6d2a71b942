"""``siamfc export``: SiamFC as two graphs (backbone, correlation) for ONNX Runtime / OpenVINO."""
from __future__ import annotations

from .engine_options import WEIGHTS_HELP

HELP = "export the network as ONNX / OpenVINO graphs (backbone + correlation)"
DESCRIPTION = """Export SiamFC to a folder holding two graphs, as deployment tools want them:

  backbone     image uint8 (N, H, W, 3) BGR crops -> features (N, 256, (H-79)/8, (W-79)/8);
               batch and size dynamic (127x127 exemplars and 255x255 search crops)
  correlation  exemplar_features (1, 256, 6, 6), search_features (S, 256, 22, 22) -> scores (S, 17, 17)
               (gain and bias of the trained head included)

--format onnx writes backbone.onnx and correlation.onnx; --format openvino also writes the
OpenVINO IR (.xml/.bin, fp32 weights). export.json records the weights' hash. Track with it:

  siamfc track clip.mp4 --box X,Y,W,H --backend openvino --exported DIR
  SiamFCTracker(backend="onnxruntime", exported=DIR)"""


def add_arguments(p) -> None:
    from ..runtime.export import FORMATS

    p.add_argument("--weights", help=WEIGHTS_HELP)
    p.add_argument("--format", default="onnx", choices=FORMATS, help="graph format (default: %(default)s)")
    p.add_argument("--out", metavar="DIR", help="output folder (default: siamfc_<format>)")
    p.add_argument("--opset", type=int, default=17, help="ONNX opset (default: %(default)s)")


def run(args) -> int:
    from ..model.weights import load_weights
    from ..fileio import writable_folder
    from ..runtime.export import export

    out = writable_folder(args.out or f"siamfc_{args.format}", "the export")  # fail before loading anything
    path = export(load_weights(args.weights), out, format=args.format, opset=args.opset)
    print(f"wrote {', '.join(sorted(p.name for p in path.iterdir() if not p.name.startswith('.')))} to {path}")
    return 0
