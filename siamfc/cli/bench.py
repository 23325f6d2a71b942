"""``siamfc bench``: tracking speed of every backend and precision, side by side with a plain reference."""
from __future__ import annotations

from .engine_options import WEIGHTS_HELP

HELP = "measure tracking speed: per-step breakdown, fps, GFLOP/s, speed-up over a plain reference"
DESCRIPTION = """Track the bundled Crossing sequence, resized to --size, with every available
configuration in one process and print, per parameter set (3s, 5s): fps, ms per tracking step
broken down into crop / network / post-processing, the network's GFLOP/s and its fraction of a
matrix-multiply peak measured here (fp32 and bf16), setup time and first-frame latency, and the
speed-up over the reference (the same tracker in eager fp32 PyTorch with channels-first tensors,
what existing re-implementations run). Frames are decoded before timing.

--video PATH adds end-to-end throughput on a video file, decoding included (inline vs. in a
background thread). --memory measures the resident memory of a tracker in a fresh process.
--json OUT writes every number."""

#: name -> (backend, precision); the reference is built separately.
CONFIGS = {
    "torch fp32": ("torch", "fp32"),
    "torch bf16": ("torch", "bf16"),
    "torch-compile fp32": ("torch-compile", "fp32"),
    "torch-compile bf16": ("torch-compile", "bf16"),
    "onnxruntime fp32": ("onnxruntime", "fp32"),
    "openvino fp32": ("openvino", "fp32"),
    "openvino bf16": ("openvino", "bf16"),
    "auto": ("auto", "auto"),
}


def parse_size(text: str) -> tuple[int, int]:
    from ..errors import ConfigError

    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ConfigError(f"--size must be WIDTHxHEIGHT, e.g. 640x360, got {text!r}") from None
    if w < 64 or h < 64:
        raise ConfigError(f"--size {text}: frames must be at least 64x64")
    return w, h


def add_arguments(p) -> None:
    p.add_argument("--size", default="640x360", help="frame size WxH (default: %(default)s)")
    p.add_argument("--params", nargs="+", default=["3s", "5s"], choices=["3s", "5s"], help="parameter sets (default: both)")
    p.add_argument("--frames", type=int, default=40, help="frames tracked per pass (default: %(default)s)")
    p.add_argument("--rounds", type=int, default=3,
                   help="passes per configuration, taken in turns; the median counts (default: %(default)s)")
    p.add_argument("--configs", nargs="+", choices=list(CONFIGS), metavar="CONFIG",
                   help=f"configurations to time (default: every one this machine can run): {', '.join(CONFIGS)}")
    p.add_argument("--weights", help=WEIGHTS_HELP)
    p.add_argument("--threads", type=int, default=None, help="threads for every backend (default: all cores)")
    p.add_argument("--peers", action="store_true", help="also time OpenCV CSRT and KCF")
    p.add_argument("--video", metavar="PATH", help="also measure end-to-end fps on this video file (decoding included)")
    p.add_argument("--box", metavar="X,Y,W,H", help="first box for --video (default: a centred box a quarter of the frame)")
    p.add_argument("--memory", action="store_true",
                   help="also measure a tracker's resident memory and build time in fresh processes (warm and empty cache)")
    p.add_argument("--json", metavar="OUT", help="write every number as JSON here")


def run(args) -> int:
    import json

    import torch

    from ..bench import (
        demo_frames,
        format_table,
        machine_line,
        matmul_peak,
        measure_memory,
        rows_for,
        run_bench,
        step_flops,
        video_throughput,
    )
    from ..errors import ConfigError
    from ..model.weights import load_weights
    from ..runtime import TorchEngine
    from ..runtime.select import unavailable
    from ..tracking import SiamFCTracker, get_params

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.frames < 5 or args.rounds < 1:
        raise ConfigError("--frames must be at least 5 and --rounds at least 1")
    size = parse_size(args.size)
    model = load_weights(args.weights)

    names = args.configs or list(CONFIGS)
    # "auto" always runs (it falls back); the others need their package, compiler or bf16 CPU.
    reasons = {n: unavailable(*CONFIGS[n]) for n in names if n != "auto"}
    configs = {n: CONFIGS[n] for n in names if not reasons.get(n)}
    skipped = sorted(n for n, why in reasons.items() if why)
    frames, box = demo_frames(args.frames, size)
    peaks = {"fp32": matmul_peak(torch.float32), "bf16": matmul_peak(torch.bfloat16)}
    print(f"machine: {machine_line()}")
    print(f"frames: {len(frames)} of {size[0]}x{size[1]} (bundled Crossing, resized), {args.rounds} rounds; "
          "matmul peak measured here: "
          f"fp32 {peaks['fp32']:.0f} GFLOP/s, bf16 {peaks['bf16']:.0f} GFLOP/s")
    for name in skipped:
        print(f"skipped {name}: {reasons[name]}")
    report = {"machine": machine_line(), "size": list(size), "frames": len(frames), "rounds": args.rounds,
              "peaks_gflops": peaks,
              "skipped": skipped, "results": {}}
    for params in args.params:
        variants = {"reference (torch fp32 eager, channels-first)": lambda ps=params: SiamFCTracker(
            engine=TorchEngine(model, "fp32", channels_last=False, fuse=False), params=ps, pick_scale_on_raw=False)}
        for name, (backend, precision) in configs.items():
            variants[name] = (lambda b=backend, p=precision, ps=params: SiamFCTracker(
                model=model, params=ps, backend=b, precision=p, threads=args.threads))
        if args.peers:
            from ..evaluation.trackers import OpenCVTracker

            variants["opencv csrt"] = lambda: OpenCVTracker("csrt")
            variants["opencv kcf"] = lambda: OpenCVTracker("kcf")
        num_scales = get_params(params).num_scales
        flops = step_flops(model, num_scales)
        rows = rows_for(run_bench(variants, frames, box, params, rounds=args.rounds), flops, peaks)
        report["results"][params] = {"step_gflop": flops / 1e9, "rows": rows}
        print(f"\nSiamFC-{params}: {num_scales} scales, {flops / 1e9:.1f} GFLOP per step "
              f"(ceiling at the bf16 peak: {peaks['bf16'] / (flops / 1e9):.0f} fps)")
        print(format_table(rows))
    if args.memory:
        report["memory"] = {name: measure_memory(*CONFIGS[name], size=size) for name in ("auto", "torch fp32")}
        report["memory"]["auto, empty cache"] = measure_memory(*CONFIGS["auto"], size=size, cold=True)
        for name, m in report["memory"].items():
            line = m.get("error") or (f"{m['engine']}: tracker {m['tracker_mb']:.0f} MiB resident "
                                      f"(process {m['rss_after_mb']:.0f} MiB, peak {m['peak_rss_mb']:.0f} MiB); "
                                      f"built in {m['setup_s']:.2f} s after a {m['import_s']:.2f} s import")
            print(f"fresh process, {name}: {line}")
    if args.video:
        from ..track_video import parse_box

        video_box = parse_box(args.box) if args.box else None
        report["video"] = video_throughput(args.video, lambda: SiamFCTracker(model=model, threads=args.threads), video_box)
        v = report["video"]
        print(f"video {args.video}: {v['inline']['fps']:.1f} fps decoding inline, {v['prefetch']['fps']:.1f} fps "
              f"decoding in a background thread (tracker alone: {v['prefetch']['tracker_fps']:.1f} fps; "
              f"decoding alone: {v['decode_only']['fps']:.0f} fps)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
        print(f"wrote {args.json}")
    return 0
