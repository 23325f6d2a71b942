"""The one currency between readers and everything else: a :class:`Sequence`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from siamfc.io.frames import read_image


@dataclass
class Sequence:
    """One annotated video (or one object of it), frames read lazily.

    Attributes:
        name: unique within its dataset (e.g. ``Jogging-1``, ``bear``, ``MOT17-02-FRCNN/7``).
        frames: paths of the frames, in order.
        boxes: ``(N, 4)`` float ``(x, y, w, h)`` in 0-based pixels; NaN rows where the target is
            absent or its annotation is invalid. Readers convert from the file's convention.
        polygons: ``(N, 8)`` 0-based corners where the dataset has rotated boxes (VOT), else None.
        absent: ``(N,)`` bool, True where the dataset says the target is not visible.
        frame_ids: ``(N,)`` int original frame numbers (for subsampled videos), else None.
        meta: anything else the dataset provides (attributes, class, cover ...).
    """

    name: str
    frames: list[Path]
    boxes: np.ndarray
    polygons: np.ndarray | None = None
    absent: np.ndarray | None = None
    frame_ids: np.ndarray | None = None
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.frames)

    def frame(self, i: int) -> np.ndarray:
        """Frame ``i`` as ``H x W x 3`` uint8 BGR (read now, not cached)."""
        return read_image(self.frames[i])

    def __iter__(self):
        for i in range(len(self)):
            yield self.frame(i)

    @property
    def valid(self) -> np.ndarray:
        """``(N,)`` bool: the frame has a usable box (finite, positive size, not absent)."""
        ok = np.isfinite(self.boxes).all(axis=1) & (self.boxes[:, 2] > 0) & (self.boxes[:, 3] > 0)
        if self.absent is not None:
            ok &= ~self.absent
        return ok
