"""``siamfc report``: score existing result folders against a benchmark's ground truth."""

from __future__ import annotations

import sys

HELP = "compare result folders of any number of trackers (ground truth only, no frames needed)"
DESCRIPTION = """Score existing result folders (ours or other toolkits' files in the standard formats).

Each RESULTS is a tracker's folder, or a folder of tracker folders. A tracker's folder is
recognised by what it holds: run.json (siamfc eval's) or the result file of at least one of the
benchmark's sequences; anything else in a folder of tracker folders (a README.txt, scores.json,
plots) is skipped, and a note on stderr names it. Only the annotation files of the benchmark are
needed under --root. Examples:

  siamfc report results/bench --dataset bench --root ../shared/datasets/bench --per-sequence
  siamfc report results/otb2015/siamfc results/otb2015/csrt --dataset otb2015 --root /data/OTB100 \\
      --json scores.json --markdown scores.md --plots plots/
"""


def add_arguments(parser) -> None:
    from siamfc.apps.cli.eval import add_common_output
    from siamfc.data.registry import DATASETS

    parser.add_argument("results", nargs="+", metavar="RESULTS", help="tracker result folders")
    parser.add_argument("--dataset", required=True, choices=list(DATASETS), help="benchmark layout and protocol")
    parser.add_argument("--root", required=True, help="the benchmark's folder (annotations suffice)")
    parser.add_argument("--partial", action="store_true", help="score only the sequences every tracker has results for")
    add_common_output(parser)


def run(args) -> int:
    from siamfc.apps.cli.eval import dataset_note, print_warnings
    from siamfc.data.registry import open_dataset
    from siamfc.evaluation.report import evaluate_results, find_tracker_folders, publish

    seqs = open_dataset(args.dataset, args.root, check_frames=False)
    if args.sequences:
        seqs = seqs.subset(args.sequences)
    found = find_tracker_folders(args.results, seqs.names, seqs.meta["protocol"])
    for line in found.skipped:
        print(f"siamfc report: note: {line}", file=sys.stderr)
    reports = evaluate_results(
        found.folders,
        seqs,
        seqs.meta["protocol"],
        dataset=args.dataset,
        year=seqs.meta.get("year"),
        partial=args.partial,
    )
    note = dataset_note(args.dataset)
    n = len(reports[0].summary.sequences)
    if n < len(seqs):
        note = (note + " " if note else "") + f"Partial: {n} of {len(seqs)} sequences scored."
    print_warnings(reports, "report")
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
            note=note,
        )
    )
    return 0
