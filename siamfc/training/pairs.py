"""Training pairs: which two crops, and how they are augmented.

A pair is a pure function of ``(seed, stream, index)``: pair ``g`` of the run is always the same,
whichever process or worker makes it, so runs are deterministic, DDP ranks split a global batch
without talking, and a resumed run sees exactly the pairs it would have seen.

Kinds of pairs (probabilities in the config):

* positive (default): two frames of one object at most ``max_frame_distance`` original frames
  apart (the same frame with probability ``same_frame_prob``);
* negative (``negative_prob``): exemplar of one object, search centred on an object of another
  video; every label is -1;
* pasted (``paste_prob``): the search crop is a masked object (DAVIS) pasted onto another
  video's crop at a random offset and scale, so the background moves and changes.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from siamfc.training.augment import blur, color_gain, log_uniform, paste, to_gray, warp
from siamfc.training.config import TrainConfig
from siamfc.training.crops import Bank

TRAIN_STREAM, VAL_STREAM = 0, 1


class Pair(NamedTuple):
    exemplar: np.ndarray  # (127, 127, 3) uint8 BGR
    search: np.ndarray  # (239, 239, 3) uint8 BGR
    offset: tuple  # (dx, dy) px of the object from the search crop's centre
    positive: bool  # False: no object of the exemplar in the search crop (all labels -1)


class PairMaker:
    """Makes pair ``g`` from a :class:`Bank` (see the module doc)."""

    def __init__(self, bank: Bank, cfg: TrainConfig, stream: int = TRAIN_STREAM, augment: bool = True):
        self.bank, self.cfg, self.stream, self.augment = bank, cfg, stream, augment
        sizes = np.array([len(o) for o in bank.objects], dtype=np.float64)
        weights = sizes if cfg.sample_by == "frame" else (sizes > 0).astype(np.float64)  # objects without crops: never
        self.object_p = weights / weights.sum()
        self.multi_video = len(set(bank.videos)) > 1

    def rng(self, g: int) -> np.random.Generator:
        return np.random.default_rng([self.cfg.seed, self.stream, int(g)])

    # -- choosing crops ------------------------------------------------------------------------
    def _object(self, rng) -> int:
        return int(rng.choice(len(self.object_p), p=self.object_p))

    def _frames(self, rng, k: int, same: bool) -> tuple[int, int]:
        items = self.bank.objects[k]
        z = int(items[rng.integers(len(items))])
        if same:
            return z, z
        fids = self.bank.fid[items]
        near = items[(np.abs(fids - self.bank.fid[z]) <= self.cfg.max_frame_distance) & (items != z)]
        return z, int(near[rng.integers(len(near))]) if len(near) else z

    def _other_video_item(self, rng, k: int) -> int:
        """A random item of an object from another video (or another object if there is one video)."""
        for _ in range(100):
            j = self._object(rng)
            if j != k and (not self.multi_video or self.bank.videos[j] != self.bank.videos[k]):
                items = self.bank.objects[j]
                return int(items[rng.integers(len(items))])
        items = self.bank.objects[k]
        return int(items[rng.integers(len(items))])

    # -- making the pair -------------------------------------------------------------------------
    def __call__(self, g: int) -> Pair:
        cfg, bank = self.cfg, self.bank
        rng = self.rng(g)
        u = rng.random()
        kind = (
            "negative" if u < cfg.negative_prob else "paste" if u < cfg.negative_prob + cfg.paste_prob else "positive"
        )
        if kind == "paste" and not bank.masked:
            kind = "positive"  # no masks in this data: documented fallback
        if kind == "paste":
            z_item = int(bank.masked[rng.integers(len(bank.masked))])
            k = int(bank.obj[z_item])
            same = rng.random() < cfg.same_frame_prob
            cands = [
                i
                for i in bank.objects[k]
                if bank.has_mask(i)
                and abs(bank.fid[i] - bank.fid[z_item]) <= cfg.max_frame_distance
                and (same or i != z_item)
            ]
            x_item = int(cands[rng.integers(len(cands))]) if cands else z_item
        else:
            k = self._object(rng)
            z_item, x_item = self._frames(rng, k, rng.random() < cfg.same_frame_prob)
            if kind == "negative":
                x_item = self._other_video_item(rng, k)

        z_src, x_src = bank.crop(z_item), bank.crop(x_item)
        if kind == "paste":
            x_src = self._pasted(rng, k, x_item)
        if not self.augment:
            return Pair(
                warp(z_src, cfg.exemplar_size, pad=bank.avg[z_item]),
                warp(x_src, cfg.search_size, pad=bank.avg[x_item]),
                (0.0, 0.0),
                kind != "negative",
            )

        if cfg.flip_prob and rng.random() < cfg.flip_prob:
            z_src, x_src = z_src[:, ::-1], x_src[:, ::-1]
        z = warp(
            z_src,
            cfg.exemplar_size,
            zoom=1 + rng.uniform(-cfg.stretch, cfg.stretch),
            shift=rng.integers(-cfg.shift, cfg.shift + 1, size=2),
            pad=bank.avg[z_item],
        )
        extra = rng.integers(-cfg.search_shift, cfg.search_shift + 1, size=2) if cfg.search_shift else np.zeros(2)
        # The base shift (+-4 px) is within the label radius and, as in the reference code, not
        # followed by the labels; the extra search shift moves the labels with the object.
        shift = rng.integers(-cfg.shift, cfg.shift + 1, size=2) + extra
        zoom = (1 + rng.uniform(-cfg.stretch, cfg.stretch)) * log_uniform(rng, cfg.scale_jitter)
        aspect = 1 + rng.uniform(-cfg.aspect_jitter, cfg.aspect_jitter) if cfg.aspect_jitter else 1.0
        x = warp(x_src, cfg.search_size, zoom=zoom, shift=shift, aspect=aspect, pad=bank.avg[x_item])
        if cfg.blur_prob and rng.random() < cfg.blur_prob:
            x = blur(x, rng)
        z, x = color_gain(z, rng, cfg.color_jitter), color_gain(x, rng, cfg.color_jitter)
        if cfg.gray_prob and rng.random() < cfg.gray_prob:
            z, x = to_gray(z), to_gray(x)
        return Pair(z, x, (float(extra[0]), float(extra[1])), kind != "negative")

    def _pasted(self, rng, k: int, x_item: int) -> np.ndarray:
        """The object of ``x_item`` on a crop of another video, moved and zoomed at random."""
        bank = self.bank
        bg_item = self._other_video_item(rng, k)
        side = bank.side
        move = rng.uniform(-0.25, 0.25, size=2) * side
        background = warp(bank.crop(bg_item), side, zoom=log_uniform(rng, 0.3), shift=move, pad=bank.avg[bg_item])
        return paste(background, bank.crop(x_item), bank.mask(x_item))
