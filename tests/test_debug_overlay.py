"""What the tracker saw: ``tracker.last_*`` and the ``--debug`` overlay drawn from them.

The overlay test reads the peak marker back out of the drawn image (by its colour), maps it
from tile pixels to frame pixels with its own arithmetic, and checks it lands on the centre of
the box the tracker moved to, on a synthetic scene whose true motion is known.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from synthetic_scene import FRAME_SIZE, START, NormalisedCells, PooledPixels, Scene, box_center

from siamfc.apps.debug_overlay import PEAK_COLOR, TILE, debug_frame, debug_panel
from siamfc.model import SiamFC
from siamfc.tracking import SiamFCTracker


def marker_center(tile: np.ndarray) -> np.ndarray:
    """``(x, y)`` centroid of the pixels drawn exactly in the peak colour."""
    ys, xs = np.nonzero((tile == np.array(PEAK_COLOR, np.uint8)).all(axis=2))
    assert len(xs) > 0, "no peak marker drawn"
    return np.array([xs.mean(), ys.mean()])


def test_last_response_is_exposed_after_update():
    tracker = SiamFCTracker(SiamFC(NormalisedCells()), params="5s")
    scene = Scene(0)
    assert tracker.last_response is None and tracker.last_scale is None
    tracker.init(scene.frame(START), scene.box(START))
    center_before, side_before = tracker.center.copy(), tracker.x_size
    tracker.update(scene.frame(np.add(START, (4, -3)), 1.0))
    assert tracker.last_responses.shape == (5, 17, 17)
    assert tracker.last_response.shape == tracker.last_windowed.shape == (tracker.upscale_size,) * 2
    assert tracker.last_peak == np.unravel_index(int(np.argmax(tracker.last_windowed)), tracker.last_windowed.shape)
    assert tracker.last_scale == tracker.scale_factors[tracker.last_scale_id]
    # The chosen map is the chosen scale's raw map, upsampled bicubically as OpenCV does (the tracker
    # computes it as a matrix product: equal up to float32 rounding, relative to the map's range).
    size = (tracker.upscale_size,) * 2
    up = cv2.resize(tracker.last_responses[tracker.last_scale_id], size, interpolation=cv2.INTER_CUBIC)
    np.testing.assert_allclose(tracker.last_response, up, rtol=1e-6, atol=1e-6 * np.abs(up).max())
    # The search region: where the step looked (the centre before it moved), at the chosen scale.
    np.testing.assert_allclose(tracker.last_search[0], center_before)
    assert tracker.last_search[1] == pytest.approx(side_before * tracker.last_scale)
    # The previous step's arrays are replaced, not written into: a caller may keep them.
    kept = tracker.last_response
    before = kept.copy()
    tracker.update(scene.frame(np.add(START, (-6, 2)), 1.0))
    assert tracker.last_response is not kept
    np.testing.assert_array_equal(kept, before)


@pytest.mark.parametrize("move", [(14.0, -9.0), (-11.5, 6.5)])
def test_overlay_peak_is_where_the_box_moved(move):
    tracker = SiamFCTracker(SiamFC(PooledPixels()), num_scales=1)
    scene = Scene(1)
    tracker.init(scene.frame(START), scene.box(START))
    true_center = np.add(START, move)
    box, score = tracker.update(scene.frame(true_center))
    moved_to = box_center(box)
    assert np.abs(moved_to - true_center).max() <= 1.0  # the box really followed the object

    panel = debug_panel(tracker, [np.nan, score])
    assert panel.shape == (2 * TILE, 2 * TILE, 3)
    # Search-region tile (top left): tile pixels -> crop pixels -> frame pixels.
    instance = tracker.params.instance_size
    center, side = tracker.last_search
    crop_xy = (marker_center(panel[:TILE, :TILE]) + 0.5) * instance / TILE - 0.5
    frame_xy = np.asarray(center) + (crop_xy - (instance - 1) / 2) * side / instance
    one_tile_px = side / TILE  # the marker is drawn at whole tile pixels
    assert np.abs(frame_xy - moved_to).max() <= one_tile_px, (frame_xy, moved_to)
    # With-window tile (bottom left): its cross is on the argmax of the windowed map.
    zoom = TILE / tracker.last_windowed.shape[0]
    row, col = np.unravel_index(int(np.argmax(tracker.last_windowed)), tracker.last_windowed.shape)
    np.testing.assert_allclose(
        marker_center(panel[TILE:, :TILE]), ((col + 0.5) * zoom - 0.5, (row + 0.5) * zoom - 0.5), atol=1.0
    )


def test_debug_frame_has_one_size_for_every_frame():
    tracker = SiamFCTracker(SiamFC(PooledPixels()), num_scales=3)
    scene = Scene(0)
    first = scene.frame(START)
    tracker.init(first, scene.box(START))
    at_init = debug_frame(first, None, [np.nan])
    _, score = tracker.update(scene.frame(np.add(START, (3, 3))))
    after = debug_frame(first, tracker, [np.nan, score])
    assert at_init.shape == after.shape == (max(FRAME_SIZE[1], 2 * TILE), FRAME_SIZE[0] + 2 * TILE, 3)
