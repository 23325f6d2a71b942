"""GOT-10k: ``<split>/list.txt`` and ``<split>/GOT-10k_<Split>_NNNNNN/`` folders.

Each sequence folder holds the frames ``00000001.jpg ...``, ``groundtruth.txt`` (1-based
``x,y,w,h``; the test split gives only the first frame's row), and for train/val:

* ``absence.label``: 1 where the target is absent -> ``Sequence.absent``; those ``boxes`` rows
  are NaN;
* ``cover.label``: visible fraction in ninths (0 = fully hidden ... 8 = fully visible) ->
  ``meta["cover"]`` (``(N,)`` int);
* ``cut_by_image.label``: 1 where the target is cut by the frame border -> ``meta["cut_by_image"]``;
* ``meta_info.ini``: object/motion classes, resolution ... -> ``meta`` (``resolution`` as
  ``(width, height)`` ints).

The root may be the dataset folder (holding ``train/``, ``val/``, ``test/``) or a split folder.
Sequences follow ``list.txt`` when present, else the folders' sorted names.

    for seq in read_got10k(root, split="train"):   # lazy; used by training too
        seq.boxes, seq.absent, seq.meta["cover"]
"""

from __future__ import annotations

import configparser
import functools
import re
from pathlib import Path

import numpy as np

from siamfc.data.box_files import read_box_file, read_labels
from siamfc.data.frame_files import list_frames, listed_sequences, numbered_frames
from siamfc.data.sequence import Sequence
from siamfc.errors import DataError
from siamfc.io.files import read_text

SPLITS = ("train", "val", "test")


#: The values each label file may hold (``cover``: visible ninths).
_LABEL_RANGES = {"absence": (0, 1), "cover": (0, 8), "cut_by_image": (0, 1)}


def _read_labels(path: Path, n: int) -> np.ndarray | None:
    if not path.is_file():
        return None
    return read_labels(path, n, *_LABEL_RANGES[path.stem])


def read_meta_info(path) -> dict:
    """``meta_info.ini`` as a dict (``resolution`` parsed to ``(width, height)``)."""
    path = Path(path)
    text = read_text(path, "meta_info.ini")
    if not text.lstrip().startswith("["):
        text = "[METAINFO]\n" + text
    parser = configparser.RawConfigParser()
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        raise DataError(f"{path}: cannot parse ({exc.message.splitlines()[0]})") from None
    meta = {k: v.strip() for section in parser.sections() for k, v in parser.items(section)}
    if "resolution" in meta:
        nums = re.findall(r"\d+", meta["resolution"])
        if len(nums) == 2:
            meta["resolution"] = (int(nums[0]), int(nums[1]))
    return meta


def load_got10k_sequence(seq_dir, check_frames: bool = True) -> Sequence:
    """One GOT-10k sequence folder (see the module doc)."""
    seq_dir = Path(seq_dir)
    gt = read_box_file(seq_dir / "groundtruth.txt", columns=(4,))
    if check_frames:
        frames = list_frames(seq_dir)
        n = len(frames)
    else:
        absence = seq_dir / "absence.label"
        n = len(read_labels(absence)) if absence.is_file() else len(gt)
        frames = numbered_frames(seq_dir, 1, n, 8)
    meta = {"layout": "got10k"}
    if len(gt) == 1 and n > 1:
        boxes = np.full((n, 4), np.nan)  # test split: only the initial box is public
        boxes[0] = gt[0]
        meta["first_frame_only"] = True
    elif len(gt) != n:
        raise DataError(f"{seq_dir / 'groundtruth.txt'} has {len(gt)} rows but {seq_dir} has {n} frames")
    else:
        boxes = gt
    absent = _read_labels(seq_dir / "absence.label", n)
    if absent is not None:
        absent = absent.astype(bool)
        boxes[absent] = np.nan
    for key in ("cover", "cut_by_image"):
        labels = _read_labels(seq_dir / f"{key}.label", n)
        if labels is not None:
            meta[key] = labels
    if (seq_dir / "meta_info.ini").is_file():
        meta.update(read_meta_info(seq_dir / "meta_info.ini"))
    return Sequence(seq_dir.name, frames, boxes, absent=absent, meta=meta)


def split_dir(root, split: str | None) -> Path:
    """The folder holding the split's sequences (``root/<split>`` or ``root`` itself)."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"dataset folder not found: {root}")
    if split is not None and (root / split).is_dir():
        return root / split
    if (root / "list.txt").is_file() or any(p.name.startswith("GOT-10k_") for p in root.iterdir()):
        return root
    raise DataError(f"{root} holds neither {split}/ nor GOT-10k sequence folders")


def _load(folder: Path, check_frames: bool, name: str) -> Sequence:
    return load_got10k_sequence(folder / name, check_frames=check_frames)


def read_got10k(root, split: str | None = "val", check_frames: bool = True, names=None):
    """GOT-10k sequences of one split as a lazy :class:`~siamfc.data.registry.SequenceList`."""
    from siamfc.data.registry import SequenceList

    if split is not None and split not in SPLITS:
        raise DataError(f"unknown GOT-10k split {split!r}; choose one of {SPLITS}")
    folder = split_dir(root, split)
    wanted = listed_sequences(folder, names=names)
    if not wanted:
        raise DataError(f"no GOT-10k sequences in {folder}")
    return SequenceList(wanted, functools.partial(_load, folder, check_frames), {"layout": "got10k", "split": split})
