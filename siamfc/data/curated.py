"""Crops written by ``siamfc curate`` (the paper's offline curation), read back for training.

Layout of a curated folder::

    DIR/curate.json                 {"format": "siamfc-curated", "version": 1, "side": S, "context": 0.5,
                                     "exemplar_size": 127, "sources": [...], "quality": 95}
    DIR/index.tsv                   one row per crop (header line first), all videos
    DIR/videos/<video>.tsv          the same rows per video (written when the video is complete)
    DIR/crops/<video>/<object>/<frame_id>.jpg   S x S crop centred on the object at exemplar scale
    DIR/crops/<video>/<object>/<frame_id>.png   its mask crop (datasets with masks: DAVIS)

A crop's centre 127 px are the exemplar crop and its centre 255 px the search crop (same centre,
same scale), so one crop per frame serves both roles. Index columns (:data:`COLUMNS`): the video,
object and dataset names, the original frame id and file, the crop and mask files (relative to
DIR), the object's box in the original frame (0-based x, y, w, h), the frame size, the
visibility ratio (NaN if unknown) and the frame's mean colour (B, G, R: the padding colour).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from siamfc.data.sequence import Sequence
from siamfc.errors import DataError

FORMAT = "siamfc-curated"
COLUMNS = [
    "video",
    "object",
    "dataset",
    "frame_id",
    "frame",
    "crop",
    "mask",
    "x",
    "y",
    "w",
    "h",
    "frame_w",
    "frame_h",
    "visibility",
    "avg_b",
    "avg_g",
    "avg_r",
]


def read_info(root) -> dict:
    path = Path(root) / "curate.json"
    if not path.is_file():
        raise DataError(f"{root} is not a curated folder (no curate.json); make one with `siamfc curate`")
    info = json.loads(path.read_text())
    if info.get("format") != FORMAT:
        raise DataError(f"{path}: not a siamfc curated folder")
    return info


def read_index(path) -> list[dict]:
    """Rows of an index file, with a clear error naming the file and line when one is malformed."""
    path = Path(path)
    with open(path, newline="") as f:
        reader = csv.DictReader(f, delimiter="\t")
        if reader.fieldnames != COLUMNS:
            raise DataError(f"{path}: header is not the curated index's ({', '.join(COLUMNS)})")
        rows = list(reader)
    for n, r in enumerate(rows, 2):
        if None in r.values() or None in r:
            raise DataError(f"{path}:{n}: expected {len(COLUMNS)} tab-separated fields")
    return rows


def load_curated(root) -> list[Sequence]:
    """One :class:`Sequence` per curated object (frames: the original files; ``meta['crops']``: the crops)."""
    root = Path(root)
    info = read_info(root)
    index = root / "index.tsv"
    if not index.is_file():
        raise DataError(f"{index} is missing: the curation did not finish (run `siamfc curate` again to complete it)")
    rows = read_index(index)
    if not rows:
        raise DataError(f"{index} lists no crops")
    by_object: dict[str, list[dict]] = {}
    for r in rows:
        by_object.setdefault(r["object"], []).append(r)
    out = []
    for name, rs in by_object.items():
        rs.sort(key=lambda r: int(r["frame_id"]))
        try:
            boxes = np.array([[float(r[k]) for k in ("x", "y", "w", "h")] for r in rs])
            avg = np.array([[float(r[k]) for k in ("avg_b", "avg_g", "avg_r")] for r in rs])
            vis = np.array([float(r["visibility"]) for r in rs])
            ids = np.array([int(r["frame_id"]) for r in rs])
            size = (int(rs[0]["frame_w"]), int(rs[0]["frame_h"]))
        except ValueError as exc:
            raise DataError(f"{index}: object {name}: a non-numeric field ({exc})") from None
        masks = [root / r["mask"] for r in rs] if all(r["mask"] for r in rs) else None
        meta = {
            "video": rs[0]["video"],
            "dataset": rs[0]["dataset"],
            "curated": True,
            "crop_side": int(info["side"]),
            "crop_context": float(info["context"]),
            "crop_exemplar_size": int(info["exemplar_size"]),
            "crops": [root / r["crop"] for r in rs],
            "avg": avg,
            "frame_size": size,
            "masks": masks,
        }
        if np.isfinite(vis).any():
            meta["visibility"] = vis
        out.append(Sequence(name, [Path(r["frame"]) for r in rs], boxes, frame_ids=ids, meta=meta))
    return out
