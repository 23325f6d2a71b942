"""Frame files on disk: which files are frames, their natural order and numbers, sequence lists."""

from __future__ import annotations

import os
import re
from pathlib import Path

from siamfc.errors import DataError
from siamfc.io.files import read_text

#: Image file extensions recognised as frames (lower case).
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
_DIGITS = re.compile(r"(\d+)")


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
        found = read_text(listed).split()
        missing = [n for n in found if not (folder / n / gt_name).is_file()]
        if missing:
            raise DataError(f"{listed} lists {len(missing)} sequence(s) without {gt_name}: {missing[:5]}")
    else:
        found = sorted((p.name for p in folder.iterdir() if (p / gt_name).is_file()), key=natural_key)
    if names is not None:
        keep = set(names)
        found = [n for n in found if n in keep]
    return found
