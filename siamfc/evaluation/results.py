"""Result files in the standard formats, so that other toolkits read ours and we read theirs.

One folder per tracker (its name is the tracker's name in reports); inside it:

=========  ==============================================  =========================================
format     result file                                      contents
=========  ==============================================  =========================================
``otb``    ``<seq>.txt``                                    one ``x,y,w,h`` row per frame (1-based)
``vot``    ``baseline/<seq>/<seq>_001.txt``                 a box row, or ``1`` (initialised),
                                                            ``2`` (failure), ``0`` (skipped)
``got10k`` ``<seq>/<seq>_001.txt``                          one ``x,y,w,h`` row per frame (1-based)
=========  ==============================================  =========================================

Beside each result file, ``<seq>_time.txt`` holds the seconds each frame took (init included),
one line per frame, from which the per-sequence fps is computed (over the frames with a time).
The time file is written first and the result file last, both atomically: a result file that
exists is complete, which is what makes runs resumable.
``run.json`` in the tracker folder records what produced it (tracker, dataset, parameters);
a sharded run adds one ``run.shard-K-of-N.json`` per shard (:mod:`siamfc.evaluation.shard_records`).

Read as the box files are (:mod:`siamfc.data.box_files`: trailing blank lines ignored, a blank line
between rows an error naming the file and line, infinite numbers refused). VOT rows: ``0``, ``1``,
``2`` (the toolkit's codes), a rectangle, or a polygon of 3 or more points (scored by its bounding
box); a row with a NaN is a frame without a box (``0``), as the toolkit reads it; masks and points
(VOT-2020 and later) are refused by name.

**The VOT toolkit's own files** (vot-toolkit 0.9, whose default is ``results_binary=True``):
``<tracker>/baseline/<seq>/<seq>_001.bin`` (its binary trajectory: rectangles, polygons and codes;
read here without the toolkit) or ``<seq>_001.txt``, and the times in ``<seq>_001_time.value``,
seconds, one line per frame, a blank line for a frame it did not run (skipped after a failure)
-- in time files, and only there, a blank line is a frame without a time.

Other toolkits' files are found under the names they use (:func:`find_result`): a result named
``jogging_1.txt``, ``Jogging_1.txt`` or ``human4-2.txt`` belongs to ``Jogging-1`` / ``Human4-2``
-- names match ignoring case, ``-``, ``_`` and spaces, as dataset folders do
(:func:`siamfc.data.otb.normalise`); an OTB-format folder may hold the OTB toolkit's own
``<Seq>.json`` results instead of ``.txt`` files.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from siamfc.data.box_files import (
    format_row,
    frame_rows,
    from_file_coords,
    parse_row,
    read_box_file,
    split_lines,
    to_file_coords,
    write_box_file,
)
from siamfc.errors import DataError
from siamfc.evaluation.shard_records import is_record
from siamfc.geometry import polygons_to_boxes
from siamfc.io.files import create_text_atomic, read_json, read_text, write_text_atomic

FORMATS = ("otb", "vot", "got10k")
#: VOT trajectory markers (the toolkit's) and our marker for "this frame has a box".
INIT, FAILURE, SKIPPED, BOX = 1, 2, 0, -1


@dataclass
class Trajectory:
    """A tracker's output on one sequence: ``boxes (N, 4)`` 0-based (NaN where no box) and,
    for VOT, ``status (N,)`` in {BOX, INIT, FAILURE, SKIPPED}; ``times (N,)`` seconds or None."""

    boxes: np.ndarray
    status: np.ndarray | None = None
    times: np.ndarray | None = None

    @property
    def fps(self) -> float | None:
        """Frames per second over the frames with a time (a NaN time: the frame was not run)."""
        if self.times is None:
            return None
        timed = np.asarray(self.times, dtype=np.float64)
        timed = timed[np.isfinite(timed)]
        total = float(timed.sum())
        return len(timed) / total if total > 0 else None


def result_path(tracker_dir, seq_name: str, fmt: str) -> Path:
    tracker_dir = Path(tracker_dir)
    if fmt == "otb":
        return tracker_dir / f"{seq_name}.txt"
    if fmt == "vot":
        return tracker_dir / "baseline" / seq_name / f"{seq_name}_001.txt"
    if fmt == "got10k":
        return tracker_dir / seq_name / f"{seq_name}_001.txt"
    raise ValueError(f"unknown result format {fmt!r}; one of {FORMATS}")


def time_path(tracker_dir, seq_name: str, fmt: str) -> Path:
    return _time_file(result_path(tracker_dir, seq_name, fmt))


def _time_file(result_file: Path) -> Path:
    """``<seq>_time.txt`` beside ``<seq>.txt`` (OTB) or ``<seq>_001.txt`` (VOT, GOT-10k)."""
    return result_file.with_name(f"{result_file.stem.removesuffix('_001')}_time.txt")


def _time_files(result_file: Path) -> list[Path]:
    """Where a result's times may be: ours (:func:`_time_file`), then the VOT toolkit's ``<seq>_001_time.value``."""
    return [_time_file(result_file), result_file.with_name(f"{result_file.stem}_time.value")]


def _vot_result(seq_dir: Path) -> Path | None:
    """``<seq>_001.txt`` (ours, or the toolkit's text format), else the toolkit's binary ``<seq>_001.bin``."""
    for suffix in (".txt", ".bin"):
        path = seq_dir / f"{seq_dir.name}_001{suffix}"
        if path.is_file():
            return path
    return None


def result_files(tracker_dir, fmt: str) -> dict[str, Path]:
    """Result files of a folder by their sequence name as written (OTB: ``.txt`` or toolkit ``.json``)."""
    tracker_dir = Path(tracker_dir)
    if not tracker_dir.is_dir():
        return {}
    if fmt == "otb":
        return {
            p.stem: p
            for p in sorted(tracker_dir.glob("*"))
            if p.suffix.lower() in (".txt", ".json")
            and p.is_file()
            and not p.stem.endswith("_time")
            and p.name != "run.json"
            and not is_record(p)
        }
    base = tracker_dir / "baseline" if fmt == "vot" else tracker_dir
    if not base.is_dir():
        return {}
    if fmt == "vot":
        found = {d.name: _vot_result(d) for d in sorted(base.iterdir()) if d.is_dir()}
        return {name: path for name, path in found.items() if path is not None}
    return {d.name: d / f"{d.name}_001.txt" for d in sorted(base.iterdir()) if (d / f"{d.name}_001.txt").is_file()}


def find_result(tracker_dir, seq_name: str, fmt: str) -> Path | None:
    """The result file of ``seq_name`` in ``tracker_dir``: its standard name, else the one file
    whose name matches it ignoring case, ``-``, ``_`` and spaces; None if there is none."""
    from siamfc.data.otb import normalise

    exact = result_path(tracker_dir, seq_name, fmt)
    if fmt == "vot":
        exact = _vot_result(exact.parent) or exact
    if exact.is_file():
        return exact
    key = normalise(seq_name)
    hits = [p for n, p in result_files(tracker_dir, fmt).items() if normalise(n) == key]
    if len(hits) > 1:
        raise DataError(
            f"{tracker_dir}: {len(hits)} result files could be {seq_name}'s: "
            f"{', '.join(p.name for p in hits)}; keep one"
        )
    return hits[0] if hits else None


def write_trajectory(tracker_dir, seq_name: str, fmt: str, traj: Trajectory) -> Path:
    """Write the time file, then (last, atomically) the result file."""
    if traj.times is not None:
        write_text_atomic(time_path(tracker_dir, seq_name, fmt), "".join(f"{t:.6f}\n" for t in traj.times))
    path = result_path(tracker_dir, seq_name, fmt)
    if fmt != "vot":
        return write_box_file(path, traj.boxes)
    rows = to_file_coords(np.asarray(traj.boxes, dtype=np.float64).reshape(-1, 4))
    lines = [format_row(r) if s == BOX else str(int(s)) for r, s in zip(rows, traj.status)]
    return write_text_atomic(path, "".join(line + "\n" for line in lines))


def read_times(path: Path) -> np.ndarray:
    """A time file: seconds, one line per frame; a blank line is a frame without a time (NaN) --
    what the VOT toolkit writes for the frames it skipped. A value that is not a finite number
    >= 0 is a DataError naming the file and line."""
    lines = split_lines(read_text(path, "time file"))
    times = np.full(len(lines), np.nan)
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            times[i] = float(line)
        except ValueError:
            times[i] = -1.0
        if not (math.isfinite(times[i]) and times[i] >= 0):
            raise DataError(f"{path}:{i + 1}: not a time in seconds (a number >= 0, or nothing): {line.strip()[:40]!r}")
    return times


def _read_times(result_file: Path) -> np.ndarray | None:
    path = next((p for p in _time_files(result_file) if p.is_file()), None)
    return read_times(path) if path is not None else None


def read_trajectory(tracker_dir, seq_name: str, fmt: str) -> Trajectory:
    """Read one sequence's result (DataError naming the file if missing or malformed)."""
    path = find_result(tracker_dir, seq_name, fmt)
    if path is None:
        raise DataError(f"result file not found: {result_path(tracker_dir, seq_name, fmt)}")
    if path.suffix.lower() == ".json":
        return read_otb_toolkit_result(path)
    times = _read_times(path)
    if fmt != "vot":
        return Trajectory(read_box_file(path, columns=(4,)), None, times)
    status, boxes = read_vot_binary(path) if path.suffix == ".bin" else read_vot_text(path)
    return Trajectory(from_file_coords(boxes), status, times)


def _vot_region(values, where: str) -> tuple[int, list[float]]:
    """``(status, x y w h in file numbers)`` of one VOT region given as numbers (see the module doc)."""
    nan_box = [math.nan] * 4
    if len(values) == 1:
        if values[0] not in (SKIPPED, INIT, FAILURE):
            raise DataError(f"{where}: {values[0]:g} is not a VOT code (0 skipped, 1 initialised, 2 failure)")
        return int(values[0]), nan_box
    if len(values) != 4 and (len(values) < 6 or len(values) % 2):
        raise DataError(
            f"{where}: {len(values)} numbers: a VOT region is a code, a rectangle (4) or a polygon (6, 8, ...)"
        )
    if any(math.isinf(v) for v in values):
        raise DataError(f"{where}: an infinite number")
    if any(math.isnan(v) for v in values):
        return SKIPPED, nan_box  # the toolkit reads a region with a NaN as "no region" (code 0)
    if len(values) == 4:
        return BOX, list(values)
    return BOX, polygons_to_boxes(np.asarray([values], dtype=np.float64))[0].tolist()


def read_vot_text(path) -> tuple[np.ndarray, np.ndarray]:
    """A VOT text trajectory as ``(status (N,), boxes (N, 4) in file numbers)``."""
    path = Path(path)
    status, boxes = [], []
    for lineno, text in frame_rows(read_text(path, "result file"), path, "result file"):
        where = f"{path}:{lineno}"
        if text[:1] in ("m", "M"):
            raise DataError(f"{where}: a mask region (VOT-2020 and later): only rectangles and polygons are scored")
        s, box = _vot_region(parse_row(text, path, lineno, columns=None), where)
        status.append(s)
        boxes.append(box)
    return np.asarray(status, dtype=np.int64), np.asarray(boxes, dtype=np.float64).reshape(-1, 4)


#: The VOT toolkit's binary regions (``vot.region.io.write_trajectory_binary``): type byte -> name.
_BINARY_TYPES = {0: "code", 1: "rectangle", 2: "polygon", 3: "mask", 4: "point"}


def read_vot_binary(path) -> tuple[np.ndarray, np.ndarray]:
    """The VOT toolkit's binary trajectory (``<seq>_001.bin``) as ``(status (N,), boxes (N, 4))``.

    Layout (little-endian): ``int16`` version 1, ``uint32`` count, then per region a type byte and
    ``uint32`` code | 4 ``float32`` x, y, w, h | ``uint16`` n and 2n ``float32`` | a mask | a point.
    Errors name the file and the region (frame) number.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read result file {path}: {exc.strerror or exc}") from None
    offset = 0

    def take(fmt: str, what: str):
        nonlocal offset
        size = struct.calcsize(fmt)
        if offset + size > len(data):
            raise DataError(f"{path}: truncated ({len(data)} bytes) in {what}")
        values = struct.unpack_from(fmt, data, offset)
        offset += size
        return values

    version, count = take("<hI", "the header")
    if version != 1:
        raise DataError(f"{path}: not a VOT binary trajectory (version {version}, expected 1)")
    if count == 0:
        raise DataError(f"{path}: result file is empty")
    if count * 5 > len(data) - offset:  # every region takes at least 5 bytes
        raise DataError(f"{path}: truncated: {count} regions announced in {len(data)} bytes")
    status, boxes = [], []
    for i in range(count):
        where = f"{path}: region {i + 1}"
        (kind,) = take("<B", where)
        if kind == 0:
            values = [float(take("<I", where)[0])]
        elif kind == 1:
            values = list(take("<4f", where))
        elif kind == 2:
            (n,) = take("<H", where)
            values = list(take(f"<{2 * n}f", where))
        else:
            name = _BINARY_TYPES.get(kind, f"unknown type {kind}")
            raise DataError(f"{where}: a {name} region: only codes, rectangles and polygons are scored")
        s, box = _vot_region(values, where)
        status.append(s)
        boxes.append(box)
    if offset != len(data):
        raise DataError(f"{path}: {len(data) - offset} bytes after the {count} regions announced")
    return np.asarray(status, dtype=np.int64), np.asarray(boxes, dtype=np.float64).reshape(-1, 4)


def has_result(tracker_dir, seq_name: str, fmt: str) -> bool:
    """A result exists (complete by construction: written last, atomically -- even if it is
    shorter than the sequence, which the toolkits score on its own length)."""
    return find_result(tracker_dir, seq_name, fmt) is not None


def write_run_info(tracker_dir, info: dict) -> None:
    write_text_atomic(Path(tracker_dir) / "run.json", json.dumps(info, indent=2, sort_keys=True) + "\n")


def create_run_info(tracker_dir, info: dict) -> bool:
    """Write ``run.json`` unless it exists (shards starting at once: one writes it); True if written."""
    return create_text_atomic(Path(tracker_dir) / "run.json", json.dumps(info, indent=2, sort_keys=True) + "\n")


def read_run_info(tracker_dir) -> dict:
    path = Path(tracker_dir) / "run.json"
    return read_json(path) if path.is_file() else {}


# -- the OTB toolkit's own result files (jwlim/tracker_benchmark JSON) --------------------------
def read_otb_toolkit_result(path) -> Trajectory:
    """A result of the OTB toolkit's Python port: ``[{"res": [[x, y, w, h], ...], "fps": ...}]``."""
    path = Path(path)
    data = read_json(path, "result file")
    entry = data[0] if isinstance(data, list) and data else data
    if not isinstance(entry, dict) or "res" not in entry:
        raise DataError(f"{path}: expected an OTB toolkit result with a 'res' list")
    kind = entry.get("resType", entry.get("type", "rect"))
    if kind != "rect":
        raise DataError(f"{path}: only 'rect' results are supported, got {str(kind)[:40]!r}")
    res = entry["res"]
    try:
        if isinstance(res, str):
            res = json.loads(res)
        rows = np.asarray(res, dtype=np.float64)
    except (ValueError, TypeError, RecursionError, OverflowError):
        rows = None
    if rows is None or rows.ndim != 2 or rows.shape[1] != 4 or len(rows) == 0:
        raise DataError(f"{path}: 'res' is not a list of [x, y, w, h] boxes")
    if np.isinf(rows).any():
        raise DataError(f"{path}: 'res' holds an infinite number (row {int(np.isinf(rows).any(axis=1).argmax()) + 1})")
    rows[np.isnan(rows).any(axis=1)] = np.nan
    boxes = from_file_coords(rows)
    fps = entry.get("fps")
    if isinstance(fps, str) and fps.strip():
        try:
            fps = float(fps)
        except ValueError:
            pass
    if fps is None or fps == "":
        fps = None
    elif isinstance(fps, bool) or not isinstance(fps, (int, float)) or not math.isfinite(fps) or fps < 0:
        raise DataError(f"{path}: 'fps' is not a number of frames per second: {str(fps)[:40]!r}")
    times = np.full(len(boxes), 1.0 / fps) if fps else None
    return Trajectory(boxes, None, times)
