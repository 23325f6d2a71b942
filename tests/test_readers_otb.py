"""OTB reader: separators, two-target sequences, sub-ranges, invalid rows, annotation-only roots."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import BENCH, requires_shared
from readers_fixtures import boxes, write_frames, write_rows

from siamfc.data.box_files import parse_box_text, read_box_file, write_box_file
from siamfc.data.otb import read_otb, read_otb_json
from siamfc.errors import DataError


def test_box_file_separators_nan_and_one_based(tmp_path):
    p = tmp_path / "gt.txt"
    p.write_text("11,21,30,40\n12\t22\t30\t40\n13 22, 30 40\nNaN,NaN,NaN,NaN\n\n\n")
    rows = read_box_file(p)
    assert rows.shape == (4, 4)
    np.testing.assert_allclose(rows[0], [10, 20, 30, 40])  # x, y shift to 0-based; w, h kept
    np.testing.assert_allclose(rows[2], [12, 21, 30, 40])
    assert np.isnan(rows[3]).all()


@pytest.mark.parametrize(
    "text, where",
    [
        ("1,2,3,4\n\n5,6,7,8\n", "gt.txt:2"),  # blank line inside: would shift every later frame
        ("1,2,3,4\n1,2,3\n", "gt.txt:2"),  # wrong field count
        ("1,2,3,4\n1,2,x,4\n", "gt.txt:2"),  # not a number
        ("", "empty"),
    ],
)
def test_box_file_errors_name_file_and_line(tmp_path, text, where):
    p = tmp_path / "gt.txt"
    p.write_text(text)
    with pytest.raises(DataError, match=where):
        read_box_file(p)


def test_box_file_round_trip(tmp_path):
    rows = np.array([[0.0, 1.5, 10, 12], [np.nan] * 4, [3.25, 4, 5, 6]])
    back = read_box_file(write_box_file(tmp_path / "r.txt", rows))
    np.testing.assert_allclose(back, rows)
    assert (tmp_path / "r.txt").read_text().splitlines()[0] == "1,2.5,10,12"


def test_otb_two_targets_attributes_and_separators(tmp_path):
    root = tmp_path / "otb"
    write_frames(root / "Plain" / "img", 5)
    write_rows(root / "Plain" / "groundtruth_rect.txt", boxes(5), sep="\t")
    (root / "Plain" / "attrs.txt").write_text("SV, OCC, FM")
    write_frames(root / "Jogging" / "img", 4)
    write_rows(root / "Jogging" / "groundtruth_rect.1.txt", boxes(4))
    write_rows(root / "Jogging" / "groundtruth_rect.2.txt", boxes(4, x0=30), sep=" ")
    seqs = read_otb(root)
    assert seqs.names == ["Jogging-1", "Jogging-2", "Plain"]
    j2 = seqs["Jogging-2"]
    assert len(j2) == 4 and j2.frames[0].name == "0001.jpg"
    np.testing.assert_allclose(j2.boxes[0], [29, 11, 20, 15])
    assert seqs["Plain"].meta["attributes"] == ["SV", "OCC", "FM"]
    assert seqs["Plain"].frame(2).shape == (48, 64, 3)


def test_otb_sub_ranges_from_full_or_partial_ground_truth(tmp_path):
    root = tmp_path / "otb"
    # Football1: 81 frames on disk, OTB evaluates 1-74 and its file has 74 rows.
    write_frames(root / "Football1" / "img", 81)
    write_rows(root / "Football1" / "groundtruth_rect.txt", boxes(74))
    # Tiger1 (OTB-2015: frames 6-354) with a ground truth counted from frame 1 (354 rows).
    write_frames(root / "Tiger1" / "img", 354)
    write_rows(root / "Tiger1" / "groundtruth_rect.txt", boxes(354))
    seqs = read_otb(root)
    assert len(seqs["Football1"]) == 74
    tiger = seqs["Tiger1"]
    assert len(tiger) == 349 and tiger.frames[0].name == "0006.jpg"
    np.testing.assert_allclose(tiger.boxes[0, 0], 10 + 5 - 1)  # row of frame 6, 0-based
    assert tiger.frame_ids[0] == 6


def test_otb_invalid_rows_follow_the_official_rule(tmp_path):
    root = tmp_path / "otb"
    write_frames(root / "Biker" / "img", 4)
    write_rows(root / "Biker" / "groundtruth_rect.txt", [[5, 5, 10, 10], [5, -3, 10, 10], [0, 0, 0, 0], [5, 5, 10, 10]])
    seq = read_otb(root)["Biker"]
    assert seq.valid.tolist() == [True, False, False, True]


def test_otb_mismatched_lengths_name_the_file(tmp_path):
    root = tmp_path / "otb"
    write_frames(root / "Odd" / "img", 6)
    write_rows(root / "Odd" / "groundtruth_rect.txt", boxes(5))
    with pytest.raises(DataError, match=r"groundtruth_rect.txt has 5 rows but Odd has 6 frames"):
        read_otb(root)["Odd"]


def test_otb_version_list_and_annotation_only_root(tmp_path):
    root = tmp_path / "otb"
    write_rows(root / "Crossing" / "groundtruth_rect.txt", boxes(3))
    with pytest.raises(DataError, match="not found"):
        read_otb(root, version="otb2013")
    seq = read_otb(root, check_frames=False)["Crossing"]  # no img/ folder: annotations only
    assert len(seq) == 3 and seq.frames[-1].name == "0003.jpg"
    with pytest.raises(DataError, match="frame folder not found"):
        read_otb(root)["Crossing"]


def test_otb_json_annotations(tmp_path):
    ann = {
        "jogging_1": {
            "name": "Jogging",
            "image_files": ["0001.jpg", "0002.jpg"],
            "init_rect": [1, 2, 3, 4],
            "gt_rect": [[1, 2, 3, 4], [0, 0, 0, 0]],
        }
    }
    (tmp_path / "OTB.json").write_text(json.dumps(ann))
    seq = read_otb_json(tmp_path / "OTB.json")["Jogging-1"]
    assert seq.valid.tolist() == [True, False]
    assert seq.frames[1] == tmp_path / "Jogging" / "img" / "0002.jpg"


def test_parse_rejects_mixed_row_lengths():
    with pytest.raises(DataError, match="line 1 has 4"):
        parse_box_text("1,2,3,4\n1,2,3,4,5,6,7,8\n")


@requires_shared
def test_bench_otb_folders():
    seqs = read_otb(BENCH / "otb")
    assert set(seqs.names) == {"Couple", "Crossing", "Football1", "Freeman1", "Jogging1", "MotorRolling", "Skiing"}
    assert len(seqs["Football1"]) == 74  # 81 frames on disk, OTB evaluates 1-74
    assert len(seqs["Jogging1"]) == 307 and seqs["Jogging1"].valid.all()
    assert "BC" in seqs["Couple"].meta["attributes"]
