"""GOT-10k metrics: average overlap (AO) and success rates SR0.5 / SR0.75.

As the official toolkit computes them: the first frame (given to the tracker) and the frames
where the target is absent (``absence.label``, or ``cover.label`` 0) are left out; both boxes are bounded by
the frame (``meta_info.ini`` resolution) before the IoU when the resolution is known, the way the
toolkit's ``rect_iou`` does it (:func:`clip_boxes`: a box crossing the left or top edge is
shifted inside, not cut); the remaining
frames' IoUs are **pooled over all sequences** -- AO is their mean, SR_t the fraction above t.
A per-sequence AO is reported too. Speed is the toolkit's as well: the mean of ``1 / t`` over
the frames' positive per-frame times (per sequence, and pooled over all frames). The test split
has no public ground truth: its results are for the evaluation server.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from siamfc.data.box_files import from_file_coords, to_file_coords
from siamfc.data.sequence import Sequence
from siamfc.errors import DataError
from siamfc.evaluation.metrics import box_iou

SR_THRESHOLDS = (0.5, 0.75)


def clip_boxes(boxes: np.ndarray, width: float, height: float) -> np.ndarray:
    """Boxes bounded by the frame as the GOT-10k toolkit's ``rect_iou(..., bound=(W, H))`` does.

    On the file's 1-based numbers, ``x`` is clipped to ``[0, W]`` and then ``w`` to
    ``[0, W - x]`` (``y``, ``h`` likewise). A box crossing the left or top edge therefore keeps
    its width and moves inside (``x = -10, w = 50`` becomes ``x = 0, w = 50``), rather than
    being cut at the edge: the official numbers are made this way, so ours are too.
    """
    b = to_file_coords(np.asarray(boxes, dtype=np.float64).reshape(-1, 4))
    b[:, 0] = np.clip(b[:, 0], 0, width)
    b[:, 1] = np.clip(b[:, 1], 0, height)
    b[:, 2] = np.clip(b[:, 2], 0, width - b[:, 0])
    b[:, 3] = np.clip(b[:, 3], 0, height - b[:, 1])
    return from_file_coords(b)


@dataclass
class GOTSequenceScore:
    name: str
    ious: np.ndarray  # IoUs of the scored frames
    n_frames: int
    times: np.ndarray | None = None  # seconds per frame, as recorded

    @property
    def speeds(self) -> np.ndarray:
        """``1 / t`` of the frames with a positive time (the toolkit drops NaN and zero times)."""
        t = np.asarray(self.times if self.times is not None else [], dtype=np.float64)
        t = t[np.isfinite(t) & (t > 0)]
        return 1.0 / t

    @property
    def fps(self) -> float | None:
        return float(self.speeds.mean()) if len(self.speeds) else None

    @property
    def ao(self) -> float:
        return float(self.ious.mean()) if len(self.ious) else float("nan")

    def as_dict(self) -> dict:
        d = {"ao": self.ao, "frames": self.n_frames, "scored_frames": int(len(self.ious)), "fps": self.fps}
        for t in SR_THRESHOLDS:
            d[f"sr{int(t * 100)}"] = float(np.mean(self.ious > t)) if len(self.ious) else float("nan")
        return d


def score_got10k_sequence(pred, seq: Sequence, times=None) -> GOTSequenceScore:
    """IoUs of frames 2..N where the target is present (NaN ground-truth rows are left out too)."""
    pred = np.asarray(pred, dtype=np.float64).reshape(-1, 4)
    if seq.meta.get("first_frame_only"):
        raise DataError(f"{seq.name}: the GOT-10k test split has no public ground truth (use the evaluation server)")
    if len(pred) != len(seq):
        raise DataError(f"{seq.name}: {len(pred)} result rows for {len(seq)} frames")
    gt = seq.boxes
    if "resolution" in seq.meta:
        w, h = seq.meta["resolution"]
        pred, gt = clip_boxes(pred, w, h), clip_boxes(gt, w, h)
    keep = seq.valid.copy()
    if "cover" in seq.meta:  # the toolkit's visibility test: some part of the target shows
        keep &= np.asarray(seq.meta["cover"]) > 0
    keep[0] = False
    ious = box_iou(pred[keep], gt[keep])
    return GOTSequenceScore(seq.name, np.nan_to_num(ious, nan=0.0), len(seq), times)


@dataclass
class GOTSummary:
    sequences: list[GOTSequenceScore]

    @property
    def ious(self) -> np.ndarray:
        return np.concatenate([s.ious for s in self.sequences]) if self.sequences else np.zeros(0)

    @property
    def ao(self) -> float:
        return float(self.ious.mean())

    def sr(self, t: float) -> float:
        return float(np.mean(self.ious > t))

    @property
    def fps(self) -> float | None:
        """Mean ``1 / t`` over every timed frame of every sequence (the toolkit's ``speed_fps``)."""
        v = np.concatenate([s.speeds for s in self.sequences]) if self.sequences else np.zeros(0)
        return float(v.mean()) if len(v) else None
