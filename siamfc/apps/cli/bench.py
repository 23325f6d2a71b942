"""``siamfc bench``: tracking speed of every backend and precision, side by side with a plain reference."""

from __future__ import annotations

HELP = "measure tracking speed: per-step breakdown, fps, GFLOP/s, speed-up over a plain reference"
DESCRIPTION = """Track the bundled Crossing sequence, resized to --size, with every available
configuration in one process and print, per parameter set (3s, 5s): fps, ms per tracking step
broken down into crop / network / post-processing, the network's GFLOP/s and its fraction of a
reference rate measured here in its precision (the throughput of large fp32 / bf16 / int8 matrix
multiplies in PyTorch: a yardstick, not a bound -- tuned convolution kernels can beat it), setup
time and first-frame latency, and the speed-up over the reference (the same tracker in eager
fp32 PyTorch with channels-first tensors, what existing re-implementations run). Frames are decoded before timing.

--targets N [N ...] measures many targets instead: for each N, one tracker following N targets
(the N*S search crops through the network in one call) against N separate trackers, side by
side in one run, for --configs (default: auto) and --params (default: 3s): fps, crop / network /
post-processing and the ratio. The targets are the bundled sequence's pedestrian and N-1 boxes of
its size spread across the frame.

--video PATH adds end-to-end throughput on a video file, decoding included (inline vs. in a
background thread). --memory measures the resident memory of a tracker in a fresh process.
--json OUT writes every number. The last line says which precision ranking `--precision auto`
has cached on this machine (measured once, the fastest checked precision wins) and how to measure
it again (--retune)."""


def add_arguments(p) -> None:
    from siamfc.apps.bench import CONFIGS
    from siamfc.apps.cli.tracker_options import add_tracker_options

    p.add_argument("--size", default="640x360", help="frame size WxH (default: %(default)s)")
    p.add_argument("--frames", type=int, default=40, help="frames tracked per pass (default: %(default)s)")
    p.add_argument(
        "--rounds",
        type=int,
        default=None,
        help="passes per configuration, taken in turns; the median counts (default: 3; with --targets: 5)",
    )
    p.add_argument(
        "--targets",
        type=int,
        nargs="+",
        metavar="N",
        help="time N targets in one tracker against N separate trackers, for each N given",
    )
    p.add_argument(
        "--configs",
        nargs="+",
        choices=list(CONFIGS),
        metavar="CONFIG",
        help=f"configurations to time (default: every one this machine can run): {', '.join(CONFIGS)}",
    )
    p.add_argument("--threads", type=int, default=None, help="threads for every backend (default: all cores)")
    p.add_argument("--peers", action="store_true", help="also time OpenCV CSRT and KCF")
    p.add_argument("--video", metavar="PATH", help="also measure end-to-end fps on this video file (decoding included)")
    p.add_argument(
        "--box", metavar="X,Y,W,H", help="first box for --video (default: a centred box a quarter of the frame)"
    )
    p.add_argument(
        "--memory",
        action="store_true",
        help="also measure a tracker's resident memory and build time in fresh processes (warm and empty cache)",
    )
    p.add_argument(
        "--retune",
        action="store_true",
        help="forget the precision ranking auto cached on this machine (autotune.json) and measure it again",
    )
    p.add_argument("--json", metavar="OUT", help="write every number as JSON here")
    # The configurations choose the engines and devices; the weights and parameters are the tracker's.
    add_tracker_options(p, engine=False, device=False, several_params=True)


def run(args) -> int:
    if args.targets:
        from siamfc.apps.bench_targets import run_targets_command

        run_targets_command(
            targets=args.targets,
            size=args.size,
            params=args.params or ["3s"],
            frames=args.frames,
            rounds=args.rounds or 5,
            configs=args.configs,
            weights=args.weights,
            threads=args.threads,
            json_out=args.json,
        )
        return 0
    from siamfc.apps.bench import run_command
    from siamfc.apps.cli.tracker_options import overrides

    run_command(
        size=args.size,
        params=args.params or ["3s", "5s"],
        frames=args.frames,
        rounds=args.rounds or 3,
        configs=args.configs,
        weights=args.weights,
        threads=args.threads,
        peers=args.peers,
        video=args.video,
        box=args.box,
        memory=args.memory,
        retune=args.retune,
        json_out=args.json,
        overrides=overrides(args),
    )
    return 0
