"""``siamfc curate``: crop every annotated frame once (the paper's offline curation) for fast training."""

from __future__ import annotations

HELP = "crop every annotated object/frame once for training (parallel, resumable)"
DESCRIPTION = """Write one crop per annotated (object, frame): centred on the object, at exemplar scale
(context p = (w+h)/2 -> 127 px), padded with the frame's mean colour, by the tracker's crop function.
Its centre 127 px are the exemplar crop, its centre 255 px the search crop.

  siamfc curate --dataset vid --root /data/ILSVRC2015 --out /data/vid_curated --workers 16
  siamfc train --data curated=/data/vid_curated --out runs/vid ...

Resumable: run the same command again after an interruption; complete videos are skipped.
On several machines: `--shard K/N` curates the K-th of N shards of the videos (K = 1..N, a fixed
split by a hash of each video's name) into the shared --out folder (docs/cluster.md).
Output: curate.json, index.tsv (one row per crop), videos/*.tsv, crops/<video>/<object>/*.jpg."""


def add_arguments(parser) -> None:
    parser.add_argument(
        "--dataset", help="dataset format: davis, mot, vid, got10k, lasot, otb, uav123, folder (with --root)"
    )
    parser.add_argument("--root", help="the dataset's folder")
    parser.add_argument(
        "--data",
        action="append",
        default=[],
        metavar="FORMAT=PATH",
        help="another way to name datasets, as `siamfc train` does (repeatable)",
    )
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--side", type=int, help="crop side in px (default: enough for the default augmentation, 263)")
    parser.add_argument("--workers", type=int, help="processes (default: all cores)")
    parser.add_argument("--quality", type=int, default=95, help="JPEG quality (default 95)")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument(
        "--shard",
        metavar="K/N",
        help="curate only the K-th of N shards of the videos (K = 1..N; e.g. a SLURM array task)",
    )


def run(args) -> int:
    from siamfc.errors import ConfigError
    from siamfc.training.curate import curate
    from siamfc.utils.sharding import parse_shard

    specs = list(args.data)
    if args.dataset or args.root:
        if not (args.dataset and args.root):
            raise ConfigError("--dataset and --root go together")
        specs.append(f"{args.dataset}={args.root}")
    if not specs:
        raise ConfigError("nothing to curate: give --dataset FORMAT --root PATH (or --data FORMAT=PATH)")
    shard = parse_shard(args.shard) if args.shard else None
    curate(
        specs,
        args.out,
        side=args.side,
        workers=args.workers,
        quality=args.quality,
        progress=not args.no_progress,
        shard=shard,
    )
    return 0
