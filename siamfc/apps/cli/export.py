"""``siamfc export``: SiamFC as two graphs (backbone, correlation) for ONNX Runtime / OpenVINO,
optionally with an int8 backbone calibrated on training video."""

from __future__ import annotations

from siamfc.apps.cli.tracker_options import WEIGHTS_HELP

HELP = "export the network as ONNX / OpenVINO graphs (backbone + correlation), fp32 or calibrated int8"
DESCRIPTION = """Export SiamFC to a folder holding two graphs, as deployment tools want them:

  backbone     image uint8 (N, H, W, 3) BGR crops -> features (N, 256, (H-79)/8, (W-79)/8);
               batch and size dynamic (127x127 exemplars and 255x255 search crops)
  correlation  exemplar_features (1, 256, 6, 6), search_features (S, 256, 22, 22) -> scores (S, 17, 17)
               (gain and bias of the trained head included)

--format onnx writes backbone.onnx and correlation.onnx; --format openvino also writes the
OpenVINO IR (.xml/.bin, fp32 weights). export.json records the weights' hash, the exporter's
version and every file's SHA-256. Track with it:

  siamfc track clip.mp4 --box X,Y,W,H --backend openvino --exported DIR
  SiamFCTracker(backend="onnxruntime", exported=DIR)

--precision int8 quantises the backbone with NNCF (OpenVINO IR; the correlation stays fp32),
calibrated on tracker crops from annotated training video (--calibrate, FORMAT=PATH as for
`siamfc train --data`; the held-out validation videos of the default training split are left out).
By default it is written beside the weights file as <weights>.int8/, where --precision int8 (and
auto, once its accuracy is recorded) finds it:

  siamfc export --weights my.safetensors --precision int8 --calibrate davis=/data/davis2016
  siamfc track clip.mp4 --box X,Y,W,H --weights my.safetensors --precision int8"""


def add_arguments(p) -> None:
    from siamfc.runtime.export import FORMATS
    from siamfc.runtime.quantize import LAYERS

    p.add_argument("--weights", help=WEIGHTS_HELP)
    p.add_argument(
        "--format", default="onnx", choices=FORMATS, help="graph format (default: %(default)s; int8 is always openvino)"
    )
    p.add_argument(
        "--precision", default="fp32", choices=("fp32", "int8"), help="backbone precision (default: %(default)s)"
    )
    p.add_argument(
        "--calibrate",
        action="append",
        metavar="FORMAT=PATH",
        default=[],
        help="int8: annotated training video to calibrate on (repeatable), e.g. davis=/data/davis2016",
    )
    p.add_argument(
        "--keep-fp32",
        nargs="+",
        choices=LAYERS,
        default=None,
        metavar="LAYER",
        help="int8: layers to leave in fp32 (default: none)",
    )
    p.add_argument(
        "--out",
        metavar="DIR",
        help="output folder (default: siamfc_<format>; int8: beside the weights file as <weights>.int8)",
    )
    p.add_argument("--opset", type=int, default=17, help="ONNX opset (default: %(default)s)")


def run(args) -> int:
    from siamfc.errors import ConfigError
    from siamfc.io.files import writable_folder
    from siamfc.model.weights import load_weights
    from siamfc.runtime.export import export

    if args.precision == "fp32":
        if args.calibrate or args.keep_fp32:
            raise ConfigError("--calibrate and --keep-fp32 are for --precision int8")
        out = writable_folder(args.out or f"siamfc_{args.format}", "the export")  # fail before loading anything
        path = export(load_weights(args.weights), out, format=args.format, opset=args.opset)
    else:
        path = _export_int8(args)
    print(f"wrote {', '.join(sorted(p.name for p in path.iterdir() if not p.name.startswith('.')))} to {path}")
    return 0


def _export_int8(args):
    import tempfile
    from pathlib import Path

    from siamfc.errors import ConfigError
    from siamfc.io.files import writable_folder
    from siamfc.model.weights import SHIPPED, load_weights, resolve_weights
    from siamfc.runtime.export import export
    from siamfc.runtime.quantize import DEFAULT_KEEP_FP32, calibration_crops, quantize, require_nncf
    from siamfc.tracking.tracker import card_resampling
    from siamfc.training import TrainConfig
    from siamfc.training.data import load_sequences, resolve_data_specs, split_and_filter

    if not args.calibrate:
        raise ConfigError("--precision int8 needs calibration data: --calibrate FORMAT=PATH (annotated training video)")
    require_nncf()
    weights_file = resolve_weights(args.weights)
    shipped = args.weights is None or str(args.weights) in ("default", *SHIPPED)
    out = Path(args.out) if args.out else Path("siamfc_int8") if shipped else weights_file.with_suffix(".int8")
    writable_folder(out.parent, "the int8 export", keep=False)
    model = load_weights(args.weights)
    specs = resolve_data_specs(args.calibrate)
    split = split_and_filter(load_sequences(specs), TrainConfig())
    resampling = card_resampling(args.weights)
    crops = calibration_crops(split.train, resampling=resampling)
    print(
        f"calibrating on {sum(len(c) for c in crops)} crops ({resampling}) from {len(split.train)} training "
        f"sequences (held out: {len(split.val_videos)} validation videos)"
    )
    with tempfile.TemporaryDirectory(prefix="siamfc-export-") as tmp:
        fp32 = export(model, Path(tmp) / "fp32", format="openvino", opset=args.opset)
        return quantize(
            fp32,
            crops,
            out,
            keep_fp32=tuple(args.keep_fp32 or DEFAULT_KEEP_FP32),
            calibration={
                "data": specs,
                "sequences": len(split.train),
                "resampling": resampling,
                "held_out_videos": split.val_videos,
            },
        )
