"""Property: every box and label file, in every layout, parses to sane values or is refused by name.

Box files (OTB with any separator, VOT polygons, GOT-10k, LaSOT; NaN, blank and junk rows; other
encodings, raw bytes) and the label files beside them (GOT-10k ``*.label``, LaSOT flags, VOT tags,
``meta_info.ini``, pysot's JSON). See tests/hostile_input.py for the property itself.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hostile_input import FAST, check_refusal, check_rows, file_bytes, json_values, number_rows, numbers, row_files
from hypothesis import example, given, settings
from hypothesis import strategies as st

from siamfc.data.box_files import parse_box_text, read_box_file
from siamfc.data.got10k import load_got10k_sequence
from siamfc.data.lasot import load_lasot_sequence
from siamfc.data.otb import read_otb_json, read_otb_rows
from siamfc.data.vot import load_vot_sequence
from siamfc.errors import SiamFCError

good_number = st.floats(-500, 2000, allow_nan=False).map(lambda v: f"{v:.2f}")
good_box = st.lists(good_number, min_size=4, max_size=4).map(",".join)
good_polygon = st.lists(good_number, min_size=8, max_size=8).map(",".join)
label_tokens = st.sampled_from(["0", "1", "1.0", "2", "8", "9", "-1", "0.5", "nan", "inf", "x", "", "1e3"])


def _lines(draw, good, n):
    """``n`` rows, mostly ``good``, some hostile; sometimes one more or one fewer."""
    n = n + draw(st.sampled_from([0, 0, 0, 1, -1]))
    return [
        draw(st.one_of(good, good, good, number_rows(), st.sampled_from(["", "nan,nan,nan,nan"]))) for _ in range(n)
    ]


def _labels(draw, n, good=("0", "1")):
    n = n + draw(st.sampled_from([0, 0, 0, 1, -1]))
    tokens = [draw(st.one_of(st.sampled_from(good), st.sampled_from(good), label_tokens)) for _ in range(max(n, 0))]
    return draw(st.sampled_from(["\n", ",", ", "])).join(tokens) + draw(st.sampled_from(["", "\n"]))


def check_sequence(seq) -> None:
    """A loaded sequence: one box row per frame, finite or NaN; polygons likewise; flags per frame."""
    n = len(seq)
    assert n > 0 and len(seq.boxes) == n
    check_rows(seq.boxes, (4,))
    if seq.polygons is not None:
        check_rows(seq.polygons, (8,))
        assert (np.isnan(seq.polygons).all(axis=1) == np.isnan(seq.boxes).all(axis=1)).all()
    if seq.absent is not None:
        assert seq.absent.dtype == bool and seq.absent.shape == (n,)
        assert np.isnan(seq.boxes[seq.absent]).all()
    for tag in seq.meta.get("tags", {}).values():
        assert tag.dtype == bool and tag.shape == (n,)
    for key, high in (("cover", 8), ("cut_by_image", 1)):
        if key in seq.meta:
            assert seq.meta[key].shape == (n,) and ((seq.meta[key] >= 0) & (seq.meta[key] <= high)).all()


def _parse_or_refuse(parse, path: Path, text: str | None):
    try:
        return parse()
    except Exception as exc:  # noqa: BLE001 - the property: only our own errors, naming the file
        check_refusal(exc, path, text)
        return None


# -- one box file ----------------------------------------------------------------------------------
@settings(FAST, max_examples=60)
@given(text=row_files(), columns=st.sampled_from([(4, 8), (4,), None]))
@example(text="1,2,3,4\n1,2,3,1e999\n", columns=(4, 8))  # read as inf, once
def test_box_text_gives_sane_rows_or_names_the_file_and_line(text, columns):
    rows = _parse_or_refuse(lambda: parse_box_text(text, "gt.txt", columns), Path("gt.txt"), text)
    if rows is not None:
        check_rows(rows, columns or range(1, 10))


@settings(FAST, max_examples=30)
@given(data=file_bytes(row_files()))
def test_box_and_otb_files_of_any_bytes(data):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "groundtruth_rect.txt"
        path.write_bytes(data)
        text = data.decode("utf-8-sig", errors="replace")
        rows = _parse_or_refuse(lambda: read_box_file(path), path, text)
        if rows is not None:
            check_rows(rows)
        boxes = _parse_or_refuse(lambda: read_otb_rows(path), path, text)
        if boxes is not None:
            check_rows(boxes, (4,))
            valid = np.isfinite(boxes).all(axis=1)
            assert (boxes[valid, 2:] > 0).all()  # the official OTB rule: other rows are NaN


@settings(FAST, max_examples=40)
@given(text=st.lists(st.one_of(label_tokens, numbers), max_size=10).map("\n".join), high=st.sampled_from([1, 8]))
def test_label_text_gives_labels_in_range_or_names_the_line(text, high):
    from siamfc.data.box_files import parse_labels

    labels = _parse_or_refuse(lambda: parse_labels(text, "cover.label", 0, high), Path("cover.label"), text)
    if labels is not None:
        assert labels.dtype == np.int64 and ((labels >= 0) & (labels <= high)).all()


# -- sequence folders of each layout -------------------------------------------------------------
@st.composite
def vot_folders(draw):
    n = draw(st.integers(1, 6))
    rows = _lines(draw, st.one_of(good_polygon, good_box), n)
    tags = {
        name: _labels(draw, n)
        for name in draw(st.lists(st.sampled_from(["occlusion.tag", "camera_motion.label"]), max_size=2, unique=True))
    }
    return {"groundtruth.txt": "\n".join(rows) + "\n", **tags}


@st.composite
def got10k_folders(draw):
    n = draw(st.integers(1, 6))
    files = {"groundtruth.txt": "\n".join(_lines(draw, good_box, n)) + "\n"}
    if draw(st.booleans()):
        files["absence.label"] = _labels(draw, n)
        files["cover.label"] = _labels(draw, n, good=("0", "8", "5"))
        files["cut_by_image.label"] = _labels(draw, n)
    if draw(st.booleans()):
        res = draw(st.sampled_from(["(640, 480)", "640x480", "(0, -1)", "[]", "(99999999999999999999, 1)"]))
        files["meta_info.ini"] = draw(
            st.sampled_from([f"[METAINFO]\nresolution: {res}\n", f"resolution: {res}\n", "[x\n", "a = b\n[c]\n= d"])
        )
    return files


@st.composite
def lasot_folders(draw):
    n = draw(st.integers(1, 6))
    return {
        "groundtruth.txt": "\n".join(_lines(draw, good_box, n)) + "\n",
        "full_occlusion.txt": _labels(draw, n),
        "out_of_view.txt": _labels(draw, n),
        "nlp.txt": draw(st.text(max_size=20)),
    }


LOADERS = {
    "vot": (vot_folders(), load_vot_sequence),
    "got10k": (got10k_folders(), load_got10k_sequence),
    "lasot": (lasot_folders(), load_lasot_sequence),
}
#: A flag of ``inf`` (int(float("inf")): OverflowError, once) in each layout.
INFINITE_FLAG = {
    "vot": {"groundtruth.txt": "1,2,3,4\n", "occlusion.tag": "inf\n"},
    "got10k": {"groundtruth.txt": "1,2,3,4\n", "absence.label": "inf\n"},
    "lasot": {"groundtruth.txt": "1,2,3,4\n", "full_occlusion.txt": "inf", "out_of_view.txt": "0"},
}


@pytest.mark.parametrize("layout", sorted(LOADERS))
def test_sequence_folders_load_sane_or_are_refused_by_name(layout):
    strategy, load = LOADERS[layout]

    @settings(FAST, max_examples=25)
    @given(files=strategy, raw=st.sampled_from([None, None, None, b"\xff\xfe\x00garbage"]))
    @example(files=INFINITE_FLAG[layout], raw=None)
    def check(files, raw):
        with tempfile.TemporaryDirectory() as d:
            seq_dir = Path(d) / "cat-1"
            seq_dir.mkdir()
            for name, text in files.items():
                (seq_dir / name).write_text(text, encoding="utf-8")
            if raw is not None:  # one file of the folder replaced by bytes that are not text
                (seq_dir / sorted(files)[0]).write_bytes(raw)
            try:
                seq = load(seq_dir, check_frames=False)
            except Exception as exc:  # noqa: BLE001 - the property: only our own errors, naming the folder's file
                check_refusal(exc, seq_dir)
            else:
                check_sequence(seq)

    check()


# -- pysot's single-file OTB annotations -----------------------------------------------------------
gt_rects = st.one_of(
    st.lists(st.lists(st.floats(-10, 500), min_size=4, max_size=4), min_size=1, max_size=5), json_values
)


@settings(FAST, max_examples=30)
@given(
    data=st.one_of(
        json_values,
        st.dictionaries(
            st.sampled_from(["Basketball", "jogging_1", "x"]),
            st.fixed_dictionaries({"gt_rect": gt_rects}, optional={"name": json_values, "image_files": json_values}),
            min_size=1,
            max_size=2,
        ),
    )
)
def test_pysot_annotation_files_load_sane_or_are_refused_by_name(data):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "OTB100.json"
        path.write_text(json.dumps(data))
        try:
            seqs = read_otb_json(path)
            for name in seqs.names:
                check_sequence(seqs[name])
        except SiamFCError as exc:
            check_refusal(exc, path)
