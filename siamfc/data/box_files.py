"""Box files: the format every layout shares, read and written here only.

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
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from siamfc.errors import DataError
from siamfc.io.files import write_text_atomic

_SEPARATORS = re.compile(r"[,\t ;]+")


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
