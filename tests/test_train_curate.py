"""Curation, the ILSVRC-VID reader, the GOT-10k/LaSOT/folder training adapters, and plot-train."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from readers_fixtures import boxes, write_frames, write_rows
from train_fixtures import write_davis, write_mot

from siamfc.apps.cli import main
from siamfc.data.curated import load_curated
from siamfc.data.imagenet_vid import load_imagenet_vid
from siamfc.errors import ConfigError, DataError
from siamfc.tracking.crop import context_size, crop_and_resize
from siamfc.training.config import TrainConfig
from siamfc.training.crops import MemoryBank
from siamfc.training.curate import curate
from siamfc.training.data import load_sequences, split_and_filter

XML = """<annotation><folder>{snippet}</folder><filename>{fid:06d}</filename>
<size><width>64</width><height>48</height></size>{objects}</annotation>"""
OBJ = """<object><trackid>{tid}</trackid><name>n02084071</name><bndbox><xmax>{x1}</xmax><xmin>{x0}</xmin>
<ymax>{y1}</ymax><ymin>{y0}</ymin></bndbox><occluded>{occ}</occluded><generated>0</generated></object>"""


def write_vid(root, frames=4):
    snippet = "ILSVRC2015_VID_train_0000/ILSVRC2015_train_00000000"
    write_frames(root / "Data" / "VID" / "train" / snippet, frames, digits=6, start=0)
    for p in (root / "Data" / "VID" / "train" / snippet).glob("*.jpg"):
        p.rename(p.with_suffix(".JPEG"))
    ann = root / "Annotations" / "VID" / "train" / snippet
    ann.mkdir(parents=True)
    for f in range(frames):
        objects = OBJ.format(tid=0, x0=10 + f, y0=5, x1=29 + f, y1=19, occ=0)
        if f >= 2:  # a second object appears at frame 2, occluded
            objects += OBJ.format(tid=3, x0=40, y0=20, x1=49, y1=39, occ=1)
        (ann / f"{f:06d}.xml").write_text(XML.format(snippet=snippet, fid=f, objects=objects))
    return root, snippet


def test_imagenet_vid_reader(tmp_path):
    root, snippet = write_vid(tmp_path / "ILSVRC2015")
    seqs = load_imagenet_vid(root)
    assert [s.name for s in seqs] == [f"{snippet}/0", f"{snippet}/3"]
    a, b = seqs
    assert a.frame_ids.tolist() == [0, 1, 2, 3] and b.frame_ids.tolist() == [2, 3]
    # bndbox corners are inclusive pixel indices: xmin 10, xmax 29 is 20 px wide.
    np.testing.assert_allclose(a.boxes[1], [11, 5, 20, 15])
    assert b.meta["occluded"].all() and a.meta["frame_size"] == (64, 48) and a.meta["video"] == snippet
    assert a.frames[0].name == "000000.JPEG"


def test_imagenet_vid_bad_files(tmp_path):
    root, snippet = write_vid(tmp_path / "v")
    xml = root / "Annotations" / "VID" / "train" / snippet / "000001.xml"
    xml.write_text("<annotation><object><trackid>0</trackid>")
    with pytest.raises(DataError, match="000001.xml: not valid XML"):
        load_imagenet_vid(root)
    with pytest.raises(DataError, match="not an ILSVRC-2015 VID folder"):
        load_imagenet_vid(tmp_path)


def test_got10k_lasot_folder_as_training_data(tmp_path):
    got = tmp_path / "got" / "train" / "GOT-10k_Train_000001"
    write_frames(got, 5, digits=8)
    write_rows(got / "groundtruth.txt", boxes(5))
    (got / "cover.label").write_text("8\n8\n2\n8\n8\n")
    (tmp_path / "got" / "train" / "list.txt").write_text("GOT-10k_Train_000001\n")
    lasot = tmp_path / "lasot" / "cat" / "cat-2"  # cat-2 is a training sequence (not in the test split)
    write_frames(lasot / "img", 5, digits=8)
    write_rows(lasot / "groundtruth.txt", boxes(5))
    (lasot / "full_occlusion.txt").write_text("0,0,0,1,0")
    (lasot / "out_of_view.txt").write_text("0,0,0,0,0")
    folder = tmp_path / "folder" / "seqA"
    write_frames(folder / "img", 5)
    write_rows(folder / "groundtruth_rect.txt", boxes(5))
    seqs = load_sequences(
        [f"got10k={tmp_path / 'got'}", f"lasot={tmp_path / 'lasot'}", f"folder={tmp_path / 'folder'}"]
    )
    assert [s.name for s in seqs] == ["got10k:GOT-10k_Train_000001", "lasot:cat-2", "folder:seqA"]
    split = split_and_filter(seqs, TrainConfig(val_fraction=0.0, min_box_side=5))
    assert split.usable["got10k:GOT-10k_Train_000001"].tolist() == [True, True, False, True, True]  # cover 2/8
    assert split.usable["lasot:cat-2"].tolist() == [True, True, True, False, True]  # full occlusion


@pytest.fixture(scope="module")
def curated(tmp_path_factory):
    root = tmp_path_factory.mktemp("cur")
    davis = write_davis(root / "davis", videos=3, frames=4)
    mot = write_mot(root / "mot", sequences=1, frames=3)
    out = root / "curated"
    totals = curate([f"davis={davis}", f"mot={mot}"], out, workers=2, progress=False, log=lambda m: None)
    return davis, mot, out, totals


def test_curate_writes_crops_and_index(curated):
    davis, mot, out, totals = curated
    # 3 DAVIS videos x 4 frames + 3 MOT tracks x 3 frames (the visibility filter is training's choice).
    assert totals == {"videos": 4, "objects": 6, "crops": 21, "bad_frames": 0}
    seqs = load_curated(out)
    s = next(s for s in seqs if s.name == "davis:video0")
    assert s.meta["dataset"] == "davis" and s.meta["video"] == "davis:video0" and len(s.meta["crops"]) == 4
    assert all(p.is_file() for p in s.meta["crops"] + s.meta["masks"])
    # The crop's centre 127 px are the tracker's exemplar crop of that frame (up to JPEG loss).
    from siamfc.io.frames import read_image

    crop = read_image(s.meta["crops"][1])
    frame = read_image(s.frames[1])
    x, y, w, h = s.boxes[1]
    z = crop_and_resize(
        frame, (x + (w - 1) / 2, y + (h - 1) / 2), context_size(w, h), 127, frame.reshape(-1, 3).mean(0)
    )
    c = (crop.shape[0] - 127) // 2
    assert np.abs(crop[c : c + 127, c : c + 127].astype(int) - z.astype(int)).mean() < 3


def test_curate_resumes_and_refuses_other_settings(curated, tmp_path):
    davis, mot, out, _ = curated
    (out / "videos" / "davis_video1.tsv").unlink()
    messages = []
    totals = curate([f"davis={davis}", f"mot={mot}"], out, workers=1, progress=False, log=messages.append)
    assert "curating 1 of 4 videos (3 already done)" in messages[0] and totals["crops"] == 21
    with pytest.raises(ConfigError, match="other settings"):
        curate([f"davis={davis}"], out, side=301, progress=False, log=lambda m: None)
    assert main(["curate", "--out", str(tmp_path / "x")]) == 2  # nothing to curate


def test_training_reads_curated_crops_like_raw_frames(curated):
    davis, mot, out, _ = curated
    cfg = TrainConfig(val_fraction=0.0)
    raw = split_and_filter(load_sequences([f"davis={davis}", f"mot={mot}"]), cfg)
    cur = split_and_filter(load_sequences([f"curated={out}"]), cfg)
    assert sorted(s.name for s in raw.train) == sorted(s.name for s in cur.train)
    a = MemoryBank(raw.train, raw.usable, cfg, progress=False)
    b = MemoryBank(cur.train, cur.usable, cfg, progress=False)
    assert len(a) == len(b) and a.names == b.names
    diff = np.mean([np.abs(a.crop(i).astype(int) - b.crop(i).astype(int)).mean() for i in range(len(a))])
    assert diff < 3  # JPEG loss only
    with pytest.raises(ConfigError, match="curate again"):
        MemoryBank(cur.train, cur.usable, TrainConfig(context=0.6), progress=False)


def test_load_curated_errors(tmp_path):
    with pytest.raises(DataError, match="siamfc curate"):
        load_curated(tmp_path)


def test_plot_train(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "log.csv").write_text(
        "epoch,lr,train_loss,val_loss,val_auc,pairs_per_s,train_s,val_s,pairs_seen\n"
        "0,nan,nan,200,0.3,nan,0,1,0\n1,0.01,0.9,0.8,0.35,20,10,1,80\n2,0.001,0.7,0.75,0.4,21,10,1,160\n"
    )
    (run / "steps.csv").write_text(
        "epoch,step,loss\n" + "".join(f"{e},{s},{1 - 0.01 * s}\n" for e in (1, 2) for s in (1, 2, 3))
    )
    assert main(["plot-train", str(run)]) == 0
    png = run / "curves.png"
    assert png.is_file() and png.read_bytes()[:4] == b"\x89PNG" and png.stat().st_size > 10_000
    assert main(["plot-train", str(tmp_path / "none")]) == 2
    # --compare: a run has one colour in every panel (it used to change from panel to panel).
    other = tmp_path / "other"
    other.mkdir()
    (other / "log.csv").write_text((run / "log.csv").read_text())
    from siamfc.training.plots import curves_figure

    fig = curves_figure([run, other])
    for name in ("run", "other"):
        colours = {
            line.get_color() for ax in fig.axes for line in ax.get_lines() if str(line.get_label()).startswith(name)
        }
        assert len(colours) == 1, (name, colours)
    assert main(["plot-train", str(run), "--compare", str(other)]) == 0


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting for a reaper counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_curate_workers_exit_when_the_parent_is_killed(tmp_path):
    """kill -9 of the curating process: its pool workers end too (they used to go on curating)."""
    root = write_davis(tmp_path / "davis", videos=4, frames=3)
    script = f"""
import os, time
import siamfc.training.curate as curate
def slow(*args, **kwargs):
    print("worker", os.getpid(), flush=True)
    time.sleep(60)
    return {{"bad": []}}
curate.curate_video = slow
curate.curate(["davis={root}"], {str(tmp_path / "out")!r}, workers=2, progress=False)
"""
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        workers = set()
        while len(workers) < 2:
            line = proc.stdout.readline()
            assert line, "the curating process ended early"
            if line.startswith("worker"):
                workers.add(int(line.split()[1]))
        proc.kill()
        proc.wait()
        deadline = time.time() + 10
        while any(_alive(w) for w in workers) and time.time() < deadline:
            time.sleep(0.1)
        assert not any(_alive(w) for w in workers)
    finally:
        proc.kill()
        for w in workers:
            if _alive(w):
                os.kill(w, signal.SIGKILL)
