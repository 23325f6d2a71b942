"""``siamfc tune``: the search, the held-out check, the output file, resuming a killed run, sharing a study.

The videos are synthetic scenes (tests/synthetic_scene.py: a textured object that moves and changes
size) written as OTB-style folders; the network is the hand-set pooling embedding, so a trial takes
a fraction of a second. The command line runs once with random AlexNet weights.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import signal
import time

import cv2
import numpy as np
import pytest
from synthetic_scene import START, PooledPixels, Scene

from siamfc.errors import ConfigError
from siamfc.model import SiamFC
from siamfc.tracking import SiamFCTracker, get_params

pytestmark = pytest.mark.optuna

VIDEOS = [f"v{k}" for k in range(6)]


def write_scene_videos(root, names=VIDEOS, frames: int = 14):
    """OTB-style folders (``<name>/img/0001.png``, ``groundtruth_rect.txt``, 1-based) of a scene
    whose object wanders and grows or shrinks (a different path per video)."""
    for k, name in enumerate(names):
        rng = np.random.default_rng(k)
        scene = Scene(seed=k)
        center, scale = np.array(START), 1.0
        rows = []
        (root / name / "img").mkdir(parents=True)
        for i in range(frames):
            cv2.imwrite(str(root / name / "img" / f"{i + 1:04d}.png"), scene.frame(center, scale))
            x, y, w, h = scene.box(center, scale)
            rows.append(f"{x + 1:.2f},{y + 1:.2f},{w:.2f},{h:.2f}\n")
            center = center + rng.uniform(-7, 7, 2)
            scale *= rng.choice([0.96, 1.0, 1.04])
        (root / name / "groundtruth_rect.txt").write_text("".join(rows))
    return root


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    return write_scene_videos(tmp_path_factory.mktemp("videos"))


def tiny_model():
    return SiamFC(PooledPixels())


def run_tune(videos, out, **kw):
    from siamfc.tuning import tune

    options = dict(
        data=[f"otb={videos}"],
        out=out,
        model=tiny_model(),
        trials=6,
        frames_per_video=12,
        held_out_fraction=0.34,
        progress=False,
    )
    options.update(kw)
    return tune(**options)


def study_trials(out):
    import optuna

    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(out / "study.journal")))
    return optuna.load_study(study_name="siamfc-tune", storage=storage).get_trials(deepcopy=False)


def finished(trials) -> int:
    return sum(t.state.name in ("COMPLETE", "PRUNED") for t in trials)


def test_tune_writes_a_set_the_tracker_takes_and_checks_it_on_held_out_videos(videos, tmp_path):
    from siamfc.evaluation.ope import score_sequence

    result = run_tune(videos, tmp_path / "out")
    report = json.loads(result.json_path.read_text())
    # The file: a set the library and the tracker take, with what it was tuned for and how it scored.
    assert get_params(str(result.params_path)) == result.params
    record = yaml_record(tmp_path / "out")
    assert record["weights_sha256"] == report["setup"]["weights_sha256"]
    assert record["held_out"]["tuned_auc"] == report["held_out"]["tuned_auc"]
    assert record["trials"]["complete"] + report["trials"]["pruned"] == 6 == finished(study_trials(tmp_path / "out"))
    # The split: by video, the hash decides, the search never scored a held-out clip.
    held = report["videos"]["held_out_videos"]
    by_hash = sorted((f"otb:{n}" for n in VIDEOS), key=lambda v: hashlib.sha256(v.encode()).hexdigest())
    assert held == sorted(by_hash[:2]) and sorted(report["videos"]["tune_videos"]) == sorted(by_hash[2:])
    for row in report["trials"]["list"]:
        assert not set(held) & set(study_trials(tmp_path / "out")[row["number"]].user_attrs.get("per_clip", {}))
    # The base set is the first trial, so the tuned set is never worse on the tuning clips.
    first = report["trials"]["list"][0]
    assert first["base"] and first["params"] == report["base"]["params"] == {
        k: getattr(get_params("3s"), k) for k in first["params"]
    }
    assert report["tuning_split"]["tuned_auc"] >= report["tuning_split"]["base_auc"]
    # The held-out scores are those of the real tracker on those videos.
    name = held[0]
    seq_dir = videos / name.split(":")[1]
    gt = np.loadtxt(seq_dir / "groundtruth_rect.txt", delimiter=",")[:12] - [1, 1, 0, 0]
    tracker = SiamFCTracker(tiny_model(), params=result.params, resampling="bilinear")
    frames = sorted((seq_dir / "img").iterdir())[:12]
    tracker.init(cv2.imread(str(frames[0])), gt[0])
    pred = np.array([gt[0]] + [tracker.update(cv2.imread(str(f))).box for f in frames[1:]])
    assert report["held_out"]["per_clip"][name]["tuned"] == round(score_sequence(pred, gt).auc, 4)
    assert report["verdict"] and report["held_out"]["clips"] == 2
    # Running it again continues the same study (more trials) and refuses another setup.
    more = run_tune(videos, tmp_path / "out", trials=8)
    assert (
        finished(study_trials(tmp_path / "out")) == 8 and more.report["trials"]["list"][:6] == report["trials"]["list"]
    )
    with pytest.raises(ConfigError, match="made with another .*frames_per_video"):
        run_tune(videos, tmp_path / "out", frames_per_video=10)


def report_with_held_out(changes) -> dict:
    from siamfc.tuning.run import _compare

    base = {f"c{i}": 0.5 for i in range(len(changes))}
    tuned = {k: 0.5 + d for k, d in zip(base, changes)}
    return {
        "base": {"name": "3s", "params": {"a": 1}},
        "tuned": {"params": {"a": 2}},
        "held_out": _compare(base, tuned),
    }


def test_the_verdict_follows_the_held_out_split_and_not_a_gain_that_one_clip_carries():
    from siamfc.tuning.run import verdict

    assert verdict(report_with_held_out([0.02, 0.03, 0.01, 0.025, 0.015, 0.02])).startswith("use the tuned set")
    carried = verdict(report_with_held_out([0.3, -0.01, -0.02, 0.0, -0.01, -0.02]))  # mean +0.04, one clip
    assert carried.startswith("keep --params 3s") and "within noise" in carried
    assert verdict(report_with_held_out([-0.02, 0.01, -0.03])).startswith("keep --params 3s: the tuned set scored -")


def _tune_forever(videos, out):
    run_tune(videos, out, trials=1000, frames_per_video=14)


@pytest.mark.slow
def test_a_killed_run_continues_and_scores_the_interrupted_trial_again(videos, tmp_path):
    out = tmp_path / "out"
    child = multiprocessing.get_context("spawn").Process(target=_tune_forever, args=(videos, out))
    child.start()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            trials = study_trials(out) if (out / "study.journal").is_file() else []
            running = [t for t in trials if t.state.name == "RUNNING" and t.intermediate_values]
            if finished(trials) >= 2 and running:
                break
            time.sleep(0.02)
        else:
            pytest.fail("the tuning run did not get going")
        os.kill(child.pid, signal.SIGKILL)  # mid-trial: it has scored at least one clip
    finally:
        child.join(30)
    before = {t.number: t for t in study_trials(out)}
    killed = [n for n, t in before.items() if t.state.name == "RUNNING"]
    assert len(killed) == 1
    done = finished(before.values())
    run_tune(videos, out, trials=done + 1, frames_per_video=14)  # room for one trial: the interrupted one
    after = study_trials(out)
    assert after[killed[0]].state.name == "FAIL"  # the dead worker's trial, found and failed
    retry = [t for t in after if t.user_attrs.get("retry_of") == killed[0]]
    assert len(retry) == 1 and retry[0].params == before[killed[0]].params  # ... and scored again
    assert retry[0].state.name in ("COMPLETE", "PRUNED")
    for n, t in before.items():  # what the killed run finished is kept
        if t.state.name in ("COMPLETE", "PRUNED"):
            assert after[n].state == t.state and after[n].value == t.value
    assert finished(after) == done + 1


@pytest.mark.slow
def test_two_worker_processes_share_one_study(videos, tmp_path):
    result = run_tune(videos, tmp_path / "out", trials=8, workers=2, threads=1)
    trials = study_trials(tmp_path / "out")
    workers = {t.user_attrs["worker"]["pid"] for t in trials if t.state.name in ("COMPLETE", "PRUNED")}
    assert len(workers) == 2 and os.getpid() not in workers
    # One budget: the workers stop together once the study holds the trials (a race may add one).
    assert 8 <= finished(trials) <= 9
    assert result.report["trials"]["complete"] + result.report["trials"]["pruned"] == finished(trials)


@pytest.mark.slow
def test_the_command_line_tunes_and_eval_takes_the_file(videos, tmp_path, capsys):
    from siamfc.apps.cli import main
    from siamfc.model.weights import save_weights

    weights = save_weights(SiamFC(), tmp_path / "random.safetensors", card={"note": "random"})
    engine = ["--backend", "torch", "--precision", "fp32"]
    out = tmp_path / "tune"
    argv = ["tune", "--weights", str(weights), "--data", f"otb={videos}", "--out", str(out), "--trials", "2"]
    argv += ["--frames-per-video", "4", "--min-frames", "3", "--held-out", "v0,v1", "--no-progress", *engine]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "held-out" in text and "verdict:" in text and str(out / "params.yaml") in text
    assert yaml_record(out)["held_out_videos"] == ["otb:v0", "otb:v1"]
    assert yaml_record(out)["weights_sha256"] == hashlib.sha256(weights.read_bytes()).hexdigest()
    argv = ["eval", "--dataset", "otb", "--root", str(videos), "--sequences", "v0", "--weights", str(weights)]
    argv += ["--params", str(out / "params.yaml"), "--results", str(tmp_path / "res"), "--no-progress", *engine]
    assert main(argv) == 0
    run = json.loads((tmp_path / "res" / "siamfc" / "run.json").read_text())
    assert run["tracker"]["params"] == str(out / "params.yaml")
    # Bad input: one line, exit 2.
    assert main(["tune", "--out", str(tmp_path / "x"), "--data", "nope=/x", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown data format 'nope'" in err[0]


def yaml_record(out) -> dict:
    import yaml

    return yaml.safe_load((out / "params.yaml").read_text())["tuning"]
