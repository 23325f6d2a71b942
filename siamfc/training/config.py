"""The training configuration: one dataclass whose defaults are the paper's (and the reference code's).

Loaded from YAML with every key checked (unknown keys and wrong types are errors, never ignored)
and saved into the run directory, so a run always records exactly what it ran with. The
data-scarcity switches of the later experiments (stronger augmentation, same-frame pairs,
pasting, negatives) default to off.
"""

from __future__ import annotations

import dataclasses
import difflib
import typing
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from siamfc.errors import ConfigError
from siamfc.model.architecture import EXEMPLAR_SIZE, INSTANCE_SIZE


@dataclass
class TrainConfig:
    # -- run ------------------------------------------------------------------------------------
    seed: int = 0
    epochs: int = 50
    pairs_per_epoch: int = 53_200  # the reference code's 53,200 (paper: about 50,000)
    batch_size: int = 8  # global batch (split over DDP processes)
    threads: int = 0  # torch intra-op threads per process; 0 = all cores / processes
    workers: int = 0  # DataLoader worker processes (0: pairs made in the training process)
    precision: str = "bf16"  # "bf16" (autocast on CPU, AMP on CUDA), "fp16" (CUDA AMP) or "fp32"
    device: str = "auto"  # "auto" (CUDA if present), "cpu", "cuda", "cuda:1" ...
    memory_format: str = "auto"  # "channels_last", "contiguous"; auto = channels_last with bf16 (faster on CPU)
    cache_crops: bool = True  # crop every usable frame once into RAM; False: read and crop at each use (big data)
    cache_limit_mib: int = 8192  # estimated RAM of the crop cache above which crops are read from disk instead
    keep_epoch_weights: bool = True  # write weights/epoch_NNN.safetensors each epoch (for choosing by val AUC)

    # -- optimisation -------------------------------------------------------------------------
    lr_initial: float = 1e-2
    lr_final: float = 1e-5  # geometric decay, one value per epoch
    momentum: float = 0.9
    weight_decay: float = 5e-4
    score_gain: float = 1e-3  # fixed gain of the adjust layer (folded into the weights on export)
    init: str = "kaiming"  # Gaussian scaled by the "improved Xavier" (He) rule; "default" = torch's
    # -- fine-tuning ----------------------------------------------------------------------------
    init_from: str = ""  # start from these weights (a shipped name such as "paper", or a path) instead of `init`
    batchnorm: str = "train"  # "train": batch statistics (from scratch); "frozen": BN in eval mode, its
    #                           parameters fixed (fine-tuning a network whose BN was folded: see docs/training.md)
    freeze: list = field(default_factory=list)  # layers whose parameters stay fixed, e.g. [conv1, conv2]

    # -- pairs --------------------------------------------------------------------------------
    max_frame_distance: int = 100  # T, in original frame ids
    sample_by: str = "object"  # draw the object uniformly ("object") or by its usable frames ("frame")
    val_fraction: float = 0.1  # of the videos of each dataset, chosen by seed
    val_videos: list = field(default_factory=list)  # explicit held-out video names (overrides the fraction)
    val_pairs: int = 256  # fixed validation pairs for the validation loss
    val_track_max_frames: int = 100  # tracking AUC on at most this many frames per held-out sequence
    val_track_min_frames: int = 10  # sequences shorter than this are not tracked (too short to say much)
    val_track_sequences: int = 20  # track at most this many held-out sequences (chosen by seed)
    val_track_every: int = 1  # run the tracking validation every N epochs (and at the last)

    # -- frame filters ------------------------------------------------------------------------
    min_box_side: float = 10.0  # px, both sides
    max_area_fraction: float = 0.8  # box area / frame area (DAVIS boxes are often large)
    max_aspect: float = 5.0  # max(w/h, h/w)
    min_visibility: float = 0.5  # MOT visibility ratio
    min_frames_per_object: int = 2

    # -- crops (the paper's geometry) --------------------------------------------------------
    exemplar_size: int = EXEMPLAR_SIZE
    instance_size: int = INSTANCE_SIZE
    search_size: int = 239  # training search input: 15x15 score map
    context: float = 0.5  # p = context * (w + h)

    # -- augmentation (reference defaults) ------------------------------------------------------
    stretch: float = 0.05  # random scale 1 +- stretch (both crops)
    shift: int = 4  # random translation +- px of each crop (the 247 -> 239 random crop of the reference)
    color_jitter: float = 0.1  # per-channel gain 1 +- color_jitter
    gray_prob: float = 0.25  # the paper's OTB model: 25 % of pairs in greyscale
    # data-scarcity switches (off by default)
    scale_jitter: float = 0.0  # extra search-only log-uniform zoom in [1/(1+s), 1+s]
    aspect_jitter: float = 0.0  # search-only aspect change: width x (1 +- a), height / (1 +- a)
    search_shift: int = 0  # extra translation of the search crop (px; labels follow the object)
    blur_prob: float = 0.0  # Gaussian blur of the search crop
    flip_prob: float = 0.0  # horizontal flip of both crops
    same_frame_prob: float = 0.0  # exemplar and search from the same frame (different augmentations)
    negative_prob: float = 0.0  # search from another object, all labels -1
    paste_prob: float = 0.0  # masked DAVIS object pasted onto another video's frame for the search crop

    # -- loss --------------------------------------------------------------------------------
    label_radius: float = 16.0  # px in the search crop (radius 2 cells at stride 8)
    neg_weight: float = 1.0  # relative weight of the negatives after balancing

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        def need(cond, msg):
            if not cond:
                raise ConfigError(msg)

        need(self.epochs >= 1, f"epochs must be >= 1, got {self.epochs}")
        need(self.pairs_per_epoch >= self.batch_size, "pairs_per_epoch must be at least one batch")
        need(self.batch_size >= 1, f"batch_size must be >= 1, got {self.batch_size}")
        need(
            self.precision in ("bf16", "fp16", "fp32"), f"precision must be bf16, fp16 or fp32, got {self.precision!r}"
        )
        need(self.lr_initial > 0, f"lr_initial must be positive, got {self.lr_initial}")
        need(self.lr_final > 0, f"lr_final must be positive, got {self.lr_final}")
        need(
            self.memory_format in ("auto", "channels_last", "contiguous"),
            f"memory_format must be auto, channels_last or contiguous, got {self.memory_format!r}",
        )
        need(self.cache_limit_mib >= 0, f"cache_limit_mib must be >= 0, got {self.cache_limit_mib}")
        need(self.score_gain > 0, f"score_gain must be positive, got {self.score_gain}")
        need(self.sample_by in ("object", "frame"), f"sample_by must be 'object' or 'frame', got {self.sample_by!r}")
        need(self.init in ("kaiming", "default"), f"init must be 'kaiming' or 'default', got {self.init!r}")
        need(self.batchnorm in ("train", "frozen"), f"batchnorm must be 'train' or 'frozen', got {self.batchnorm!r}")
        layers = ("conv1", "conv2", "conv3", "conv4", "conv5")
        need(
            all(x in layers for x in self.freeze),
            f"freeze: unknown layer(s) {[x for x in self.freeze if x not in layers]}; choose from {', '.join(layers)}",
        )
        need(0.0 <= self.val_fraction < 1.0, f"val_fraction must be in [0, 1), got {self.val_fraction}")
        need(self.search_size <= self.instance_size, "search_size must not exceed instance_size")
        need(
            (self.search_size - self.exemplar_size) % 8 == 0,
            "search_size - exemplar_size must be a multiple of the stride 8",
        )
        for name in ("gray_prob", "blur_prob", "flip_prob", "same_frame_prob", "negative_prob", "paste_prob"):
            v = getattr(self, name)
            need(0.0 <= v <= 1.0, f"{name} must be a probability in [0, 1], got {v}")
        need(self.negative_prob + self.paste_prob <= 1.0, "negative_prob + paste_prob must not exceed 1")
        need(
            0 <= self.stretch < 0.5 and 0 <= self.scale_jitter and 0 <= self.aspect_jitter < 0.5,
            "stretch/aspect_jitter must be in [0, 0.5) and scale_jitter >= 0",
        )

    # -- I/O -----------------------------------------------------------------------------------
    @property
    def channels_last(self) -> bool:
        return self.memory_format == "channels_last" or (self.memory_format == "auto" and self.precision == "bf16")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict, source: str = "config") -> TrainConfig:
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: expected a mapping of keys to values")
        fields = {f.name: f for f in dataclasses.fields(cls)}
        unknown = [k for k in data if k not in fields]
        if unknown:
            hints = [
                f"{k!r} (did you mean {difflib.get_close_matches(k, fields, 1)[0]!r}?)"
                if difflib.get_close_matches(k, fields, 1)
                else repr(k)
                for k in unknown
            ]
            raise ConfigError(f"{source}: unknown key(s) {', '.join(hints)}")
        hints = typing.get_type_hints(cls)
        values = {}
        for key, value in data.items():
            values[key] = _coerce(key, value, hints[key], source)
        try:
            return cls(**values)
        except ConfigError as exc:
            raise ConfigError(f"{source}: {exc}") from None

    @classmethod
    def load(cls, path) -> TrainConfig:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}")
        try:
            data = yaml.safe_load(path.read_text())
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from None
        return cls.from_dict(data, source=str(path))

    def save(self, path) -> Path:
        from siamfc.io.files import write_text_atomic

        return write_text_atomic(path, yaml.safe_dump(self.to_dict(), sort_keys=False))

    def diff(self, other: TrainConfig) -> dict:
        """``{key: (self's value, other's value)}`` for every key that differs."""
        a, b = self.to_dict(), other.to_dict()
        return {k: (a[k], b[k]) for k in a if a[k] != b[k]}


def _coerce(key, value, hint, source):
    """Accept YAML's value for a field of type ``hint`` (ints for floats are fine, nothing else)."""
    bad = ConfigError(f"{source}: {key} must be {getattr(hint, '__name__', hint)}, got {value!r}")
    if hint is bool:
        if not isinstance(value, bool):
            raise bad
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise bad
        return value
    if hint is list or typing.get_origin(hint) is list:
        if not isinstance(value, list):
            raise bad
        return [str(v) for v in value]
    return value
