"""Work spread over machines: the hash split, sharded eval and curation run as concurrent
processes into one folder, and what eval / report say while shards are missing."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from readers_fixtures import write_otb_root
from train_fixtures import write_davis, write_mot

from siamfc.apps.cli import main
from siamfc.data.registry import open_dataset
from siamfc.errors import ConfigError
from siamfc.evaluation.runner import run_dataset
from siamfc.evaluation.shard_records import write_record
from siamfc.evaluation.trackers import TrackerSpec
from siamfc.training.curate import curate
from siamfc.utils.sharding import Shard, parse_shard, shard_of

ROOT = Path(__file__).resolve().parent.parent
#: Two sequences a shard of two (sha256: Alpha, Delta -> 1/2; Beta, Gamma -> 2/2).
NAMES = ["Alpha", "Beta", "Gamma", "Delta"]


def test_split_is_a_partition_by_name_alone():
    names = [f"seq-{i}" for i in range(200)]
    shards = [Shard(k, 4) for k in range(1, 5)]
    parts = [s.select(names) for s in shards]
    assert sorted(sum(parts, [])) == sorted(names)  # every name once
    assert all(20 < len(p) < 80 for p in parts)  # balanced on average: 50 each expected
    shuffled = random.Random(0).sample(names, len(names))
    assert [sorted(s.select(shuffled)) for s in shards] == [sorted(p) for p in parts]  # order does not matter
    more = names + [f"new-{i}" for i in range(30)]  # adding sequences moves none of the others
    assert [[n for n in s.select(more) if n in set(names)] for s in shards] == parts
    assert [shard_of(n, 2) for n in NAMES] == [1, 2, 2, 1]  # the layout the tests below rely on


def test_parse_shard_and_its_errors(capsys):
    assert parse_shard("2/4") == Shard(2, 4) and str(parse_shard(" 1 / 1 ")) == "1/1"
    for bad in ("0/2", "3/2", "1/0", "a/b", "2", "-1/2"):
        with pytest.raises(ConfigError, match="--shard"):
            parse_shard(bad)
    assert main(["eval", "--dataset", "otb", "--root", ".", "--tracker", "kcf", "--shard", "0/2"]) == 2
    err = capsys.readouterr().err
    assert "K must be 1 to N" in err and err.count("\n") == 1


def _siamfc(*args) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "siamfc", *map(str, args)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _concurrently(commands, meanwhile) -> list[str]:
    """Start every command, run ``meanwhile()`` here, then wait for all; their stdout (each must succeed)."""
    procs = [_siamfc(*c) for c in commands]
    meanwhile()
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (_, err) in zip(procs, outs):
        assert p.returncode == 0, err
    return [out for out, _ in outs]


def _files(folder: Path, skip=()) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not any(p.name.endswith(s) for s in skip)
    }


def test_two_concurrent_eval_shards_match_one_run(tmp_path):
    data = write_otb_root(tmp_path / "data", NAMES, 8)
    common = ["eval", "--dataset", "otb", "--root", data, "--tracker", "kcf", "--no-progress"]
    shards = [
        common + ["--results", tmp_path / "sharded", "--shard", f"{k}/2", "--json", tmp_path / "scores.json"]
        for k in (1, 2)
    ]
    outs = _concurrently(shards, lambda: main([str(a) for a in common + ["--results", tmp_path / "one"]]))
    one, sharded = tmp_path / "one" / "kcf", tmp_path / "sharded" / "kcf"
    # Result files byte for byte (time files hold measured seconds: not comparable across runs).
    results = lambda d: _files(d, skip=("_time.txt", ".json"))  # noqa: E731
    assert sorted(results(sharded)) == [f"{n}.txt" for n in sorted(NAMES)]
    assert results(sharded) == results(one)
    assert all((sharded / f"{n}_time.txt").is_file() for n in NAMES)
    run = json.loads((sharded / "run.json").read_text())
    assert run["dataset"] == "otb" and "--shard" in run["made_by"]["command"]
    for k, mine in ((1, ["Alpha", "Delta"]), (2, ["Beta", "Gamma"])):
        record = json.loads((sharded / f"run.shard-{k}-of-2.json").read_text())
        assert record["state"] == "finished" and record["sequences"] == mine and not record["failed"]
    # Each shard either scored the complete set or said what was still missing.
    assert sum("AUC" in out for out in outs) >= 1
    # (A shard that finishes first may see the other's sequences half written: 1 or 2 still missing.)
    assert all("AUC" in out or re.search(r"lacks results for [12] of 4 sequences", out) for out in outs)
    scores = json.loads((tmp_path / "scores.json").read_text())
    assert scores["trackers"]["kcf"]["n_sequences"] == 4
    assert [s["shard"] for s in scores["trackers"]["kcf"]["shards"]] == ["1/2", "2/2"]


def test_report_names_missing_sequences_and_their_shard(tmp_path, capsys):
    data = write_otb_root(tmp_path / "data", NAMES, 8)
    seqs = open_dataset("otb", data)
    res = tmp_path / "results"
    run_dataset(seqs, TrackerSpec("kcf"), res, dataset="otb", progress=False, shard=Shard(1, 2))
    report = ["report", res, "--dataset", "otb", "--root", data]
    assert main([str(a) for a in report]) == 2
    err = capsys.readouterr().err
    assert "lacks results for 2 of 4 sequences (Beta, Gamma: shard 2/2 never ran)" in err and err.count("\n") == 1
    # Shard 2 runs, but one of its sequences fails (a frame is missing) -> named as failed there.
    (data / "Gamma" / "img" / "0004.png").unlink()
    summary = run_dataset(seqs, TrackerSpec("kcf"), res, dataset="otb", progress=False, shard=Shard(2, 2))
    assert summary.tracked == ["Beta"] and list(summary.failed) == ["Gamma"]
    assert main([str(a) for a in report + ["--partial", "--json", tmp_path / "r.json"]]) == 0
    captured = capsys.readouterr()
    assert "lacks results for 1 of 4 sequences (Gamma: failed in shard 2/2); scored without them" in captured.err
    assert "Partial: 3 of 4" in captured.out
    # A shard stopped on the way (its record still says running) is told apart from one that never ran.
    write_record(res / "kcf", Shard(2, 2), ["Beta", "Gamma"], "running", made={})
    assert main([str(a) for a in report]) == 2
    assert "(Gamma: shard 2/2 not finished (still running, or stopped))" in capsys.readouterr().err
    # A shard run on a subset (--sequences) is not taken for a shard that never ran.
    other = tmp_path / "subset"
    run_dataset(seqs.subset(["Alpha"]), TrackerSpec("kcf"), other, dataset="otb", progress=False, shard=Shard(1, 2))
    assert main(["report", str(other), "--dataset", "otb", "--root", str(data)]) == 2
    assert "(Beta, Gamma: shard 2/2 never ran; Delta: shard 1/2 ran without it)" in capsys.readouterr().err


def test_two_concurrent_curate_shards_match_one_run(tmp_path):
    davis = write_davis(tmp_path / "davis", videos=3, frames=3)
    mot = write_mot(tmp_path / "mot", sequences=1, frames=3)
    sources = ["--data", f"davis={davis}", "--data", f"mot={mot}", "--workers", "1", "--no-progress"]
    videos = ("davis:video0", "davis:video1", "davis:video2", "mot:MOT17-00-FRCNN")
    assert [shard_of(v, 2) for v in videos] == [1, 2, 2, 1]  # both shards have work
    shards = [["curate", *sources, "--out", tmp_path / "sharded", "--shard", f"{k}/2"] for k in (1, 2)]
    outs = _concurrently(shards, lambda: main([str(a) for a in ["curate", *sources, "--out", tmp_path / "one"]]))
    assert "curating 2 of 2 videos (0 already done) of shard 1/2 (4 videos in all)" in outs[0]
    assert "curating 2 of 2 videos (0 already done) of shard 2/2" in outs[1]
    one, sharded = _files(tmp_path / "one"), _files(tmp_path / "sharded")
    assert "index.tsv" in sharded and any(k.startswith("crops/mot_MOT17-00-FRCNN/") for k in sharded)
    assert sharded == one  # crops, masks, per-video and full index, curate.json: byte for byte


def test_curate_shard_alone_leaves_the_index_to_the_last(tmp_path):
    davis = write_davis(tmp_path / "davis", videos=3, frames=3)
    out = tmp_path / "cur"
    messages = []
    totals = curate([f"davis={davis}"], out, workers=1, progress=False, log=messages.append, shard=Shard(2, 2))
    assert totals["missing_videos"] == ["davis:video0"] and not (out / "index.tsv").exists()
    assert "1 of 3 videos are not curated yet (davis:video0)" in messages[-1]
    totals = curate([f"davis={davis}"], out, workers=1, progress=False, log=lambda m: None, shard=Shard(1, 2))
    assert totals["videos"] == 3 and totals["crops"] == 9 and (out / "index.tsv").is_file()
