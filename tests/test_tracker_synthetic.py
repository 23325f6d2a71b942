"""The tracker follows objects whose motion and size are known exactly (synthetic scenes).

These cannot pass by accident: a wrong stride, upsampling factor, crop scale, centre convention,
scale direction or damping formula moves the box by pixels or the size by whole scale steps.
See ``synthetic_scene.py`` for the scene and the two hand-set stride-8 embeddings.
"""

from __future__ import annotations

import numpy as np
import pytest
from synthetic_scene import NormalisedCells, PooledPixels, Scene, box_center, cell_px, run

from siamfc.model import SiamFC
from siamfc.tracking import SiamFCTracker

# Sub-cell and multi-cell offsets in frame pixels (one score-map cell is ~5.5 px here).
MOVES = [
    (3, 0),
    (0, -2.5),
    (5.25, 1.5),
    (-12, 7),
    (16, -9),
    (0.5, 0.5),
    (-20, 3),
    (7.7, -4.3),
    (2.6, 11.1),
    (-4.4, -4.4),
]


def center_errors(results) -> np.ndarray:
    return np.array([np.abs(box_center(box) - center).max() for center, _, box in results])


def size_ratios(results) -> np.ndarray:
    """Tracked size / true size, per frame, for width and height: ``(N, 2)``."""
    return np.array([np.array(box[2:]) / size for _, size, box in results])


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("window_influence", [0.0, 0.176])
def test_follows_subcell_and_multicell_translation_within_1px(seed, window_influence):
    tracker = SiamFCTracker(SiamFC(PooledPixels()), num_scales=1, window_influence=window_influence)
    results = run(tracker, Scene(seed), [(m, 1.0) for m in MOVES])
    errors = center_errors(results)
    assert errors.max() <= 1.0, f"centre errors (px): {np.round(errors, 2)}"
    np.testing.assert_allclose(size_ratios(results), 1.0)  # one scale: the size never changes


@pytest.mark.parametrize("factor", [1.05, 1 / 1.05])
def test_follows_growth_and_shrinkage_within_2_percent(factor):
    """4 frames of growth (or shrinkage) by ``factor`` each, then 2 frames at constant size.

    With the scale step equal to the factor and no damping, the tracker must pick the right one
    of its three scales on every frame (a wrong pick is an error of 5 %).
    """
    tracker = SiamFCTracker(SiamFC(NormalisedCells()), scale_step=1.05, scale_lr=1.0, window_influence=0.0)
    results = run(tracker, Scene(0), [((0, 0), factor)] * 4 + [((0, 0), 1.0)] * 2)
    ratios = size_ratios(results)
    assert np.abs(ratios - 1).max() <= 0.02, f"size ratios: {np.round(ratios[:, 0], 4)}"
    assert center_errors(results).max() <= 1.0
    # The object really changed size by 21.6 %: following it is not the same as standing still.
    assert abs(results[-1][1][0] / 40 - factor**4) < 1e-9


def test_3s_defaults_follow_whole_cell_moves_and_damp_one_scale_step():
    """The paper's SiamFC-3s values unchanged (window 0.176, penalty 0.9745, damping 0.59).

    Moves are whole score-map cells (where the stride-8 grid samples the peak exactly, so the
    scale penalty is not fighting sub-cell sampling losses); then the object grows by exactly one
    scale step, and the size must follow by the damped factor (1 - 0.59) + 0.59 * 1.0375.
    """
    cell = cell_px()
    moves = [(cell, 0), (0, -2 * cell), (-cell, cell), (2 * cell, cell), (0, 0), (-3 * cell, 0)]
    for seed, growth in [(0, 1.0375), (1, 1 / 1.0375)]:
        tracker = SiamFCTracker(SiamFC(NormalisedCells()), params="3s")
        results = run(tracker, Scene(seed), [(m, 1.0) for m in moves] + [((0, 0), growth)])
        assert center_errors(results).max() <= 1.0
        ratios = size_ratios(results)
        assert np.abs(ratios[:-1] - 1).max() <= 0.02, "size drifted while the object kept its size"
        damped = (1 - 0.59) + 0.59 * growth
        np.testing.assert_allclose(ratios[-1] * growth, damped, rtol=1e-6)


def test_5s_preset_two_scale_steps():
    """SiamFC (5 scales): growth by step^2 = 1.0255^2 in one frame picks the outermost scale."""
    cell = cell_px()
    growth = 1.0255**2
    tracker = SiamFCTracker(SiamFC(NormalisedCells()), params="5s")
    assert len(tracker.scale_factors) == 5
    results = run(tracker, Scene(2), [((cell, -cell), 1.0), ((0, 0), growth)])
    assert center_errors(results).max() <= 1.0
    np.testing.assert_allclose(size_ratios(results)[-1] * growth, (1 - 0.34) + 0.34 * growth, rtol=1e-6)


def test_score_is_the_raw_peak_and_higher_on_the_object():
    tracker = SiamFCTracker(SiamFC(PooledPixels()), num_scales=1)
    scene = Scene(0)
    tracker.init(scene.frame((160, 120)), scene.box((160, 120)))
    on_object = tracker.update(scene.frame((163, 121))).score
    empty = np.full((240, 320, 3), 128, np.uint8)
    assert on_object > 0 and tracker.update(empty).score == pytest.approx(0.0, abs=1e-6)
