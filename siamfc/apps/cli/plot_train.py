"""``siamfc plot-train RUN_DIR``: PNG training curves of a run (and others to compare)."""

from __future__ import annotations

HELP = "plot a training run's curves (loss, validation AUC, lr, pairs/s) as PNG"


def add_arguments(parser) -> None:
    parser.add_argument("run_dir", help="run directory written by `siamfc train`")
    parser.add_argument("--compare", nargs="*", default=[], metavar="RUN_DIR", help="more runs on the same axes")
    parser.add_argument("--out", help="PNG file (default RUN_DIR/curves.png)")


def run(args) -> int:
    from siamfc.training.plots import plot_run

    print(plot_run(args.run_dir, args.out, args.compare))
    return 0
