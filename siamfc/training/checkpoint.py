"""Training checkpoints, written atomically (:mod:`siamfc.io.files`: a unique temporary file, fsync, rename).

A checkpoint holds everything needed to continue a run exactly: model, optimiser, the epoch
reached, the config it ran with, the torch RNG state and the log rows so far, as tensors and plain Python values only, so
that it loads with ``torch.load(weights_only=True)`` and can never execute code. Pairs are a pure
function of (seed, pair index), so no sampler state beyond the epoch is needed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from siamfc.errors import DataError
from siamfc.io.files import replace_atomically


def _plain(obj):
    """Tensors stay; numpy values become Python numbers/lists, so the file loads with ``weights_only=True``."""
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_plain(v) for v in obj)
    if isinstance(obj, (np.generic, np.ndarray)):
        return obj.tolist()
    return obj


def save_checkpoint(path, state: dict) -> Path:
    """``torch.save`` to a temporary file, fsync, rename: a kill leaves the old or the new file, never half."""
    return replace_atomically(path, lambda tmp: torch.save(_plain(state), str(tmp)))


def load_checkpoint(path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"no checkpoint to resume from: {path}")
    try:
        # weights_only: a checkpoint is tensors and plain Python values; never unpickle code.
        return torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - a truncated or foreign file
        raise DataError(f"cannot read checkpoint {path}: {type(exc).__name__}: {exc}") from None
