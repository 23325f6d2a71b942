"""Property: every result file -- OTB text and toolkit JSON, VOT text and binary, time files --
reads as a sane trajectory or is refused by name (tests/hostile_input.py).

The VOT toolkit's binary trajectories are made by its own writer (``vot.region.io``); where every
region is one siamfc scores, the reading must equal the toolkit's own reader's.
"""

from __future__ import annotations

import importlib.util
import io
import json
import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hostile_input import FAST, check_refusal, file_bytes, json_values, number_rows, row_files
from hypothesis import given, settings
from hypothesis import strategies as st

from siamfc.errors import DataError
from siamfc.evaluation.results import BOX, FAILURE, INIT, SKIPPED, read_trajectory

HAS_VOT = importlib.util.find_spec("vot") is not None
needs_vot = pytest.mark.skipif(not HAS_VOT, reason="the official vot-toolkit package (test extra)")

times_text = st.lists(
    st.one_of(
        st.floats(0, 10).map(repr),
        st.sampled_from(["", "", "-0.1", "nan", "inf", "1e999", "x", "0.1 0.2", "1e-3", "\t"]),
    ),
    max_size=10,
).map(lambda lines: "\n".join(lines) + "\n")


def check_trajectory(traj, vot: bool) -> None:
    boxes = traj.boxes
    assert boxes.ndim == 2 and boxes.shape[1] == 4 and len(boxes) > 0
    finite, missing = np.isfinite(boxes).all(axis=1), np.isnan(boxes).all(axis=1)
    assert (finite | missing).all()
    if vot:
        assert traj.status.shape == (len(boxes),)
        assert set(traj.status.tolist()) <= {BOX, INIT, FAILURE, SKIPPED}
        assert (finite == (traj.status == BOX)).all()
    if traj.times is not None:
        t = traj.times
        assert t.ndim == 1 and (np.isnan(t) | (np.isfinite(t) & (t >= 0))).all()
    assert traj.fps is None or (math.isfinite(traj.fps) and traj.fps > 0)


def _read(folder: Path, fmt: str, path: Path, text: str | None):
    try:
        traj = read_trajectory(folder, "Seq", fmt)
    except Exception as exc:  # noqa: BLE001 - the property: only our own errors, naming the file
        assert isinstance(exc, DataError), f"{type(exc).__name__}: {exc}"
        check_refusal(exc, path.parent)  # the result file or the time file beside it
        if str(path) in str(exc):
            check_refusal(exc, path, text)
        return None
    check_trajectory(traj, fmt == "vot")
    return traj


# -- text results ----------------------------------------------------------------------------------
vot_rows = st.one_of(
    number_rows(good_lengths=(1, 4, 8, 6)),
    st.sampled_from(["0", "1", "2", "3", "1.0", "-1", "m1,2,3,4,5", "M", "nan", "NaN,1,2,3"]),
)


@settings(FAST, max_examples=40)
@given(
    fmt=st.sampled_from(["otb", "vot", "got10k"]),
    data=st.data(),
    times=st.one_of(st.none(), file_bytes(times_text)),
    toolkit_times=st.booleans(),
)
def test_text_results_and_their_times_read_sane_or_are_refused_by_name(fmt, data, times, toolkit_times):
    content = data.draw(file_bytes(row_files(vot_rows if fmt == "vot" else None)))
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d) / "Tracker"
        seq = {"otb": folder, "vot": folder / "baseline" / "Seq", "got10k": folder / "Seq"}[fmt]
        seq.mkdir(parents=True)
        path = seq / ("Seq.txt" if fmt == "otb" else "Seq_001.txt")
        path.write_bytes(content)
        if times is not None:
            name = "Seq_001_time.value" if toolkit_times and fmt != "otb" else "Seq_time.txt"
            (seq / name).write_bytes(times)
        _read(folder, fmt, path, content.decode("utf-8-sig", errors="replace"))


# -- the VOT toolkit's binary trajectories ---------------------------------------------------------
floats32 = st.floats(width=32, allow_nan=True, allow_infinity=True)
finite32 = st.floats(-1e6, 1e6, width=32)


@st.composite
def toolkit_regions(draw):
    from vot.region import Point, Special
    from vot.region.shapes import Polygon, Rectangle

    kind = draw(st.sampled_from(["code", "code", "rect", "rect", "rect", "polygon", "odd"]))
    if kind == "code":
        return Special(draw(st.sampled_from([0, 1, 2])))
    if kind == "rect":
        return Rectangle(*draw(st.lists(st.one_of(finite32, finite32, finite32, floats32), min_size=4, max_size=4)))
    if kind == "polygon":
        return Polygon(draw(st.lists(st.tuples(finite32, finite32), min_size=3, max_size=6)))
    return draw(st.sampled_from([Special(7), Point(1.0, 2.0), Special(2**31)]))  # what siamfc does not score


def _toolkit_box(region):
    """What the toolkit's region means to siamfc: (status, 1-based x, y, w, h), or None if refused."""
    from vot.region import Special
    from vot.region.shapes import Polygon, Rectangle

    nan = [math.nan] * 4
    if isinstance(region, Special):
        return (region.code, nan) if region.code in (0, 1, 2) else None
    if isinstance(region, Rectangle):
        values = [region.x, region.y, region.width, region.height]
    elif isinstance(region, Polygon):
        p = np.array(region.points(), dtype=np.float64)
        values = [*p.min(axis=0), *np.ptp(p, axis=0)]
    else:
        return None
    if any(math.isinf(v) for v in values):
        return None
    return (SKIPPED, nan) if any(math.isnan(v) for v in values) else (BOX, values)


@needs_vot
@settings(FAST, max_examples=30)
@given(regions=st.lists(toolkit_regions(), min_size=1, max_size=8), cut=st.one_of(st.none(), st.integers(0, 200)))
def test_toolkit_binary_trajectories_read_as_the_toolkit_reads_them(regions, cut):
    from vot.region.io import write_trajectory_binary

    buffer = io.BytesIO()
    write_trajectory_binary(buffer, regions)
    data = buffer.getvalue()
    data = data[:cut] if cut is not None and cut < len(data) else data
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "T" / "baseline" / "Seq" / "Seq_001.bin"
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
        traj = _read(path.parents[2], "vot", path, None)
    expected = [_toolkit_box(r) for r in regions]
    if cut is not None and cut < len(buffer.getvalue()):
        assert traj is None  # a truncated file is refused, never read short
        return
    if any(e is None for e in expected):
        assert traj is None
        return
    assert traj is not None
    assert traj.status.tolist() == [s for s, _ in expected]
    want = np.array([b for _, b in expected], dtype=np.float64)
    want[:, :2] -= 1  # 1-based file numbers -> 0-based
    np.testing.assert_allclose(traj.boxes, want, rtol=1e-12, equal_nan=True)


@settings(FAST, max_examples=40)
@given(
    data=st.one_of(
        st.binary(max_size=64),
        st.binary(max_size=64).map(lambda b: b"\x01\x00" + b),  # the version the toolkit writes
        st.tuples(st.integers(0, 2**32 - 1), st.binary(max_size=64)).map(
            lambda t: b"\x01\x00" + t[0].to_bytes(4, "little") + t[1]
        ),
    )
)
def test_any_bytes_as_a_binary_trajectory(data):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "T" / "baseline" / "Seq" / "Seq_001.bin"
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
        _read(path.parents[2], "vot", path, None)


@needs_vot
def test_a_binary_trajectory_names_the_region_it_cannot_score(tmp_path):
    from vot.region import Point, Special
    from vot.region.io import write_trajectory_binary
    from vot.region.shapes import Rectangle

    path = tmp_path / "T" / "baseline" / "Seq" / "Seq_001.bin"
    path.parent.mkdir(parents=True)
    with open(path, "wb") as f:
        write_trajectory_binary(f, [Special(1), Rectangle(1, 2, 3, 4), Point(5, 6)])
    with pytest.raises(DataError, match=r"Seq_001.bin: region 3: a point region"):
        read_trajectory(tmp_path / "T", "Seq", "vot")


# -- the OTB toolkit's JSON results ----------------------------------------------------------------
res = st.one_of(
    st.lists(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=4, max_size=4), max_size=5),
    json_values,
)


@settings(FAST, max_examples=40)
@given(
    data=st.one_of(
        json_values,
        st.fixed_dictionaries(
            {"res": st.one_of(res, res.map(json.dumps))},
            optional={"fps": json_values, "resType": st.sampled_from(["rect", "SRER", 3])},
        ).map(lambda e: [e]),
    ),
    raw=st.sampled_from([None, None, b"\xff\xfe{", b"[" * 100_000]),
)
def test_otb_toolkit_json_results_read_sane_or_are_refused_by_name(data, raw):
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d) / "Tracker"
        folder.mkdir()
        path = folder / "Seq.json"
        path.write_bytes(raw if raw is not None else json.dumps(data).encode())
        _read(folder, "otb", path, None)
