"""The tracker's update step against a line-by-line transcription of the authors' MATLAB code.

The transcription below follows ``tracking/tracker.m`` (the per-frame update) and
``tracking/tracker_eval.m`` of bertinetto/siamese-fc, keeping MATLAB's names and order, run on
hand-made score maps. Three lines of the reference are *not* followed by this package, on purpose,
and the transcription marks each with ``DEPARTURE`` and takes the package's value there, so that the
test pins down everything else exactly:

1. the map's centre: the reference subtracts ``ceil(272 / 2)`` (1-based), which is half an upsampled
   cell off the true centre of an even map; the package uses the exact centre ``(272 + 1) / 2``;
2. the crop scale of the displacement: the reference multiplies by ``round(s_x)``, the search side of
   the *middle* scale; the package uses the side of the chosen scale's crop, ``s_x * scales(best)``
   (the crop the peak was found in);
3. the upsampling kernel: MATLAB ``imresize(..., 'bicubic')`` uses Keys' a = -0.5; both sides here use
   the package's OpenCV ``INTER_CUBIC`` (a = -0.75), so the maps compared are the same.

Everything else, the scale choice with its penalty, the normalisation, the window, the peak, the
damped ``s_x`` with its [0.2, 5] clamp and the damped target size (never clamped), must agree.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
from synthetic_scene import PooledPixels, Scene

from siamfc.model import SiamFC
from siamfc.tracking import SiamFCTracker


def imresize_bicubic(score_map: np.ndarray, up: int) -> np.ndarray:
    """DEPARTURE 3: the package's upsampling stands in for MATLAB imresize(., up, 'bicubic')."""
    n = score_map.shape[0] * up
    return cv2.resize(score_map, (n, n), interpolation=cv2.INTER_CUBIC).astype(np.float64)


def reference_update(p, response_maps, target_position, target_size, s_x, min_s_x, max_s_x):
    """One frame of tracker.m, with tracker_eval inlined. Positions are [row, col], sizes [h, w].

    ``response_maps``: (scoreSize, scoreSize, numScale), as ``net_x.vars(scoreId).value``.
    MATLAB's 1-based indices are kept (``s`` runs 1..numScale; ``r_max``, ``c_max`` are 1-based).
    """
    num_scale, score_size, response_up = p.num_scales, response_maps.shape[0], p.response_up
    # tracker.m: scales = (p.scaleStep .^ ((ceil(p.numScale/2)-p.numScale) : floor(p.numScale/2)));
    scales = p.scale_step ** np.arange(math.ceil(num_scale / 2) - num_scale, math.floor(num_scale / 2) + 1)
    # window = single(hann(p.scoreSize*p.responseUp) * hann(p.scoreSize*p.responseUp)'); window = window / sum(window(:));
    hann = np.hanning(score_size * response_up)
    window = np.outer(hann, hann)
    window = window / window.sum()
    # scaledInstance = s_x .* scales; scaledTarget = [targetSize(1) .* scales; targetSize(2) .* scales];
    scaled_instance = s_x * scales
    scaled_target = np.stack([target_size[0] * scales, target_size[1] * scales])

    # --- tracker_eval(net_x, round(s_x), scoreId, z_features, x_crops, targetPosition, window, p)
    current_scale_id = math.ceil(num_scale / 2)
    best_scale = current_scale_id
    best_peak = -np.inf
    response_maps_up = [None] * (num_scale + 1)
    for s in range(1, num_scale + 1):
        response_maps_up[s] = imresize_bicubic(response_maps[:, :, s - 1], response_up)
        this_response = response_maps_up[s]
        if s != current_scale_id:
            this_response = this_response * p.scale_penalty
        this_peak = this_response.max()
        if this_peak > best_peak:
            best_peak, best_scale = this_peak, s
    response_map = response_maps_up[best_scale]
    response_map = response_map - response_map.min()
    response_map = response_map / response_map.sum()
    response_map = (1 - p.window_influence) * response_map + p.window_influence * window
    # [r_max, c_max] = find(responseMap == max(responseMap(:)), 1);  (column-major: first column first)
    rows, cols = np.nonzero(response_map == response_map.max())
    first = np.lexsort((rows, cols))[0]
    r_max, c_max = rows[first] + 1, cols[first] + 1
    p_corr = np.array([r_max, c_max], dtype=np.float64)
    # disp_instanceFinal = p_corr - ceil(p.scoreSize*p.responseUp/2);
    disp_instance_final = p_corr - (score_size * response_up + 1) / 2  # DEPARTURE 1 (ceil(272/2) = 136)
    # disp_instanceInput = disp_instanceFinal * p.totalStride / p.responseUp;
    disp_instance_input = disp_instance_final * 8 / response_up
    # disp_instanceFrame = disp_instanceInput * s_x / p.instanceSize;  (s_x here is round(s_x))
    disp_instance_frame = disp_instance_input * scaled_instance[best_scale - 1] / p.instance_size  # DEPARTURE 2
    new_target_position = target_position + disp_instance_frame
    # --- back in tracker.m
    target_position = new_target_position
    s_x = max(min_s_x, min(max_s_x, (1 - p.scale_lr) * s_x + p.scale_lr * scaled_instance[best_scale - 1]))
    target_size = (1 - p.scale_lr) * target_size + p.scale_lr * scaled_target[:, best_scale - 1]
    return target_position, target_size, s_x, best_scale


def hand_made_maps(rng, num_scales, peaks):
    """Smooth random maps with one bump per scale at a random place and of the given height."""
    r, c = np.mgrid[0:17, 0:17]
    maps = []
    for k in range(num_scales):
        pr, pc = rng.uniform(3, 13, size=2)
        bump = np.exp(-((r - pr) ** 2 + (c - pc) ** 2) / (2 * rng.uniform(1.5, 3.0) ** 2))
        maps.append(peaks[k] * bump + 0.05 * rng.standard_normal((17, 17)))
    return np.stack(maps).astype(np.float32)


@pytest.mark.parametrize("params", ["3s", "5s"])
def test_update_step_follows_the_reference_line_by_line(params):
    """100 frames of hand-made maps, some pushing the size to the [0.2, 5] clamp: same scale, same
    peak, same position (but for the two DEPARTURE lines), same s_x, same target size."""
    rng = np.random.default_rng(1)
    tracker = SiamFCTracker(SiamFC(PooledPixels()), params, scale_step=1.2)  # big steps reach the clamp soon
    tracker.init(Scene(0).frame((160, 120)), Scene.box((160, 120)))
    p = tracker.params
    # The reference's state: [row, col] and [h, w]; the package's: (x, y) and (w, h).
    position, size, s_x = tracker.center[::-1].copy(), tracker.target_size[::-1].copy(), tracker.x_size
    min_s_x, max_s_x = 0.2 * s_x, 5 * s_x
    first_ratio = size[0] / s_x
    chosen, clamped = set(), 0
    for frame in range(100):
        # First mostly shrinking maps (the smallest scale peaks highest), then mostly growing ones,
        # so that s_x reaches both ends of its clamp while the target size goes on changing.
        favoured = 0 if frame < 40 else p.num_scales - 1
        peaks = rng.uniform(0.5, 1.0, p.num_scales)
        peaks[favoured] = 1.3 if rng.random() < 0.8 else 0.3
        maps = hand_made_maps(rng, p.num_scales, peaks)
        position, size, s_x, best = reference_update(p, np.moveaxis(maps, 0, -1), position, size, s_x, min_s_x, max_s_x)
        box, _ = tracker._locate(maps)
        chosen.add(best)
        clamped += s_x in (min_s_x, max_s_x)
        np.testing.assert_allclose(tracker.center[::-1], position, rtol=0, atol=1e-9)
        np.testing.assert_allclose(tracker.target_size[::-1], size, rtol=1e-12)
        assert tracker.x_size == pytest.approx(s_x, rel=1e-12)
        np.testing.assert_allclose(box[2:], size[::-1], rtol=1e-12)
    assert len(chosen) == p.num_scales and clamped >= 10  # every scale was chosen; the clamp was hit
    assert not np.isclose(size[0] / s_x, first_ratio)  # the box went on past the clamp of s_x
