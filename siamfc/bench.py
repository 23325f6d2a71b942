"""Tracking speed, measured side by side: every variant tracks the same frames in one process.

Frames are decoded before timing; the clock covers ``init`` + every ``update`` (crops, network,
post-processing), i.e. what a user's loop costs beyond reading the video.
"""
from __future__ import annotations

import glob
import os
import time
from pathlib import Path

import numpy as np
import torch

from .frames import read_image

DEMO_ROOT = Path(__file__).resolve().parent / "assets" / "demo"


def demo_frames(limit: int | None = None):
    """Frames and the first box of the bundled demo sequence (first OTB-style folder found)."""
    for seq in sorted(DEMO_ROOT.glob("*/")):
        paths = sorted(glob.glob(str(seq / "img" / "*.jpg")))
        gt = seq / "groundtruth_rect.txt"
        if paths and gt.is_file():
            first = [float(v) for v in gt.read_text().replace(",", " ").split()[:4]]
            box = (first[0] - 1, first[1] - 1, first[2], first[3])  # OTB is 1-based
            return [read_image(p) for p in paths[:limit]], box
    raise FileNotFoundError(f"no demo sequence under {DEMO_ROOT}")


def time_tracker(tracker, frames, box, repeats: int = 1) -> float:
    """Frames per second of ``init`` on frame 0 then ``update`` on the rest (best of ``repeats``)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        tracker.init(frames[0], box)
        for frame in frames[1:]:
            tracker.update(frame)
        best = min(best, time.perf_counter() - start)
    return len(frames) / best


def run_bench(variants: dict, frames, box, repeats: int = 2) -> list[dict]:
    """Time each ``name -> tracker factory``; ratios are relative to the first variant."""
    rows = []
    for name, factory in variants.items():
        tracker = factory()
        time_tracker(tracker, frames[:5], box)  # warm-up: allocator, oneDNN kernel selection
        fps = time_tracker(tracker, frames, box, repeats)
        rows.append({"variant": name, "fps": fps, "ms_per_frame": 1000 / fps})
    for row in rows:
        row["ratio"] = row["fps"] / rows[0]["fps"]
    return rows


def machine_line() -> str:
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} logical cores, torch {torch.__version__} ({torch.get_num_threads()} threads)"


def format_table(rows: list[dict]) -> str:
    lines = ["| variant | fps | ms/frame | × first |", "|---|---|---|---|"]
    lines += [f"| {r['variant']} | {r['fps']:.1f} | {r['ms_per_frame']:.1f} | {r['ratio']:.2f} |" for r in rows]
    return "\n".join(lines)


def synthetic_frames(n: int = 60, size=(360, 640), seed: int = 0):
    """Random smooth frames (when no demo sequence is bundled): speed does not depend on content."""
    import cv2

    rng = np.random.default_rng(seed)
    base = cv2.GaussianBlur(rng.integers(0, 255, (*size, 3), dtype=np.uint8), (0, 0), 3)
    return [np.roll(base, 2 * i, axis=1) for i in range(n)], (300.0, 150.0, 40.0, 60.0)
