"""The tracker's state machine: presets, overrides, the post-processing step, determinism, the adapter."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from synthetic_scene import PooledPixels, Scene, box_center

import siamfc
from siamfc.errors import ConfigError
from siamfc.model import AlexNetEmbedding, SiamFC
from siamfc.tracking import PRESETS, SiamFCTracker, TrackerParams, get_params, hann_window, parse_overrides


# -- parameter sets ----------------------------------------------------------------------------
def test_presets_are_the_authors_values():
    p3, p5 = get_params("3s"), get_params("5s")
    assert (p3.num_scales, p3.scale_step, p3.scale_penalty, p3.scale_lr, p3.window_influence) == (
        3,
        1.0375,
        0.9745,
        0.59,
        0.176,
    )
    assert (p5.num_scales, p5.scale_step, p5.scale_penalty, p5.scale_lr, p5.window_influence) == (
        5,
        1.0255,
        0.962,
        0.34,
        0.168,
    )
    for p in (p3, p5):
        assert (p.exemplar_size, p.instance_size, p.response_up, p.context, p.min_scale, p.max_scale) == (
            127,
            255,
            16,
            0.5,
            0.2,
            5.0,
        )
    assert set(PRESETS) == {"3s", "5s"}


def test_every_value_overridable_and_checked():
    p = get_params("5s", window_influence=0.3, num_scales=7)
    assert (p.window_influence, p.num_scales, p.scale_step) == (0.3, 7, 1.0255)
    assert get_params("3s") == TrackerParams()  # overriding made a copy, the preset is untouched
    tracker = SiamFCTracker(SiamFC(PooledPixels()), params="5s", scale_lr=0.5)
    assert tracker.params.scale_lr == 0.5 and len(tracker.scale_factors) == 5
    tracker = SiamFCTracker(SiamFC(PooledPixels()), params=get_params("5s"), num_scales=3)
    np.testing.assert_allclose(tracker.scale_factors, [1 / 1.0255, 1, 1.0255])
    with pytest.raises(ConfigError, match="unknown tracker parameter"):
        get_params("3s", window=0.2)
    with pytest.raises(ConfigError, match="unknown parameter set"):
        get_params("7s")
    with pytest.raises(ConfigError, match="num_scales"):
        get_params("3s", num_scales=4)
    with pytest.raises(ConfigError, match="window_influence"):
        get_params("3s", window_influence=1.5)


def test_parse_overrides_types_and_errors():
    assert parse_overrides("window_influence=0.2, num_scales=5") == {"window_influence": 0.2, "num_scales": 5}
    assert isinstance(parse_overrides("num_scales=5")["num_scales"], int)
    assert parse_overrides("") == {}
    with pytest.raises(ConfigError, match="bad tracker override 'foo=1'"):
        parse_overrides("foo=1")
    with pytest.raises(ConfigError, match="bad value"):
        parse_overrides("scale_lr=fast")


# -- the post-processing step, on hand-made score maps -----------------------------------------
def started(**overrides) -> SiamFCTracker:
    tracker = SiamFCTracker(SiamFC(PooledPixels()), **overrides)
    tracker.init(Scene(0).frame((160, 120)), Scene.box((160, 120)))
    return tracker


def test_hann_window_sums_to_one():
    w = hann_window(272)
    assert w.shape == (272, 272) and w.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(w, np.outer(np.hanning(272), np.hanning(272)) / np.hanning(272).sum() ** 2)


@pytest.mark.parametrize("scale_id, dx, dy", [(1, 3, -2), (0, -5, 1), (2, 4, 6)])
def test_peak_displacement_maps_through_stride_upsampling_and_crop_scale(scale_id, dx, dy):
    tracker = started(window_influence=0.0, scale_penalty=1.0)
    start, x_size = tracker.center.copy(), tracker.x_size
    maps = np.zeros((3, 17, 17), np.float32)
    maps[scale_id, 8 + dy, 8 + dx] = 1.0
    tracker._locate(maps)
    crop_scale = x_size * tracker.scale_factors[scale_id] / 255  # frame px per search-crop px
    expected = start + np.array([dx, dy]) * 8 * crop_scale
    # Half an upsampled cell: a sample of the 17 x 17 map falls between two of the 272 x 272.
    np.testing.assert_allclose(tracker.center, expected, atol=0.5 * 8 / 16 * crop_scale + 1e-9)
    assert tracker.x_size == pytest.approx(x_size * ((1 - 0.59) + 0.59 * tracker.scale_factors[scale_id]))


def test_penalty_applies_to_non_centre_scales_only():
    def chosen(peaks):
        tracker = started(window_influence=0.0)
        size = tracker.x_size
        maps = np.zeros((3, 17, 17), np.float32)
        maps[:, 8, 8] = peaks
        tracker._locate(maps)
        return int(np.argmin(np.abs(tracker.x_size / size - ((1 - 0.59) + 0.59 * tracker.scale_factors))))

    assert chosen([1.0, 1.0, 1.0]) == 1
    assert chosen([1.02, 1.0, 0.0]) == 1  # 1.02 * 0.9745 < 1
    assert chosen([1.03, 1.0, 0.0]) == 0  # 1.03 * 0.9745 > 1
    assert chosen([0.0, 1.0, 1.03]) == 2


def test_window_pulls_towards_the_centre():
    r, c = np.mgrid[0:17, 0:17]
    broad = np.exp(-((c - 12) ** 2 + (r - 8) ** 2) / (2 * 4.0**2)).astype(np.float32)[None]
    free = started(num_scales=1, window_influence=0.0)
    windowed = started(num_scales=1, window_influence=0.176)
    start = free.center.copy()
    free._locate(broad.copy())
    windowed._locate(broad.copy())
    cell = 8 * free.x_size / 255
    assert free.center[0] - start[0] == pytest.approx(4 * cell, abs=0.5)
    assert start[0] + 0.5 * cell < windowed.center[0] < free.center[0] - 0.5 * cell


def test_search_region_is_clamped_to_0_2_and_5_times_its_first_value_but_the_box_is_not():
    """tracker.m clamps s_x only; the target size keeps following the chosen scale."""
    for scale_id, bound, step in [(0, 0.2, 1 / 1.5), (2, 5.0, 1.5)]:
        tracker = started(window_influence=0.0, scale_penalty=1.0, scale_lr=1.0, scale_step=1.5)
        first, first_target = tracker.x_size, tracker.target_size.copy()
        maps = np.zeros((3, 17, 17), np.float32)
        maps[scale_id, 8, 8] = 1.0
        for _ in range(10):
            box, _ = tracker._locate(maps.copy())
        assert tracker.x_size == pytest.approx(bound * first)
        np.testing.assert_allclose(box[2:], first_target * step**10)


# -- determinism and the OpenCV contract ---------------------------------------------------------
def frames(n=4):
    scene = Scene(3)
    return [scene.frame((150 + 3.3 * i, 110 + 1.7 * i), 1.0 + 0.02 * i) for i in range(n)]


def test_deterministic_with_the_real_network():
    torch.manual_seed(0)
    model = SiamFC(AlexNetEmbedding()).eval()
    video = frames()
    runs = []
    for _ in range(2):
        tracker = SiamFCTracker(model)
        tracker.init(video[0], Scene.box((150, 110)))
        runs.append([tracker.update(f) for f in video[1:]])
    assert runs[0] == runs[1]  # bit-identical boxes and scores


def test_tracker_does_not_change_the_model_it_was_given():
    model = SiamFC(AlexNetEmbedding())
    model.train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    tracker = SiamFCTracker(model)
    tracker.init(frames(1)[0], (130, 86, 40, 48))
    tracker.update(frames(2)[1])
    assert model.training and all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_opencv_style_adapter():
    video = frames()
    tracker = siamfc.TrackerSiamFC_create(model=SiamFC(PooledPixels()), num_scales=1)
    assert isinstance(tracker, siamfc.TrackerSiamFC)
    assert tracker.init(video[0], (130.5, 86.5, 40, 48)) is None
    for i, frame in enumerate(video[1:], 1):
        ok, box = tracker.update(frame)
        assert ok is True and len(box) == 4 and all(isinstance(v, float) for v in box)
        np.testing.assert_allclose(box_center(box), (150 + 3.3 * i, 110 + 1.7 * i), atol=1.5)
    # min_score turns a weak peak into ok=False, keeping the best guess.
    strict = siamfc.create(model=SiamFC(PooledPixels()), num_scales=1, min_score=1e9)
    strict.init(video[0], (130.5, 86.5, 40, 48))
    ok, box = strict.update(video[1])
    assert ok is False and len(box) == 4
    # Wrapping an existing tracker.
    wrapped = siamfc.TrackerSiamFC(SiamFCTracker(SiamFC(PooledPixels())))
    wrapped.init(video[0], (130.5, 86.5, 40, 48))
    assert wrapped.update(video[1])[0] is True


def test_upsampling_matrix_is_opencvs_bicubic_resize():
    """The tracker upsamples score maps as one matrix product; it must be OpenCV's bicubic resize."""
    import cv2

    from siamfc.tracking.tracker import upsampling_matrix

    maps = np.random.default_rng(3).standard_normal((3, 17, 17)).astype(np.float32)
    a = upsampling_matrix(17, 272)
    for m in maps:
        ref = cv2.resize(m, (272, 272), interpolation=cv2.INTER_CUBIC)
        np.testing.assert_allclose(a @ m @ a.T, ref, rtol=0, atol=1e-6 * np.abs(ref).max())
        assert np.argmax(a @ m @ a.T) == np.argmax(ref)
