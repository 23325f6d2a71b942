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

from pathlib import Path

import cv2
import numpy as np

from siamfc.data.box_files import read_box_file
from siamfc.data.frame_files import IMAGE_EXTENSIONS, frame_number, list_frames
from siamfc.data.sequence import Sequence
from siamfc.errors import DataError


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
            found = [img_dir / f"{stem}{ext}" for ext in IMAGE_EXTENSIONS if (img_dir / f"{stem}{ext}").is_file()]
            if not found:
                raise DataError(f"{ids_file}: frame {stem!r} has no image in {img_dir}")
            frames.append(found[0])
    else:
        frames = list_frames(img_dir)
    if not frames:
        raise DataError(f"DAVIS sequence {seq_dir} has no frames")
    numbers = [frame_number(p) for p in frames]
    frame_ids = np.array(numbers if None not in numbers else range(len(frames)), dtype=np.int64)
    masks = [mask_dir / f"{p.stem}.png" for p in frames]
    has_masks = mask_dir.is_dir() and all(m.is_file() for m in masks)
    gt = seq_dir / "groundtruth_rect.txt"
    if gt.is_file():
        boxes = read_box_file(gt, columns=(4,))
        if len(boxes) != len(frames):
            raise DataError(f"{gt}: {len(boxes)} boxes for {len(frames)} frames")
    elif has_masks:
        boxes = np.stack([mask_to_box(read_mask(m)) for m in masks])
    else:
        raise DataError(f"DAVIS sequence {seq_dir}: neither groundtruth_rect.txt nor a mask per frame in {mask_dir}")
    return Sequence(
        name=name,
        frames=frames,
        boxes=boxes,
        frame_ids=frame_ids,
        meta={"video": name, "masks": masks if has_masks else None, "dataset": "davis"},
    )


def load_davis(root) -> list[Sequence]:
    """Every video under ``root`` (either layout above), sorted by name."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"DAVIS root not found: {root}")
    official = root / "JPEGImages" / "480p"
    if official.is_dir():
        return [
            read_davis_sequence(d, d.name, root / "Annotations" / "480p" / d.name)
            for d in sorted(p for p in official.iterdir() if p.is_dir())
        ]
    seqs = [read_davis_sequence(d) for d in sorted(p for p in root.iterdir() if (p / "JPEGImages").is_dir())]
    if not seqs:
        raise DataError(f"no DAVIS sequences (folders with JPEGImages/) under {root}")
    return seqs
