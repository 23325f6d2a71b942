"""The one crop function: sub-pixel geometry, mean-colour padding, the exemplar/search sizes."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
import torch
from synthetic_scene import PooledPixels, Scene

from siamfc.errors import ConfigError
from siamfc.model import SiamFC
from siamfc.tracking import SiamFCTracker, context_size, crop_and_resize


def ramp(h: int = 120, w: int = 160) -> np.ndarray:
    """Float image whose channels are x, y and x + y: any crop's geometry can be read off it."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    return np.dstack([x, y, x + y])


@pytest.mark.parametrize(
    "center, size, out", [((70.3, 40.7), 33.3, 21), ((80.0, 60.0), 64.0, 127), ((50.5, 50.25), 10.0, 40)]
)
def test_crop_geometry_subpixel(center, size, out):
    """Output pixel i sits at frame coordinate cx + (i - (out - 1) / 2) * size / out (pixel centres at integers)."""
    crop = crop_and_resize(ramp(), center, size, out)
    assert crop.shape == (out, out, 3)
    coords = (np.arange(out) - (out - 1) / 2) * size / out
    # Bilinear interpolation reproduces a linear ramp; OpenCV's 1/32-px fixed point bounds the error.
    np.testing.assert_allclose(crop[0, :, 0], center[0] + coords, atol=0.05)
    np.testing.assert_allclose(crop[:, 0, 1], center[1] + coords, atol=0.05)
    # The crop is centred: the mean of the x channel is cx (no half-pixel shift).
    assert crop[..., 0].mean() == pytest.approx(center[0], abs=0.05)


def test_crop_pads_with_the_given_colour_and_defaults_to_the_image_mean():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (50, 60, 3), dtype=np.uint8)
    # Centred on the top-left corner pixel: the crop's top-left quarter lies outside the frame.
    crop = crop_and_resize(image, (0.0, 0.0), 40.0, 40, pad_color=(10, 20, 30))
    assert (crop[:19, :19] == (10, 20, 30)).all()
    inside = crop_and_resize(image, (0.0, 0.0), 40.0, 40, pad_color=(10, 20, 30))[21:, 21:]
    assert not (inside == (10, 20, 30)).all(axis=-1).any()
    mean = image.reshape(-1, 3).mean(axis=0)
    crop = crop_and_resize(image, (0.0, 0.0), 40.0, 40)
    np.testing.assert_allclose(crop[:19, :19].reshape(-1, 3), np.broadcast_to(np.round(mean), (19 * 19, 3)), atol=1)


def test_crop_rejects_bad_sizes():
    with pytest.raises(ValueError, match="crop size"):
        crop_and_resize(np.zeros((10, 10, 3), np.uint8), (5, 5), 0.0, 10)
    with pytest.raises(ValueError, match="crop size"):
        crop_and_resize(np.zeros((10, 10, 3), np.uint8), (5, 5), float("nan"), 10)


def test_context_size_is_the_papers_exemplar_side():
    # p = (w + h) / 2 on each side in total, i.e. the paper's (w + 2p')(h + 2p') with p' = (w + h) / 4.
    assert context_size(40, 48) == pytest.approx(math.sqrt((40 + 44) * (48 + 44)))
    w, h = 30, 70
    assert context_size(w, h) ** 2 == pytest.approx((w + 2 * (w + h) / 4) * (h + 2 * (w + h) / 4))


def test_tracker_exemplar_and_search_sizes_and_mean_colour():
    scene = Scene(0)
    tracker = SiamFCTracker(SiamFC(PooledPixels()))
    frame = scene.frame((160, 120))
    tracker.init(frame, (140.5, 96.5, 40, 48))
    np.testing.assert_allclose(tracker.center, (160, 120))
    assert tracker.z_size == pytest.approx(context_size(40, 48))
    assert tracker.x_size == pytest.approx(context_size(40, 48) * 255 / 127)
    np.testing.assert_allclose(tracker.avg_color, frame.reshape(-1, 3).mean(axis=0))


# -- the reference resampling (bicubic, antialiased when shrinking) -----------------------------
@pytest.mark.parametrize(
    "center, size, out", [((70.3, 40.7), 33.3, 21), ((80.0, 60.0), 64.0, 127), ((50.5, 50.25), 10.0, 40)]
)
def test_bicubic_aa_keeps_the_crop_geometry(center, size, out):
    """Same pixel placement as the bilinear crop: a linear ramp comes out as the same ramp."""
    crop = crop_and_resize(ramp(), center, size, out, resampling="bicubic-aa")
    coords = (np.arange(out) - (out - 1) / 2) * size / out
    np.testing.assert_allclose(crop[0, :, 0], center[0] + coords, atol=0.01)
    np.testing.assert_allclose(crop[:, 0, 1], center[1] + coords, atol=0.01)


def _aligned_crops(image, size, out, x0=37, y0=41):
    """The crop covering pixels x0..x0+size-1 (and y) by each resampling, and OpenCV's INTER_AREA of them."""
    center = (x0 + (size - 1) / 2, y0 + (size - 1) / 2)
    area = cv2.resize(image[y0 : y0 + size, x0 : x0 + size], (out, out), interpolation=cv2.INTER_AREA)
    aa = crop_and_resize(image, center, size, out, resampling="bicubic-aa")
    bilinear = crop_and_resize(image, center, size, out)
    return (a.astype(np.float64) for a in (aa, bilinear, area))


@pytest.mark.parametrize("size, out", [(508, 127), (300, 127), (400, 255)])
def test_bicubic_aa_averages_like_inter_area_when_shrinking_and_bilinear_does_not(size, out):
    """On white noise (all frequencies) shrunk 4x, 2.4x and 1.6x, the antialiased crop stays within
    8 grey levels (mean absolute difference) of OpenCV's area average; the bilinear crop samples
    the noise (measured: 14-28 levels away) and differs from the antialiased one by more than 15."""
    noise = np.random.default_rng(0).integers(0, 256, (600, 600, 3), dtype=np.uint8)
    aa, bilinear, area = _aligned_crops(noise, size, out)
    assert np.abs(aa - area).mean() < 8.0
    assert np.abs(bilinear - area).mean() > 1.8 * np.abs(aa - area).mean()
    assert np.abs(aa - bilinear).mean() > 15.0


def test_bicubic_aa_removes_stripes_that_bilinear_aliases():
    """One-pixel stripes shrunk 2.36x: area averaging gives flat grey; so (within 20 levels) does
    bicubic-aa, while bilinear keeps near-black and near-white columns (aliasing)."""
    stripes = np.zeros((600, 600, 3), np.uint8)
    stripes[:, ::2] = 255
    aa, bilinear, area = _aligned_crops(stripes, 300, 127)
    assert np.abs(aa - area).max() <= 20
    assert np.abs(bilinear - area).mean() > 60


def test_bicubic_aa_pads_with_the_given_colour_and_fills_out():
    image = np.full((50, 60, 3), 200, np.uint8)
    out = np.zeros((40, 40, 3), np.uint8)
    crop = crop_and_resize(image, (0.0, 0.0), 40.0, 40, pad_color=(10, 20, 30), out=out, resampling="bicubic-aa")
    assert crop is out
    np.testing.assert_array_equal(out[0, 0], [10, 20, 30])
    np.testing.assert_array_equal(out[-1, -1], [200, 200, 200])
    far = crop_and_resize(image, (-500.0, -500.0), 40.0, 20, pad_color=(1, 2, 3), resampling="bicubic-aa")
    assert (far == np.array([1, 2, 3], np.uint8)).all()


def test_unknown_resampling_is_refused():
    with pytest.raises(ValueError, match="bicubic-aa"):
        crop_and_resize(np.zeros((10, 10, 3), np.uint8), (5, 5), 4.0, 10, resampling="lanczos")


# -- the tracker's resampling: from the model card, overridable ----------------------------------
def _weights_with_card(tmp_path, **card):
    from siamfc.model.weights import save_weights

    torch.manual_seed(0)
    return save_weights(SiamFC(), tmp_path / "w.safetensors", card=card)


def test_tracker_resampling_comes_from_the_model_card_and_can_be_overridden(tmp_path):
    plain = _weights_with_card(tmp_path / "a")
    aa = _weights_with_card(tmp_path / "b", crop_resampling="bicubic-aa")
    kw = dict(backend="torch", precision="fp32")
    assert SiamFCTracker(weights=plain, **kw).resampling == "bilinear"  # no key: today's default
    assert SiamFCTracker(weights=aa, **kw).resampling == "bicubic-aa"
    assert SiamFCTracker(weights=aa, resampling="bilinear", **kw).resampling == "bilinear"
    assert SiamFCTracker(SiamFC(PooledPixels())).resampling == "bilinear"  # a model, no card
    with pytest.raises(ConfigError, match="resampling"):
        SiamFCTracker(SiamFC(PooledPixels()), resampling="nearest")
    bad = _weights_with_card(tmp_path / "c", crop_resampling="lanczos")
    with pytest.raises(ConfigError, match="w.json.*crop_resampling"):
        SiamFCTracker(weights=bad, **kw)


@pytest.mark.parametrize("resampling", ["bilinear", "bicubic-aa"])
def test_tracker_crops_with_its_resampling(resampling):
    """The exemplar and the search crops the network sees are the crop function's, with that
    resampling (and differ from the other one's)."""
    other = "bilinear" if resampling != "bilinear" else "bicubic-aa"
    scene = Scene(0)
    tracker = SiamFCTracker(SiamFC(PooledPixels()), resampling=resampling)
    seen = []
    embed = tracker.engine.embed
    tracker.engine.embed = lambda z: seen.append(z.copy()) or embed(z)
    frame = scene.frame((160, 120))
    tracker.init(frame, (140.5, 96.5, 40, 48))
    z = [
        crop_and_resize(frame, (160, 120), tracker.z_size, 127, tracker.avg_color, resampling=r)
        for r in (resampling, other)
    ]
    np.testing.assert_array_equal(seen[0][0], z[0])
    assert not np.array_equal(seen[0][0], z[1])
    centre, x_size = tuple(tracker.center), tracker.x_size
    frame = scene.frame((162, 121))
    tracker.update(frame)
    for crop, f in zip(tracker.crops, tracker.scale_factors):
        np.testing.assert_array_equal(
            crop, crop_and_resize(frame, centre, x_size * f, 255, tracker.avg_color, resampling=resampling)
        )
