"""VOT, UAV123 (native and OTB-style), DTB70, generic folder readers and the bench, on fixtures."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import BENCH, requires_shared
from readers_fixtures import boxes, write_frames, write_rows

from siamfc.data.folder import read_folder
from siamfc.data.registry import open_dataset
from siamfc.data.uav123 import video_and_start
from siamfc.data.vot import read_vot
from siamfc.errors import DataError


def test_vot_polygons_color_folder_tags_and_list(tmp_path):
    d = tmp_path / "ball"
    write_frames(d / "color", 3, digits=8)
    write_rows(d / "groundtruth.txt", [[11, 11, 31, 11, 31, 21, 11, 21]] * 3)
    (d / "occlusion.tag").write_text("0\n1\n")  # the toolkit stops at the last set frame
    write_frames(tmp_path / "car", 2, digits=8)
    write_rows(tmp_path / "car" / "groundtruth.txt", boxes(2))
    (tmp_path / "list.txt").write_text("car\nball\n")
    seqs = read_vot(tmp_path, year=2016)
    assert seqs.names == ["car", "ball"]
    ball = seqs["ball"]
    assert ball.polygons.shape == (3, 8)
    np.testing.assert_allclose(ball.boxes[0], [10, 10, 20, 10])  # bounding box of the corners, 0-based
    assert ball.meta["tags"]["occlusion"].tolist() == [False, True, False]
    assert seqs["car"].polygons is None


def test_vot_list_naming_a_missing_sequence(tmp_path):
    (tmp_path / "list.txt").write_text("ghost\n")
    with pytest.raises(DataError, match="ghost"):
        read_vot(tmp_path)


def make_uav(root, subset="UAV123"):
    video = root / "data_seq" / subset / "bird1"
    write_frames(video, 12, digits=6)
    anno = root / "anno" / subset
    write_rows(anno / "bird1_1.txt", boxes(4))
    write_rows(anno / "uav8.txt", boxes(3) + [["NaN"] * 4])
    write_frames(root / "data_seq" / subset / "uav8", 4, digits=6)
    (anno / "att").mkdir()
    (anno / "att" / "uav8.txt").write_text("1,0,1,0,0,0,1,0,0,0,0,0\n")


def test_uav_native_layout(tmp_path):
    make_uav(tmp_path)
    seqs = open_dataset("uav123", tmp_path)
    assert seqs.names == ["bird1_1", "uav8"]
    uav8 = seqs["uav8"]
    assert uav8.absent.tolist() == [False, False, False, True] and np.isnan(uav8.boxes[3]).all()
    assert uav8.meta["attributes"] == ["SV", "LR", "OV"]
    bird = seqs["bird1_1"]
    assert len(bird) == 4 and bird.frames[0].name == "000001.jpg"


def test_uav_split_sequences_start_frames():
    assert video_and_start("bird1_2", "UAV123") == ("bird1", 775)
    assert video_and_start("bird1_2", "UAV123_10fps") == ("bird1", 259)
    assert video_and_start("car6_5", "UAV123_10fps") == ("car6", 1309)
    assert video_and_start("car1_s", "UAV123") == ("car1_s", 1)
    assert video_and_start("person1", "UAV123") == ("person1", 1)


def test_uav_split_sequence_frames_are_taken_from_the_start(tmp_path):
    video = tmp_path / "data_seq" / "UAV123_10fps" / "truck4"
    write_frames(video, 200, digits=6)
    write_rows(tmp_path / "anno" / "UAV123_10fps" / "truck4_2.txt", boxes(5))
    seq = open_dataset("uav123_10fps", tmp_path)["truck4_2"]
    assert [f.name for f in seq.frames] == [f"{i:06d}.jpg" for i in range(193, 198)]
    with pytest.raises(DataError, match="native UAV layout without"):
        open_dataset("uav123", tmp_path)  # no anno/UAV123 folder
    write_rows(tmp_path / "anno" / "UAV123" / "truck4_2.txt", boxes(5))
    write_frames(tmp_path / "data_seq" / "UAV123" / "truck4", 3, digits=6)
    with pytest.raises(DataError, match="has 5 rows but .* has 0 frames from 577"):
        open_dataset("uav123", tmp_path)["truck4_2"]


def test_dtb70_and_otb_style_uav(tmp_path):
    write_frames(tmp_path / "Animal1" / "img", 3, digits=5)
    write_rows(tmp_path / "Animal1" / "groundtruth_rect.txt", [[1.5, 2.5, 10, 12]] * 3)
    seq = open_dataset("dtb70", tmp_path)["Animal1"]
    np.testing.assert_allclose(seq.boxes[0], [0.5, 1.5, 10, 12])
    assert seq.meta["layout"] == "dtb70"
    assert open_dataset("uav123_10fps", tmp_path)["Animal1"].meta["layout"] == "uav123-otb"


def test_generic_folder_single_and_many(tmp_path):
    one = tmp_path / "clip"
    write_frames(one, 3, digits=3)
    write_rows(one / "boxes.txt", boxes(3))
    seqs = read_folder(one)
    assert seqs.names == ["clip"] and len(seqs["clip"]) == 3
    write_frames(tmp_path / "other" / "img", 2)
    write_rows(tmp_path / "other" / "groundtruth.txt", boxes(3))
    many = read_folder(tmp_path)
    assert many.names == ["clip", "other"]
    with pytest.raises(DataError, match="has 3 rows but .* has 2 frames"):
        many["other"]


def test_unknown_dataset_and_missing_root(tmp_path):
    with pytest.raises(DataError, match="unknown dataset"):
        open_dataset("otb2099", tmp_path)
    with pytest.raises(DataError, match="not found"):
        open_dataset("bench", tmp_path / "nope")


@requires_shared
def test_bench_reads_all_four_layouts():
    seqs = open_dataset("bench", BENCH)
    assert len(seqs) == 11
    layouts = {seqs[n].meta["bench_layout"] for n in seqs.names}
    assert layouts == {"otb", "vot2015", "uav123_10fps", "dtb70"}
    bag = seqs["bag"]
    assert bag.polygons is not None and len(bag) == 196
    xs = bag.polygons[0, 0::2]
    assert bag.boxes[0, 0] == pytest.approx(xs.min()) and bag.boxes[0, 2] == pytest.approx(xs.max() - xs.min())
    assert open_dataset("vot2015", BENCH / "vot2015")["bag"].frame(0).shape == (360, 480, 3)
