"""Training checkpoints, written atomically (to a temporary name, fsync, then rename).

A checkpoint holds everything needed to continue a run exactly: model, optimiser, the epoch
reached, the config it ran with, the torch RNG state and the log rows so far. Pairs are a pure
function of (seed, pair index), so no sampler state beyond the epoch is needed.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch

from ..errors import DataError


def save_checkpoint(path, state: dict) -> Path:
    """``torch.save`` to a temporary file, fsync, rename: a kill leaves the old or the new file, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with open(tmp, "wb") as f:
        torch.save(state, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return path


def load_checkpoint(path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"no checkpoint to resume from: {path}")
    try:
        # Our own file: it holds numpy/python objects (log rows, RNG state), hence weights_only=False.
        return torch.load(str(path), map_location="cpu", weights_only=False)
    except Exception as exc:  # noqa: BLE001 - a truncated or foreign file
        raise DataError(f"cannot read checkpoint {path}: {type(exc).__name__}: {exc}") from None
