"""The generic layout: a folder of frames plus one box file; and the box-file format every layout shares.

Box files (OTB ``groundtruth_rect.txt``, VOT ``groundtruth.txt``, UAV123 ``anno/*.txt``, LaSOT and
GOT-10k ``groundtruth.txt``, tracker results) hold one row per frame of 4 numbers ``x,y,w,h`` or 8
numbers ``x1,y1,...,x4,y4`` (a polygon), 1-based pixels, separated by commas, tabs or spaces (even
mixed). ``NaN`` fields are allowed (targets out of view). This module is the only place that
turns those 1-based numbers into the 0-based internal convention, and back.

Handling of odd files (documented, tested):

* blank lines at the end of a file are ignored; a blank line between rows is an error naming
  the file and line (it would shift every later row by one frame);
* a row with a different number of fields, or a field that is not a number, is an error naming
  the file and line;
* ``nan`` (any case) parses as NaN; a row with some but not all fields NaN becomes all-NaN.

Generic folder (``--dataset folder``): ``ROOT`` is one sequence folder, or a folder of them; a
sequence folder holds its frames (directly, or under ``img/`` or ``color/``) and one box file
(``groundtruth_rect.txt``, ``groundtruth.txt``, or the only ``*.txt`` there) with one row per frame.
"""
from __future__ import annotations

import math
import os
import re
from pathlib import Path

import numpy as np

from ..errors import DataError
from ..fileio import write_text_atomic
from ..geometry import polygons_to_boxes
from .sequence import Sequence

#: Image file extensions recognised as frames (lower case).
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
#: Box-file names tried, in order, in a sequence folder.
BOX_FILE_NAMES = ("groundtruth_rect.txt", "groundtruth.txt")
_SEPARATORS = re.compile(r"[,\t ;]+")
_DIGITS = re.compile(r"(\d+)")


# -- frames ------------------------------------------------------------------------------------
def natural_key(name: str):
    """Sort key so that ``img2.jpg`` comes before ``img10.jpg``."""
    return [int(t) if t.isdigit() else t.lower() for t in _DIGITS.split(name)]


def frame_number(path) -> int | None:
    """The last run of digits in the file stem (``0042.jpg`` -> 42), or None."""
    runs = _DIGITS.findall(Path(path).stem)
    return int(runs[-1]) if runs else None


def list_frames(directory) -> list[Path]:
    """Image files of ``directory`` in natural order; DataError if missing or empty."""
    directory = Path(directory)
    if not directory.is_dir():
        raise DataError(f"frame folder not found: {directory}")
    frames = [directory / n for n in os.listdir(directory) if n.lower().endswith(IMAGE_EXTENSIONS)]
    if not frames:
        raise DataError(f"no image files ({', '.join(IMAGE_EXTENSIONS)}) in {directory}")
    return sorted(frames, key=lambda p: natural_key(p.name))


def numbered_frames(directory, first: int, last: int, digits: int, ext: str = ".jpg") -> list[Path]:
    """Paths ``directory/<first:0{digits}d><ext>`` ... ``<last>`` (not checked: annotation-only roots)."""
    directory = Path(directory)
    return [directory / f"{i:0{digits}d}{ext}" for i in range(first, last + 1)]


def sequence_frames(frame_dir, n: int, box_file, check_frames: bool = True, digits: int = 8) -> list[Path]:
    """The frames of a sequence annotated by ``n`` rows of ``box_file``.

    ``check_frames``: list them and require exactly ``n`` (DataError naming both files otherwise);
    else (annotation-only roots) the standard names ``1 .. n`` with ``digits`` digits, unchecked.
    """
    if not check_frames:
        return numbered_frames(frame_dir, 1, n, digits)
    frames = list_frames(frame_dir)
    if len(frames) != n:
        raise DataError(f"{box_file} has {n} rows but {frame_dir} has {len(frames)} frames (one row per frame needed)")
    return frames


def listed_sequences(folder, gt_name: str = "groundtruth.txt", names=None) -> list[str]:
    """Sequence names of a dataset folder: ``list.txt`` (all must exist), else the sub-folders
    holding ``gt_name``, in natural order; only those in ``names`` when it is given."""
    folder = Path(folder)
    listed = folder / "list.txt"
    if listed.is_file():
        found = listed.read_text().split()
        missing = [n for n in found if not (folder / n / gt_name).is_file()]
        if missing:
            raise DataError(f"{listed} lists {len(missing)} sequence(s) without {gt_name}: {missing[:5]}")
    else:
        found = sorted((p.name for p in folder.iterdir() if (p / gt_name).is_file()), key=natural_key)
    if names is not None:
        keep = set(names)
        found = [n for n in found if n in keep]
    return found


# -- box files ---------------------------------------------------------------------------------
def _parse_line(text: str, path, lineno: int, columns) -> list[float]:
    fields = [f for f in _SEPARATORS.split(text.strip()) if f]
    try:
        values = [float(f) for f in fields]
    except ValueError:
        raise DataError(f"{path}:{lineno}: not a row of numbers: {text.strip()[:80]!r}") from None
    if columns is not None and len(values) not in columns:
        want = " or ".join(str(c) for c in columns)
        raise DataError(f"{path}:{lineno}: expected {want} numbers, found {len(values)}: {text.strip()[:80]!r}")
    return values


def parse_box_text(text: str, path="<text>", columns=(4, 8)) -> np.ndarray:
    """Parse box-file ``text`` into an ``(N, K)`` float array, in the file's own coordinates.

    ``columns``: the allowed row lengths (``None``: any, but every row the same).
    Errors name ``path`` and the 1-based line number.
    """
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise DataError(f"{path}: box file is empty")
    rows = []
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            raise DataError(f"{path}:{lineno}: blank line between rows (every frame needs a row; use NaN,NaN,NaN,NaN)")
        row = _parse_line(line, path, lineno, columns)
        if rows and len(row) != len(rows[0]):
            raise DataError(f"{path}:{lineno}: {len(row)} numbers, but line 1 has {len(rows[0])}")
        rows.append(row)
    boxes = np.asarray(rows, dtype=np.float64)
    boxes[np.isnan(boxes).any(axis=1)] = np.nan
    return boxes


def read_box_file(path, columns=(4, 8), one_based: bool = True) -> np.ndarray:
    """Read a box file as ``(N, 4)`` boxes or ``(N, 8)`` polygons in 0-based internal pixels."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"box file not found: {path}")
    try:
        text = path.read_text(encoding="utf-8-sig", errors="strict")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read box file {path}: {exc}") from None
    return from_file_coords(parse_box_text(text, path, columns), one_based)


def from_file_coords(rows: np.ndarray, one_based: bool = True) -> np.ndarray:
    """File rows (1-based) -> internal 0-based: x and y of a box, every corner of a polygon."""
    rows = np.array(rows, dtype=np.float64, copy=True)
    if one_based:
        if rows.shape[1] == 4:
            rows[:, :2] -= 1
        else:
            rows -= 1
    return rows


def to_file_coords(rows: np.ndarray, one_based: bool = True) -> np.ndarray:
    """Internal 0-based rows -> the 1-based file convention (inverse of :func:`from_file_coords`)."""
    rows = np.array(rows, dtype=np.float64, copy=True)
    if one_based:
        if rows.shape[1] == 4:
            rows[:, :2] += 1
        else:
            rows += 1
    return rows


def format_row(values) -> str:
    """One comma-separated row; integers without decimals, others to 4 places, NaN as ``nan``."""
    out = []
    for v in values:
        v = float(v)
        if math.isnan(v):
            out.append("nan")
        elif v == int(v) and abs(v) < 1e15:
            out.append(str(int(v)))
        else:
            out.append(f"{v:.4f}".rstrip("0").rstrip("."))
    return ",".join(out)


def write_box_file(path, rows, one_based: bool = True) -> Path:
    """Write ``(N, 4)`` boxes or ``(N, 8)`` polygons (internal 0-based) as a 1-based box file, atomically."""
    rows = np.asarray(rows, dtype=np.float64).reshape(len(rows), -1)
    rows = to_file_coords(rows, one_based)
    return write_text_atomic(path, "".join(format_row(r) + "\n" for r in rows))


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
        raise DataError(
            f"no box file in {directory}: expected one of {', '.join(BOX_FILE_NAMES)} or a single *.txt"
        )
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

    from .registry import SequenceList

    root = Path(root)
    if not root.is_dir():
        raise DataError(f"dataset folder not found: {root}")
    if box_file is not None or find_box_file(root) is not None:
        dirs = {root.name: root}
    else:
        subdirs = sorted((p for p in root.iterdir() if p.is_dir() and find_box_file(p)), key=lambda p: natural_key(p.name))
        if not subdirs:
            raise DataError(f"{root} is neither a sequence folder (frames + box file) nor a folder of them")
        dirs = {d.name: d for d in subdirs}
        box_file = None
    return SequenceList(list(dirs), functools.partial(_load_folder, dirs, box_file, check_frames), {"layout": "folder"})
