"""VOT-2013 ... VOT-2018 (short-term): ``list.txt`` and ``<seq>/`` folders.

A sequence folder holds its frames (``00000001.jpg ...`` directly, or under ``color/``) and
``groundtruth.txt``: one row per frame, either a rectangle ``x,y,w,h`` or a polygon of four
corners ``x1,y1,...,x4,y4`` (1-based). Polygons are kept in ``Sequence.polygons`` (``(N, 8)``,
0-based); ``Sequence.boxes`` are their axis-aligned bounding boxes (min/max of the corners),
which is what trackers are initialised with and what one-pass (OTB-style) scoring compares
against. Per-frame tags (``camera_motion.tag``, ``occlusion.tag``, ... or VOT-2015's ``.label``
files) go to ``meta["tags"]`` as ``(N,)`` bool arrays.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from siamfc.data.box_files import read_box_file, read_labels
from siamfc.data.frame_files import listed_sequences, sequence_frames
from siamfc.data.sequence import Sequence
from siamfc.errors import DataError
from siamfc.geometry import polygons_to_boxes

YEARS = (2013, 2014, 2015, 2016, 2017, 2018)


def _frame_dir(seq_dir: Path) -> Path:
    return seq_dir / "color" if (seq_dir / "color").is_dir() else seq_dir


def _read_tags(seq_dir: Path, n: int) -> dict:
    tags = {}
    for path in sorted(list(seq_dir.glob("*.tag")) + list(seq_dir.glob("*.label"))):
        flags = read_labels(path, None, 0, 1, noun="flags")  # an empty tag file: the tag is never set
        if len(flags) > n:
            raise DataError(f"{path} has {len(flags)} flags for {n} frames")
        # The toolkit writes tag files only up to the last set frame: pad with zeros.
        tags[path.stem] = np.concatenate([flags, np.zeros(n - len(flags), np.int64)]).astype(bool)
    return tags


def load_vot_sequence(seq_dir, check_frames: bool = True) -> Sequence:
    """One VOT sequence folder (see the module doc)."""
    seq_dir = Path(seq_dir)
    rows = read_box_file(seq_dir / "groundtruth.txt")
    n = len(rows)
    frames = sequence_frames(_frame_dir(seq_dir), n, seq_dir / "groundtruth.txt", check_frames)
    polygons = rows if rows.shape[1] == 8 else None
    boxes = polygons_to_boxes(rows) if polygons is not None else rows
    meta = {"layout": "vot", "tags": _read_tags(seq_dir, n)}
    return Sequence(seq_dir.name, frames, boxes, polygons=polygons, meta=meta)


def _load(root: Path, check_frames: bool, name: str) -> Sequence:
    return load_vot_sequence(root / name, check_frames=check_frames)


def read_vot(root, year: int | None = None, check_frames: bool = True, names=None):
    """VOT sequences (``list.txt`` order, else sorted folders) as a lazy SequenceList.

    ``year`` only labels the result (it fixes the EAO range of the supervised experiment).
    """
    from siamfc.data.registry import SequenceList

    root = Path(root)
    if not root.is_dir():
        raise DataError(f"dataset folder not found: {root}")
    if year is not None and year not in YEARS:
        raise DataError(f"unsupported VOT year {year}; one of {YEARS}")
    wanted = listed_sequences(root, names=names)
    if not wanted:
        raise DataError(f"no VOT sequences (<seq>/groundtruth.txt) under {root}")
    return SequenceList(wanted, functools.partial(_load, root, check_frames), {"layout": "vot", "year": year})
