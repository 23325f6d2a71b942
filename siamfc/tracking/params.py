"""Tracking hyper-parameters: the authors' two released sets, every value overridable, or a
parameter-set file (:mod:`siamfc.tracking.params_file`, e.g. made by ``siamfc tune``)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from siamfc.errors import ConfigError
from siamfc.model.architecture import EXEMPLAR_SIZE, INSTANCE_SIZE


@dataclass(frozen=True)
class TrackerParams:
    """SiamFC's tracking parameters. Defaults are the authors' SiamFC-3s set."""

    num_scales: int = 3
    scale_step: float = 1.0375
    scale_penalty: float = 0.9745
    scale_lr: float = 0.59  # damping of the size update
    window_influence: float = 0.176
    exemplar_size: int = EXEMPLAR_SIZE
    instance_size: int = INSTANCE_SIZE
    response_up: int = 16  # bicubic upsampling of the score map: 17 -> 272
    context: float = 0.5  # p = context * (w + h)
    min_scale: float = 0.2  # search region clamped to [min_scale, max_scale] x its first value
    max_scale: float = 5.0
    # Pick the scale on the raw maps and upsample only that one (False: upsample all, as the
    # reference code does). S - 1 upsamplings fewer, but not the same choice: it differed on 8-48
    # frames per bench sequence (docs/speed.md, docs/results/precision_accuracy.json).
    pick_scale_on_raw: bool = False

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.type in (bool, "bool"):
                ok = isinstance(value, (bool, np.bool_))
            elif f.type in (int, "int"):
                ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
            else:
                ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
                ok = ok and math.isfinite(value)
            if not ok:
                raise ConfigError(f"{f.name} must be a finite {f.type}, got {value!r}")
        for name, (low, high) in RANGES.items():
            value = getattr(self, name)
            if not low <= value <= high:
                raise ConfigError(f"{name} must be in [{low:g}, {high:g}], got {value:g}")
        if self.num_scales % 2 == 0:
            raise ConfigError(f"num_scales must be a positive odd number, got {self.num_scales}")
        if self.scale_penalty <= 0:
            raise ConfigError(f"scale_penalty must be > 0, got {self.scale_penalty:g}")
        if self.min_scale <= 0:
            raise ConfigError(f"min_scale must be > 0, got {self.min_scale:g}")
        if self.instance_size < self.exemplar_size:
            raise ConfigError(
                f"instance_size ({self.instance_size}) must be at least exemplar_size ({self.exemplar_size})"
            )

    def replace(self, **overrides) -> TrackerParams:
        names = {f.name for f in dataclasses.fields(self)}
        unknown = set(overrides) - names
        if unknown:
            raise ConfigError(f"unknown tracker parameter(s) {sorted(unknown)}; known: {sorted(names)}")
        return dataclasses.replace(self, **overrides)


#: The values every parameter may take. Beyond the paper's meaning (odd scale counts, a window
#: weight in [0, 1], a search range around the first size), bounds that keep one tracking step's
#: memory in check: at most 31 scales, crops of at most 1024 px, a x64 upsampling. 87 px is the
#: smallest exemplar the AlexNet gives a feature map for.
RANGES = {
    "num_scales": (1, 31),
    "scale_step": (1.0, 2.0),
    "scale_penalty": (0.0, 1.0),
    "scale_lr": (0.0, 1.0),
    "window_influence": (0.0, 1.0),
    "exemplar_size": (87, 1024),
    "instance_size": (87, 1024),
    "response_up": (1, 64),
    "context": (0.0, 10.0),
    "min_scale": (0.0, 1.0),
    "max_scale": (1.0, 100.0),
}

PRESETS = {
    "3s": TrackerParams(),
    "5s": TrackerParams(num_scales=5, scale_step=1.0255, scale_penalty=0.962, scale_lr=0.34, window_influence=0.168),
}


def get_params(name="3s", **overrides) -> TrackerParams:
    """A parameter set with ``overrides`` applied.

    ``name``: ``3s`` or ``5s`` (the authors' sets), the path of a parameter-set YAML file
    (:func:`~siamfc.tracking.params_file.load_params_file`), or a :class:`TrackerParams`.
    """
    if isinstance(name, TrackerParams):
        base = name
    elif str(name) in PRESETS:
        base = PRESETS[str(name)]
    else:
        from siamfc.tracking.params_file import load_params_file, looks_like_file

        if not looks_like_file(name):
            raise ConfigError(
                f"unknown parameter set {str(name)!r}; choose one of {sorted(PRESETS)} or a parameter-set YAML file"
            )
        base = load_params_file(name)
    return base.replace(**overrides) if overrides else base


def parse_overrides(text: str) -> dict:
    """Parse ``"window_influence=0.2,num_scales=5"`` into typed overrides."""
    fields = {f.name: f.type for f in dataclasses.fields(TrackerParams)}
    out = {}
    for item in filter(None, (t.strip() for t in text.split(","))):
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or key not in fields:
            raise ConfigError(f"bad tracker override {item!r}; expected NAME=VALUE with NAME in {sorted(fields)}")
        try:
            out[key] = _parse_value(value.strip(), fields[key])
        except ValueError:
            raise ConfigError(f"bad value in tracker override {item!r}") from None
    return out


def _parse_value(text: str, kind):
    if kind in (bool, "bool"):
        if text.lower() not in ("true", "false", "1", "0"):
            raise ValueError(text)
        return text.lower() in ("true", "1")
    return int(text) if kind in (int, "int") else float(text)
