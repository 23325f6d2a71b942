"""The search space: the four parameters the authors tuned per set, on grids fine enough for them.

The number of scales stays that of the base set (3s or 5s); the grids contain both of the
authors' sets, so the base set is itself a point of the space (the first trial of every study).
Values are rounded to the grid's decimals, so a parameter-set file holds exactly what was scored.
"""

from __future__ import annotations

#: name -> (low, high, step); the same for 3s and 5s.
SPACE: dict[str, tuple[float, float, float]] = {
    "scale_step": (1.005, 1.08, 0.0005),
    "scale_penalty": (0.90, 1.0, 0.0005),
    "scale_lr": (0.10, 1.0, 0.01),
    "window_influence": (0.05, 0.50, 0.002),
}
KEYS = tuple(SPACE)


def rounded(values: dict) -> dict:
    """``values`` rounded to their grid's decimals (what the tracker is given and the file records)."""
    return {k: round(float(v), _decimals(SPACE[k][2])) for k, v in values.items()}


def _decimals(step: float) -> int:
    text = f"{step:.10f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0


def suggest(trial) -> dict:
    """The trial's point of the space (an Optuna ``Trial``), rounded."""
    return rounded({k: trial.suggest_float(k, lo, hi, step=step) for k, (lo, hi, step) in SPACE.items()})


def point_of(params) -> dict:
    """The space's coordinates of a :class:`~siamfc.tracking.params.TrackerParams`."""
    return rounded({k: getattr(params, k) for k in KEYS})


def describe() -> dict:
    return {k: {"low": lo, "high": hi, "step": step} for k, (lo, hi, step) in SPACE.items()}
