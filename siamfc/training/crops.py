"""Stored crops: one square crop per usable (object, frame), centred on the object at exemplar scale.

The paper extracts crops offline, once per frame, so training never touches full frames. A
stored crop has side ``side`` px at the exemplar's scale (the object's context square
``sqrt((w+p)(h+p))`` maps to 127 px), so its centre 127 px are the exemplar crop and its centre
255 px the paper's search crop: one crop per frame serves both roles. ``side`` is a little over
255 so that the augmentation's shifts and zooms rarely reach the padding.

Two banks with the same interface:

* :class:`MemoryBank` crops raw frames once (each frame decoded once) and keeps uint8 arrays in
  RAM — the project's data (2,000 crops of ~270 px: a few hundred MB) fits easily;
* :class:`DiskBank` reads every crop from its file when used (data too large for RAM).

Both read raw frames or the crops written by ``siamfc curate`` (``siamfc.data.curated``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

import numpy as np
from tqdm import tqdm

from siamfc.data.sequence import Sequence
from siamfc.errors import ConfigError, DataError
from siamfc.tracking.crop import context_size, crop_and_resize
from siamfc.training.config import TrainConfig


def stored_side(cfg: TrainConfig) -> int:
    """Side of a stored crop: enough for the widest search window the augmentation can ask for."""
    zoom_out = (1 + cfg.stretch) * (1 + cfg.scale_jitter) * (1 + cfg.aspect_jitter)
    need = cfg.search_size * zoom_out + 2 * (cfg.shift + cfg.search_shift) + 2
    return int(max(cfg.instance_size, math.ceil(need / 2) * 2 + 1))  # odd: the centre is a pixel


def cache_bytes(seqs: list[Sequence], usable: dict, cfg: TrainConfig, masks: bool) -> int:
    """RAM a :class:`MemoryBank` of these objects would take: one ``side x side x 3`` uint8 crop per
    usable frame (plus a one-channel mask where the sequence has masks), known before any decoding."""
    side = stored_side(cfg)
    total = 0
    for seq in seqs:
        n = int(np.count_nonzero(usable[seq.name]))
        total += n * side * side * (3 + (1 if masks and seq.meta.get("masks") is not None else 0))
    return total


def crop_geometry(box, side: int, cfg: TrainConfig) -> tuple[tuple[float, float], float]:
    """``(centre, frame-pixel size)`` of the stored crop of ``box = (x, y, w, h)``."""
    x, y, w, h = box
    size = context_size(w, h, cfg.context) * side / cfg.exemplar_size
    return (x + (w - 1) / 2, y + (h - 1) / 2), size


class Bank:
    """Index of the stored crops. Item ``i`` is one usable frame of object ``obj[i]``.

    Attributes:
        side: crop side in px.
        obj: ``(n,)`` object index of each item; ``fid``: ``(n,)`` original frame id.
        avg: ``(n, 3)`` float mean colour of the item's frame (the padding colour).
        objects: item indices of each object, in frame order; ``names``: object names;
        videos: video of each object (negatives come from other videos).
    """

    side: int
    has_masks: bool = False
    bad_frames: tuple = ()  # frames that could not be read (MemoryBank fills it)

    def _index(self, obj, fid, avg, names, videos):
        self.obj = np.asarray(obj, dtype=np.int64)
        self.fid = np.asarray(fid, dtype=np.int64)
        self.avg = np.asarray(avg, dtype=np.float64).reshape(-1, 3)
        self.names, self.videos = list(names), list(videos)
        self.objects = [np.flatnonzero(self.obj == k) for k in range(len(self.names))]
        self.masked = [i for i in range(len(self)) if self.has_mask(i)] if self.has_masks else []

    def __len__(self) -> int:
        return len(self.obj)

    def crop(self, i: int) -> np.ndarray:
        raise NotImplementedError

    def mask(self, i: int):
        return None

    def has_mask(self, i: int) -> bool:
        return False


class ArrayBank(Bank):
    """Crops held as uint8 arrays in RAM (given directly: benchmarks, tests; or made by :class:`MemoryBank`)."""

    def __init__(
        self,
        crops: list[np.ndarray],
        obj,
        fid,
        names: list[str],
        videos: list[str] | None = None,
        masks: list | None = None,
        avg=None,
    ):
        self.side = int(crops[0].shape[0])
        self._crops = list(crops)
        self._masks = list(masks) if masks is not None else [None] * len(crops)
        self.has_masks = any(m is not None for m in self._masks)
        if avg is None:
            avg = [c.reshape(-1, 3).mean(axis=0) for c in self._crops]
        self._index(obj, fid, avg, names, videos or names)

    def crop(self, i: int) -> np.ndarray:
        return self._crops[i]

    def mask(self, i: int):
        return self._masks[i]

    def has_mask(self, i: int) -> bool:
        return self._masks[i] is not None

    @property
    def nbytes(self) -> int:
        return sum(c.nbytes for c in self._crops) + sum(m.nbytes for m in self._masks if m is not None)


def source_file(seq: Sequence, j: int) -> Path:
    """The file to read for frame ``j``: its curated crop if the sequence is curated, else the frame."""
    crops = seq.meta.get("crops")
    return Path(crops[j]) if crops is not None else Path(seq.frames[j])


def crop_item(image: np.ndarray, seq: Sequence, j: int, side: int, cfg: TrainConfig, masks: bool):
    """``(crop, pad colour, mask crop or None)`` of frame ``j`` of ``seq``, from its decoded source file.

    A raw frame is cropped around the box; a curated crop (already centred, at exemplar scale) is
    only re-framed to ``side`` when the curation used another side.
    """
    mask = None
    if seq.meta.get("curated"):
        if (seq.meta["crop_context"], seq.meta["crop_exemplar_size"]) != (cfg.context, cfg.exemplar_size):
            raise ConfigError(
                f"the curated crops of {seq.name} were made with context {seq.meta['crop_context']} "
                f"and exemplar size {seq.meta['crop_exemplar_size']}, the config asks for "
                f"{cfg.context} and {cfg.exemplar_size}: curate again"
            )
        avg = seq.meta["avg"][j]
        s0 = image.shape[0]
        centre = ((s0 - 1) / 2, (s0 - 1) / 2)
        crop = image if s0 == side else crop_and_resize(image, centre, side, side, avg)
        if masks and seq.meta.get("masks") is not None:
            from siamfc.data.davis import read_mask

            m = read_mask(seq.meta["masks"][j]).astype(np.uint8) * 255
            mask = m if s0 == side else crop_and_resize(m, centre, side, side, 0)
        return crop, avg, mask
    avg = image.reshape(-1, 3).mean(axis=0)
    centre, size = crop_geometry(seq.boxes[j], side, cfg)
    crop = crop_and_resize(image, centre, size, side, avg)
    if masks and seq.meta.get("masks") is not None:
        from siamfc.data.davis import read_mask

        m = read_mask(seq.meta["masks"][j]).astype(np.uint8) * 255
        mask = crop_and_resize(m, centre, size, side, 0)
    return crop, avg, mask


def plan(seqs: list[Sequence], usable: dict) -> list[tuple[int, int]]:
    """Items ``(sequence index, frame index)`` of every usable frame, in sequence order."""
    return [(k, int(j)) for k, s in enumerate(seqs) for j in np.flatnonzero(usable[s.name])]


def _frame_ids(seqs, items):
    return [int(seqs[k].frame_ids[j]) if seqs[k].frame_ids is not None else j for k, j in items]


class MemoryBank(ArrayBank):
    """Crops made once from raw frames or curated crops and kept in RAM (see the module doc).

    Unreadable files (missing, corrupt) are skipped and listed in ``bad_frames``; a bank with no
    readable file at all is an error.
    """

    def __init__(
        self,
        seqs: list[Sequence],
        usable: dict,
        cfg: TrainConfig,
        *,
        masks: bool = False,
        progress: bool = True,
        desc: str = "cropping frames",
    ):
        from siamfc.io.frames import read_image

        side = stored_side(cfg)
        items = plan(seqs, usable)
        # Group the work by file, so that each frame is decoded once even with many objects.
        by_file = defaultdict(list)
        for n, (k, j) in enumerate(items):
            by_file[str(source_file(seqs[k], j))].append(n)
        crops, crop_masks, avg = [None] * len(items), [None] * len(items), np.zeros((len(items), 3))
        self.bad_frames = []
        for path, jobs in tqdm(sorted(by_file.items()), desc=desc, unit="frame", disable=not progress, leave=False):
            try:
                image = read_image(path)
            except DataError as exc:
                self.bad_frames.append(str(exc))
                continue
            for n in jobs:
                k, j = items[n]
                crops[n], avg[n], crop_masks[n] = crop_item(image, seqs[k], j, side, cfg, masks)
        keep = [n for n in range(len(items)) if crops[n] is not None]
        if not keep:
            raise DataError(
                f"none of the {len(by_file)} training frames could be read"
                + (f" (first: {self.bad_frames[0]})" if self.bad_frames else "")
            )
        kept = [items[n] for n in keep]
        super().__init__(
            [crops[n] for n in keep],
            [k for k, _ in kept],
            _frame_ids(seqs, kept),
            [s.name for s in seqs],
            [s.meta.get("video", s.name) for s in seqs],
            [crop_masks[n] for n in keep],
            avg[keep],
        )


class DiskBank(Bank):
    """Crops read (and cut) from their files at every use: for data too large for RAM.

    With curated crops this is one small JPEG decode per crop; with raw frames a full frame is
    decoded per crop (slow: use ``siamfc curate`` for large sets, or DataLoader workers).
    Unreadable files raise :class:`~siamfc.errors.DataError` when reached.
    """

    def __init__(self, seqs: list[Sequence], usable: dict, cfg: TrainConfig, *, masks: bool = False):
        self.seqs, self.cfg, self.side, self.has_masks = seqs, cfg, stored_side(cfg), masks
        self.items = plan(seqs, usable)
        if not self.items:
            raise DataError("no usable frames to train on")
        avg = np.array(
            [seqs[k].meta["avg"][j] if seqs[k].meta.get("curated") else (114.0, 114.0, 114.0) for k, j in self.items]
        )  # raw frames: replaced by the frame's mean when read
        self._index(
            [k for k, _ in self.items],
            _frame_ids(seqs, self.items),
            avg,
            [s.name for s in seqs],
            [s.meta.get("video", s.name) for s in seqs],
        )

    def _read(self, i: int):
        from siamfc.io.frames import read_image

        k, j = self.items[i]
        crop, avg, mask = crop_item(
            read_image(source_file(self.seqs[k], j)), self.seqs[k], j, self.side, self.cfg, self.has_masks
        )
        self.avg[i] = avg
        return crop, mask

    def crop(self, i: int) -> np.ndarray:
        return self._read(i)[0]

    def mask(self, i: int):
        return self._read(i)[1] if self.has_mask(i) else None

    def has_mask(self, i: int) -> bool:
        k, _ = self.items[i]
        return self.has_masks and self.seqs[k].meta.get("masks") is not None

    nbytes = 0
