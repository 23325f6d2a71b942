"""Training curves as PNG (``siamfc plot-train RUN_DIR``): loss, validation AUC, learning rate, speed."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from siamfc.errors import DataError
from siamfc.io.files import replace_atomically


def read_csv(path) -> dict[str, np.ndarray]:
    """Columns of a CSV log as float arrays (empty cells -> NaN)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"no training log at {path}")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return {}

    def num(v):
        try:
            return float(v)
        except (TypeError, ValueError):
            return float("nan")

    return {k: np.array([num(r[k]) for r in rows]) for k in rows[0]}


def plot_run(run_dir, out=None, compare: list | None = None) -> Path:
    """Write ``curves.png`` (or ``out``) for the run in ``run_dir``; ``compare``: more runs on the same axes."""
    import matplotlib.pyplot as plt

    runs = [Path(run_dir)] + [Path(r) for r in (compare or [])]
    fig = curves_figure(runs)
    out = replace_atomically(Path(out) if out else runs[0] / "curves.png", lambda tmp: fig.savefig(tmp, dpi=110))
    plt.close(fig)
    return out


def curves_figure(runs: list[Path]):
    """The 2 x 2 figure of :func:`plot_run` (loss, validation AUC, learning rate, speed); each run
    has one colour, the same in every panel."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5))
    (ax_loss, ax_auc), (ax_lr, ax_speed) = axes
    for i, run in enumerate(runs):
        color = f"C{i % 10}"  # one colour per run, the same in every panel
        log = read_csv(run / "log.csv")
        if not log:
            raise DataError(f"{run / 'log.csv'} has no rows yet")
        label = run.name
        ep = log["epoch"]
        steps = read_csv(run / "steps.csv") if (run / "steps.csv").is_file() else {}
        if steps and len(steps.get("loss", [])):
            per_epoch = np.bincount(steps["epoch"].astype(int))[1:].max()
            x = steps["epoch"] - 1 + steps["step"] / per_epoch
            k = max(1, len(x) // 200)  # a running mean keeps the curve readable
            smooth = np.convolve(steps["loss"], np.ones(k) / k, mode="valid")
            ax_loss.plot(x[k - 1 :], smooth, alpha=0.35, lw=0.8, color=color, label=f"{label} train (steps)")
        ax_loss.plot(ep, log["train_loss"], "o-", ms=3, color=color, label=f"{label} train")
        ax_loss.plot(ep, log["val_loss"], "s--", ms=3, color=color, label=f"{label} val")
        ok = np.isfinite(log["val_auc"])
        ax_auc.plot(ep[ok], log["val_auc"][ok], "o-", ms=3, color=color, label=label)
        if ok.any() and ep[ok][0] == 0:
            ax_auc.axhline(log["val_auc"][ok][0], color=color, ls=":", lw=0.8)
        ax_lr.plot(ep, log["lr"], "o-", ms=3, color=color, label=label)
        ax_speed.plot(ep, log["pairs_per_s"], "o-", ms=3, color=color, label=label)
    ax_loss.set(title="loss", xlabel="epoch", ylabel="balanced logistic loss")
    finite = [v for run in runs for v in read_csv(run / "log.csv")["val_loss"] if np.isfinite(v)]
    if finite and max(finite) > 10 * min(finite):
        ax_loss.set_yscale("log")  # the untrained network's validation loss (epoch 0) is huge
    ax_auc.set(title="validation tracking AUC (dotted: untrained)", xlabel="epoch", ylabel="success AUC")
    ax_lr.set(title="learning rate", xlabel="epoch", yscale="log")
    ax_speed.set(title="training speed", xlabel="epoch", ylabel="pairs/s")
    for ax in axes.flat:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
