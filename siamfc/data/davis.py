"""DAVIS (video object segmentation) as tracking data: one object per video, boxes from masks.

Layouts read:

* the project's training copy (``../shared/datasets/train/davis2016``)::

      <root>/<seq>/JPEGImages/NNNNN.jpg
      <root>/<seq>/Annotations/NNNNN.png      single-object mask (0 = background)
      <root>/<seq>/groundtruth_rect.txt       optional: tight box of the mask, 1-based x,y,w,h;
                                              NaN,NaN,NaN,NaN where the mask is empty
      <root>/<seq>/frames.txt                 optional: original frame id of each line

* the official DAVIS-2016 release: ``<root>/JPEGImages/480p/<seq>/`` and
  ``<root>/Annotations/480p/<seq>/`` (boxes are computed from the masks).

Without ``groundtruth_rect.txt`` the boxes are the tight boxes of the masks (any non-zero
pixel is the object). Frame ids come from ``frames.txt``, else from the file names' digits,
so pairs can respect a maximum distance in *original* frames although the copy is subsampled.
"""
from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np

from ..errors import DataError
from .sequence import Sequence

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp")


def mask_to_box(mask: np.ndarray) -> np.ndarray:
    """Tight ``(x, y, w, h)`` box (0-based) of the non-zero pixels of ``mask`` ``(H, W)``; NaNs if empty."""
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return np.full(4, np.nan)
    return np.array([xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1], dtype=np.float64)


def read_mask(path) -> np.ndarray:
    """A mask file as ``(H, W)`` bool (non-zero = object), with an error naming a bad file."""
    mask = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if mask is None:
        raise DataError(f"cannot read mask (missing or corrupt): {path}")
    return mask > 0


def _frame_id(path: Path) -> int:
    digits = re.findall(r"\d+", path.stem)
    if not digits:
        raise DataError(f"cannot read a frame number from the file name {path}")
    return int(digits[-1])


def _read_boxes(path: Path, n: int) -> np.ndarray:
    """``groundtruth_rect.txt`` (1-based x,y,w,h; commas, tabs or spaces) -> ``(n, 4)`` 0-based."""
    rows = []
    for lineno, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        parts = re.split(r"[,\s]+", line.strip())
        try:
            values = [float(v) for v in parts]
        except ValueError:
            raise DataError(f"{path}:{lineno}: not four numbers: {line.strip()!r}") from None
        if len(values) != 4:
            raise DataError(f"{path}:{lineno}: expected 4 numbers (x,y,w,h), got {len(values)}")
        rows.append(values)
    if len(rows) != n:
        raise DataError(f"{path}: {len(rows)} boxes for {n} frames")
    boxes = np.array(rows, dtype=np.float64).reshape(-1, 4)
    boxes[:, :2] -= 1.0  # 1-based file -> 0-based internal
    return boxes


def read_davis_sequence(seq_dir, name: str | None = None, mask_dir=None) -> Sequence:
    """One DAVIS video as a :class:`Sequence` (``meta['masks']`` lists the mask files or None)."""
    seq_dir = Path(seq_dir)
    img_dir = seq_dir / "JPEGImages" if (seq_dir / "JPEGImages").is_dir() else seq_dir
    mask_dir = Path(mask_dir) if mask_dir is not None else seq_dir / "Annotations"
    name = name or seq_dir.name
    ids_file = seq_dir / "frames.txt"
    if ids_file.is_file():
        stems = [s.strip() for s in ids_file.read_text().split() if s.strip()]
        frames = []
        for stem in stems:
            found = [img_dir / f"{stem}{ext}" for ext in IMAGE_EXTS if (img_dir / f"{stem}{ext}").is_file()]
            if not found:
                raise DataError(f"{ids_file}: frame {stem!r} has no image in {img_dir}")
            frames.append(found[0])
    else:
        frames = sorted(p for p in img_dir.iterdir() if p.suffix.lower() in IMAGE_EXTS)
    if not frames:
        raise DataError(f"DAVIS sequence {seq_dir} has no frames")
    frame_ids = np.array([_frame_id(p) for p in frames], dtype=np.int64)
    masks = [mask_dir / f"{p.stem}.png" for p in frames]
    has_masks = mask_dir.is_dir() and all(m.is_file() for m in masks)
    gt = seq_dir / "groundtruth_rect.txt"
    if gt.is_file():
        boxes = _read_boxes(gt, len(frames))
    elif has_masks:
        boxes = np.stack([mask_to_box(read_mask(m)) for m in masks])
    else:
        raise DataError(f"DAVIS sequence {seq_dir}: neither groundtruth_rect.txt nor a mask per frame in {mask_dir}")
    return Sequence(name=name, frames=frames, boxes=boxes, frame_ids=frame_ids,
                    meta={"video": name, "masks": masks if has_masks else None, "dataset": "davis"})


def load_davis(root) -> list[Sequence]:
    """Every video under ``root`` (either layout above), sorted by name."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"DAVIS root not found: {root}")
    official = root / "JPEGImages" / "480p"
    if official.is_dir():
        return [read_davis_sequence(d, d.name, root / "Annotations" / "480p" / d.name)
                for d in sorted(p for p in official.iterdir() if p.is_dir())]
    seqs = [read_davis_sequence(d) for d in sorted(p for p in root.iterdir() if (p / "JPEGImages").is_dir())]
    if not seqs:
        raise DataError(f"no DAVIS sequences (folders with JPEGImages/) under {root}")
    return seqs
