"""Tiny synthetic training data written by the tests: DAVIS- and MOT-style folders.

A textured object moves over a smooth textured background, so the network has something to
learn and crops differ from frame to frame; frames are small to keep cropping cheap.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def _scene(rng, w, h):
    bg = rng.integers(0, 255, size=(h // 8 + 1, w // 8 + 1, 3), dtype=np.uint8)
    return cv2.resize(bg, (w, h), interpolation=cv2.INTER_CUBIC)


def write_davis(root, videos=3, frames=6, size=(160, 120), step=4, seed=0, with_gt=True) -> Path:
    """``root/<video>/JPEGImages``, ``Annotations`` masks, ``groundtruth_rect.txt`` (1-based), ``frames.txt``."""
    root = Path(root)
    rng = np.random.default_rng(seed)
    w, h = size
    for v in range(videos):
        d = root / f"video{v}"
        (d / "JPEGImages").mkdir(parents=True)
        (d / "Annotations").mkdir()
        bg = _scene(rng, w, h)
        obj = rng.integers(0, 255, size=(30, 24, 3), dtype=np.uint8)
        x0, y0 = rng.integers(10, 60), rng.integers(10, 40)
        rows, ids = [], []
        for i in range(frames):
            x, y = x0 + 5 * i, y0 + 3 * i
            img = bg.copy()
            img[y : y + 30, x : x + 24] = obj
            mask = np.zeros((h, w), np.uint8)
            mask[y : y + 30, x : x + 24] = 255
            stem = f"{i * step:05d}"
            cv2.imwrite(str(d / "JPEGImages" / f"{stem}.jpg"), img)
            cv2.imwrite(str(d / "Annotations" / f"{stem}.png"), mask)
            rows.append(f"{x + 1},{y + 1},24,30")
            ids.append(stem)
        if with_gt:
            (d / "groundtruth_rect.txt").write_text("\n".join(rows) + "\n")
            (d / "frames.txt").write_text("\n".join(ids) + "\n")
    return root


def write_mot(root, sequences=2, frames=4, tracks=3, size=(200, 150), seed=1) -> Path:
    """``root/<seq>/img1/000001.jpg``, ``gt/gt.txt`` (frame,id,x,y,w,h,considered,class,visibility), ``seqinfo.ini``."""
    root = Path(root)
    rng = np.random.default_rng(seed)
    w, h = size
    for s in range(sequences):
        d = root / f"MOT17-{s:02d}-FRCNN"
        (d / "img1").mkdir(parents=True)
        (d / "gt").mkdir()
        bg = _scene(rng, w, h)
        people = [
            (rng.integers(0, 255, size=(40, 16, 3), dtype=np.uint8), rng.integers(5, 120), rng.integers(5, 90))
            for _ in range(tracks)
        ]
        lines = []
        for f in range(1, frames + 1):
            img = bg.copy()
            for t, (tex, x0, y0) in enumerate(people, 1):
                x, y = int(x0 + 4 * f), int(y0 + f)
                img[y : y + 40, x : x + 16] = tex
                lines.append(f"{f},{t},{x + 1},{y + 1},16,40,1,1,{1.0 if t != 3 else 0.2}")
            lines.append(f"{f},99,1,1,30,30,0,7,1.0")  # a not-considered static person: ignored
            cv2.imwrite(str(d / "img1" / f"{f:06d}.jpg"), img)
        (d / "gt" / "gt.txt").write_text("\n".join(lines) + "\n")
        (d / "seqinfo.ini").write_text(f"[Sequence]\nname={d.name}\nimDir=img1\nseqLength={frames}\nimExt=.jpg\n")
    return root
