"""Box files: the format every layout shares, read and written here only.

Box files (OTB ``groundtruth_rect.txt``, VOT ``groundtruth.txt``, UAV123 ``anno/*.txt``, LaSOT and
GOT-10k ``groundtruth.txt``, tracker results) hold one row per frame of 4 numbers ``x,y,w,h`` or 8
numbers ``x1,y1,...,x4,y4`` (a polygon), 1-based pixels, separated by commas, tabs, spaces or
semicolons (even mixed). ``NaN`` fields are allowed (targets out of view). This module is the only
place that turns those 1-based numbers into the 0-based internal convention, and back.

The rules for odd files -- the same for every file with one row per frame (ground truth, OTB,
GOT-10k and VOT result files, see :func:`frame_rows`):

* blank lines at the end of a file are ignored; a blank line between rows is an error naming
  the file and line (it would shift every later row by one frame); a file of no rows is an error;
* a row with a different number of fields, or a field that is not a number, is an error naming
  the file and line; so is an infinite number (``inf``, ``1e999``);
* ``nan`` (any case) parses as NaN; a row with some but not all fields NaN becomes all-NaN;
* the file must be UTF-8 text (a byte-order mark is dropped).

Label files (GOT-10k ``*.label``, LaSOT ``full_occlusion.txt`` / ``out_of_view.txt``, VOT ``*.tag``)
hold one integer per frame, separated by commas or white space; :func:`parse_labels` reads them,
with the same errors naming the file and line.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from siamfc.errors import DataError
from siamfc.io.files import read_text, write_text_atomic

_SEPARATORS = re.compile(r"[,\t ;]+")
_LABEL_SEPARATORS = re.compile(r"[,\s]+")
_LINE_ENDS = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """Lines as editors count them: ends ``\\n``, ``\\r\\n`` or ``\\r``; a final line end starts no line."""
    lines = _LINE_ENDS.split(text) if text else []
    return lines[:-1] if len(lines) > 1 and lines[-1] == "" else lines


def frame_rows(text: str, path="<text>", what: str = "box file") -> list[tuple[int, str]]:
    """The rows of a file with one row per frame, as ``(1-based line number, stripped text)``.

    Blank lines at the end are dropped; a blank line between rows, or no row at all, is a
    DataError naming ``path`` (and the line).
    """
    lines = split_lines(text)
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise DataError(f"{path}: {what} is empty")
    rows = []
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            raise DataError(f"{path}:{lineno}: blank line between rows (every frame needs a row; use NaN,NaN,NaN,NaN)")
        rows.append((lineno, line.strip()))
    return rows


def parse_row(text: str, path, lineno: int, columns=(4, 8)) -> list[float]:
    """One row of numbers; DataError naming ``path:lineno`` if a field is not a finite number or NaN,
    or (``columns`` not None) if the row's length is not one of ``columns``."""
    fields = [f for f in _SEPARATORS.split(text.strip()) if f]
    try:
        values = [float(f) for f in fields]
    except ValueError:
        raise DataError(f"{path}:{lineno}: not a row of numbers: {text.strip()[:80]!r}") from None
    if any(math.isinf(v) for v in values):
        raise DataError(f"{path}:{lineno}: an infinite number: {text.strip()[:80]!r}")
    if columns is not None and len(values) not in columns:
        want = " or ".join(str(c) for c in columns)
        raise DataError(f"{path}:{lineno}: expected {want} numbers, found {len(values)}: {text.strip()[:80]!r}")
    return values


def parse_box_text(text: str, path="<text>", columns=(4, 8)) -> np.ndarray:
    """Parse box-file ``text`` into an ``(N, K)`` float array, in the file's own coordinates.

    ``columns``: the allowed row lengths (``None``: any, but every row the same).
    Errors name ``path`` and the 1-based line number.
    """
    rows = []
    for lineno, line in frame_rows(text, path):
        row = parse_row(line, path, lineno, columns)
        if rows and len(row) != len(rows[0]):
            raise DataError(f"{path}:{lineno}: {len(row)} numbers, but line 1 has {len(rows[0])}")
        rows.append(row)
    boxes = np.asarray(rows, dtype=np.float64)
    boxes[np.isnan(boxes).any(axis=1)] = np.nan
    return boxes


def read_box_file(path, columns=(4, 8), one_based: bool = True) -> np.ndarray:
    """Read a box file as ``(N, 4)`` boxes or ``(N, 8)`` polygons in 0-based internal pixels."""
    path = Path(path)
    return from_file_coords(parse_box_text(read_text(path, "box file"), path, columns), one_based)


def parse_labels(text: str, path="<text>", low: int = 0, high: int = 1) -> np.ndarray:
    """Integer labels (one per frame, separated by commas or white space) as an ``(N,)`` int64 array.

    Each must be a whole number in ``low .. high`` (``1.0`` is 1; ``0.5``, ``inf`` or ``x`` are errors
    naming ``path`` and the line).
    """
    labels = []
    for lineno, line in enumerate(split_lines(text), 1):
        for token in (t for t in _LABEL_SEPARATORS.split(line) if t):
            try:
                value = float(token)
            except ValueError:
                value = math.nan
            if not (math.isfinite(value) and value == int(value) and low <= value <= high):
                raise DataError(f"{path}:{lineno}: {token[:20]!r} is not a label ({low} .. {high}, one per frame)")
            labels.append(int(value))
    return np.asarray(labels, dtype=np.int64)


def read_labels(path, n: int | None = None, low: int = 0, high: int = 1, noun: str = "labels") -> np.ndarray:
    """A label file (:func:`parse_labels`); with ``n``, exactly ``n`` labels or a DataError."""
    path = Path(path)
    labels = parse_labels(read_text(path, f"{noun[:-1]} file"), path, low, high)
    if n is not None and len(labels) != n:
        raise DataError(f"{path} has {len(labels)} {noun} for {n} frames")
    return labels


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
