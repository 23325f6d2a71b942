"""Our GOT-10k and VOT numbers against the official toolkits' own code (``got10k``, ``vot-toolkit`` from PyPI).

Trajectories: SiamFC's committed results on the bench (docs/results/), and hand-made edge cases
(boxes across the frame's edges, failures near the end of a sequence). Both toolkits are in the
``test`` extra; they are imported here and never re-implemented.
"""

from __future__ import annotations

import types
from pathlib import Path

import numpy as np
import pytest
from conftest import BENCH, ROOT, require, requires_shared

from siamfc.data.box_files import format_row, from_file_coords, parse_box_text
from siamfc.data.registry import open_dataset
from siamfc.data.sequence import Sequence
from siamfc.evaluation.report import evaluate_results
from siamfc.evaluation.results import BOX, FAILURE, INIT, SKIPPED, Trajectory, read_trajectory, write_trajectory
from siamfc.evaluation.vot_protocol import score_vot_sequence, summarize_vot, trajectory_overlaps

require("got10k")
require("vot_toolkit")
import got10k.utils.metrics as got10k_metrics  # noqa: E402
import vot.analysis.supervised as vot_supervised  # noqa: E402
from got10k.experiments import ExperimentGOT10k  # noqa: E402
from vot.region.io import read_trajectory as vot_read_trajectory  # noqa: E402
from vot.utilities.data import Grid  # noqa: E402

RESULTS = ROOT / "docs" / "results"


# -- GOT-10k -----------------------------------------------------------------------------------
def test_rect_iou_bounds_a_box_as_the_toolkit_does():
    """The issue's example: (-10, 0, 50, 10) vs (0, 0, 40, 10) in a 100 x 100 frame is 0.8 there."""
    pred, gt = np.array([[-10.0, 0, 50, 10]]), np.array([[0.0, 0, 40, 10]])
    official = got10k_metrics.rect_iou(pred.copy(), gt.copy(), bound=(100, 100))
    assert official[0] == pytest.approx(0.8)
    seq = Sequence("s", [None] * 2, from_file_coords(np.vstack([gt, gt])), meta={"resolution": (100, 100)})
    from siamfc.evaluation.got10k import score_got10k_sequence

    ours = score_got10k_sequence(from_file_coords(np.vstack([gt, pred])), seq)
    assert ours.ious[0] == pytest.approx(official[0], abs=1e-12)


def _edge_cases(gt: np.ndarray, width: int, height: int, rng) -> np.ndarray:
    """Boxes (file numbers) around ``gt`` that cross every edge, leave the frame, shrink to nothing."""
    pred = gt + rng.normal(0, 0.15, gt.shape) * gt[:, [2, 3, 2, 3]]
    k = len(gt)
    pred[0:k:7, 0] = -0.5 * pred[0:k:7, 2]  # across the left edge
    pred[1:k:7, 1] = -0.3 * pred[1:k:7, 3]  # across the top edge
    pred[2:k:7, 0] = width - 0.5 * pred[2:k:7, 2]  # across the right edge
    pred[3:k:7, 1] = height + 5  # below the frame
    pred[4:k:7, 2:] = 0.0  # no area
    pred[5:k:7, :2] = [-2 * width, -2 * height]  # far outside, left and top
    return pred


def _write_got_layout(root: Path, sequences: dict) -> None:
    """A GOT-10k ``val`` split: ``name -> (gt (N, 4) file numbers, (W, H), cover (N,))``; frames are empty files."""
    val = root / "val"
    val.mkdir(parents=True)
    (val / "list.txt").write_text("\n".join(sequences) + "\n")
    for name, (gt, (w, h), cover) in sequences.items():
        d = val / name
        d.mkdir()
        for i in range(len(gt)):
            (d / f"{i + 1:08d}.jpg").touch()
        (d / "groundtruth.txt").write_text("".join(format_row(r) + "\n" for r in gt))
        (d / "meta_info.ini").write_text(f"[METAINFO]\nobject_class: thing\nresolution: ({w}, {h})\n")
        (d / "cover.label").write_text("".join(f"{c}\n" for c in cover))
        (d / "absence.label").write_text("".join(f"{int(c == 0)}\n" for c in cover))
        (d / "cut_by_image.label").write_text("".join("0\n" for _ in cover))


@requires_shared
def test_got10k_ao_sr_equal_the_official_report(tmp_path, monkeypatch):
    """The official ExperimentGOT10k.report and ``siamfc report --dataset got10k-val`` on the same
    files: the bench's OTB sequences as a GOT-10k split, scored with SiamFC's committed results and
    with hand-made boxes across the frame's edges."""
    import cv2

    rng = np.random.default_rng(0)
    sequences, trackers = {}, {"SiamFC": {}, "Edges": {}}
    for seq_dir in sorted((BENCH / "otb").iterdir()):
        ours = RESULTS / "otb_bench" / "siamfc" / f"{seq_dir.name}.txt"
        gt = parse_box_text((seq_dir / "groundtruth_rect.txt").read_text(), columns=(4,))
        pred = parse_box_text(ours.read_text(), columns=(4,))
        n = min(len(gt), len(pred))  # Football1: 74 annotated of 81 frames
        gt, pred = gt[:n], pred[:n]
        h, w = cv2.imread(str(min((seq_dir / "img").iterdir()))).shape[:2]
        cover = np.full(n, 8)
        cover[5::11] = 0  # some frames without the target: left out by both
        sequences[seq_dir.name] = (gt, (w, h), cover)
        trackers["SiamFC"][seq_dir.name] = pred
        trackers["Edges"][seq_dir.name] = _edge_cases(gt, w, h, rng)
    _write_got_layout(tmp_path / "got", sequences)
    for tracker, boxes in trackers.items():
        for name, pred in boxes.items():
            times = rng.uniform(0.005, 0.05, len(pred))
            times[::13] = 0.0  # untimed frames: left out of the speed by both
            write_trajectory(
                tmp_path / "res" / "GOT-10k" / tracker, name, "got10k", Trajectory(from_file_coords(pred), None, times)
            )
    monkeypatch.chdir(tmp_path)  # the toolkit writes its report and plots under ./reports
    monkeypatch.setenv("MPLBACKEND", "Agg")
    official = ExperimentGOT10k(
        str(tmp_path / "got"), subset="val", result_dir=str(tmp_path / "res"), report_dir=str(tmp_path / "rep")
    ).report(list(trackers))
    seqs = open_dataset("got10k-val", tmp_path / "got", check_frames=False)
    for report in evaluate_results([tmp_path / "res" / "GOT-10k" / t for t in trackers], seqs, "got10k"):
        theirs = official[report.name]
        assert report.summary.ao == pytest.approx(theirs["overall"]["ao"], abs=1e-9)
        assert report.summary.sr(0.5) == pytest.approx(theirs["overall"]["sr"], abs=1e-9)
        assert report.summary.sr(0.75) == pytest.approx(theirs["overall"]["succ_curve"][75], abs=1e-9)
        # Times go through the files' 6 decimals on both sides: equal to the last bit.
        assert report.summary.fps == pytest.approx(theirs["overall"]["speed_fps"], rel=1e-9)
        for seq in report.summary.sequences:
            assert seq.ao == pytest.approx(theirs["seq_wise"][seq.name]["ao"], abs=1e-9)
            assert seq.fps == pytest.approx(theirs["seq_wise"][seq.name]["speed_fps"], rel=1e-9)
    assert official["Edges"]["overall"]["ao"] < official["SiamFC"]["overall"]["ao"]


# -- VOT ---------------------------------------------------------------------------------------
def _toolkit_regions(traj: Trajectory) -> list:
    """Our trajectory as the toolkit's regions, through its own reader of the ``_001.txt`` format."""
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        write_trajectory(d, "s", "vot", traj)
        return vot_read_trajectory(str(Path(d) / "baseline" / "s" / "s_001.txt"))


class _ToolkitSequence:
    """What the analyses ask of a sequence besides the overlaps: its name and length."""

    size = None

    def __init__(self, name: str, n: int):
        self.name, self.n = name, n

    def __len__(self):
        return self.n

    def groundtruth(self):
        return None


class _Run:
    """What the toolkit's analyses need of an experiment: ``gather`` -> the trajectories."""

    def __init__(self, regions_of: dict):
        self.regions_of = regions_of

    def gather(self, tracker, sequence):
        regions = self.regions_of[sequence.name]
        return [types.SimpleNamespace(regions=lambda: regions)]


def _toolkit_scores(cases: list, low: int, high: int) -> dict:
    """The toolkit's per-sequence AR, its average AR and its EAO over ``(name, regions, overlaps, n)``.

    The overlaps are ours (``calculate_overlaps`` is replaced by a lookup), so that what is
    compared is the analysis -- burn-in, failures, runs, the curve, the averages -- to 1e-9;
    the overlaps themselves are compared separately (the toolkit rasterises).
    """
    overlaps_of = {id(regions): ov for _, regions, ov, _ in cases}
    sequences = [_ToolkitSequence(name, n) for name, _, _, n in cases]
    run = _Run({name: regions for name, regions, _, _ in cases})
    patch = pytest.MonkeyPatch()
    patch.setattr(vot_supervised, "calculate_overlaps", lambda first, second, bounds=None: list(overlaps_of[id(first)]))
    try:
        ar = types.SimpleNamespace(burnin=10, ignore_unknown=True, bounded=True, sensitivity=30)
        per_seq = [vot_supervised.AccuracyRobustness.subcompute(ar, run, None, s, []) for s in sequences]
        average = vot_supervised.AverageAccuracyRobustness.aggregate(
            types.SimpleNamespace(analysis=ar), None, sequences, per_seq
        )
        curve = vot_supervised.EAOCurve.subcompute(types.SimpleNamespace(bounded=True), run, None, sequences, [])
        grid = Grid(1, 1)
        grid[0, 0] = curve
        score = vot_supervised.EAOScore.compute(types.SimpleNamespace(low=low, high=high), None, None, None, [grid])
    finally:
        patch.undo()
    return {"per_seq": per_seq, "average": average, "curve": curve[0], "eao": score[0, 0][0]}


class _Float64:
    """``numpy`` with float32 meaning float64: the toolkit's EAO curve, summed at our precision."""

    def __getattr__(self, name):
        return np.float64 if name == "float32" else getattr(np, name)


def _hand_made(gt_polys: np.ndarray, rng) -> list[Trajectory]:
    """Failure patterns around the end of the sequence and in the middle, on ``gt_polys``'s length."""
    n = len(gt_polys)
    from siamfc.geometry import polygons_to_boxes

    boxes = polygons_to_boxes(gt_polys) + rng.normal(0, 2.0, (n, 4))
    boxes[:, 2:] = np.abs(boxes[:, 2:]) + 1
    out = []
    for fails in ([n - 5], [n - 4], [n - 6], [n // 4, n // 2], [], [1, n - 1], [12]):
        status = np.full(n, BOX)
        status[0] = INIT
        for f in fails:
            status[f] = FAILURE
            status[f + 1 : f + 5] = SKIPPED
            if f + 5 < n:
                status[f + 5] = INIT
        traj_boxes = np.where((status == BOX)[:, None], boxes, np.nan)
        out.append(Trajectory(traj_boxes, status, None))
    return out


@requires_shared
@pytest.mark.parametrize("float_precision", ["float64", "float32"])
def test_vot_accuracy_robustness_eao_equal_the_toolkits_analysis(float_precision):
    """SiamFC's committed VOT result on bag and hand-made failure patterns (a re-initialisation
    that falls exactly at, or past, the end), through the toolkit's reader and analyses."""
    seq = open_dataset("vot2015", BENCH / "vot2015", check_frames=False)["bag"]
    bounds = None
    trajs = [read_trajectory(RESULTS / "vot_bench" / "siamfc", "bag", "vot")] + _hand_made(
        seq.polygons, np.random.default_rng(1)
    )
    cases, ours = [], []
    for k, traj in enumerate(trajs):
        name = f"bag{k}"
        s = Sequence(name, seq.frames, seq.boxes, polygons=seq.polygons)
        overlaps = trajectory_overlaps(traj, s, bounds)
        cases.append((name, _toolkit_regions(traj), np.nan_to_num(overlaps), len(s)))
        ours.append((traj, s, bounds))
    patch = pytest.MonkeyPatch()
    if float_precision == "float64":
        patch.setattr(vot_supervised, "np", _Float64())
    try:
        theirs = _toolkit_scores(cases, 108, 371)
    finally:
        patch.undo()
    summary = summarize_vot(ours, year=2015)
    tol = 1e-9 if float_precision == "float64" else 1e-6  # the toolkit sums the EAO curve in float32
    for score, (acc, failures, _, n) in zip(summary.sequences, theirs["per_seq"]):
        assert score.accuracy == pytest.approx(acc, abs=1e-9)
        assert score.failures == failures and score.n_frames == n
    accuracy, _, (reliability, _), _ = theirs["average"]
    assert summary.accuracy == pytest.approx(accuracy, abs=1e-9)
    assert summary.reliability == pytest.approx(reliability, abs=1e-9)
    assert summary.eao == pytest.approx(theirs["eao"], abs=tol)


def test_vot_eao_of_runs_that_end_near_the_sequence_end():
    """No data needed: a 40-frame sequence of squares, failures at n-5, n-4, n-6 (re-initialisation
    exactly at, past, and just before the end), compared with the toolkit's analyses."""
    n = 40
    gt = np.tile([10.0, 10, 20, 20], (n, 1))
    from siamfc.geometry import boxes_to_polygons

    polys = boxes_to_polygons(gt)
    trajs = _hand_made(polys, np.random.default_rng(2))
    cases, ours = [], []
    for k, traj in enumerate(trajs):
        s = Sequence(f"s{k}", [None] * n, gt, polygons=polys)
        overlaps = trajectory_overlaps(traj, s, None)
        cases.append((s.name, _toolkit_regions(traj), np.nan_to_num(overlaps), n))
        ours.append((traj, s, None))
    patch = pytest.MonkeyPatch()
    patch.setattr(vot_supervised, "np", _Float64())
    try:
        theirs = _toolkit_scores(cases, 1, 30)
    finally:
        patch.undo()
    from siamfc.evaluation.vot_protocol import eao, expected_overlap_curve, fragments

    frags = [f for traj, s, _ in ours for f in fragments(traj, trajectory_overlaps(traj, s, None))]
    curve = expected_overlap_curve(frags)
    np.testing.assert_allclose(curve[1:], theirs["curve"][1:], atol=1e-9, rtol=0)
    assert eao(frags, 1, 30) == pytest.approx(theirs["eao"], abs=1e-9)


@requires_shared
def test_vot_overlaps_agree_with_the_toolkits_rasterised_ones():
    """Our exact polygon overlaps against the toolkit's ``calculate_overlaps`` (rasterised, clipped
    to the frame) on SiamFC's bag result: pixel rasterisation moves single frames by less than
    0.06 and the mean over the 195 tracked frames by less than 0.005 (box edges off the pixel grid)."""
    from vot.region.raster import calculate_overlaps

    seq = open_dataset("vot2015", BENCH / "vot2015")["bag"]
    traj = read_trajectory(RESULTS / "vot_bench" / "siamfc", "bag", "vot")
    from siamfc.evaluation.vot_protocol import sequence_bounds

    ours = trajectory_overlaps(traj, seq, sequence_bounds(seq))
    regions = vot_read_trajectory(str(RESULTS / "vot_bench" / "siamfc" / "baseline" / "bag" / "bag_001.txt"))
    gt = vot_read_trajectory(str(BENCH / "vot2015" / "bag" / "groundtruth.txt"))
    h, w = seq.frame(0).shape[:2]
    theirs = np.array(calculate_overlaps(regions, gt, (w, h)))
    box = traj.status == BOX
    assert box.sum() > 100
    np.testing.assert_allclose(ours[box], theirs[box], atol=0.06, rtol=0)
    assert abs(float(np.mean(ours[box] - theirs[box]))) < 0.005
    assert score_vot_sequence(traj, seq, bounds=sequence_bounds(seq)).failures == int((traj.status == FAILURE).sum())
