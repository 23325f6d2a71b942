"""Tracking speed, measured side by side: every variant tracks the same frames in one process.

Frames are decoded before timing; the clock covers ``init`` + every ``update`` (crops, network,
post-processing), i.e. what a user's loop costs beyond reading the video.
"""
from __future__ import annotations

import os
import time

import torch


def demo_frames(limit: int | None = None):
    """Decoded frames and the first box of the bundled demo sequence."""
    from .demo import demo_sequence

    seq = demo_sequence()
    n = len(seq) if limit is None else min(limit, len(seq))
    return [seq.frame(i) for i in range(n)], tuple(seq.boxes[0])


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
