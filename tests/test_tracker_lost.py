"""Knowing when the target is lost: the threshold choice, the card's threshold, the adapter's ok,
the --save columns, and re-detection bringing a tracker back to a target that jumped away."""

from __future__ import annotations

import json

import numpy as np
import pytest
from synthetic_scene import START, PooledPixels, Scene, box_center

import siamfc
from siamfc.apps.track_video import track_video
from siamfc.errors import ConfigError
from siamfc.model import AlexNetEmbedding, SiamFC
from siamfc.model.weights import SHIPPED, card_path, read_card, resolve_weights, save_weights
from siamfc.tracking import SiamFCTracker
from siamfc.tracking.lost import card_lost_threshold, choose_threshold, evaluate_threshold, frame_labels
from siamfc.tracking.redetect import Redetector, RedetectParams, frame_tiles, tile_step, wide_tiles


# -- the threshold choice --------------------------------------------------------------------------
def test_choose_threshold_separates_and_counts():
    scores = np.array([0.1, 0.2, 0.3, 1.0, 1.5, 2.0])
    lost = np.array([True, True, True, False, False, False])
    c = choose_threshold(scores, lost)
    assert 0.3 < c.threshold < 1.0  # between the two groups, not on a measured score
    assert (c.precision, c.recall, c.f1) == (1.0, 1.0, 1.0)
    assert (c.lost_frames, c.tracked_frames, c.true_lost, c.false_lost) == (3, 3, 3, 0)


def test_choose_threshold_maximises_f1_with_overlap():
    # One tracked frame scores lower than a lost one: the best cut keeps precision 3/4 or loses recall.
    scores = np.array([0.1, 0.2, 0.25, 0.4, 1.0, 1.2])
    lost = np.array([True, True, False, True, False, False])
    c = choose_threshold(scores, lost)
    assert 0.4 < c.threshold < 1.0
    assert c.recall == 1.0 and c.precision == pytest.approx(0.75) and c.false_lost == 1
    # every other candidate is no better
    for t in np.linspace(0, 1.5, 31):
        assert evaluate_threshold(t, scores, lost).f1 <= c.f1 + 1e-12


def test_choose_threshold_needs_both_kinds():
    with pytest.raises(ValueError, match="both kinds"):
        choose_threshold([0.1, 0.2], [True, True])


def test_frame_labels():
    iou = np.array([0.8, 0.5, 0.3, 0.0, np.nan, np.nan])
    absent = np.array([False, False, False, False, True, False])
    lost, tracked = frame_labels(iou, absent)
    assert lost.tolist() == [False, False, False, True, True, False]  # out of view counts as lost
    assert tracked.tolist() == [True, True, False, False, False, False]  # 0 < IoU < 0.5: neither


# -- the threshold comes from the weights' model card ---------------------------------------------
@pytest.fixture
def weights_with_card(tmp_path):
    """A random-init SiamFC weights file; ``card(threshold)`` writes its card's lost entry."""
    path = save_weights(SiamFC(AlexNetEmbedding()), tmp_path / "w.safetensors", {"name": "test"})

    def card(threshold):
        c = read_card(path)
        c["lost"] = {"threshold": threshold, "precision": 0.5, "recall": 0.5}
        card_path(path).write_text(json.dumps(c))
        return path

    return card


def test_tracker_reads_the_lost_threshold_from_the_card(weights_with_card):
    frame = Scene().frame(START)
    box = Scene.box(START)
    # A threshold no score reaches: every update is lost, and the OpenCV-style ok says so.
    path = weights_with_card(1e9)
    tracker = SiamFCTracker(weights=path, backend="torch", precision="fp32")
    assert tracker.lost_threshold == 1e9 and not tracker.lost  # nothing tracked yet
    adapter = siamfc.TrackerSiamFC(tracker)
    adapter.init(frame, box)
    ok, _ = adapter.update(frame)
    assert ok is False and tracker.lost
    assert siamfc.TrackerSiamFC(tracker, min_score=float("-inf")).update(frame)[0] is True  # min_score overrides
    # The other extreme: never lost.
    path = weights_with_card(-1e9)
    tracker = SiamFCTracker(weights=path, backend="torch", precision="fp32")
    tracker.init(frame, box)
    tracker.update(frame)
    assert tracker.lost_threshold == -1e9 and not tracker.lost
    # An explicit threshold wins over the card.
    assert SiamFCTracker(weights=path, backend="torch", precision="fp32", lost_threshold=3.0).lost_threshold == 3.0


def test_bad_lost_threshold_in_card_is_one_clear_error(weights_with_card):
    path = weights_with_card("high")
    with pytest.raises(ConfigError, match="lost.threshold"):
        card_lost_threshold(path)


def test_no_card_no_threshold(tmp_path):
    path = save_weights(SiamFC(AlexNetEmbedding()), tmp_path / "w.safetensors")
    assert card_lost_threshold(path) is None
    tracker = SiamFCTracker(SiamFC(PooledPixels()))  # a bare model: no card, never lost
    assert tracker.lost_threshold is None
    tracker.init(Scene().frame(START), Scene.box(START))
    tracker.update(Scene().frame(START))
    assert not tracker.lost


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_cards_hold_the_committed_calibration(name):
    """Each shipped card's threshold is the one the committed calibration output chose for that file."""
    path = resolve_weights(name)
    if not path.is_file():
        pytest.skip(f"{path} not shipped in this checkout")
    lost = read_card(path)["lost"]
    results = json.loads((path.parents[3] / lost["results"]).read_text())
    entry = results["weights"][name]
    assert entry["weights_sha256"] == read_card(path)["weights_sha256"]
    assert lost["threshold"] == entry["choice"]["threshold"]
    assert (lost["precision"], lost["recall"]) == (entry["choice"]["precision"], entry["choice"]["recall"])
    assert card_lost_threshold(path) == lost["threshold"]


# -- --save with scores and lost flags ----------------------------------------------------------
def test_track_video_saves_score_and_lost_columns(tmp_path):
    scene = Scene()
    centres = [np.array(START) + (2.0 * i, 0) for i in range(4)]
    frames = [scene.frame(c) for c in centres] + [np.full_like(scene.frame(START), 128)] * 2  # target gone
    tracker = SiamFCTracker(SiamFC(PooledPixels()), num_scales=1)
    tracker.init(frames[0], Scene.box(START))
    tracker.update(frames[1])
    tracker.lost_threshold = tracker.last_score / 2  # half of a tracked frame's score
    run = track_video(tracker, frames, Scene.box(START), progress=False, boxes_out=tmp_path / "b.txt", save_scores=True)
    rows = np.array([[float(v) for v in line.split(",")] for line in (tmp_path / "b.txt").read_text().splitlines()])
    assert rows.shape == (6, 6)
    np.testing.assert_allclose(rows[:, :4], run.boxes, atol=1e-4)
    assert np.isnan(rows[0, 4]) and rows[0, 5] == 0
    np.testing.assert_allclose(rows[1:, 4], run.scores[1:], atol=1e-4)
    assert rows[:, 5].tolist() == [0, 0, 0, 0, 1, 1] == run.lost.astype(float).tolist()


# -- re-detection -----------------------------------------------------------------------------------
def test_tiles_cover_the_plane():
    tracker = SiamFCTracker(SiamFC(PooledPixels()))
    step = tile_step(255.0, tracker)
    assert step == pytest.approx(128.0)  # a 255-pixel crop's 17x17 map spans 16 x 8 = 128 pixels
    tiles = wide_tiles((100.0, 50.0), step)
    assert tiles.shape == (9, 2) and tuple(tiles[0]) == (100.0, 50.0)
    grid = frame_tiles((240, 320), (300.0, 200.0), 100.0)
    assert len(grid) == 12 and np.hypot(*(grid[0] - (300, 200))) == np.hypot(*(grid - (300, 200)).T).min()


def jump_scene(far):
    """A target tracked for 3 frames, then found at ``far`` for 12 frames."""
    scene = Scene()
    return scene, [scene.frame(START)] * 3 + [scene.frame(far)] * 12


@pytest.mark.parametrize(
    ("far", "params"),
    [
        ((START[0] - 120, START[1] + 10), RedetectParams(after=2, wide_frames=20)),  # within the 3x3 block
        ((45.0, 200.0), RedetectParams(after=2, wide_frames=0)),  # a corner: only the whole-frame search
    ],
)
def test_redetection_finds_a_target_that_jumped_away(far, params):
    scene, frames = jump_scene(far)
    plain = SiamFCTracker(SiamFC(PooledPixels()))
    plain.init(frames[0], Scene.box(START))
    plain.update(frames[1])
    threshold = plain.last_score / 2
    # Without re-detection the tracker stays lost, far from the target.
    plain = SiamFCTracker(SiamFC(PooledPixels()), lost_threshold=threshold)
    plain.init(frames[0], Scene.box(START))
    for f in frames[1:]:
        box, _ = plain.update(f)
    assert plain.lost and np.hypot(*(box_center(box) - far)) > 40
    # With it, the tracker finds it again and tracks it.
    tracker = Redetector(SiamFCTracker(SiamFC(PooledPixels()), lost_threshold=threshold), params=params)
    tracker.init(frames[0], Scene.box(START))
    for f in frames[1:]:
        box, score = tracker.update(f)
    assert tracker.redetections == 1 and not tracker.lost and score >= threshold
    np.testing.assert_allclose(box_center(box), far, atol=3.0)
    assert tuple(box[2:]) == pytest.approx(Scene.box(far)[2:], rel=0.05)


def test_redetector_needs_a_threshold():
    with pytest.raises(ConfigError, match="lost threshold"):
        Redetector(SiamFCTracker(SiamFC(PooledPixels())))
    with pytest.raises(ConfigError, match="after"):
        RedetectParams(after=0)


def test_opencv_adapter_with_redetection():
    scene, frames = jump_scene((45.0, 200.0))
    probe = SiamFCTracker(SiamFC(PooledPixels()))
    probe.init(frames[0], Scene.box(START))
    probe.update(frames[1])
    tracker = siamfc.create(model=SiamFC(PooledPixels()), lost_threshold=probe.last_score / 2, redetect=True)
    assert tracker.min_score == probe.last_score / 2  # the default min_score is the lost threshold
    tracker.init(frames[0], Scene.box(START))
    oks = [tracker.update(f)[0] for f in frames[1:]]
    assert oks[0] and not oks[3] and oks[-1]  # tracked, lost after the jump, found again


# -- the command line ---------------------------------------------------------------------------
@pytest.fixture
def frame_folder(tmp_path):
    import cv2

    folder = tmp_path / "frames"
    folder.mkdir()
    for i in range(8):
        cv2.imwrite(str(folder / f"{i:02d}.png"), Scene().frame((160 + 3 * i, 120)))
    return folder


def test_track_save_scores_and_redetect_on_the_command_line(tmp_path, frame_folder, weights_with_card, capsys):
    from siamfc.apps.cli import main

    weights = weights_with_card(1e9)  # every frame lost: re-detection searches from the 5th on
    argv = ["track", str(frame_folder), "--box", "140.5,96.5,40,48", "--weights", str(weights), "--quiet"]
    argv += ["--backend", "torch", "--precision", "fp32", "--save", str(tmp_path / "b.txt")]
    assert main([*argv, "--save-scores", "--redetect"]) == 0
    rows = [line.split(",") for line in (tmp_path / "b.txt").read_text().splitlines()]
    assert len(rows) == 8 and all(len(r) == 6 for r in rows)
    assert rows[0][4] == "nan" and [r[5] for r in rows] == ["0"] + ["1"] * 7
    assert main(argv) == 0  # without --save-scores: x,y,w,h only
    assert all(len(line.split(",")) == 4 for line in (tmp_path / "b.txt").read_text().splitlines())
    capsys.readouterr()
    assert main([*argv[:-2], "--save-scores"]) == 2
    assert "add --save BOXES" in capsys.readouterr().err


def test_redetect_without_a_calibrated_card_is_one_clear_error(tmp_path, frame_folder, capsys):
    from siamfc.apps.cli import main

    weights = save_weights(SiamFC(AlexNetEmbedding()), tmp_path / "w.safetensors")
    argv = ["track", str(frame_folder), "--box", "140.5,96.5,40,48", "--weights", str(weights), "--redetect"]
    assert main([*argv, "--backend", "torch", "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "needs a lost threshold" in err[0]
