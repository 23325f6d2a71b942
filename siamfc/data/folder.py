"""The generic layout (``--dataset folder``): a folder of frames plus one box file.

``ROOT`` is one sequence folder, or a folder of them; a sequence folder holds its frames
(directly, or under ``img/`` or ``color/``) and one box file (``groundtruth_rect.txt``,
``groundtruth.txt``, or the only ``*.txt`` there) with one row per frame, in the format of
:mod:`siamfc.data.box_files`.
"""

from __future__ import annotations

from pathlib import Path

from siamfc.data.box_files import read_box_file
from siamfc.data.frame_files import natural_key, sequence_frames
from siamfc.data.sequence import Sequence
from siamfc.errors import DataError
from siamfc.geometry import polygons_to_boxes

#: Box-file names tried, in order, in a sequence folder.
BOX_FILE_NAMES = ("groundtruth_rect.txt", "groundtruth.txt")


# -- the generic folder reader ------------------------------------------------------------------
def find_box_file(directory) -> Path | None:
    """The box file of a sequence folder: a known name, else the only ``*.txt``; None if none/ambiguous."""
    directory = Path(directory)
    for name in BOX_FILE_NAMES:
        if (directory / name).is_file():
            return directory / name
    txts = [p for p in directory.glob("*.txt") if p.is_file()]
    return txts[0] if len(txts) == 1 else None


def _frame_dir(directory: Path) -> Path:
    for sub in ("img", "color"):
        if (directory / sub).is_dir():
            return directory / sub
    return directory


def read_folder_sequence(directory, box_file=None, name: str | None = None, check_frames: bool = True) -> Sequence:
    """One sequence from a folder of frames and a box file (4 or 8 numbers per row, one row per frame)."""
    directory = Path(directory)
    box_file = Path(box_file) if box_file is not None else find_box_file(directory)
    if box_file is None:
        raise DataError(f"no box file in {directory}: expected one of {', '.join(BOX_FILE_NAMES)} or a single *.txt")
    rows = read_box_file(box_file)
    polygons = rows if rows.shape[1] == 8 else None
    boxes = polygons_to_boxes(rows) if polygons is not None else rows
    frames = sequence_frames(_frame_dir(directory), len(rows), box_file, check_frames, digits=4)
    return Sequence(name or directory.name, frames, boxes, polygons=polygons, meta={"layout": "folder"})


def _load_folder(dirs: dict, box_file, check_frames: bool, name: str) -> Sequence:
    return read_folder_sequence(dirs[name], box_file, name=name, check_frames=check_frames)


def read_folder(root, box_file=None, check_frames: bool = True):
    """Sequences of the generic layout (a :class:`~siamfc.data.registry.SequenceList`).

    ``root`` is one sequence folder (frames + box file) or a folder of such folders.
    """
    import functools

    from siamfc.data.registry import SequenceList

    root = Path(root)
    if not root.is_dir():
        raise DataError(f"dataset folder not found: {root}")
    if box_file is not None or find_box_file(root) is not None:
        dirs = {root.name: root}
    else:
        subdirs = sorted(
            (p for p in root.iterdir() if p.is_dir() and find_box_file(p)), key=lambda p: natural_key(p.name)
        )
        if not subdirs:
            raise DataError(f"{root} is neither a sequence folder (frames + box file) nor a folder of them")
        dirs = {d.name: d for d in subdirs}
        box_file = None
    return SequenceList(list(dirs), functools.partial(_load_folder, dirs, box_file, check_frames), {"layout": "folder"})
