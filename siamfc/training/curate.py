"""``siamfc curate``: the paper's offline curation — one crop per (object, frame), written once.

For every frame with a usable box (finite, positive size, not absent, not entirely outside the
frame) and every object, the square crop of side ``side`` centred on the object at exemplar
scale (context p = (w+h)/2 maps to 127 px), padded with the frame's mean colour, made by the
project's one crop function; its centre 127 px are the exemplar and its centre 255 px the search
crop. Format: :mod:`siamfc.data.curated`.

Videos are processed in parallel processes; a video is complete when its index file
``videos/<video>.tsv`` exists (written atomically last), so an interrupted run resumes by
skipping complete videos. The frame filters of training are *not* applied here (they are a
training choice): every annotated frame is curated, with the box and frame size kept in the index.

Sharded (``shard=Shard(K, N)``, :mod:`siamfc.utils.sharding`): only the videos of shard K (by a
hash of the video's name: a video's objects share frames, so a video is the unit) are curated,
into the same folder as the other shards; they never write the same file, and ``curate.json`` is
created by the first of them and checked by the others. ``index.tsv`` is written by whichever run
finds every video complete -- the last shard to finish, or any later run of the same command.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from siamfc.data.curated import COLUMNS, FORMAT, read_index
from siamfc.data.sequence import Sequence
from siamfc.errors import ConfigError, DataError
from siamfc.io.files import create_text_atomic, write_text_atomic
from siamfc.training.config import TrainConfig
from siamfc.training.crops import crop_item, stored_side
from siamfc.training.data import frame_size, load_sequences
from siamfc.utils.sharding import Shard
from siamfc.utils.worker_pool import worker_pool


def slug(name: str) -> str:
    """A file-system-safe name (``davis:bear`` -> ``davis_bear``)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "_"


def curatable(seq: Sequence) -> np.ndarray:
    """``(N,)`` bool: frames with a box worth cropping (valid, and not entirely outside the frame)."""
    W, H = frame_size(seq)
    b = seq.boxes
    with np.errstate(invalid="ignore"):
        inside = (b[:, 0] < W) & (b[:, 1] < H) & (b[:, 0] + b[:, 2] > 0) & (b[:, 1] + b[:, 3] > 0)
    return seq.valid & inside


def _tsv(rows: list[dict], header: bool = True) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, delimiter="\t", lineterminator="\n")
    if header:
        w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def curate_video(video: str, seqs: list[Sequence], out: str, side: int, cfg: TrainConfig, quality: int) -> dict:
    """Crop every curatable frame of every object of one video; returns counts (runs in a worker)."""
    from siamfc.io.frames import read_image

    out = Path(out)
    usable = {s.name: curatable(s) for s in seqs}
    by_file = defaultdict(list)
    for k, s in enumerate(seqs):
        for j in np.flatnonzero(usable[s.name]):
            by_file[str(s.frames[j])].append((k, int(j)))
    rows, bad = [], []
    for path, jobs in sorted(by_file.items()):
        try:
            image = read_image(path)
        except DataError as exc:
            bad.append(str(exc))
            continue
        for k, j in jobs:
            s = seqs[k]
            crop, avg, mask = crop_item(image, s, j, side, cfg, masks=True)
            fid = int(s.frame_ids[j]) if s.frame_ids is not None else j
            rel = Path("crops") / slug(video) / slug(s.name) / f"{fid:06d}"
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(out / rel.with_suffix(".jpg")), crop, [cv2.IMWRITE_JPEG_QUALITY, quality])
            if mask is not None:
                cv2.imwrite(str(out / rel.with_suffix(".png")), mask)
            W, H = frame_size(s)
            vis = s.meta.get("visibility")
            x, y, w, h = (float(v) for v in s.boxes[j])
            rows.append(
                {
                    "video": video,
                    "object": s.name,
                    "dataset": s.meta.get("dataset", ""),
                    "frame_id": fid,
                    "frame": str(Path(path).resolve()),
                    "crop": rel.with_suffix(".jpg").as_posix(),
                    "mask": rel.with_suffix(".png").as_posix() if mask is not None else "",
                    "x": repr(x),
                    "y": repr(y),
                    "w": repr(w),
                    "h": repr(h),
                    "frame_w": W,
                    "frame_h": H,
                    "visibility": repr(float(vis[j])) if vis is not None else "nan",
                    "avg_b": f"{avg[0]:.2f}",
                    "avg_g": f"{avg[1]:.2f}",
                    "avg_r": f"{avg[2]:.2f}",
                }
            )
    rows.sort(key=lambda r: (r["object"], r["frame_id"]))
    write_text_atomic(out / "videos" / f"{slug(video)}.tsv", _tsv(rows))
    return {"video": video, "crops": len(rows), "bad": bad}


def _check_settings(out: Path, info: dict) -> None:
    old = json.loads((out / "curate.json").read_text())
    if {k: old.get(k) for k in info} != info:
        raise ConfigError(f"{out} was curated with other settings ({old}); use another --out")


def curate(
    specs: list[str],
    out,
    *,
    side: int | None = None,
    context: float = 0.5,
    workers: int | None = None,
    quality: int = 95,
    progress: bool = True,
    log=print,
    shard: Shard | None = None,
) -> dict:
    """Curate every ``FORMAT=PATH`` dataset into ``out`` (see the module doc); returns totals, or,
    while other shards' videos are still missing, ``{"videos", "missing_videos", "bad_frames"}``."""
    out = Path(out)
    cfg = TrainConfig(context=context)
    side = int(side or stored_side(cfg))
    if side < cfg.instance_size:
        raise ConfigError(f"--side must be at least the search crop's {cfg.instance_size} px, got {side}")
    info = {
        "format": FORMAT,
        "version": 1,
        "side": side,
        "context": context,
        "exemplar_size": cfg.exemplar_size,
        "quality": quality,
        "sources": list(specs),
    }
    out.mkdir(parents=True, exist_ok=True)
    if not create_text_atomic(out / "curate.json", json.dumps(info, indent=2) + "\n"):
        _check_settings(out, info)  # an earlier run, or another shard, made it

    seqs = load_sequences(specs)
    videos: dict[str, list[Sequence]] = defaultdict(list)
    for s in seqs:
        videos[s.meta["video"]].append(s)
    slugs = defaultdict(list)
    for v in videos:
        slugs[slug(v)].append(v)
    clash = [names for names in slugs.values() if len(names) > 1]
    if clash:
        raise DataError(f"video names {clash[0]} map to the same folder name; rename one")

    def done(video: str) -> bool:
        return (out / "videos" / f"{slug(video)}.tsv").is_file()

    mine = shard.select(videos) if shard else list(videos)
    todo = [v for v in mine if not done(v)]
    log(
        f"curating {len(todo)} of {len(mine)} videos ({len(mine) - len(todo)} already done)"
        f"{f' of shard {shard} ({len(videos)} videos in all)' if shard else ''} into {out}, crops of {side} px"
    )
    workers = max(1, workers or os.cpu_count() or 1)
    bad = []
    bar = tqdm(total=len(todo), desc="curating", unit="video", disable=not progress)
    if workers == 1:
        for v in todo:
            bad += curate_video(v, videos[v], str(out), side, cfg, quality)["bad"]
            bar.update()
    else:
        with worker_pool(workers) as pool:  # its workers exit if this process is killed
            futures = [pool.submit(curate_video, v, videos[v], str(out), side, cfg, quality) for v in todo]
            for fut in futures:
                bad += fut.result()["bad"]
                bar.update()
    bar.close()
    if bad:
        log(f"warning: skipped {len(bad)} unreadable frame(s), e.g. {bad[0]}")
    missing = [v for v in videos if not done(v)]
    if missing:  # other shards' videos: their last shard (or a later run) writes the index
        log(
            f"{len(missing)} of {len(videos)} videos are not curated yet ({', '.join(missing[:5])}"
            f"{' ...' if len(missing) > 5 else ''}): index.tsv is written once every shard has finished "
            "(by the last one, or by running this command again)"
        )
        return {"videos": len(videos), "missing_videos": missing, "bad_frames": len(bad)}
    rows = [r for v in videos for r in read_index(out / "videos" / f"{slug(v)}.tsv")]
    write_text_atomic(out / "index.tsv", _tsv(rows))
    totals = {
        "videos": len(videos),
        "objects": len({r["object"] for r in rows}),
        "crops": len(rows),
        "bad_frames": len(bad),
    }
    log(
        f"curated {totals['crops']} crops of {totals['objects']} objects in {totals['videos']} videos; index: {out / 'index.tsv'}"
    )
    return totals
