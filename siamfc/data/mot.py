"""MOTChallenge (MOT16/17/20) ground truth as tracking data: one :class:`Sequence` per track.

Layout (native)::

    <root>/<seq>/img1/000001.jpg ...
    <root>/<seq>/gt/gt.txt        frame, id, x, y, w, h, considered, class, visibility (1-based boxes)
    <root>/<seq>/seqinfo.ini      optional (imDir, imExt)

Each track id of the wanted classes (default: 1, pedestrian) becomes a sequence named
``<seq>/<id>`` that spans the track's first to last frame; frames where the track has no row
(or a row marked not considered) are NaN. ``meta['visibility']`` holds the visibility ratio
per frame (NaN where there is no row) so training can drop heavily occluded boxes.

:func:`write_mot_results` writes a tracker's results in MOTChallenge's result format
(``frame, id, x, y, w, h, score, -1, -1, -1``; 1-based frames and pixels), what multi-object
tools read (``siamfc track`` with several ``--box``).
"""

from __future__ import annotations

import configparser
from pathlib import Path

import numpy as np

from siamfc.data.box_files import format_row, parse_box_text, to_file_coords
from siamfc.data.sequence import Sequence
from siamfc.errors import DataError
from siamfc.io.files import read_text, write_text_atomic

PEDESTRIAN = 1


def _read_gt(path: Path) -> np.ndarray:
    """``gt.txt`` -> ``(N, 9)``: frame, id, x, y, w, h (file's 1-based), considered, class, visibility.

    MOT15-style rows with 6-8 fields get the defaults considered = 1, class = pedestrian, visibility = 1.
    """
    rows = parse_box_text(read_text(path, "annotation file"), path, columns=(6, 7, 8, 9, 10))
    defaults = np.array([1.0, PEDESTRIAN, 1.0])
    if rows.shape[1] < 9:
        rows = np.hstack([rows, np.tile(defaults[rows.shape[1] - 6 :], (len(rows), 1))])
    return rows[:, :9]


def read_mot_sequence(seq_dir, classes=(PEDESTRIAN,), considered_only: bool = True) -> list[Sequence]:
    """The tracks of one MOT sequence folder as sequences (see the module doc)."""
    seq_dir = Path(seq_dir)
    info = configparser.ConfigParser()
    if (seq_dir / "seqinfo.ini").is_file():
        info.read(seq_dir / "seqinfo.ini")
    im_dir = seq_dir / info.get("Sequence", "imDir", fallback="img1")
    ext = info.get("Sequence", "imExt", fallback=".jpg")
    gt_path = seq_dir / "gt" / "gt.txt"
    if not gt_path.is_file():
        raise DataError(f"MOT ground truth not found: {gt_path}")
    gt = _read_gt(gt_path)
    keep = np.isin(gt[:, 7], classes)
    if considered_only:
        keep &= gt[:, 6] != 0
    gt = gt[keep]
    out = []
    for tid in np.unique(gt[:, 1]).astype(int):
        rows = gt[gt[:, 1] == tid]
        rows = rows[np.argsort(rows[:, 0])]
        first, last = int(rows[0, 0]), int(rows[-1, 0])
        ids = np.arange(first, last + 1)
        frames = [im_dir / f"{i:06d}{ext}" for i in ids]
        missing = [f for f in (frames[0], frames[-1]) if not f.is_file()]
        if missing:
            raise DataError(f"{gt_path}: track {tid} needs frame {missing[0]}, which does not exist")
        boxes = np.full((len(ids), 4), np.nan)
        vis = np.full(len(ids), np.nan)
        idx = rows[:, 0].astype(int) - first
        boxes[idx] = rows[:, 2:6]
        boxes[idx, :2] -= 1.0  # 1-based file -> 0-based internal
        vis[idx] = rows[:, 8]
        name = f"{seq_dir.name}/{tid}"
        out.append(
            Sequence(
                name=name,
                frames=frames,
                boxes=boxes,
                frame_ids=ids,
                meta={"video": seq_dir.name, "visibility": vis, "dataset": "mot"},
            )
        )
    return out


def load_mot(root, classes=(PEDESTRIAN,), considered_only: bool = True) -> list[Sequence]:
    """Every track of every sequence (folders with ``gt/gt.txt``) under ``root``."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"MOT root not found: {root}")
    dirs = sorted(p for p in root.iterdir() if (p / "gt" / "gt.txt").is_file())
    if not dirs:
        raise DataError(f"no MOT sequences (folders with gt/gt.txt) under {root}")
    return [s for d in dirs for s in read_mot_sequence(d, classes, considered_only)]


def write_mot_results(path, frames, ids, boxes, scores) -> Path:
    """Write tracking results as a MOTChallenge text file, one line per target and frame, atomically.

    ``frames`` (K,) 0-based frame indices, ``ids`` (K,) target ids, ``boxes`` (K, 4) 0-based
    ``(x, y, w, h)``, ``scores`` (K,) (NaN, e.g. for the box a target was given, is written -1).
    Lines: ``frame, id, x, y, w, h, score, -1, -1, -1`` with 1-based frame and pixel coordinates,
    sorted by frame, then id.
    """
    frames, ids = np.asarray(frames, dtype=np.int64), np.asarray(ids, dtype=np.int64)
    boxes = to_file_coords(np.asarray(boxes, dtype=np.float64).reshape(-1, 4))
    scores = np.nan_to_num(np.asarray(scores, dtype=np.float64), nan=-1.0)
    order = np.lexsort((ids, frames))
    lines = (format_row([frames[k] + 1, ids[k], *boxes[k], scores[k], -1, -1, -1]) + "\n" for k in order)
    return write_text_atomic(path, "".join(lines))
