"""Tracking hyper-parameters: the authors' two released sets, every value overridable, or a
parameter-set file (:mod:`siamfc.tracking.params_file`, e.g. made by ``siamfc tune``)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

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
        if self.num_scales < 1 or self.num_scales % 2 == 0:
            raise ConfigError(f"num_scales must be a positive odd number, got {self.num_scales}")
        if not self.scale_step >= 1.0:
            raise ConfigError(f"scale_step must be >= 1, got {self.scale_step}")
        if not 0.0 <= self.window_influence <= 1.0:
            raise ConfigError(f"window_influence must be in [0, 1], got {self.window_influence}")
        if not 0.0 <= self.scale_lr <= 1.0:
            raise ConfigError(f"scale_lr must be in [0, 1], got {self.scale_lr}")
        if not 0.0 < self.scale_penalty <= 1.0:
            raise ConfigError(f"scale_penalty must be in (0, 1], got {self.scale_penalty}")
        if self.response_up < 1:
            raise ConfigError(f"response_up must be at least 1, got {self.response_up}")
        if not 0 < self.exemplar_size <= self.instance_size:
            raise ConfigError(
                f"need 0 < exemplar_size <= instance_size, got {self.exemplar_size} and {self.instance_size}"
            )
        if not self.context >= 0.0:
            raise ConfigError(f"context must be >= 0, got {self.context}")
        if not 0.0 < self.min_scale <= 1.0 <= self.max_scale:
            raise ConfigError(f"need 0 < min_scale <= 1 <= max_scale, got {self.min_scale} and {self.max_scale}")

    def replace(self, **overrides) -> TrackerParams:
        names = {f.name for f in dataclasses.fields(self)}
        unknown = set(overrides) - names
        if unknown:
            raise ConfigError(f"unknown tracker parameter(s) {sorted(unknown)}; known: {sorted(names)}")
        return dataclasses.replace(self, **overrides)


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
