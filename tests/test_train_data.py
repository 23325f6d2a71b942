"""Training data: DAVIS and MOT readers, frame filters, held-out videos."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import TRAIN, requires_shared
from train_fixtures import write_davis, write_mot

from siamfc.data.davis import load_davis, mask_to_box, read_mask
from siamfc.data.mot import load_mot
from siamfc.errors import ConfigError, DataError
from siamfc.training.config import TrainConfig
from siamfc.training.data import load_sequences, split_and_filter, usable_frames


def test_davis_reader_boxes_ids_and_masks(tmp_path):
    root = write_davis(tmp_path / "davis", videos=2, frames=4)
    seqs = load_davis(root)
    assert [s.name for s in seqs] == ["video0", "video1"]
    s = seqs[0]
    assert len(s) == 4 and s.frame_ids.tolist() == [0, 4, 8, 12]
    # The file is 1-based; internal boxes are 0-based and equal the mask's tight box.
    for i in range(4):
        assert np.allclose(s.boxes[i], mask_to_box(read_mask(s.meta["masks"][i])))


def test_davis_boxes_from_masks_without_groundtruth(tmp_path):
    with_gt = load_davis(write_davis(tmp_path / "a", videos=1, frames=3))[0]
    no_gt = load_davis(write_davis(tmp_path / "b", videos=1, frames=3, with_gt=False))[0]
    assert np.allclose(with_gt.boxes, no_gt.boxes)
    assert no_gt.frame_ids.tolist() == [0, 4, 8]  # from the file names


def test_davis_nan_rows_and_bad_files(tmp_path):
    root = write_davis(tmp_path / "d", videos=1, frames=3)
    gt = root / "video0" / "groundtruth_rect.txt"
    lines = gt.read_text().splitlines()
    gt.write_text("\n".join([lines[0], "NaN,NaN,NaN,NaN", lines[2]]) + "\n")
    s = load_davis(root)[0]
    assert s.valid.tolist() == [True, False, True]
    gt.write_text("\n".join(lines[:2]) + "\n")
    with pytest.raises(DataError, match="2 boxes for 3 frames"):
        load_davis(root)
    gt.write_text("\n".join([lines[0], "1,2,x,4", lines[2]]) + "\n")
    with pytest.raises(DataError, match=r"groundtruth_rect.txt:2"):
        load_davis(root)
    with pytest.raises(DataError, match="no DAVIS sequences"):
        load_davis(tmp_path)  # a folder without sequences


def test_mot_reader_tracks_classes_visibility(tmp_path):
    seqs = load_mot(write_mot(tmp_path / "mot", sequences=2, frames=4, tracks=3))
    # 3 pedestrian tracks per sequence; the not-considered row (class 7, flag 0) is ignored.
    assert [s.name for s in seqs] == [f"MOT17-0{k}-FRCNN/{t}" for k in range(2) for t in (1, 2, 3)]
    s = seqs[0]
    assert len(s) == 4 and s.frame_ids.tolist() == [1, 2, 3, 4]
    assert s.meta["video"] == "MOT17-00-FRCNN"
    gt = (tmp_path / "mot" / "MOT17-00-FRCNN" / "gt" / "gt.txt").read_text().splitlines()[0].split(",")
    assert np.allclose(s.boxes[0], [float(gt[2]) - 1, float(gt[3]) - 1, 16, 40])  # 1-based file
    assert np.allclose(seqs[2].meta["visibility"], 0.2)


def test_mot_missing_frame_is_an_error(tmp_path):
    root = write_mot(tmp_path / "mot", sequences=1, frames=3)
    (root / "MOT17-00-FRCNN" / "img1" / "000003.jpg").unlink()
    with pytest.raises(DataError, match="000003.jpg"):
        load_mot(root)


def test_filters_count_reasons(tmp_path):
    root = write_mot(tmp_path / "mot", sequences=1, frames=4, tracks=3)
    seqs = load_sequences([f"mot={root}"])
    cfg = TrainConfig(min_visibility=0.5)
    ok, reasons = usable_frames(seqs[2], cfg)  # track 3 has visibility 0.2
    assert not ok.any() and reasons["occluded"] == 4
    ok, reasons = usable_frames(seqs[0], TrainConfig(min_box_side=20))  # 16 px wide
    assert not ok.any() and reasons["tiny"] == 4
    ok, reasons = usable_frames(seqs[0], TrainConfig(max_aspect=2.0))  # 40 / 16 = 2.5
    assert reasons["aspect"] == 4
    ok, reasons = usable_frames(seqs[0], TrainConfig(max_area_fraction=0.01))  # 640 / 30000 px
    assert reasons["huge"] == 4
    assert usable_frames(seqs[0], TrainConfig())[0].all()


def test_box_outside_the_frame_is_dropped(tmp_path):
    root = write_davis(tmp_path / "d", videos=1, frames=3)
    gt = root / "video0" / "groundtruth_rect.txt"
    lines = gt.read_text().splitlines()
    gt.write_text("\n".join([lines[0], "500,20,24,30", lines[2]]) + "\n")  # frame is 160 px wide
    s = load_sequences([f"davis={root}"])[0]
    ok, reasons = usable_frames(s, TrainConfig())
    assert ok.tolist() == [True, False, True] and reasons["outside"] == 1


def test_split_holds_out_videos_by_seed(tmp_path):
    davis = write_davis(tmp_path / "d", videos=10, frames=3)
    mot = write_mot(tmp_path / "m", sequences=3, frames=3)
    seqs = load_sequences([f"davis={davis}", f"mot={mot}"])
    a = split_and_filter(seqs, TrainConfig(seed=1))
    b = split_and_filter(seqs, TrainConfig(seed=1))
    assert a.val_videos == b.val_videos
    # 10 % of each dataset's videos (at least one): one DAVIS video and one MOT video (all its tracks).
    assert (
        sum(v.startswith("davis:") for v in a.val_videos) == 1 and sum(v.startswith("mot:") for v in a.val_videos) == 1
    )
    assert {s.meta["video"] for s in a.val} == set(a.val_videos)
    assert not {s.meta["video"] for s in a.train} & set(a.val_videos)
    named = split_and_filter(seqs, TrainConfig(val_videos=["video3"]))
    assert named.val_videos == ["davis:video3"]
    with pytest.raises(ConfigError, match="nope"):
        split_and_filter(seqs, TrainConfig(val_videos=["nope"]))


def test_filters_leaving_nothing_is_an_error(tmp_path):
    seqs = load_sequences([f"davis={write_davis(tmp_path / 'd', videos=2, frames=3)}"])
    with pytest.raises(DataError, match="left no object"):
        split_and_filter(seqs, TrainConfig(min_box_side=100))


def test_unknown_data_format(tmp_path):
    with pytest.raises(ConfigError, match="unknown data format"):
        load_sequences([f"imagenet={tmp_path}"])
    with pytest.raises(ConfigError, match="FORMAT=PATH"):
        load_sequences([str(tmp_path)])


@requires_shared
def test_real_training_data_and_filter_counts():
    davis = load_davis(TRAIN / "davis2016")
    assert len(davis) == 50 and sum(len(s) for s in davis) == 1216
    bear = next(s for s in davis if s.name == "bear")
    assert np.allclose(bear.boxes[0], mask_to_box(read_mask(bear.meta["masks"][0])))
    assert bear.frame_ids[:3].tolist() == [0, 4, 8]
    mot = load_mot(TRAIN / "mot17_mini")
    assert sum(int(s.valid.sum()) for s in mot) == 814  # class-1 considered boxes
    split = split_and_filter(
        load_sequences([f"davis={TRAIN / 'davis2016'}", f"mot={TRAIN / 'mot17_mini'}"]), TrainConfig()
    )
    # The default filters keep nearly all of DAVIS (unlike a "box <= half the image" rule).
    assert split.counts["davis"]["kept_frames"] >= 1200 and split.counts["davis"]["kept_videos"] == 50


def test_empty_sequences_are_errors(tmp_path):
    root = write_davis(tmp_path / "d", videos=1, frames=2, with_gt=False)
    for p in (root / "video0" / "JPEGImages").iterdir():
        p.unlink()
    with pytest.raises(DataError, match="no image files"):
        load_davis(root)
    mot = write_mot(tmp_path / "m", sequences=1, frames=2)
    (mot / "MOT17-00-FRCNN" / "gt" / "gt.txt").write_text("")
    with pytest.raises(DataError, match="gt.txt: box file is empty"):
        load_mot(mot)


def test_davis_official_release_layout(tmp_path):
    src = write_davis(tmp_path / "src", videos=2, frames=3, with_gt=False)
    root = tmp_path / "DAVIS"
    for v in ("video0", "video1"):
        (root / "JPEGImages" / "480p").mkdir(parents=True, exist_ok=True)
        (root / "Annotations" / "480p").mkdir(parents=True, exist_ok=True)
        (src / v / "JPEGImages").rename(root / "JPEGImages" / "480p" / v)
        (src / v / "Annotations").rename(root / "Annotations" / "480p" / v)
    seqs = load_davis(root)
    assert [s.name for s in seqs] == ["video0", "video1"] and seqs[0].meta["masks"] is not None
    assert np.allclose(seqs[0].boxes[0], mask_to_box(read_mask(seqs[0].meta["masks"][0])))
