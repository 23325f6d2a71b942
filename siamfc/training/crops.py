"""Stored crops: one square crop per usable (object, frame), centred on the object at exemplar scale.

The paper extracts crops offline, once per frame, so training never touches full frames. A
stored crop has side ``side`` px at the exemplar's scale (the object's context square
``sqrt((w+p)(h+p))`` maps to 127 px), so its centre 127 px are the exemplar crop and its centre
255 px the paper's search crop: one crop per frame serves both roles. ``side`` is a little over
255 so that the augmentation's shifts and zooms rarely reach the padding.

Two banks with the same interface:

* :class:`MemoryBank` crops raw frames once (each frame decoded once) and keeps uint8 arrays in
  RAM — the project's data (2,000 crops of ~270 px: a few hundred MB) fits easily;
* :class:`~siamfc.training.curate.CuratedBank` reads crops written by ``siamfc curate``.
"""
from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
from tqdm import tqdm

from ..data.sequence import Sequence
from ..tracking.crop import context_size, crop_and_resize
from .config import TrainConfig


def stored_side(cfg: TrainConfig) -> int:
    """Side of a stored crop: enough for the widest search window the augmentation can ask for."""
    zoom_out = (1 + cfg.stretch) * (1 + cfg.scale_jitter) * (1 + cfg.aspect_jitter)
    need = cfg.search_size * zoom_out + 2 * (cfg.shift + cfg.search_shift) + 2
    return int(max(cfg.instance_size, math.ceil(need / 2) * 2 + 1))  # odd: the centre is a pixel


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

    def __init__(self, crops: list[np.ndarray], obj, fid, names: list[str], videos: list[str] | None = None,
                 masks: list | None = None, avg=None):
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


class MemoryBank(ArrayBank):
    """Crops of raw frames made once and kept in RAM (see the module doc)."""

    def __init__(self, seqs: list[Sequence], usable: dict, cfg: TrainConfig, *, masks: bool = False,
                 progress: bool = True, desc: str = "cropping frames"):
        side = stored_side(cfg)
        # Group the work by frame file, so that each frame is decoded once even with many objects.
        by_frame = defaultdict(list)
        for k, s in enumerate(seqs):
            for j in np.flatnonzero(usable[s.name]):
                by_frame[str(s.frames[j])].append((k, int(j)))
        items = sorted((k, j, path) for path, jobs in by_frame.items() for k, j in jobs)
        order = {(k, j): n for n, (k, j, _) in enumerate(items)}
        crops, crop_masks = [None] * len(items), [None] * len(items)
        avg = np.zeros((len(items), 3))
        from ..errors import DataError
        from ..frames import read_image

        #: frames that could not be read (missing or corrupt): skipped, reported by the trainer
        self.bad_frames = []
        for path, jobs in tqdm(sorted(by_frame.items()), desc=desc, unit="frame", disable=not progress, leave=False):
            try:
                image = read_image(path)
            except DataError as exc:
                self.bad_frames.append(str(exc))
                continue
            mean = image.reshape(-1, 3).mean(axis=0)
            for k, j in jobs:
                n = order[(k, j)]
                centre, size = crop_geometry(seqs[k].boxes[j], side, cfg)
                crops[n] = crop_and_resize(image, centre, size, side, mean)
                avg[n] = mean
                mask_files = seqs[k].meta.get("masks") if masks else None
                if mask_files is not None:
                    from ..data.davis import read_mask

                    m = read_mask(mask_files[j]).astype(np.uint8) * 255
                    crop_masks[n] = crop_and_resize(m, centre, size, side, 0)
        keep = [n for n in range(len(items)) if crops[n] is not None]
        if not keep:
            raise DataError(f"none of the {len(by_frame)} training frames could be read"
                            + (f" (first: {self.bad_frames[0]})" if self.bad_frames else ""))
        super().__init__([crops[n] for n in keep], [items[n][0] for n in keep],
                         [int(seqs[k].frame_ids[j]) if seqs[k].frame_ids is not None else j
                          for k, j, _ in (items[n] for n in keep)],
                         [s.name for s in seqs], [s.meta.get("video", s.name) for s in seqs],
                         [crop_masks[n] for n in keep], avg[keep])
