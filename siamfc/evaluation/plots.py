"""Success and precision plots (PNG, matplotlib's Agg backend), one line per tracker, as the OTB
toolkit draws them: the legend lists the trackers best first, each with its score in brackets
(success: AUC; precision: the value at 20 px; normalised precision: AUC).

``plot_curves`` draws the dataset's plots; ``plot_attributes`` one panel per sequence attribute
(OTB: IV, SV, OCC, ...), each ranked on that attribute's sequences alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from siamfc.data.otb import OTB_ATTRIBUTES  # their names, for the panel titles
from siamfc.evaluation import ope
from siamfc.io.files import replace_atomically


@dataclass(frozen=True)
class CurveKind:
    """One kind of plot: which curve of a score, its x axis, and the number the legend ranks by."""

    name: str
    attr: str
    x: np.ndarray
    xlabel: str
    ylabel: str
    heading: str
    label: str

    def score(self, curve: np.ndarray) -> float:
        return float(curve[ope.PRECISION_AT]) if self.attr == "precision" else float(np.mean(curve))


KINDS = (
    CurveKind(
        "success",
        "success",
        ope.SUCCESS_THRESHOLDS,
        "Overlap threshold (IoU)",
        "Success rate",
        "Success plots of OPE",
        "AUC",
    ),
    CurveKind(
        "precision",
        "precision",
        ope.PRECISION_THRESHOLDS,
        "Location error threshold (px)",
        "Precision",
        "Precision plots of OPE",
        "P20",
    ),
    CurveKind(
        "norm_precision",
        "norm_precision",
        ope.NORM_PRECISION_THRESHOLDS,
        "Normalised location error threshold",
        "Normalised precision",
        "Normalised precision plots of OPE",
        "AUC",
    ),
)


def attribute_members(reports) -> dict[str, list[str]]:
    """Attribute (OTB: ``IV``, ``SV``, ...) -> the scored sequences that have it, sorted by attribute.

    ``reports``: :class:`~siamfc.evaluation.report.TrackerReport` s (this module does not import that one:
    the report module imports the plots)."""
    members: dict[str, list[str]] = {}
    for s in reports[0].summary.sequences:
        for a in s.extra.get("attributes", []):
            members.setdefault(a, []).append(s.name)
    return dict(sorted(members.items()))


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _colours(reports) -> dict:
    """One colour per tracker, the same in every plot and panel (in the order given: best first)."""
    return {r.name: f"C{i % 10}" for i, r in enumerate(reports)}


def legend_entries(kind: CurveKind, curves: dict) -> list[tuple[str, str]]:
    """``(tracker, legend label)`` best first: ``"SiamFC [0.586]"`` (ties keep the given order)."""
    ranked = sorted(curves.items(), key=lambda item: -kind.score(item[1]))
    return [(name, f"{name} [{kind.score(curve):.3f}]") for name, curve in ranked]


def _draw(ax, kind: CurveKind, curves: dict, title: str, colours: dict, legend_size: float = 8) -> None:
    """``curves``: tracker name -> curve; drawn and listed in the legend best first."""
    for name, label in legend_entries(kind, curves):
        ax.plot(kind.x, curves[name], lw=1.6, color=colours[name], label=label)
    ax.set_xlim(kind.x[0], kind.x[-1])
    ax.set_ylim(0, 1)
    ax.set_xlabel(kind.xlabel)
    ax.set_ylabel(kind.ylabel)
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left" if kind.attr == "success" else "lower right", fontsize=legend_size)


def _save(fig, path: Path) -> Path:
    return replace_atomically(path, fig.savefig)  # the temporary name keeps .png: savefig's format


def plot_curves(reports, out_dir, title: str = "") -> list[Path]:
    """Write ``success.png``, ``precision.png`` and ``norm_precision.png`` to ``out_dir``."""
    plt = _pyplot()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for kind in KINDS:
        fig, ax = plt.subplots(figsize=(5.2, 4.2), dpi=120)
        curves = {r.name: getattr(r.summary, kind.attr) for r in reports}
        n = len(reports[0].summary.sequences)
        _draw(ax, kind, curves, f"{kind.heading}{' - ' + title if title else ''} ({n} sequences)", _colours(reports))
        fig.tight_layout()
        paths.append(_save(fig, out_dir / f"{kind.name}.png"))
        plt.close(fig)
    return paths


def attribute_curves(report, names, attr: str) -> np.ndarray:
    """The mean ``attr`` curve of ``report`` over the sequences ``names``."""
    keep = set(names)
    return np.mean([getattr(s, attr) for s in report.summary.sequences if s.name in keep], axis=0)


def plot_attributes(reports, out_dir, title: str = "") -> list[Path]:
    """``attributes_success.png`` and ``attributes_precision.png``: a panel per attribute."""
    members = attribute_members(reports)
    if not members:
        return []
    plt = _pyplot()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cols = 4
    rows = -(-len(members) // cols)
    paths = []
    for kind in KINDS[:2]:
        fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.6 * rows), dpi=100, squeeze=False)
        for ax, (attr, names) in zip(axes.flat, members.items()):
            curves = {r.name: attribute_curves(r, names, kind.attr) for r in reports}
            _draw(
                ax,
                kind,
                curves,
                f"{kind.heading} - {OTB_ATTRIBUTES.get(attr, attr)} ({len(names)})",
                _colours(reports),
                legend_size=6,
            )
        for ax in list(axes.flat)[len(members) :]:
            ax.axis("off")
        if title:
            fig.suptitle(f"{title}: {kind.heading} per attribute", fontsize=11)
        fig.tight_layout()
        paths.append(_save(fig, out_dir / f"attributes_{kind.name}.png"))
        plt.close(fig)
    return paths
