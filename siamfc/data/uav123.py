"""UAV123, UAV123@10fps and UAV20L: native layout or OTB-style folders.

Native release::

    ROOT/data_seq/UAV123/<video>/000001.jpg ...        (UAV123_10fps/ for the 10 fps variant)
    ROOT/anno/UAV123/<seq>.txt                         (UAV123_10fps/, UAV20L/)
    ROOT/anno/UAV123/att/<seq>.txt                     (12 attribute flags, optional)

One annotation file per sequence, one 1-based ``x,y,w,h`` row per frame, ``NaN`` rows where the
target is out of view (-> NaN ``boxes`` rows and ``absent`` True). Several sequences are cut
from one video: ``bird1_2`` is frames 775- of ``data_seq/UAV123/bird1`` (:data:`SPLIT_STARTS`,
from the dataset's official configuration; the 10 fps variant starts at ``(s - 1) / 3 + 1``);
every other sequence starts at its video's first frame. UAV20L uses the full videos of
``data_seq/UAV123``.

OTB-style copies (``<seq>/img/`` + ``groundtruth_rect.txt``, as in the bench) are read by the OTB
reader without OTB's sub-ranges.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import numpy as np

from siamfc.data.box_files import read_box_file
from siamfc.data.frame_files import frame_number, list_frames, natural_key, numbered_frames
from siamfc.data.otb import read_otb
from siamfc.data.sequence import Sequence
from siamfc.errors import DataError

SUBSETS = ("UAV123", "UAV123_10fps", "UAV20L")

#: First frame (30 fps numbering) of the sequences cut from a longer video.
SPLIT_STARTS = {
    "bird1": (1, 775, 1573),
    "car1": (1, 751, 1627),
    "car6": (1, 487, 1807, 2953, 3925),
    "car8": (1, 1357),
    "car16": (1, 415),
    "group1": (1, 1333, 2515, 3925),
    "group2": (1, 907, 1771),
    "group3": (1, 1567, 2827, 4369),
    "person2": (1, 1189),
    "person4": (1, 1501),
    "person5": (1, 877),
    "person7": (1, 1249),
    "person8": (1, 1075),
    "person12": (1, 601),
    "person14": (1, 847, 1813),
    "person17": (1, 1501),
    "person19": (1, 1243, 2791),
    "truck4": (1, 577),
    "uav1": (1, 1555, 2473),
}

#: The 12 attribute flags of ``anno/<subset>/att/<seq>.txt``, in file order.
UAV_ATTRIBUTES = ("SV", "ARC", "LR", "FM", "FOC", "POC", "OV", "BC", "IV", "VC", "CM", "SOB")

_SPLIT_NAME = re.compile(r"^(.+)_(\d+)$")


def video_and_start(name: str, subset: str) -> tuple[str, int]:
    """The frame folder and first frame number of sequence ``name``."""
    m = _SPLIT_NAME.match(name)
    if m and m.group(1) in SPLIT_STARTS and subset != "UAV20L":
        starts = SPLIT_STARTS[m.group(1)]
        k = int(m.group(2))
        if not 1 <= k <= len(starts):
            raise DataError(f"UAV sequence {name}: {m.group(1)} has only {len(starts)} parts")
        start = starts[k - 1]
        return m.group(1), (start - 1) // 3 + 1 if subset == "UAV123_10fps" else start
    return name, 1


def load_uav_sequence(root, subset: str, name: str, check_frames: bool = True) -> Sequence:
    """One sequence of the native layout."""
    root = Path(root)
    anno = root / "anno" / subset / f"{name}.txt"
    boxes = read_box_file(anno, columns=(4,))
    absent = np.isnan(boxes).any(axis=1)
    video, start = video_and_start(name, subset)
    frame_dir = root / "data_seq" / ("UAV123" if subset == "UAV20L" else subset) / video
    n = len(boxes)
    if check_frames:
        frames = [f for f in list_frames(frame_dir) if start <= (frame_number(f) or 0) < start + n]
        if len(frames) != n:
            raise DataError(f"{anno} has {n} rows but {frame_dir} has {len(frames)} frames from {start} on")
    else:
        frames = numbered_frames(frame_dir, start, start + n - 1, 6)
    meta = {"layout": "uav123", "gt_file": str(anno), "first_frame": start}
    att = root / "anno" / subset / "att" / f"{name}.txt"
    if att.is_file():
        flags = [t for t in re.split(r"[,\s]+", att.read_text()) if t]
        meta["attributes"] = [a for a, f in zip(UAV_ATTRIBUTES, flags) if f.strip() in ("1", "1.0")]
    return Sequence(name, frames, boxes, absent=absent, frame_ids=np.arange(start, start + n), meta=meta)


def _load(root, subset, check_frames, name):
    return load_uav_sequence(root, subset, name, check_frames)


def read_uav123(root, subset: str = "UAV123", check_frames: bool = True, names=None):
    """UAV sequences (native or OTB-style layout) as a lazy :class:`~siamfc.data.registry.SequenceList`."""
    from siamfc.data.registry import SequenceList

    if subset not in SUBSETS:
        raise DataError(f"unknown UAV subset {subset!r}; choose one of {SUBSETS}")
    root = Path(root)
    if not (root / "anno").is_dir():
        return read_otb(root, check_frames=check_frames, names=names, ranges=False, layout="uav123-otb")
    anno_dir = root / "anno" / subset
    if not anno_dir.is_dir():
        raise DataError(f"native UAV layout without {anno_dir} (subsets: {SUBSETS})")
    found = sorted((p.stem for p in anno_dir.glob("*.txt")), key=natural_key)
    if names is not None:
        missing = [n for n in names if n not in found]
        if missing:
            raise DataError(f"sequence(s) not in {anno_dir}: {missing[:5]}")
        found = list(names)
    if not found:
        raise DataError(f"no annotation files in {anno_dir}")
    return SequenceList(found, functools.partial(_load, root, subset, check_frames), {"layout": "uav123"})
