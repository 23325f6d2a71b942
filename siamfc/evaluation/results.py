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
from which the per-sequence fps is computed. The time file is written first and the result file
last, both atomically: a result file that exists is complete, which is what makes runs resumable.
``run.json`` in the tracker folder records what produced it (tracker, dataset, parameters);
a sharded run adds one ``run.shard-K-of-N.json`` per shard (:mod:`siamfc.evaluation.shard_records`).

Other toolkits' files are found under the names they use (:func:`find_result`): a result named
``jogging_1.txt``, ``Jogging_1.txt`` or ``human4-2.txt`` belongs to ``Jogging-1`` / ``Human4-2``
-- names match ignoring case, ``-``, ``_`` and spaces, as dataset folders do
(:func:`siamfc.data.otb.normalise`); an OTB-format folder may hold the OTB toolkit's own
``<Seq>.json`` results instead of ``.txt`` files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from siamfc.data.box_files import (
    format_row,
    from_file_coords,
    parse_box_text,
    read_box_file,
    to_file_coords,
    write_box_file,
)
from siamfc.errors import DataError
from siamfc.evaluation.shard_records import is_record
from siamfc.geometry import polygons_to_boxes
from siamfc.io.files import create_text_atomic, read_json, write_text_atomic

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
        if self.times is None or len(self.times) == 0:
            return None
        total = float(np.nansum(self.times))
        return len(self.times) / total if total > 0 else None


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


def _candidates(tracker_dir: Path, fmt: str) -> dict[str, Path]:
    """Result files of a folder by their sequence name as written (OTB: ``.txt`` or toolkit ``.json``)."""
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
    return {d.name: d / f"{d.name}_001.txt" for d in sorted(base.iterdir()) if (d / f"{d.name}_001.txt").is_file()}


def find_result(tracker_dir, seq_name: str, fmt: str) -> Path | None:
    """The result file of ``seq_name`` in ``tracker_dir``: its standard name, else the one file
    whose name matches it ignoring case, ``-``, ``_`` and spaces; None if there is none."""
    from siamfc.data.otb import normalise

    exact = result_path(tracker_dir, seq_name, fmt)
    if exact.is_file():
        return exact
    key = normalise(seq_name)
    hits = [p for n, p in _candidates(Path(tracker_dir), fmt).items() if normalise(n) == key]
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


def _read_times(path: Path) -> np.ndarray | None:
    if not path.is_file():
        return None
    try:
        return np.array([float(t) for t in path.read_text().split()], dtype=np.float64)
    except ValueError:
        raise DataError(f"{path}: not a list of per-frame times in seconds") from None


def read_trajectory(tracker_dir, seq_name: str, fmt: str) -> Trajectory:
    """Read one sequence's result (DataError naming the file if missing or malformed)."""
    path = find_result(tracker_dir, seq_name, fmt)
    if path is None:
        raise DataError(f"result file not found: {result_path(tracker_dir, seq_name, fmt)}")
    if path.suffix.lower() == ".json":
        return read_otb_toolkit_result(path)
    times = _read_times(_time_file(path))
    if fmt != "vot":
        return Trajectory(read_box_file(path, columns=(4,)), None, times)
    boxes, status = [], []
    for lineno, line in enumerate(path.read_text().splitlines(), 1):
        text = line.strip()
        if not text:
            continue
        if text in ("0", "1", "2"):
            status.append(int(text))
            boxes.append([np.nan] * 4)
            continue
        rows = parse_box_text(text, f"{path}:{lineno} ", columns=(4, 8))
        if rows.shape[1] == 8:  # a polygon result: its bounding box
            rows = polygons_to_boxes(rows)
        status.append(BOX)
        boxes.append(rows[0])
    if not boxes:
        raise DataError(f"{path}: result file is empty")
    return Trajectory(from_file_coords(np.asarray(boxes, dtype=np.float64)), np.asarray(status), times)


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
    if entry.get("resType", entry.get("type", "rect")) != "rect":
        raise DataError(f"{path}: only 'rect' results are supported, got {entry.get('resType')!r}")
    res = entry["res"]
    if isinstance(res, str):
        res = json.loads(res)
    boxes = from_file_coords(np.asarray(res, dtype=np.float64).reshape(-1, 4))
    fps = float(entry["fps"]) if entry.get("fps") not in (None, "") else None
    times = np.full(len(boxes), 1.0 / fps) if fps else None
    return Trajectory(boxes, None, times)
