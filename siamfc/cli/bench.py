"""``siamfc bench``: tracking speed of the backends (and OpenCV peers), side by side."""
from __future__ import annotations

HELP = "measure tracking speed (fps) of the backends side by side"
DESCRIPTION = """Track the bundled demo sequence with every variant in one process and print fps and
the ratio to the first variant (PyTorch fp32). Variants: torch-fp32, torch-bf16 (autocast; fast on
CPUs with AMX / AVX-512-bf16), onnxruntime (with --onnx, or exported on the fly), and OpenCV
CSRT/KCF with --peers. The clock covers init + updates, not video decoding."""


def add_arguments(p) -> None:
    p.add_argument("--weights", help="weights file; default: the shipped weights")
    p.add_argument("--params", default="3s", choices=["3s", "5s"], help="parameter set (default: %(default)s)")
    p.add_argument("--frames", type=int, default=120, help="frames to track (default: %(default)s)")
    p.add_argument("--threads", type=int, default=None, help="torch / ONNX Runtime threads (default: all cores)")
    p.add_argument("--onnx", help="exported embedding (siamfc export); default: export to a temp file")
    p.add_argument("--no-onnx", action="store_true", help="skip the ONNX Runtime variant")
    p.add_argument("--peers", action="store_true", help="also time OpenCV CSRT and KCF")
    p.add_argument("--json", help="write the rows as JSON here")


def run(args) -> int:
    import json
    import tempfile

    import torch

    from ..bench import demo_frames, format_table, machine_line, run_bench
    from ..model.weights import load_weights
    from ..tracking import SiamFCTracker

    if args.threads:
        torch.set_num_threads(args.threads)
    model = load_weights(args.weights)
    frames, box = demo_frames(args.frames)
    variants = {
        "torch-fp32": lambda: SiamFCTracker(model=model, params=args.params),
        "torch-bf16": lambda: SiamFCTracker(model=model, params=args.params, precision="bf16"),
    }
    if not args.no_onnx:
        try:
            import onnxruntime  # noqa: F401
        except ImportError:
            print("onnxruntime not installed: skipping the ONNX variant (pip install 'siamfc[onnx]')")
        else:
            from ..tracking.backends import export_onnx, onnx_model

            onnx_path = args.onnx or export_onnx(model, tempfile.mkdtemp() + "/siamfc.onnx")
            variants["onnxruntime-fp32"] = lambda: SiamFCTracker(
                model=onnx_model(onnx_path, args.weights, args.threads), params=args.params)
    if args.peers:
        from ..evaluation.trackers import OpenCVTracker

        variants["opencv-csrt"] = lambda: OpenCVTracker("csrt")
        variants["opencv-kcf"] = lambda: OpenCVTracker("kcf")
    rows = run_bench(variants, frames, box)
    print(f"machine: {machine_line()}; {len(frames)} frames of {frames[0].shape[1]}x{frames[0].shape[0]}")
    print(format_table(rows))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": machine_line(), "rows": rows}, f, indent=2)
    return 0
