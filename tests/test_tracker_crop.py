"""The one crop function: sub-pixel geometry, mean-colour padding, the exemplar/search sizes."""
from __future__ import annotations

import math

import numpy as np
import pytest

from siamfc.model import SiamFC
from siamfc.tracking import SiamFCTracker, context_size, crop_and_resize
from synthetic_scene import PooledPixels, Scene


def ramp(h: int = 120, w: int = 160) -> np.ndarray:
    """Float image whose channels are x, y and x + y: any crop's geometry can be read off it."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    return np.dstack([x, y, x + y])


@pytest.mark.parametrize("center, size, out", [((70.3, 40.7), 33.3, 21), ((80.0, 60.0), 64.0, 127), ((50.5, 50.25), 10.0, 40)])
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
