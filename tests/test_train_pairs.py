"""Pairs, augmentation, labels and the balanced loss."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from train_fixtures import write_davis, write_mot

from siamfc.tracking.crop import context_size, crop_and_resize
from siamfc.training.augment import paste, warp
from siamfc.training.config import TrainConfig
from siamfc.training.crops import MemoryBank, stored_side
from siamfc.training.data import load_sequences, split_and_filter
from siamfc.training.loss import balanced_logistic_loss, make_labels
from siamfc.training.pairs import PairMaker


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("pairs")
    seqs = load_sequences(
        [f"davis={write_davis(root / 'd', videos=3, frames=6)}", f"mot={write_mot(root / 'm', sequences=1, frames=4)}"]
    )
    return seqs


def bank_for(seqs, cfg, masks=False):
    split = split_and_filter(seqs, cfg)
    return MemoryBank(split.train, split.usable, cfg, masks=masks, progress=False), split


def test_labels_radius_and_offsets():
    lab = make_labels(15, 8, 16.0, torch.zeros(1, 2), torch.ones(1, dtype=torch.bool))[0, 0]
    assert lab.shape == (15, 15)
    # Radius 16 px = 2 cells: the 13 cells within distance 2 of the centre.
    assert int((lab > 0).sum()) == 13 and lab[7, 7] == 1 and lab[7, 9] == 1 and lab[8, 9] == -1
    moved = make_labels(15, 8, 16.0, torch.tensor([[24.0, -16.0]]), torch.ones(1, dtype=torch.bool))[0, 0]
    assert moved[5, 10] == 1 and int((moved > 0).sum()) == 13  # dx 3 cells, dy -2 cells
    neg = make_labels(15, 8, 16.0, torch.zeros(1, 2), torch.zeros(1, dtype=torch.bool))
    assert (neg == -1).all()


def test_balanced_loss_weights_positives_like_negatives():
    labels = make_labels(15, 8, 16.0, torch.zeros(2, 2), torch.tensor([True, False]))
    zero = balanced_logistic_loss(torch.zeros_like(labels), labels)
    assert float(zero) == pytest.approx(np.log(2), rel=1e-6)
    # Wrong scores on the 13 positives alone cost half the loss of a map (not 13/225 of it).
    scores = torch.where(labels > 0, torch.tensor(-50.0), torch.tensor(-50.0))[:1]
    loss = balanced_logistic_loss(scores, labels[:1])
    assert float(loss) == pytest.approx(0.5 * 50, rel=1e-3)
    # Each map is normalised on its own: the batch loss is the mean of the maps' losses.
    s = torch.randn_like(labels)
    both = balanced_logistic_loss(s, labels)
    single = [balanced_logistic_loss(s[i : i + 1], labels[i : i + 1]) for i in range(2)]
    assert float(both) == pytest.approx(float(sum(single) / 2), rel=1e-6)


def test_exemplar_is_the_trackers_crop(data):
    cfg = TrainConfig(gray_prob=0.0)
    bank, split = bank_for(data, cfg)
    maker = PairMaker(bank, cfg, augment=False)
    pair = maker(0)
    z_item = next(
        i for i in range(len(bank)) if np.array_equal(warp(bank.crop(i), 127, pad=bank.avg[i]), pair.exemplar)
    )
    seq = next(s for s in split.train if s.name == bank.names[bank.obj[z_item]])
    j = int(np.flatnonzero(seq.frame_ids == bank.fid[z_item])[0])
    x, y, w, h = seq.boxes[j]
    frame = seq.frame(j)
    direct = crop_and_resize(
        frame, (x + (w - 1) / 2, y + (h - 1) / 2), context_size(w, h), 127, frame.reshape(-1, 3).mean(0)
    )
    assert np.abs(direct.astype(int) - pair.exemplar.astype(int)).mean() < 1.0


def test_pairs_are_deterministic_and_respect_the_rules(data):
    cfg = TrainConfig(max_frame_distance=4)
    bank, _ = bank_for(data, cfg)
    maker = PairMaker(bank, cfg)
    a, b = maker(5), maker(5)
    assert np.array_equal(a.exemplar, b.exemplar) and np.array_equal(a.search, b.search)
    assert not np.array_equal(maker(5).search, maker(6).search)
    assert a.exemplar.shape == (127, 127, 3) and a.search.shape == (239, 239, 3) and a.exemplar.dtype == np.uint8
    for g in range(50):
        rng = maker.rng(g)
        rng.random()
        k = maker._object(rng)
        z, x = maker._frames(rng, k, same=False)
        assert bank.obj[z] == bank.obj[x] == k and z != x
        assert abs(bank.fid[z] - bank.fid[x]) <= 4  # DAVIS ids step by 4: only neighbours


def test_same_frame_and_negative_pairs(data):
    cfg = TrainConfig(same_frame_prob=1.0, stretch=0.0, shift=0, color_jitter=0.0, gray_prob=0.0)
    bank, _ = bank_for(data, cfg)
    pair = PairMaker(bank, cfg)(3)
    # Same frame, no augmentation: the exemplar is the centre of the search crop.
    assert np.array_equal(pair.search[56:183, 56:183], pair.exemplar)
    neg = PairMaker(bank, TrainConfig(negative_prob=1.0))
    assert not any(neg(g).positive for g in range(5))


def test_stronger_augmentation_and_pasting_run(data):
    cfg = TrainConfig(
        flip_prob=0.5,
        blur_prob=0.5,
        scale_jitter=0.3,
        aspect_jitter=0.1,
        search_shift=16,
        paste_prob=0.5,
        negative_prob=0.1,
        same_frame_prob=0.2,
    )
    assert stored_side(cfg) > stored_side(TrainConfig())  # room for the zoom-out
    bank, _ = bank_for(data, cfg, masks=True)
    assert bank.masked  # DAVIS crops keep their masks for pasting
    maker = PairMaker(bank, cfg)
    for g in range(20):
        p = maker(g)
        assert p.search.shape == (239, 239, 3) and abs(p.offset[0]) <= 16


def test_paste_blends_through_the_mask():
    bg = np.zeros((20, 20, 3), np.uint8)
    obj = np.full((20, 20, 3), 200, np.uint8)
    mask = np.zeros((20, 20), np.uint8)
    mask[5:15, 5:15] = 255
    out = paste(bg, obj, mask)
    assert out[10, 10, 0] == 200 and out[0, 0, 0] == 0
