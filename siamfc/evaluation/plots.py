"""Success and precision plots (PNG, matplotlib's Agg backend), one line per tracker."""
from __future__ import annotations

from pathlib import Path

from ..fileio import replace_atomically
from . import ope


def plot_curves(reports, out_dir, title: str = "") -> list[Path]:
    """Write ``success.png``, ``precision.png`` and ``norm_precision.png`` to ``out_dir``.

    Legends give the score the trackers are ranked by: success AUC, precision at 20 px,
    normalised-precision AUC.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    specs = [
        ("success.png", "success", ope.SUCCESS_THRESHOLDS, "Overlap threshold (IoU)", "Success rate",
         "Success plots of OPE", lambda s: s.auc, "AUC"),
        ("precision.png", "precision", ope.PRECISION_THRESHOLDS, "Location error threshold (px)", "Precision",
         "Precision plots of OPE", lambda s: s.p20, "P20"),
        ("norm_precision.png", "norm_precision", ope.NORM_PRECISION_THRESHOLDS, "Normalised location error threshold",
         "Normalised precision", "Normalised precision plots of OPE", lambda s: s.norm_p, "AUC"),
    ]
    paths = []
    for filename, attr, x, xlabel, ylabel, heading, score, label in specs:
        fig, ax = plt.subplots(figsize=(5.2, 4.2), dpi=120)
        ranked = sorted(reports, key=lambda r: -score(r.summary))
        for r in ranked:
            ax.plot(x, getattr(r.summary, attr), lw=1.8, label=f"{r.name} [{label} {score(r.summary):.3f}]")
        ax.set_xlim(x[0], x[-1])
        ax.set_ylim(0, 1)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(f"{heading}{' - ' + title if title else ''}", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(loc="lower left" if attr == "success" else "lower right", fontsize=8)
        fig.tight_layout()
        paths.append(replace_atomically(out_dir / filename, fig.savefig))
        plt.close(fig)
    return paths
