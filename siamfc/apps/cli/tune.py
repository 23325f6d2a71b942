"""``siamfc tune``: search the tracking parameters for given weights, checked on held-out video."""

from __future__ import annotations

HELP = "tune the tracking parameters for given weights on given videos (Optuna; resumable, several workers)"
DESCRIPTION = """Search scale_step, scale_penalty, scale_lr and window_influence of a parameter set
(3s or 5s) for given weights, maximising the mean success AUC on the tuning videos, then score
the base set and the best set on held-out videos that the search never saw, and print both splits
side by side. Writes OUT/params.yaml (use it as --params OUT/params.yaml in track, eval, demo,
bench, serve and trax; it records the weights' digest, the data, the trials and both scores) and
OUT/tune.json (every trial, per-clip scores of both splits).

  siamfc tune --weights my.safetensors --data davis=DAVIS_ROOT --out tune/my --trials 30
  siamfc tune --weights scratch --data davis=../shared/datasets/train/davis2016 \\
      --held-out runs/e4_scratch_all/val_videos.txt --frames-per-video 40 --out tune/scratch

The study is kept in OUT/study.journal: run the same command again to continue a killed run (or
with a larger --trials to extend it). Several workers share one study: --workers N processes here,
or the same command on other machines with --storage naming one journal file on a shared file
system (or an RDB URL, e.g. postgresql://...; needs SQLAlchemy) and a --seed of their own.
Trials that cannot beat the median of earlier ones at the same clip are stopped early (pruned).

Data (--data FORMAT=PATH, repeatable): the formats of `siamfc train --data` (davis, mot, vid,
got10k, lasot, otb, uav123, folder, curated) or a benchmark reader of `siamfc eval --dataset`
(otb2015, vot2016, dtb70, ...). Never tune on the evaluation bench.

A set that wins on the videos it was chosen on can lose on others: keep the authors' set unless
the held-out split says otherwise (the verdict line). See docs/tuning.md."""


def add_arguments(p) -> None:
    from siamfc.apps.cli.tracker_options import SET_HELP, WEIGHTS_HELP, add_tracker_options

    p.add_argument(
        "--data", action="append", default=[], metavar="FORMAT=PATH", help="videos to tune on (repeatable; required)"
    )
    p.add_argument("--out", required=True, metavar="DIR", help="output folder: params.yaml, tune.json, the study")
    p.add_argument(
        "--trials", type=int, default=30, help="finished trials the study should hold (default: %(default)s)"
    )
    p.add_argument("--workers", type=int, default=1, help="worker processes sharing the study (default: %(default)s)")
    p.add_argument(
        "--storage",
        metavar="URL",
        help="the study's storage: a journal file path (share it between machines on a shared file system) "
        "or an RDB URL such as sqlite:///tune.db (needs SQLAlchemy) (default: OUT/study.journal)",
    )
    p.add_argument("--study", default="siamfc-tune", help="study name within the storage (default: %(default)s)")
    p.add_argument(
        "--frames-per-video",
        type=int,
        default=100,
        metavar="N",
        help="track at most N frames of each video, from its first usable box: cheaper trials (default: %(default)s)",
    )
    p.add_argument(
        "--min-frames",
        type=int,
        default=10,
        metavar="N",
        help="leave out videos with fewer usable frames than this (default: %(default)s)",
    )
    split = p.add_argument_group("held-out split (the videos the search never sees)")
    split.add_argument(
        "--held-out",
        metavar="NAMES|FILE",
        help="hold out these videos: comma-separated names or a file with one per line, e.g. a training "
        "run's val_videos.txt (names not in the data are listed and skipped)",
    )
    split.add_argument(
        "--held-out-fraction",
        type=float,
        default=0.25,
        metavar="F",
        help="without --held-out or --held-out-data: hold out this fraction of the videos, chosen by a hash "
        "of their names "
        "(default: %(default)s)",
    )
    split.add_argument(
        "--held-out-data",
        action="append",
        default=[],
        metavar="FORMAT=PATH",
        help="hold out every video of this data as well (repeatable; other video than the tuning data)",
    )
    p.add_argument(
        "--seed", type=int, default=0, help="sampler seed (give each machine its own) (default: %(default)s)"
    )
    p.add_argument("--threads", type=int, help="torch/OpenVINO threads per worker (default: the cores / workers)")
    p.add_argument(
        "--stale-after",
        type=float,
        default=600.0,
        metavar="S",
        help="a running trial without a heartbeat for S seconds is taken as interrupted and queued again "
        "(dead processes on this machine are noticed at once) (default: %(default)s)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        metavar="S",
        help="start no trial after S seconds; the held-out check then runs on the trials done, and the same "
        "command continues the study later",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress lines")
    p.add_argument("--weights", metavar="W", help=WEIGHTS_HELP)
    p.add_argument(
        "--params", default="3s", choices=["3s", "5s"], help="the set the search starts from (default: %(default)s)"
    )
    p.add_argument("--set", dest="overrides", default="", metavar="NAME=VALUE,...", help=SET_HELP + " (kept fixed)")
    add_tracker_options(p, model=False)


def run(args) -> int:
    from siamfc.apps.cli.tracker_options import engine_kwargs, overrides
    from siamfc.tuning import tune

    result = tune(
        data=args.data,
        out=args.out,
        weights=args.weights,
        params=args.params,
        trials=args.trials,
        workers=args.workers,
        storage=args.storage,
        study=args.study,
        frames_per_video=args.frames_per_video,
        min_frames=args.min_frames,
        held_out=args.held_out,
        held_out_fraction=args.held_out_fraction,
        held_out_data=args.held_out_data,
        seed=args.seed,
        device=args.device,
        threads=args.threads,
        overrides=overrides(args),
        stale_after=args.stale_after,
        timeout=args.timeout,
        progress=not args.no_progress,
        **engine_kwargs(args),
    )
    print(result.summary())
    return 0
