"""The first box as a user types it (``--box``): pixels, fractions of the frame, or a ground-truth file.

    spec = parse_box_arg("204,150,17,50")              # 0-based pixels
    spec = parse_box_arg("0.55,0.6,0.05,0.2")          # fractions of the frame's width and height
    spec = parse_box_arg("Crossing/groundtruth_rect.txt")  # first line of an OTB/VOT file (1-based)
    box = spec.resolve(first_frame.shape)              # -> (x, y, w, h), 0-based pixels

Fractions are told apart from pixels by their values: four numbers all within [0, 1] are
fractions (a box at most one pixel wide and high cannot be tracked, so nothing is lost).

Every form gives four finite numbers with a width and height > 0, or one error naming the problem
(InvalidBoxError for the numbers, DataError for the file, naming it and the line). A file's
first row may be a polygon: the tracker then starts from :func:`siamfc.geometry.start_box` of it
(a quadrilateral's region box, as TraX and the VOT protocol do).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from siamfc.errors import DataError, InvalidBoxError

FORMS = (
    "x,y,w,h in 0-based pixels",
    "fractions of the frame such as 0.4,0.3,0.1,0.2",
    "an OTB/VOT ground-truth file (its first line is used)",
)


def parse_box(text: str) -> tuple[float, float, float, float]:
    """``"x,y,w,h"`` (commas or spaces) -> four finite floats, ``w`` and ``h`` > 0; InvalidBoxError otherwise."""
    fields = [f for f in re.split(r"[,\s]+", text.strip()) if f]
    try:
        values = tuple(float(f) for f in fields)
    except ValueError:
        values = ()
    if len(values) != 4:
        raise InvalidBoxError(f"--box must be four numbers x,y,w,h (0-based pixels), got {text[:80]!r}")
    check_box_values(values, f"--box {text[:80]!r}")
    return values


def check_box_values(values, where: str) -> None:
    """InvalidBoxError unless ``values`` are four finite numbers with width and height > 0."""
    if not all(math.isfinite(v) for v in values):
        raise InvalidBoxError(f"{where}: every number must be finite")
    if not (values[2] > 0 and values[3] > 0):
        raise InvalidBoxError(f"{where}: a box must have positive width and height, got {values[2]:g} x {values[3]:g}")


@dataclass(frozen=True)
class BoxArg:
    """A parsed ``--box``: ``values`` in pixels (``fractions=False``) or in fractions of the frame."""

    values: tuple[float, float, float, float]
    fractions: bool = False
    source: str = "--box"  # where it came from, for messages

    def resolve(self, frame_shape) -> tuple[float, float, float, float]:
        """The box in 0-based pixels of a frame of shape ``(H, W, ...)``."""
        if not self.fractions:
            return self.values
        height, width = frame_shape[:2]
        x, y, w, h = self.values
        return x * width, y * height, w * width, h * height


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # e.g. a name too long for the file system: not a file
        return False


def parse_box_arg(text: str) -> BoxArg:
    """Read ``--box``: a ground-truth file if ``text`` names one, else four numbers (pixels or fractions)."""
    text = text.strip()
    path = Path(text)
    if text and _is_file(path):
        return first_ground_truth_box(path)
    if text.lower().endswith(".txt") or "/" in text:
        raise DataError(f"--box {text[:200]}: ground-truth file not found (--box takes {'; '.join(FORMS)})")
    try:
        values = parse_box(text)
    except InvalidBoxError as exc:
        if "must be four numbers" not in str(exc):
            raise
        raise InvalidBoxError(f"--box {text[:80]!r}: expected {'; or '.join(FORMS)}") from None
    return BoxArg(values, fractions=all(0.0 <= v <= 1.0 for v in values))


def first_ground_truth_box(path) -> BoxArg:
    """The first line of an OTB (``x,y,w,h``) or VOT (4 or 8 numbers) ground-truth file, made 0-based.

    A polygon becomes the box a tracker starts from (:func:`siamfc.geometry.start_box`).
    """
    from siamfc.data.box_files import read_box_file
    from siamfc.geometry import start_box

    rows = read_box_file(path, columns=(4, 8), one_based=True)
    if np.isnan(rows[0]).any():  # the file marks the target absent on its first frame
        raise DataError(f"{path}:1: the first line has no box (NaN): the target must be visible on the first frame")
    values = tuple(float(v) for v in start_box(rows[0], f"{path}:1"))
    try:
        check_box_values(values, f"{path}:1")
    except InvalidBoxError as exc:
        raise DataError(str(exc)) from None
    return BoxArg(values, source=str(path))
