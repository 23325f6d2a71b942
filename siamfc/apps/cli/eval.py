"""``siamfc eval``: run trackers over a benchmark (parallel, resumable) and print their scores."""

from __future__ import annotations

from pathlib import Path

HELP = "run trackers over a benchmark (parallel, resumable) and score them"
DESCRIPTION = """Run one or more trackers over a benchmark and score them.

Results are saved per sequence in the benchmark's standard format under RESULTS/<tracker>/;
sequences already done are skipped, so an interrupted run continues. Examples:

  siamfc eval --dataset otb2015 --root /data/OTB100 --tracker siamfc --weights w.safetensors
  siamfc eval --dataset bench --root ../shared/datasets/bench --tracker csrt kcf mil \\
      --results results/bench --workers 1 --json results/bench/scores.json --plots results/bench/plots
  siamfc eval --dataset vot2016 --root /data/vot2016 --tracker siamfc --workers 2

On several machines: `--shard K/N` runs the K-th of N shards (K = 1..N, a fixed split by a hash
of each sequence's name) into the shared --results folder; the shard that completes the set
prints the scores, the others say which sequences are still missing (docs/cluster.md).
"""


def add_common_output(parser) -> None:
    """Output options shared with ``siamfc report``."""
    parser.add_argument("--json", metavar="OUT", help="write overall, per-sequence scores and curves as JSON")
    parser.add_argument("--markdown", metavar="OUT", help="write the tables as Markdown")
    parser.add_argument("--latex", metavar="OUT", help="write the tables as LaTeX (booktabs; best scores in bold)")
    parser.add_argument("--plots", metavar="DIR", help="write success / precision plots (PNG) to DIR")
    parser.add_argument("--per-sequence", action="store_true", help="also print a per-sequence table")
    parser.add_argument("--sequences", nargs="+", metavar="NAME", help="only these sequences")


def add_arguments(parser) -> None:
    from siamfc.apps.cli.tracker_options import add_tracker_options
    from siamfc.data.registry import DATASETS
    from siamfc.evaluation.trackers import KINDS

    parser.add_argument("--dataset", required=True, choices=list(DATASETS), help="benchmark layout and protocol")
    parser.add_argument("--root", required=True, help="the benchmark's folder")
    parser.add_argument(
        "--tracker",
        nargs="+",
        default=["siamfc"],
        choices=KINDS,
        metavar="TRACKER",
        help=f"one or more of: {', '.join(KINDS)} (default: siamfc)",
    )
    parser.add_argument("--name", help="results / report name of the tracker (one tracker only)")
    parser.add_argument(
        "--onnx", nargs="+", default=[], metavar="FILE", help="ONNX files of nano (backbone, neckhead) or vit (net)"
    )
    parser.add_argument("--results", help="results folder (default: results/<dataset>)")
    parser.add_argument("--workers", type=int, default=1, help="parallel processes (default 1)")
    parser.add_argument("--threads", type=int, help="torch/OpenCV threads per process")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--shard",
        metavar="K/N",
        help="run only the K-th of N shards of the sequences (K = 1..N; e.g. a SLURM array task)",
    )
    add_common_output(parser)
    add_tracker_options(parser)


def run(args) -> int:
    from siamfc.apps.cli.tracker_options import engine_kwargs, overrides
    from siamfc.data.registry import open_dataset
    from siamfc.errors import ConfigError, DataError
    from siamfc.evaluation.report import evaluate_results, publish
    from siamfc.evaluation.runner import run_dataset
    from siamfc.evaluation.trackers import TrackerSpec
    from siamfc.utils.sharding import parse_shard

    if args.name and len(args.tracker) > 1:
        raise ConfigError("--name applies to a single --tracker")
    shard = parse_shard(args.shard) if args.shard else None
    seqs = open_dataset(args.dataset, args.root)
    if args.sequences:
        seqs = seqs.subset(args.sequences)
    protocol = seqs.meta["protocol"]
    results = Path(args.results or Path("results") / args.dataset)
    siamfc_overrides = tuple(sorted(overrides(args).items()))
    failed = {}
    folders = []
    for kind in args.tracker:
        spec = TrackerSpec(
            kind,
            name=args.name or "",
            weights=args.weights,
            params=args.params,
            overrides=siamfc_overrides if kind == "siamfc" else (),
            onnx=tuple(args.onnx),
            device=args.device,
            **(engine_kwargs(args) if kind == "siamfc" else {}),
        )
        summary = run_dataset(
            seqs,
            spec,
            results,
            dataset=args.dataset,
            protocol=protocol,
            workers=args.workers,
            threads=args.threads,
            progress=not args.no_progress,
            root=args.root,
            shard=shard,
        )
        print(
            f"{spec.name}{f' (shard {shard})' if shard else ''}: "
            f"{len(summary.tracked)} sequences tracked, {len(summary.skipped)} already done"
            f"{f', {len(summary.failed)} failed' if summary.failed else ''} -> {summary.tracker_dir}"
        )
        failed.update({f"{spec.name}/{k}": v for k, v in summary.failed.items()})
        folders.append(summary.tracker_dir)
    if failed:
        name, error = next(iter(failed.items()))
        raise DataError(f"{len(failed)} sequence(s) failed, e.g. {name}: {error}")
    if shard and not shards_complete(folders, seqs, protocol):
        return 0
    if args.dataset == "got10k-test":
        print("GOT-10k test has no public ground truth: upload the results folder to the evaluation server")
        return 0
    reports = evaluate_results(folders, seqs, protocol, dataset=args.dataset, year=seqs.meta.get("year"))
    print_warnings(reports, "eval")
    print(
        publish(
            reports,
            args.dataset,
            args.root,
            json_out=args.json,
            markdown_out=args.markdown,
            latex_out=args.latex,
            plots_dir=args.plots,
            per_sequence=args.per_sequence,
            note=dataset_note(args.dataset),
        )
    )
    return 0


def shards_complete(folders, seqs, protocol: str) -> bool:
    """Whether every sequence has a result in every folder; if not, say which are missing."""
    from siamfc.evaluation.report import available, lacking

    incomplete = [lacks for f in folders if (lacks := lacking(f, seqs.names, available(f, seqs.names, protocol)))]
    for lacks in incomplete:
        print(lacks)
    if incomplete:
        print("scores: with `siamfc report` (or this command again) once every shard has finished")
    return not incomplete


def print_warnings(reports, command: str) -> None:
    """The scoring's warnings (e.g. a short result file), one line each on stderr."""
    import sys

    for r in reports:
        for w in r.warnings:
            print(f"siamfc {command}: warning: {w}", file=sys.stderr)


def dataset_note(dataset: str) -> str | None:
    """A line that the reports of some datasets must carry."""
    if dataset == "bench":
        return (
            "bench: OTB-style one-pass scores on every sequence; the VOT sequence is scored against "
            "the axis-aligned bounding boxes of its polygons."
        )
    return None
