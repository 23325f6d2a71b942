"""The videos a tuning run scores: read from ``FORMAT=PATH`` specs, cut to clips, split by video.

Formats: those of ``siamfc train --data`` (``davis``, ``mot``, ``vid``, ``got10k``, ``lasot``,
``otb``, ``uav123``, ``folder``, ``curated``) and every benchmark reader of ``siamfc eval
--dataset`` (``otb2015``, ``vot2016``, ``got10k-val``, ``dtb70``, ...); where a name is both
(``otb``), the training reader is used. Sequence and video names get a ``FORMAT:`` prefix, as in
training, so that the held-out lists of training runs (``runs/*/val_videos.txt``) name them.

A clip is a sequence from its first frame with a usable box, at most ``frames_per_video`` frames,
as the training's validation tracks them; a sequence with fewer than ``min_frames`` such frames is
left out (and listed). The split is by *video* (the objects of one MOT video stay together):
named held-out videos, or else the ``held_out_fraction`` of the videos whose SHA-256 of the name
comes first -- deterministic, independent of the order the readers list them in.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from siamfc.data.sequence import Sequence
from siamfc.errors import ConfigError, DataError

#: How the videos are split when no held-out videos are named (recorded in the output).
SPLIT_RULE = "held out: the videos whose SHA-256 of the name (hex) sorts first, round(fraction x videos), at least 1"


@dataclass
class Clip:
    """Frames ``start`` .. ``end - 1`` of ``seq``: one tuning step (``seq.boxes[start]`` is usable)."""

    seq: Sequence
    start: int
    end: int

    @property
    def name(self) -> str:
        return self.seq.name

    @property
    def video(self) -> str:
        return _video(self.seq)

    def describe(self) -> list:
        return [self.name, self.start, self.end]


@dataclass
class Videos:
    """The clips of the search (``tune``) and of the check (``held_out``), and what was left out."""

    tune: list[Clip]
    held_out: list[Clip]
    too_short: list[str] = field(default_factory=list)  # sequences with fewer than min_frames usable frames
    missing: list[str] = field(default_factory=list)  # named held-out videos that the data does not hold
    rule: str = SPLIT_RULE

    def describe(self) -> dict:
        return {
            "tune": [c.describe() for c in self.tune],
            "held_out": [c.describe() for c in self.held_out],
            "tune_videos": sorted({c.video for c in self.tune}),
            "held_out_videos": sorted({c.video for c in self.held_out}),
            "too_short": self.too_short,
            "held_out_not_in_data": self.missing,
            "split": self.rule,
        }


def name_hash(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8")).hexdigest()


def load_videos(specs) -> list[Sequence]:
    """Every sequence of every ``FORMAT=PATH`` spec (names prefixed ``FORMAT:``, ``meta['video']`` set)."""
    from siamfc.data.registry import DATASETS, open_dataset
    from siamfc.training.data import data_formats, load_sequences, parse_data_spec

    training = data_formats()
    out: list[Sequence] = []
    for spec in specs:
        fmt, root = parse_data_spec(spec)
        if fmt in training:
            out.extend(load_sequences([spec]))
            continue
        if fmt not in DATASETS:
            raise ConfigError(
                f"unknown data format {fmt!r}; training formats: {', '.join(sorted(training))}; "
                f"benchmark readers: {', '.join(DATASETS)}"
            )
        seqs = open_dataset(fmt, root)
        if not len(seqs):
            raise DataError(f"{fmt} data at {root} has no sequences")
        for seq in seqs:
            seq.meta = {**seq.meta, "dataset": fmt, "video": f"{fmt}:{_video(seq)}"}
            seq.name = f"{fmt}:{seq.name}"
            out.append(seq)
    names = [s.name for s in out]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise DataError(f"the same sequence comes from two --data specs: {dup[:5]}")
    return out


def to_clip(seq: Sequence, frames_per_video: int, min_frames: int) -> Clip | None:
    """The clip of ``seq`` (see the module doc), or None if it is shorter than ``min_frames``."""
    ok = np.flatnonzero(seq.valid)
    if len(ok) == 0:
        return None
    start = int(ok[0])
    end = min(len(seq), start + frames_per_video)
    return Clip(seq, start, end) if end - start >= min_frames else None


def read_names(spec) -> list[str]:
    """Held-out video names: a file with one per line (``#`` comments), or a comma-separated list."""
    if isinstance(spec, (list, tuple)):
        return [str(n).strip() for n in spec if str(n).strip()]
    path = Path(str(spec))
    if path.is_file():
        lines = path.read_text(encoding="utf-8").splitlines()
        return [s.split("#", 1)[0].strip() for s in lines if s.split("#", 1)[0].strip()]
    return [n.strip() for n in str(spec).split(",") if n.strip()]


def _video(seq: Sequence) -> str:
    return seq.meta.get("video", seq.name)


def _named(seq: Sequence, wanted: str) -> bool:
    """True if ``wanted`` names ``seq`` or its video, with or without the ``FORMAT:`` prefix."""
    names = (_video(seq), seq.name)
    return wanted in names or wanted in (n.split(":", 1)[-1] for n in names)


def split_videos(
    seqs: list[Sequence],
    *,
    frames_per_video: int,
    min_frames: int,
    held_out=None,
    held_out_fraction: float = 0.25,
    held_out_seqs: list[Sequence] = (),
) -> Videos:
    """Cut ``seqs`` into clips and split them by video (see the module doc).

    ``held_out``: video names (or a file of them) to hold out; names not in the data are listed in
    ``missing`` (a list of a training run's held-out videos may name data not given here), but
    naming none that is present is an error. ``held_out_seqs``: sequences held out as a whole
    (another data set). Clips are ordered by the hash of their name, which mixes the datasets
    in the order trials are pruned on.
    """
    if frames_per_video < 2 or min_frames < 2:
        raise ConfigError("--frames-per-video and --min-frames must be at least 2")
    if not 0.0 <= held_out_fraction < 1.0:
        raise ConfigError(f"--held-out-fraction must be in [0, 1), got {held_out_fraction}")
    too_short = []

    def clips(group):
        out = []
        for seq in group:
            clip = to_clip(seq, frames_per_video, min_frames)
            (out.append(clip) if clip else too_short.append(seq.name))
        return sorted(out, key=lambda c: name_hash(c.name))

    videos = sorted({_video(s) for s in seqs}, key=name_hash)
    missing: list[str] = []
    rule = SPLIT_RULE
    if held_out:
        wanted = read_names(held_out)
        chosen = {_video(s) for s in seqs if any(_named(s, w) for w in wanted)}
        missing = [w for w in wanted if not any(_named(s, w) for s in seqs)]
        if not chosen:
            raise ConfigError(f"none of the held-out videos {wanted[:5]} is in the data")
        rule = "held out: the named videos"
    elif held_out_fraction > 0 and not held_out_seqs:
        n = max(1, int(round(held_out_fraction * len(videos))))
        if n >= len(videos):
            raise ConfigError(f"{len(videos)} video(s): too few to hold out {held_out_fraction:g} of them and tune")
        chosen = set(videos[:n])
    else:
        chosen = set()
    tune = clips([s for s in seqs if _video(s) not in chosen])
    held = clips([s for s in seqs if _video(s) in chosen] + list(held_out_seqs))
    if held_out_seqs:
        rule = "held out: the --held-out-data videos" + (" and the named videos" if held_out else "")
    if not tune:
        raise DataError("no video left to tune on (all held out or shorter than --min-frames)")
    if not held:
        raise DataError(
            "no held-out video to check the tuned set on: hold some out (--held-out, --held-out-fraction, "
            "--held-out-data); a set chosen on the videos it is scored on says nothing about other video"
        )
    return Videos(tune, held, sorted(too_short), missing, rule)
