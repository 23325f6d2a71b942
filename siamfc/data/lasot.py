"""LaSOT: ``<class>/<class-N>/img/NNNNNNNN.jpg`` + ``groundtruth.txt``, ``full_occlusion.txt``, ``out_of_view.txt``.

* ``groundtruth.txt``: one 1-based ``x,y,w,h`` row per frame.
* ``full_occlusion.txt`` / ``out_of_view.txt``: one 0/1 flag per frame (comma-separated on one
  line, or one per line). A frame is **absent** if either flag is 1; ``Sequence.absent`` holds
  that, and its ``boxes`` row is NaN (the row in the file is not a box of a visible target).
* ``nlp.txt`` (when present): the sentence describing the target -> ``meta["description"]``.

The root may be the full dataset (``<class>/<class-N>/``) or a flat folder of sequences
(``<class-N>/``, as the test-set download unpacks). ``split="test"`` selects the 280 sequences of
the official test protocol (Protocol II; ``testing_set.txt`` in the root overrides the built-in
list); ``split=None`` takes every sequence found.

Training code may use this reader directly::

    for seq in read_lasot(root, split=None):   # lazy: one sequence parsed at a time
        seq.frames, seq.boxes, seq.absent
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import numpy as np

from siamfc.data.box_files import read_box_file, read_labels
from siamfc.data.frame_files import sequence_frames
from siamfc.data.sequence import Sequence
from siamfc.errors import DataError
from siamfc.io.files import read_text

#: The official LaSOT test split (Protocol II): 4 sequences of each of the 70 classes.
_TEST_SPLIT = (
    "airplane:1,9,13,15 basketball:1,6,7,11 bear:2,4,6,17 bicycle:2,7,9,18 bird:2,3,15,17 boat:3,4,12,17 "
    "book:3,10,11,19 bottle:1,12,14,18 bus:2,5,17,19 car:2,6,9,17 cat:1,3,18,20 cattle:2,7,12,13 "
    "chameleon:3,6,11,20 coin:3,6,7,18 crab:3,6,12,18 crocodile:3,4,10,14 cup:1,4,7,17 deer:4,8,10,14 "
    "dog:1,7,15,19 drone:2,7,13,15 electricfan:1,10,18,20 elephant:1,12,16,18 flag:2,3,5,9 fox:2,3,5,20 "
    "frog:3,4,9,20 gametarget:1,2,7,13 gecko:1,5,16,19 giraffe:2,10,13,15 goldfish:3,7,8,10 gorilla:4,6,9,13 "
    "guitar:3,8,10,16 hand:2,3,9,16 hat:1,2,5,18 helmet:5,11,13,19 hippo:1,7,9,20 horse:1,4,12,15 "
    "kangaroo:2,5,11,14 kite:4,6,10,15 leopard:1,7,16,20 licenseplate:6,12,13,15 lion:1,5,12,20 "
    "lizard:1,3,6,13 microphone:2,6,14,16 monkey:3,4,9,17 motorcycle:1,3,9,18 mouse:1,8,9,17 "
    "person:1,5,10,12 pig:2,10,13,18 pool:3,7,12,15 rabbit:10,13,17,19 racing:10,15,16,20 robot:1,5,8,19 "
    "rubicCube:1,6,14,19 sepia:6,8,13,16 shark:2,3,5,6 sheep:3,5,7,9 skateboard:3,8,16,19 "
    "spider:14,16,18,20 squirrel:8,11,13,19 surfboard:4,5,8,12 swing:10,14,17,20 tank:6,9,14,16 "
    "tiger:4,6,12,18 train:1,7,11,20 truck:3,6,7,16 turtle:5,8,9,16 umbrella:2,9,17,19 volleyball:1,13,18,19 "
    "yoyo:7,15,17,19 zebra:10,14,16,17"
)
LASOT_TEST = tuple(
    f"{cls}-{i}" for item in _TEST_SPLIT.split() for cls, ids in [item.split(":")] for i in ids.split(",")
)

_NAME = re.compile(r"^(.+)-(\d+)$")


def read_flags(path, n: int | None = None) -> np.ndarray:
    """A 0/1 flag file (commas or newlines) as an ``(N,)`` bool array; checks the length if ``n``."""
    return read_labels(path, n, 0, 1, noun="flags").astype(bool)


def load_lasot_sequence(seq_dir, check_frames: bool = True) -> Sequence:
    """One LaSOT sequence folder (see the module doc)."""
    seq_dir = Path(seq_dir)
    boxes = read_box_file(seq_dir / "groundtruth.txt", columns=(4,))
    n = len(boxes)
    absent = read_flags(seq_dir / "full_occlusion.txt", n) | read_flags(seq_dir / "out_of_view.txt", n)
    boxes[absent] = np.nan
    frames = sequence_frames(seq_dir / "img", n, seq_dir / "groundtruth.txt", check_frames)
    m = _NAME.match(seq_dir.name)
    meta = {"layout": "lasot", "class": m.group(1) if m else seq_dir.parent.name}
    if (seq_dir / "nlp.txt").is_file():
        meta["description"] = read_text(seq_dir / "nlp.txt").strip()
    return Sequence(seq_dir.name, frames, boxes, absent=absent, meta=meta)


def scan_lasot(root) -> dict[str, Path]:
    """Every sequence folder under ``root`` (nested ``<class>/<class-N>`` or flat ``<class-N>``)."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"dataset folder not found: {root}")
    found = {}
    for d in sorted(p for p in root.iterdir() if p.is_dir()):
        if (d / "groundtruth.txt").is_file():
            found[d.name] = d
        else:
            for s in sorted(p for p in d.iterdir() if p.is_dir() and (p / "groundtruth.txt").is_file()):
                found[s.name] = s
    if not found:
        raise DataError(f"no LaSOT sequences (<class>/<class-N>/groundtruth.txt) under {root}")
    return found


def _load(dirs: dict, check_frames: bool, name: str) -> Sequence:
    return load_lasot_sequence(dirs[name], check_frames=check_frames)


def read_lasot(root, split: str | None = "test", check_frames: bool = True, names=None):
    """LaSOT sequences as a lazy :class:`~siamfc.data.registry.SequenceList`.

    ``split``: ``"test"`` (the 280 of Protocol II; all must be present) or None (all found).
    """
    from siamfc.data.registry import SequenceList

    found = scan_lasot(root)
    if split == "test":
        listed = Path(root) / "testing_set.txt"
        wanted = listed.read_text().split() if listed.is_file() else list(LASOT_TEST)
    elif split is None:
        wanted = list(found)
    else:
        raise DataError(f"unknown LaSOT split {split!r}; use 'test' or None (every sequence)")
    if names is not None:
        wanted = [n for n in wanted if n in set(names)] if split else list(names)
    missing = [n for n in wanted if n not in found]
    if missing:
        raise DataError(
            f"{len(missing)} LaSOT sequence(s) not found under {root}: {', '.join(missing[:8])}"
            f"{' ...' if len(missing) > 8 else ''}"
        )
    dirs = {n: found[n] for n in wanted}
    return SequenceList(wanted, functools.partial(_load, dirs, check_frames), {"layout": "lasot", "split": split})
