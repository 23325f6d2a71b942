"""The one atomic writer: unique temporary file, fsync, rename, nothing left behind on error;
weights and their model card never used half-updated."""

from __future__ import annotations

import json
import os
import stat

import pytest
import torch

from siamfc.errors import WeightsError
from siamfc.io import files as fileio
from siamfc.io.files import AtomicFile, create_text_atomic, replace_atomically, write_text_atomic
from siamfc.model import SiamFC
from siamfc.model.weights import card_path, read_card, save_weights


def test_write_replaces_the_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "sub" / "a.txt"
    write_text_atomic(target, "one\n")
    write_text_atomic(target, "two\n")
    assert target.read_text() == "two\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["a.txt"]
    mode = stat.S_IMODE(target.stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask  # readable like a plain file (mkstemp's files are owner-only)


def test_writing_never_changes_the_process_umask(tmp_path, monkeypatch):
    # Setting the umask to read it leaves a moment in which another thread's new files are
    # world-writable: the writer reads it once, at import, and never touches it again.
    def no_umask(mask):
        raise AssertionError(f"os.umask({mask:o}) called while writing")

    monkeypatch.setattr(os, "umask", no_umask)
    write_text_atomic(tmp_path / "a.txt", "one\n")
    with AtomicFile(tmp_path / "b.bin") as f:
        f.tmp.write_bytes(b"x")
    monkeypatch.undo()
    umask = os.umask(0o022)
    os.umask(umask)
    assert fileio._read_umask() == umask and stat.S_IMODE((tmp_path / "b.bin").stat().st_mode) == 0o666 & ~umask


def test_temporary_files_are_unique_and_keep_the_extension(tmp_path):
    a, b = AtomicFile(tmp_path / "v.mp4"), AtomicFile(tmp_path / "v.mp4")
    assert a.tmp != b.tmp and a.tmp.suffix == b.tmp.suffix == ".mp4" and a.tmp.parent == tmp_path
    a.discard()
    b.discard()
    assert list(tmp_path.iterdir()) == []


def test_the_file_is_synced_before_the_rename(tmp_path, monkeypatch):
    events = []
    monkeypatch.setattr(fileio.os, "fsync", lambda fd: events.append("fsync"))
    real_replace = os.replace
    monkeypatch.setattr(fileio.os, "replace", lambda a, b: events.append("replace") or real_replace(a, b))
    write_text_atomic(tmp_path / "x.json", "{}")
    assert events[:2] == ["fsync", "replace"]


def test_an_error_while_writing_keeps_the_old_file_and_removes_the_temporary(tmp_path):
    target = tmp_path / "r.txt"
    target.write_text("old")

    def failing(tmp):
        tmp.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        replace_atomically(target, failing)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.txt"]


def test_create_writes_only_if_absent_and_one_of_many_creators_wins(tmp_path, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    target = tmp_path / "run.json"
    with ThreadPoolExecutor(8) as pool:
        won = list(pool.map(lambda i: create_text_atomic(target, f"writer {i}\n"), range(16)))
    assert won.count(True) == 1 and target.read_text() == f"writer {won.index(True)}\n"
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]  # the losers' temporaries are gone
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    # A file system without hard links: an existence check and a rename instead.
    monkeypatch.setattr(fileio.os, "link", lambda a, b: (_ for _ in ()).throw(PermissionError("no links")))
    assert create_text_atomic(tmp_path / "b.json", "b") and (tmp_path / "b.json").read_text() == "b"
    assert not create_text_atomic(tmp_path / "b.json", "c") and (tmp_path / "b.json").read_text() == "b"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.json", "run.json"]


def test_weights_and_card_are_never_used_as_a_mismatched_pair(tmp_path):
    torch.manual_seed(0)
    path = save_weights(SiamFC(), tmp_path / "w.safetensors", card={"crop_resampling": "bicubic-aa"})
    card = read_card(path)
    assert card["crop_resampling"] == "bicubic-aa" and len(card["weights_sha256"]) == 64
    old_card = card_path(path).read_text()
    # Simulate a reader arriving between the two renames of an update: new weights, old card.
    torch.manual_seed(1)
    save_weights(SiamFC(), path)
    card_path(path).write_text(old_card)
    with pytest.raises(WeightsError, match="other weights"):
        read_card(path)
    card_path(path).write_text("{not json")
    with pytest.raises(WeightsError, match="not valid JSON"):
        read_card(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.json", "w.safetensors"]
    assert json.loads(json.dumps(read_card(tmp_path / "none.safetensors"))) == {}
