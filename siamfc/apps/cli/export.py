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
It is written beside the weights file as <weights>.int8/ (for the shipped weights: in the cache,
<cache>/int8/<digest>/), where --precision int8 finds it.

--check VIDEOS (FORMAT=PATH, annotated video that neither the weights nor the calibration saw;
never a benchmark you report on) tracks them with fp32 and with the reduced precision on OpenVINO
and records the check that `--precision auto` needs before it chooses int8 or bf16 for these
weights: int8 in the graph's export.json, bf16 (which runs the fp32 export: nothing to export) in
the weights' model card. Bound and measures: docs/speed.md. A check holds for the OpenVINO
release that made it; after an upgrade, check again:

  siamfc export --weights my.safetensors --precision int8 --calibrate davis=/data/davis2016 --check otb=/data/held_out
  siamfc export --weights my.safetensors --precision int8 --check otb=/data/held_out   # the existing graph
  siamfc export --weights my.safetensors --precision bf16 --check otb=/data/held_out
  siamfc track clip.mp4 --box X,Y,W,H --weights my.safetensors                         # auto: checked ones only"""


def add_arguments(p) -> None:
    from siamfc.runtime.export import FORMATS
    from siamfc.runtime.quantize import LAYERS

    p.add_argument("--weights", help=WEIGHTS_HELP)
    p.add_argument(
        "--format", default="onnx", choices=FORMATS, help="graph format (default: %(default)s; int8 is always openvino)"
    )
    p.add_argument(
        "--precision",
        default="fp32",
        choices=("fp32", "int8", "bf16"),
        help="backbone precision (default: %(default)s; bf16 only with --check: it runs the fp32 export)",
    )
    p.add_argument(
        "--check",
        action="append",
        metavar="FORMAT=PATH",
        default=[],
        help="int8 / bf16: held-out annotated video to check the precision on against fp32 (repeatable); "
        "records the check that precision auto needs",
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
        help="output folder (default: siamfc_<format>; int8: beside the weights file as <weights>.int8, "
        "for the shipped weights in the cache)",
    )
    p.add_argument("--opset", type=int, default=17, help="ONNX opset (default: %(default)s)")


def run(args) -> int:
    from siamfc.errors import ConfigError
    from siamfc.io.files import writable_folder
    from siamfc.model.weights import load_weights
    from siamfc.runtime.export import export
    from siamfc.tracking.tracker import card_resampling

    if args.precision != "int8" and (args.calibrate or args.keep_fp32):
        raise ConfigError("--calibrate and --keep-fp32 are for --precision int8")
    if args.precision == "fp32":
        if args.check:
            raise ConfigError("--check is for --precision int8 or bf16 (fp32 is the reference it checks against)")
        out = writable_folder(args.out or f"siamfc_{args.format}", "the export")  # fail before loading anything
        model = load_weights(args.weights)
        path = export(model, out, format=args.format, opset=args.opset, resampling=card_resampling(args.weights))
    elif args.precision == "bf16":
        if not args.check:
            raise ConfigError(
                "--precision bf16 exports nothing (bf16 runs the fp32 export); give --check VIDEOS to record "
                "its check in the weights' model card"
            )
        _check(args, None)
        return 0
    else:
        if args.check and set(args.check) & set(args.calibrate):
            raise ConfigError("--check needs video held out from the calibration: not the --calibrate data")
        path = _export_int8(args) if args.calibrate or not args.check else _existing_int8(args)
        if args.check:
            _check(args, path)
    print(f"wrote {', '.join(sorted(p.name for p in path.iterdir() if not p.name.startswith('.')))} to {path}")
    return 0


def _existing_int8(args):
    """The int8 graph already made for the weights (``--check`` without ``--calibrate``)."""
    from pathlib import Path

    from siamfc.errors import ConfigError
    from siamfc.model.weights import load_weights
    from siamfc.runtime.select import int8_export

    if args.out:
        return Path(args.out)
    folder, found = int8_export(load_weights(args.weights), args.weights)
    if folder is None:
        raise ConfigError(f"nothing to check: {found}")
    return folder


def _check(args, int8_dir) -> None:
    """Check ``args.precision`` (the int8 graph at ``int8_dir``, or bf16) against fp32 on the
    ``--check`` videos, on OpenVINO, and record it where ``precision auto`` reads it."""
    from siamfc.errors import ConfigError, DataError
    from siamfc.evaluation.precision_check import (
        check_sequences,
        check_windows,
        compare,
        describe,
        make_check,
        record_bf16_check,
    )
    from siamfc.model.weights import load_weights, resolve_weights
    from siamfc.runtime.export import read_manifest, weights_digest
    from siamfc.runtime.quantize import record_check
    from siamfc.runtime.select import build_engine, check_precision
    from siamfc.tracking.tracker import card_resampling
    from siamfc.training.data import resolve_data_specs
    from siamfc.utils.provenance import command_line

    precision = args.precision
    check_precision(precision, backend="openvino")  # a CPU that cannot run it fast cannot check it either
    specs = resolve_data_specs(args.check)
    windows = check_windows(*check_sequences(specs))
    if not windows:
        raise DataError(f"--check {' '.join(args.check)}: no sequence has 10 frames with a usable box")
    model = load_weights(args.weights)
    if int8_dir is not None and read_manifest(int8_dir).get("weights_digest") != weights_digest(model):
        raise ConfigError(f"{int8_dir} was calibrated for other weights than {args.weights or 'the default ones'}")
    candidate = build_engine("openvino", model, precision, exported=int8_dir)
    print(f"checking {precision} against fp32 on {len(windows)} windows of {len(specs)} video source(s)")
    measured = compare(
        windows, build_engine("openvino", model, "fp32"), {precision: candidate}, card_resampling(args.weights), True
    )[precision]
    check = make_check(
        measured,
        precision=precision,
        backend="openvino",
        digest=weights_digest(model),
        data={"videos": specs, **describe(windows)},
        made_by=command_line(),
    )
    if int8_dir is not None:
        record_check(int8_dir, check)
        where = f"{int8_dir}/export.json"
    else:
        record_bf16_check(resolve_weights(args.weights), check)
        where = "the model card beside the weights"
    verdict = (
        "passed: precision auto may choose it" if check["passed"] else "outside the bound: auto will not choose it"
    )
    print(f"{precision} check: {check['summary']}; {verdict} (recorded in {where})")


def _export_int8(args):
    import tempfile
    from pathlib import Path

    from siamfc.errors import ConfigError
    from siamfc.io.files import writable_folder
    from siamfc.model.weights import SHIPPED, load_weights, resolve_weights
    from siamfc.runtime.export import export, weights_digest
    from siamfc.runtime.quantize import DEFAULT_KEEP_FP32, calibration_crops, quantize, require_nncf
    from siamfc.runtime.select import int8_cache
    from siamfc.tracking.tracker import card_resampling
    from siamfc.training import TrainConfig
    from siamfc.training.data import load_sequences, resolve_data_specs, split_and_filter

    if not args.calibrate:
        raise ConfigError("--precision int8 needs calibration data: --calibrate FORMAT=PATH (annotated training video)")
    require_nncf()
    model = load_weights(args.weights)
    shipped = args.weights is None or str(args.weights) in ("default", *SHIPPED)
    # beside the weights file, or for the shipped ones (not to be overwritten) in the cache: where
    # the int8 look-up (siamfc.runtime.select.int8_graphs) searches
    out = (
        Path(args.out)
        if args.out
        else int8_cache(weights_digest(model))
        if shipped
        else resolve_weights(args.weights).with_suffix(".int8")
    )
    writable_folder(out.parent, "the int8 export", keep=False)
    specs = resolve_data_specs(args.calibrate)
    split = split_and_filter(load_sequences(specs), TrainConfig())
    resampling = card_resampling(args.weights)
    crops = calibration_crops(split.train, resampling=resampling)
    print(
        f"calibrating on {sum(len(c) for c in crops)} crops ({resampling}) from {len(split.train)} training "
        f"sequences (held out: {len(split.val_videos)} validation videos)"
    )
    with tempfile.TemporaryDirectory(prefix="siamfc-export-") as tmp:
        fp32 = export(model, Path(tmp) / "fp32", format="openvino", opset=args.opset, resampling=resampling)
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
