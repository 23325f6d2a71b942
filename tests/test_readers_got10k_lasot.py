"""GOT-10k and LaSOT readers on tiny fixtures: absent flags, labels, meta, splits, bad files."""

from __future__ import annotations

import numpy as np
import pytest
from readers_fixtures import boxes, write_frames, write_rows

from siamfc.data.got10k import read_got10k
from siamfc.data.lasot import LASOT_TEST, read_lasot
from siamfc.errors import DataError

META = """[METAINFO]
url: https://youtu.be/xyz
object_class: ichneumon
motion_class: walking
resolution: (64, 48)
"""


def make_got(root, split="val", n=5):
    name = f"GOT-10k_{split.title()}_000001"
    d = root / split / name
    write_frames(d, n, digits=8)
    write_rows(d / "groundtruth.txt", boxes(n) if split != "test" else boxes(1))
    if split != "test":
        (d / "absence.label").write_text("0\n0\n1\n0\n0\n")
        (d / "cover.label").write_text("8\n7\n0\n3\n8\n")
        (d / "cut_by_image.label").write_text("0\n0\n0\n1\n0\n")
        (d / "meta_info.ini").write_text(META)
    (root / split / "list.txt").write_text(name + "\n")
    return name


def test_got10k_val_sequence(tmp_path):
    name = make_got(tmp_path)
    seqs = read_got10k(tmp_path, split="val")
    seq = seqs[name]
    assert len(seq) == 5 and seq.absent.tolist() == [False, False, True, False, False]
    assert np.isnan(seq.boxes[2]).all() and seq.valid.sum() == 4
    assert seq.meta["cover"].tolist() == [8, 7, 0, 3, 8]
    assert seq.meta["resolution"] == (64, 48) and seq.meta["object_class"] == "ichneumon"
    np.testing.assert_allclose(seq.boxes[0], [9, 11, 20, 15])


def test_got10k_split_folder_as_root_and_test_split(tmp_path):
    name = make_got(tmp_path, "test")
    seq = read_got10k(tmp_path / "test", split="test")[name]
    assert seq.meta["first_frame_only"] and seq.valid.tolist() == [True] + [False] * 4


def test_got10k_label_length_mismatch(tmp_path):
    name = make_got(tmp_path)
    (tmp_path / "val" / name / "absence.label").write_text("0\n0\n")
    with pytest.raises(DataError, match="absence.label has 2 labels for 5 frames"):
        read_got10k(tmp_path)[name]


def make_lasot(root, name="cat-3", n=6, nested=True):
    d = (root / name.split("-")[0] / name) if nested else root / name
    write_frames(d / "img", n, digits=8)
    write_rows(d / "groundtruth.txt", boxes(n))
    (d / "full_occlusion.txt").write_text(",".join(["0", "1"] + ["0"] * (n - 2)))
    (d / "out_of_view.txt").write_text(",".join(["0"] * (n - 1) + ["1"]))
    (d / "nlp.txt").write_text("white cat on a sofa\n")
    return d


def test_lasot_absent_flags_and_meta(tmp_path):
    make_lasot(tmp_path)
    seq = read_lasot(tmp_path, split=None)["cat-3"]
    assert seq.absent.tolist() == [False, True, False, False, False, True]
    assert np.isnan(seq.boxes[[1, 5]]).all() and not np.isnan(seq.boxes[[0, 2]]).any()
    assert seq.meta["class"] == "cat" and seq.meta["description"] == "white cat on a sofa"


def test_lasot_test_split_needs_its_sequences(tmp_path):
    assert len(LASOT_TEST) == 280 and "cat-3" in LASOT_TEST
    make_lasot(tmp_path, nested=False)
    with pytest.raises(DataError, match="279 LaSOT sequence"):
        read_lasot(tmp_path, split="test")
    (tmp_path / "testing_set.txt").write_text("cat-3\n")
    assert read_lasot(tmp_path, split="test").names == ["cat-3"]


def test_lasot_flag_length_mismatch(tmp_path):
    d = make_lasot(tmp_path)
    (d / "out_of_view.txt").write_text("0,0")
    with pytest.raises(DataError, match="out_of_view.txt has 2 flags for 6 frames"):
        read_lasot(tmp_path, split=None)["cat-3"]
