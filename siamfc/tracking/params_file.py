"""Parameter-set files: a YAML file that stands wherever a set's name (``3s``, ``5s``) is accepted.

    base: 3s                  # the set the file starts from: 3s (default) or 5s
    params:                   # TrackerParams fields; the others keep the base set's values
      scale_step: 1.041
      scale_penalty: 0.968
      scale_lr: 0.52
      window_influence: 0.21
    tuning: {...}             # what `siamfc tune` recorded (weights digest, data, trials, scores)

``tuning``, ``made_by`` and ``note`` are records for people and are not read. Anything else is an
error, as are mistyped values (an ``int`` field given ``2.5``, a ``bool`` given ``1``) and values
out of range: each one a :class:`~siamfc.errors.ConfigError` that names the file.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from siamfc.errors import ConfigError

#: Top-level keys a parameter-set file may hold; only ``base`` and ``params`` change the set.
FILE_KEYS = ("base", "params", "tuning", "made_by", "note")
#: File name endings that mark a ``--params`` value as a file rather than a set's name.
SUFFIXES = (".yaml", ".yml")


def looks_like_file(spec) -> bool:
    """True if ``spec`` names a file (a path object, a YAML suffix, a folder part, or an existing file)."""
    if isinstance(spec, Path):
        return True
    text = str(spec)
    return text.lower().endswith(SUFFIXES) or "/" in text or "\\" in text or Path(text).is_file()


def load_params_file(path):
    """The :class:`~siamfc.tracking.params.TrackerParams` a parameter-set file describes."""
    import yaml

    from siamfc.tracking.params import PRESETS, TrackerParams

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"parameter-set file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: not a readable YAML file ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a parameter-set file is a mapping with the keys base and params")
    unknown = sorted(map(str, set(data) - set(FILE_KEYS)))
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {unknown}; a parameter-set file has {list(FILE_KEYS)}")
    base = str(data.get("base", "3s"))
    if base not in PRESETS:
        raise ConfigError(f"{path}: base must be one of {sorted(PRESETS)}, got {base!r}")
    values = data.get("params") or {}
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: params must be a mapping of tracker parameters")
    fields = {f.name: f.type for f in dataclasses.fields(TrackerParams)}
    unknown = sorted(map(str, set(values) - set(fields)))
    if unknown:
        raise ConfigError(f"{path}: unknown tracker parameter(s) {unknown}; known: {sorted(fields)}")
    try:  # TrackerParams checks every value's type and range
        return PRESETS[base].replace(**values)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def params_file_text(params, base: str, record: dict | None = None, keys=()) -> str:
    """The YAML text of a parameter-set file for ``params``: the fields that differ from the
    ``base`` set, and ``keys`` always; ``record`` goes under ``tuning``."""
    import yaml

    from siamfc.tracking.params import PRESETS

    if base not in PRESETS:
        raise ConfigError(f"base must be one of {sorted(PRESETS)}, got {base!r}")
    ref = PRESETS[base]
    values = {
        f.name: getattr(params, f.name)
        for f in dataclasses.fields(params)
        if f.name in keys or getattr(params, f.name) != getattr(ref, f.name)
    }
    data = {"base": base, "params": values}
    if record:
        data["tuning"] = record
    header = "# SiamFC tracker parameter set: use it as --params FILE (or params=FILE in Python)\n"
    return header + yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=100)


def save_params_file(path, params, base: str, record: dict | None = None, keys=()) -> Path:
    """Write :func:`params_file_text` to ``path`` atomically; returns the path."""
    from siamfc.io.files import write_text_atomic

    return write_text_atomic(path, params_file_text(params, base, record, keys))
