"""Metrics: overlaps, OPE curves and their invalid-frame rules, VOT accuracy/robustness/EAO, GOT-10k AO."""

from __future__ import annotations

import numpy as np
import pytest

from siamfc.data.sequence import Sequence
from siamfc.errors import DataError
from siamfc.evaluation.got10k import GOTSummary, score_got10k_sequence
from siamfc.evaluation.metrics import box_iou, center_error, normalized_center_error, polygon_iou
from siamfc.evaluation.ope import score_sequence, summarize
from siamfc.evaluation.results import BOX, FAILURE, INIT, SKIPPED, Trajectory
from siamfc.evaluation.vot_protocol import eao, expected_overlap_curve, fragments, score_vot_sequence, summarize_vot


def test_box_iou_matches_the_otb_pixel_formula():
    a = np.array([[0, 0, 10, 10], [0, 0, 10, 10], [5, 5, 10, 10], [0, 0, 0, 5]], float)
    b = np.array([[0, 0, 10, 10], [10, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10]], float)
    np.testing.assert_allclose(box_iou(a, b), [1.0, 0.0, 25 / 175, 0.0])
    # The toolkit's formula: right = x + w - 1, intersection = min(right) - max(left) + 1.
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 50, (200, 4)) + [0, 0, 1, 1]
    q = rng.uniform(0, 50, (200, 4)) + [0, 0, 1, 1]
    iw = np.clip(np.minimum(p[:, 0] + p[:, 2] - 1, q[:, 0] + q[:, 2] - 1) - np.maximum(p[:, 0], q[:, 0]) + 1, 0, None)
    ih = np.clip(np.minimum(p[:, 1] + p[:, 3] - 1, q[:, 1] + q[:, 3] - 1) - np.maximum(p[:, 1], q[:, 1]) + 1, 0, None)
    toolkit = iw * ih / (p[:, 2] * p[:, 3] + q[:, 2] * q[:, 3] - iw * ih)
    np.testing.assert_allclose(box_iou(p, q), toolkit)
    assert np.isnan(box_iou([[np.nan] * 4], [[0, 0, 1, 1]]))[0]


def test_center_errors():
    np.testing.assert_allclose(center_error([[0, 0, 10, 10]], [[3, 4, 10, 10]]), [5.0])
    np.testing.assert_allclose(normalized_center_error([[0, 0, 10, 20]], [[5, 0, 10, 20]]), [0.5])


def test_polygon_iou_rotated_square_and_clipping():
    square = [0, 0, 2, 0, 2, 2, 0, 2]
    diamond = [1, -1, 3, 1, 1, 3, -1, 1]  # the square rotated 45 degrees and scaled: area 8
    assert polygon_iou(square, square) == pytest.approx(1.0)
    assert polygon_iou(square, diamond) == pytest.approx(4 / 8)
    assert polygon_iou(square, [3, 3, 4, 3, 4, 4, 3, 4]) == 0.0
    # Clipping both regions to a frame that holds only half of each.
    assert polygon_iou(
        [0, 0, 4, 0, 4, 2, 0, 2], [2, 0, 6, 0, 6, 2, 2, 2], bounds=[0, 0, 4, 0, 4, 10, 0, 10]
    ) == pytest.approx(0.5)
    # Orientation does not matter.
    assert polygon_iou(square[::-1], diamond) == pytest.approx(0.5)


def test_ope_curves_and_first_frame_rule():
    gt = np.array([[0, 0, 10, 10]] * 4, float)
    pred = np.array([[50, 50, 10, 10], [0, 0, 10, 10], [5, 0, 10, 10], [100, 100, 10, 10]], float)
    s = score_sequence(pred, gt)
    # Frame 1 is given (replaced by the ground truth): IoUs 1, 1, 1/3, 0.
    assert s.success[0] == pytest.approx(0.75)  # IoU > 0
    assert s.success[10] == pytest.approx(0.5)  # IoU > 0.5
    assert s.success[20] == 0.0  # nothing is > 1
    assert s.precision[0] == pytest.approx(0.5) and s.precision[5] == pytest.approx(0.75)
    assert s.auc == pytest.approx(np.mean(s.success))


def test_invalid_frames_otb_versus_lasot_rule():
    gt = np.array([[0, 0, 10, 10], [np.nan] * 4, [0, 0, 10, 10], [0, 0, 10, 10]], float)
    pred = np.array([[0, 0, 10, 10], [90, 90, 5, 5], [0, 0, 10, 10], [50, 50, 5, 5]], float)
    otb = score_sequence(pred, gt, rule="otb")
    # Success: the invalid frame and the wrong box are misses (2 of 4); precision: the OTB
    # toolkit counts the invalid frame as a hit (error -1).
    assert otb.success[10] == pytest.approx(0.5)
    assert otb.precision[0] == pytest.approx(0.75)
    # LaSOT: an absent frame is a miss in every curve ...
    absent = np.array([False, True, False, False])
    lasot = score_sequence(pred, np.nan_to_num(gt), absent=absent, rule="lasot")
    assert lasot.success[0] == pytest.approx(0.5) and lasot.precision[0] == pytest.approx(0.5)
    # ... while under the OTB rule the same frame would count as a precision hit.
    assert score_sequence(pred, np.nan_to_num(gt), absent=absent, rule="otb").precision[0] == pytest.approx(0.75)


def test_lasot_present_frame_with_nonpositive_ground_truth_is_success_miss_precision_hit():
    # Row 2: file x = 0 (internal -1): present, but not a usable box (calc_seq_err_robust's rule).
    gt = np.array([[5, 5, 10, 10], [-1, 5, 10, 10], [5, 5, 10, 10]], float)
    pred = gt.copy()
    s = score_sequence(pred, gt, absent=np.zeros(3, bool), rule="lasot")
    assert s.success[0] == pytest.approx(2 / 3)
    assert s.precision[0] == pytest.approx(1.0)


@pytest.mark.parametrize("bad", [[np.nan] * 4, [5, 5, 0, 10], [5, 5, 10, -3]])
def test_unusable_result_rows_repeat_the_previous_box(bad):
    gt = np.array([[5, 5, 10, 10], [7, 5, 10, 10], [7, 5, 10, 10]], float)
    pred = np.array([[5, 5, 10, 10], [7, 5, 10, 10], bad], float)
    s = score_sequence(pred, gt)
    assert s.success[-2] == pytest.approx(1.0)  # frame 3 repeats frame 2's exact box
    assert s.precision[0] == pytest.approx(1.0)


def test_ope_length_mismatch_and_summary():
    gt = np.array([[0, 0, 10, 10]] * 3, float)
    with pytest.raises(DataError, match="2 result rows for 3"):
        score_sequence(gt[:2], gt, name="x")
    short = score_sequence(gt[:2], gt, trim=True)
    assert short.n_frames == 2
    assert score_sequence(np.vstack([gt, gt]), gt, trim=True).n_frames == 3
    a = score_sequence(gt, gt, name="a")
    b = score_sequence(gt + [100, 0, 0, 0], gt, name="b")
    summary = summarize([a, b])
    assert summary.auc == pytest.approx((a.auc + b.auc) / 2)


def _traj(status, boxes=None):
    status = np.asarray(status)
    boxes = np.zeros((len(status), 4)) if boxes is None else boxes
    return Trajectory(np.asarray(boxes, float), status, np.full(len(status), 0.01))


def test_vot_accuracy_burnin_and_failures():
    n = 30
    gt = np.tile([0.0, 0, 10, 10], (n, 1))
    seq = Sequence("s", [None] * n, gt)
    boxes = np.tile([5.0, 0, 10, 10], (n, 1))  # IoU 1/3 wherever there is a box
    status = np.full(n, BOX)
    status[0] = INIT
    status[15] = FAILURE
    status[16:20] = SKIPPED
    status[20] = INIT
    score = score_vot_sequence(_traj(status, boxes), seq)
    assert score.failures == 1
    counted = np.isfinite(score.overlaps)
    # Burn-in: frames 0-9 and 20-29 are left out, failure/skipped frames have no overlap.
    assert counted.sum() == 5 and counted[10:15].all()
    assert score.accuracy == pytest.approx(1 / 3)
    summary = summarize_vot([(_traj(status, boxes), seq, None)], year=2016)
    assert summary.failures == 1 and summary.reliability == pytest.approx(np.exp(-30 / n))
    # Two sequences: accuracy and failures are weighted by length (the toolkit's average AR).
    short = Sequence("t", [None] * 20, gt[:20])
    status2 = np.full(20, BOX)
    status2[0] = INIT
    boxes2 = np.tile([0.0, 0, 10, 10], (20, 1))  # IoU 1
    both = summarize_vot([(_traj(status, boxes), seq, None), (_traj(status2, boxes2), short, None)])
    assert both.accuracy == pytest.approx((30 / 3 + 20 * 1.0) / 50)
    assert both.reliability == pytest.approx(np.exp(-30 * (30 * 1 / 50) / 25))


def test_eao_fragments_and_expected_overlap():
    # 8 frames: init, 3 frames at 0.5, failure at 4, re-init would be at 9 > length: no further
    # run, and the run that failed stays a failed run (vot-toolkit's EAOCurve).
    traj = _traj([INIT, BOX, BOX, BOX, FAILURE, SKIPPED, SKIPPED, SKIPPED])
    overlaps = np.array([np.nan, 0.5, 0.5, 0.5, np.nan, np.nan, np.nan, np.nan])
    frags = fragments(traj, overlaps)
    assert len(frags) == 1 and frags[0][1] and len(frags[0][0]) == 4  # init .. frame before the failure
    traj2 = _traj([INIT, BOX, FAILURE, SKIPPED, SKIPPED, SKIPPED, SKIPPED, INIT, BOX, BOX])
    ov2 = np.array([np.nan, 1.0, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan, 1.0, 1.0])
    frags2 = fragments(traj2, ov2)
    assert [f for _, f in frags2] == [True, False] and [len(v) for v, _ in frags2] == [2, 3]
    curve = expected_overlap_curve(frags2)
    assert len(curve) == 3 and curve[0] == 1.0
    # index 1 (frames 2..2): both runs 1.0; index 2: the failed run pads zeros (1 + 0) / 2,
    # the finished run (3 frames) still counts with (1 + 1) / 2.
    assert curve[1] == pytest.approx(1.0)
    assert curve[2] == pytest.approx((0.5 + 1.0) / 2)
    assert eao(frags2, 1, 2) == pytest.approx(np.mean(curve[1:3]))
    assert eao(frags2, 1, 50) == pytest.approx(np.mean(curve[1:]))  # as far as the curve goes
    with pytest.raises(DataError, match="needs a '1' \\(initialisation\\) before it"):
        fragments(_traj([BOX, FAILURE, SKIPPED, SKIPPED, SKIPPED, SKIPPED, BOX]), np.zeros(7))


def test_got10k_ao_pools_frames_and_skips_first_and_absent():
    gt = np.tile([0.0, 0, 10, 10], (4, 1))
    absent = np.array([False, False, True, False])
    gt[2] = np.nan
    seq = Sequence("g", [None] * 4, gt, absent=absent, meta={"cover": np.array([8, 8, 0, 8])})
    pred = np.array([[99, 99, 1, 1], [0, 0, 10, 10], [0, 0, 10, 10], [5, 0, 10, 10]], float)
    s = score_got10k_sequence(pred, seq)
    np.testing.assert_allclose(s.ious, [1.0, 1 / 3])
    other = score_got10k_sequence(np.tile([0.0, 0, 10, 10], (4, 1)), seq)
    summary = GOTSummary([s, other])
    assert summary.ao == pytest.approx((1 + 1 / 3 + 1 + 1) / 4)
    assert summary.sr(0.5) == pytest.approx(0.75)
