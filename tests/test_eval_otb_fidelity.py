"""The fidelity check: our OTB evaluation, fed the official STRUCK results, gives the official curves."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import REFERENCE, requires_shared

from siamfc.data.otb import OTB2015, read_otb_json
from siamfc.evaluation.metrics import box_iou, center_error
from siamfc.evaluation.ope import PRECISION_THRESHOLDS, SUCCESS_THRESHOLDS, score_sequence, summarize
from siamfc.evaluation.results import read_otb_toolkit_result

STRUCK = REFERENCE / "otb_results" / "STRUCK"


@pytest.fixture(scope="module")
def struck():
    official = json.loads((STRUCK / "official_scores_tb100.json").read_text())
    seqs = read_otb_json(REFERENCE / "otb100_annotations.json", version="otb2015")
    files = {p.stem.lower(): p for p in STRUCK.glob("*.json") if p.stem != "official_scores_tb100"}
    scores, results = [], {}
    for seq in seqs:
        traj = read_otb_toolkit_result(files[seq.name.lower()])
        results[seq.name] = (traj.boxes, seq.boxes)
        # The toolkit scores a result on its own length (ClifBar: 329 rows for 472 frames).
        scores.append(score_sequence(traj.boxes, seq.boxes, name=seq.name, trim=True))
    return official, summarize(scores), results


@requires_shared
def test_struck_reproduces_official_auc_and_p20(struck):
    official, summary, _ = struck
    assert len(summary.sequences) == 100
    assert sorted(n.lower() for n in OTB2015) == sorted(n.lower() for n in official["seqs"])
    assert summary.auc == pytest.approx(0.4617, abs=0.002)
    assert summary.p20 == pytest.approx(0.6391, abs=0.002)
    assert summary.auc == pytest.approx(np.mean(official["successRateList"]), abs=0.002)


@requires_shared
def test_struck_matches_every_threshold(struck):
    official, summary, _ = struck
    np.testing.assert_allclose(summary.success, official["successRateList"], atol=0.002, rtol=0)
    np.testing.assert_allclose(summary.precision, official["precisionList"], atol=0.002, rtol=0)


@requires_shared
def test_invalid_ground_truth_counts_as_precision_hit(struck):
    """Biker has 7 rows leaving the top of the frame: the toolkit counts them as precision hits at 0 px."""
    official, summary, _ = struck
    biker = next(s for s in summary.sequences if s.name == "Biker")
    assert biker.precision[0] >= 7 / 142
    # Without that quirk the 0-px precision would be 0.0005 below the official value.
    assert summary.precision[0] == pytest.approx(official["precisionList"][0], abs=1e-4)


@requires_shared
def test_remaining_gap_is_the_toolkits_tiger1_misalignment(struck):
    """The official numbers pair Tiger1's 349 results (frames 6-354) with ground-truth rows of frames
    1-349. Emulating that shift (frame 1 given, frames 2-5 unknown here: counted as misses) closes
    the gap to 0.0003 at every threshold."""
    official, summary, results = struck
    res, gt = results["Tiger1"]
    iou = np.concatenate([[1.0], np.zeros(4), box_iou(res[5:], gt[:-5])])
    err = np.concatenate([[0.0], np.full(4, np.inf), center_error(res[5:], gt[:-5])])
    tiger = next(s for s in summary.sequences if s.name == "Tiger1")
    n = len(summary.sequences)
    success = summary.success + (np.mean(iou[:, None] > SUCCESS_THRESHOLDS, axis=0) - tiger.success) / n
    precision = summary.precision + (np.mean(err[:, None] <= PRECISION_THRESHOLDS, axis=0) - tiger.precision) / n
    np.testing.assert_allclose(success, official["successRateList"], atol=3e-4, rtol=0)
    np.testing.assert_allclose(precision, official["precisionList"], atol=3e-4, rtol=0)


def test_otb2015_list_is_the_official_one():
    assert len(OTB2015) == 100 and len(set(OTB2015)) == 100
