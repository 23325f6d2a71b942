"""Training data: named datasets -> sequences -> objects with usable frames, and the held-out split.

``--data NAME=PATH`` names a format (``davis``, ``mot``, ``vid``, ``got10k``, ``lasot``,
``otb``, ``uav123``, ``folder``, ``curated``) and its root. Every sequence is one object; its usable frames are
those that pass the frame filters of the config (absent, tiny, huge, extreme aspect, occluded).
Videos (not objects: MOT tracks of one video stay together) are held out by seed.
"""

from __future__ import annotations

import functools
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from siamfc.data.sequence import Sequence
from siamfc.errors import ConfigError, DataError
from siamfc.training.config import TrainConfig


def _got10k_train(root):
    from siamfc.data.got10k import read_got10k

    seqs = list(read_got10k(root, split="train"))
    for s in seqs:
        if "cover" in s.meta:  # 0 (fully covered) .. 8 (visible): the visibility filter reads it as a ratio
            s.meta["visibility"] = np.asarray(s.meta["cover"], dtype=np.float64) / 8.0
    return seqs


def _lasot_train(root):
    """LaSOT's training protocol: every sequence found except the 280 of the test split."""
    from siamfc.data.lasot import LASOT_TEST, read_lasot

    every = read_lasot(root, split=None)
    test = set(LASOT_TEST)
    return [every[n] for n in every.names if n not in test]


def _otb_style(root):
    """Every OTB-style folder under ``root`` (``<seq>/img/`` + ``groundtruth_rect.txt``), one row per frame."""
    from siamfc.data.otb import read_otb

    return list(read_otb(root, version=None, ranges=False))


def _uav123(root):
    """UAV123@10fps sequences (native or OTB-style). Sub-sequences cut from one video (``car16_1``,
    ``car16_2``) share frames, so they are one *video* for the held-out split."""
    from siamfc.data.uav123 import read_uav123, video_and_start

    seqs = list(read_uav123(root, subset="UAV123_10fps"))
    for s in seqs:
        s.meta = {**s.meta, "video": video_and_start(s.name, "UAV123_10fps")[0]}
    return seqs


def _folder(root):
    from siamfc.data.folder import read_folder

    return list(read_folder(root))


def _readers() -> dict:
    """Format name -> ``reader(root) -> list[Sequence]`` (each format has one reader in siamfc.data)."""
    from siamfc.data.curated import load_curated
    from siamfc.data.davis import load_davis
    from siamfc.data.imagenet_vid import load_imagenet_vid
    from siamfc.data.mot import load_mot

    return {
        "davis": load_davis,
        "mot": load_mot,
        "vid": load_imagenet_vid,
        "got10k": _got10k_train,
        "lasot": _lasot_train,
        "otb": _otb_style,
        "uav123": _uav123,
        "folder": _folder,
        "curated": load_curated,
    }


def data_formats() -> list[str]:
    """The ``FORMAT`` names ``--data FORMAT=PATH`` accepts."""
    return sorted(_readers())


def parse_data_spec(spec: str) -> tuple[str, str]:
    """``"davis=/path"`` -> ``("davis", "/path")``."""
    fmt, sep, root = spec.partition("=")
    if not sep or not fmt or not root:
        raise ConfigError(f"--data expects FORMAT=PATH (e.g. davis=/data/davis2016), got {spec!r}")
    return fmt.strip(), root.strip()


def resolve_data_specs(specs: list[str]) -> list[str]:
    """``FORMAT=PATH`` specs with absolute paths (``~`` expanded, links resolved): what a run
    stores, so that it can be resumed from any working directory, and what resumes compare."""
    out = []
    for spec in specs:
        fmt, root = parse_data_spec(spec)
        out.append(f"{fmt}={Path(root).expanduser().resolve()}")
    return out


def load_sequences(specs: list[str]) -> list[Sequence]:
    """Read every ``FORMAT=PATH`` spec; sequence names get a ``FORMAT:`` prefix to stay unique."""
    readers = _readers()
    out = []
    for spec in specs:
        fmt, root = parse_data_spec(spec)
        if fmt not in readers:
            raise ConfigError(f"unknown data format {fmt!r}; available: {', '.join(sorted(readers))}")
        seqs = readers[fmt](root)
        if not seqs:
            raise DataError(f"{fmt} data at {root} has no sequences")
        for s in seqs:
            if s.meta.get("curated"):
                continue  # names, videos and datasets were prefixed when the crops were made
            s.meta = dict(s.meta)
            s.meta.setdefault("video", s.name)
            s.meta["dataset"] = fmt
            s.meta["video"] = f"{fmt}:{s.meta['video']}"
            s.name = f"{fmt}:{s.name}"
        out.extend(seqs)
    return out


def frame_size(seq: Sequence) -> tuple[int, int]:
    """``(W, H)`` of the sequence's frames (decoded once per folder: frames of a video share a size)."""
    if "frame_size" not in seq.meta:
        seq.meta["frame_size"] = _folder_frame_size(str(seq.frames[0].parent), str(seq.frames[0]))
    return seq.meta["frame_size"]


@functools.cache
def _folder_frame_size(folder: str, path: str) -> tuple[int, int]:
    from siamfc.io.frames import read_image

    img = read_image(path)
    return img.shape[1], img.shape[0]


#: filter reasons, in the order they are tested (a frame is counted under its first failure)
REASONS = ("absent", "outside", "tiny", "huge", "aspect", "occluded")


def usable_frames(seq: Sequence, cfg: TrainConfig) -> tuple[np.ndarray, dict]:
    """``(N,)`` bool mask of frames that pass the config's filters, and ``{reason: count}`` of the rest."""
    b = np.asarray(seq.boxes, dtype=np.float64)
    W, H = frame_size(seq)
    reasons = {}
    ok = np.ones(len(b), bool)

    def drop(name, bad):
        nonlocal ok
        bad = bad & ok
        reasons[name] = int(bad.sum())
        ok = ok & ~bad

    with np.errstate(invalid="ignore", divide="ignore"):
        drop("absent", ~seq.valid)
        drop("outside", (b[:, 0] >= W) | (b[:, 1] >= H) | (b[:, 0] + b[:, 2] <= 0) | (b[:, 1] + b[:, 3] <= 0))
        drop("tiny", (b[:, 2] < cfg.min_box_side) | (b[:, 3] < cfg.min_box_side))
        drop("huge", b[:, 2] * b[:, 3] > cfg.max_area_fraction * W * H)
        drop("aspect", np.maximum(b[:, 2] / b[:, 3], b[:, 3] / b[:, 2]) > cfg.max_aspect)
        vis = seq.meta.get("visibility")
        drop("occluded", np.asarray(vis) < cfg.min_visibility if vis is not None else np.zeros(len(b), bool))
    return ok, reasons


@dataclass
class Split:
    train: list[Sequence]
    val: list[Sequence]
    usable: dict  # sequence name -> (N,) bool
    counts: dict = field(default_factory=dict)  # dataset -> statistics (see summary())
    val_videos: list = field(default_factory=list)


def split_and_filter(seqs: list[Sequence], cfg: TrainConfig) -> Split:
    """Apply the filters, drop objects with too few usable frames, hold out videos by seed."""
    usable, counts = {}, {}
    for s in seqs:
        ok, reasons = usable_frames(s, cfg)
        ds = s.meta["dataset"]
        c = counts.setdefault(
            ds,
            {
                "videos": set(),
                "objects": 0,
                "frames": 0,
                "kept_frames": 0,
                "kept_objects": 0,
                "kept_videos": set(),
                **{r: 0 for r in REASONS},
            },
        )
        c["videos"].add(s.meta["video"])
        c["objects"] += 1
        c["frames"] += len(s)
        for r, n in reasons.items():
            c[r] += n
        if ok.sum() >= cfg.min_frames_per_object:
            usable[s.name] = ok
            c["kept_frames"] += int(ok.sum())
            c["kept_objects"] += 1
            c["kept_videos"].add(s.meta["video"])
        else:
            c["few_frames"] = c.get("few_frames", 0) + int(ok.sum())
    for c in counts.values():
        c["videos"], c["kept_videos"] = len(c["videos"]), len(c["kept_videos"])
    kept = [s for s in seqs if s.name in usable]
    if not kept:
        raise DataError(
            "the frame filters left no object with enough usable frames: "
            + "; ".join(f"{ds}: {c}" for ds, c in counts.items())
        )
    val_videos = choose_val_videos(seqs, cfg)
    train = [s for s in kept if s.meta["video"] not in val_videos]
    val = [s for s in kept if s.meta["video"] in val_videos]
    if not train:
        raise DataError("no training objects left after holding out the validation videos")
    return Split(train, val, usable, counts, sorted(val_videos))


def choose_val_videos(seqs: list[Sequence], cfg: TrainConfig) -> set:
    """Held-out videos: the config's list, else ``val_fraction`` of each dataset's videos by seed."""
    all_videos = {s.meta["video"] for s in seqs}
    if cfg.val_videos:
        named = set()
        for v in cfg.val_videos:
            hits = {w for w in all_videos if w == v or w.split(":", 1)[1] == v}
            if not hits:
                raise ConfigError(f"val_videos: no video named {v!r} in the data")
            named |= hits
        return named
    chosen = set()
    for ds in sorted({s.meta["dataset"] for s in seqs}):
        videos = sorted({s.meta["video"] for s in seqs if s.meta["dataset"] == ds})
        n = int(round(cfg.val_fraction * len(videos)))
        if cfg.val_fraction > 0 and len(videos) >= 2:
            n = max(n, 1)
        rng = np.random.default_rng([cfg.seed, zlib.crc32(ds.encode())])
        chosen |= set(rng.permutation(videos)[:n].tolist())
    return chosen


def summary(split: Split) -> str:
    """Human-readable filter counts per dataset, one line each."""
    lines = []
    for ds, c in split.counts.items():
        dropped = ", ".join(f"{r} {c[r]}" for r in REASONS if c[r])
        lines.append(
            f"{ds}: kept {c['kept_frames']}/{c['frames']} frames, {c['kept_objects']}/{c['objects']} objects, "
            f"{c['kept_videos']}/{c['videos']} videos (dropped: {dropped or 'none'}"
            f"{', frames of objects with too few usable frames ' + str(c['few_frames']) if c.get('few_frames') else ''})"
        )
    n_train = sum(int(split.usable[s.name].sum()) for s in split.train)
    lines.append(
        f"train: {len(split.train)} objects, {n_train} frames; validation: {len(split.val)} objects "
        f"from {len(split.val_videos)} held-out videos"
    )
    return "\n".join(lines)
