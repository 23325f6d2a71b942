"""Tiny on-disk datasets for the reader and evaluation tests (written by the tests, never shipped)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def write_frames(folder: Path, n: int, digits: int = 4, start: int = 1, size=(48, 64)) -> list[Path]:
    """``n`` small JPEGs named ``<start:0digits>.jpg`` ..., each a distinct grey level."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        p = folder / f"{start + i:0{digits}d}.jpg"
        cv2.imwrite(str(p), np.full((*size, 3), (i * 7) % 255, np.uint8))
        paths.append(p)
    return paths


def write_rows(path: Path, rows, sep: str = ",") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(sep.join(str(v) for v in r) + "\n" for r in rows))
    return path


def boxes(n: int, x0: float = 10, y0: float = 12, w: float = 20, h: float = 15, dx: float = 1.0):
    """``n`` 1-based file rows of a box moving right by ``dx`` px per frame."""
    return [[x0 + i * dx, y0, w, h] for i in range(n)]


def write_moving_square(folder: Path, n: int, digits: int = 4, size=(60, 80), side: int = 16, step: int = 2):
    """Frames of a bright textured square moving right on a dark noisy background; returns 1-based rows."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    patch = rng.integers(150, 255, (side, side, 3), dtype=np.uint8)
    rows = []
    for i in range(n):
        img = rng.integers(0, 60, (*size, 3), dtype=np.uint8)
        x, y = 10 + i * step, 20
        img[y : y + side, x : x + side] = patch
        cv2.imwrite(str(folder / f"{i + 1:0{digits}d}.png"), img)
        rows.append([x + 1, y + 1, side, side])
    return rows


def write_otb_root(root: Path, names, n: int) -> Path:
    """An OTB-style root: one ``<name>/img`` folder of a moving square (a different speed each)
    with its ``groundtruth_rect.txt``."""
    for k, name in enumerate(names):
        rows = write_moving_square(root / name / "img", n, step=1 + k)
        write_rows(root / name / "groundtruth_rect.txt", rows)
    return root
