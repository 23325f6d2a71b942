"""Weights on disk: safetensors (cannot execute code) plus a JSON model card beside them.

``weights.safetensors`` holds the state dict of :class:`~siamfc.model.SiamFC` in fp32;
``weights.json`` (same stem) holds the card: architecture, training data, schedule, scores, date.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from siamfc.errors import WeightsError
from siamfc.io.files import file_sha256, replace_atomically, write_text_atomic
from siamfc.model.architecture import ARCHITECTURE
from siamfc.model.siamfc import SiamFC

_ASSETS = Path(__file__).resolve().parent.parent / "assets"
_SHIPPED_DIR = _ASSETS / "weights"
#: Weights shipped with the package, by the name users select them with (``weights="paper"``,
#: ``--weights paper``); each file has its model card beside it.
SHIPPED = {
    "paper": "siamfc_paper.safetensors",  # the authors' 2016-08-17 network, converted from int8 TFLite
    "scratch": "siamfc_scratch.safetensors",  # trained from scratch by this project
    "finetuned": "siamfc_finetuned.safetensors",  # the paper's network fine-tuned on this project's data
}
#: The name ``default`` stands for: the shipped weights that scored best on the held-out validation
#: videos (scripts/validate_weights.py; docs/results/validation_resampling_*.json): paper 0.644,
#: finetuned 0.638, scratch 0.624. Fine-tuning did not beat the authors' network there.
DEFAULT_NAME = "paper"
#: The weights used when none are named.
DEFAULT_WEIGHTS = _SHIPPED_DIR / SHIPPED[DEFAULT_NAME]


def shipped_weights() -> dict[str, Path]:
    """``{name: path}`` of the shipped weights present in this installation, ``default`` first."""
    out = {"default": DEFAULT_WEIGHTS} if DEFAULT_WEIGHTS.is_file() else {}
    out.update({name: _SHIPPED_DIR / f for name, f in SHIPPED.items() if (_SHIPPED_DIR / f).is_file()})
    return out


def shipped_int8_exports() -> list[Path]:
    """The int8 graphs shipped beside the shipped weights (``<stem>.int8/``, see
    :mod:`siamfc.runtime.quantize`), each calibrated for the weights file of the same stem."""
    return sorted(p for p in _SHIPPED_DIR.glob("*.int8") if p.is_dir())


def resolve_weights(spec=None) -> Path:
    """The file behind ``spec``: None or ``"default"``, a shipped name (:data:`SHIPPED`), or a path.

    A bare word that is neither a shipped name nor an existing file is an error naming the choices.
    """
    if spec is None or str(spec) == "default":
        return DEFAULT_WEIGHTS
    text = str(spec)
    if text in SHIPPED:
        return _SHIPPED_DIR / SHIPPED[text]
    path = Path(text)
    if not path.exists() and path.suffix == "" and len(path.parts) == 1:
        raise WeightsError(f"unknown weights name {text!r}: choose default, {', '.join(SHIPPED)}, or a file path")
    return path


def card_path(weights_path) -> Path:
    return Path(weights_path).with_suffix(".json")


def save_weights(model: SiamFC, path, card: dict | None = None) -> Path:
    """Write the model's fp32 state dict and its model card, each atomically.

    The card records the weights file's SHA-256 (``weights_sha256``), and :func:`read_card`
    refuses a card whose hash is not that of the file beside it: between the two renames a
    reader may find new weights beside the old card, but it can never use such a pair.
    """
    from safetensors.torch import save_file

    state = {k: v.detach().float().contiguous().cpu() for k, v in model.state_dict().items() if v.is_floating_point()}
    path = replace_atomically(path, lambda tmp: save_file(state, str(tmp), metadata={"architecture": ARCHITECTURE}))
    card = {"architecture": ARCHITECTURE, **dict(card or {}), "weights_sha256": file_sha256(path)}
    write_text_atomic(card_path(path), json.dumps(card, indent=2, sort_keys=False) + "\n")
    return path


def load_state(path) -> dict[str, torch.Tensor]:
    """Read a state dict from ``.safetensors`` or a weights-only ``torch.load`` (never unpickling code)."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"weights file not found: {path}")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            return load_file(str(path))
        state = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure here is a bad file
        raise WeightsError(
            f"cannot read weights file {path}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        ) from None
    if isinstance(state, dict) and "model" in state and isinstance(state["model"], dict):
        state = state["model"]  # a training checkpoint
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WeightsError(f"{path} does not hold a state dict of tensors")
    return state


def load_into(model: SiamFC, state: dict[str, torch.Tensor], source="weights") -> SiamFC:
    """Copy ``state`` into ``model``, naming missing, unexpected or mis-shaped keys."""
    own = model.state_dict()
    missing = [k for k in own if k not in state and own[k].is_floating_point()]
    unexpected = [k for k in state if k not in own]
    if missing or unexpected:
        raise WeightsError(
            f"{source} do not fit the SiamFC AlexNet architecture: "
            f"missing {missing[:3]}{'...' if len(missing) > 3 else ''}, "
            f"unexpected {unexpected[:3]}{'...' if len(unexpected) > 3 else ''} "
            "(convert other formats with `siamfc convert`)"
        )
    for k, v in state.items():
        if tuple(v.shape) != tuple(own[k].shape):
            raise WeightsError(
                f"{source}: {k} has shape {tuple(v.shape)}, the architecture needs {tuple(own[k].shape)}"
            )
    model.load_state_dict({**own, **state}, strict=True)
    return model


def load_weights(path=None) -> SiamFC:
    """A :class:`SiamFC` in eval mode with the weights ``path``: a file, a shipped name, or None (default)."""
    path = resolve_weights(path)
    if path.parent == _SHIPPED_DIR and not path.is_file():
        raise WeightsError(f"the shipped weights {path.name} are missing from this installation; pass --weights FILE")
    model = SiamFC()
    load_into(model, load_state(path), source=str(path))
    return model.eval()


def read_card(path=None) -> dict:
    """The model card beside ``path`` (empty if there is none).

    WeightsError if the card is not a JSON object in UTF-8, or records a ``weights_sha256`` that is not the
    weights file's (a card of other weights, or the two caught half-way through an update).
    """
    path = resolve_weights(path)
    p = card_path(path)
    if not p.is_file():
        return {}
    try:
        card = json.loads(p.read_bytes().decode("utf-8-sig"))
    except OSError as exc:
        raise WeightsError(f"cannot read model card {p}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise WeightsError(f"model card {p} is not UTF-8 text (byte {exc.start}: {exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise WeightsError(f"model card {p} is not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise WeightsError(f"model card {p} is not valid JSON (nested too deeply)") from None
    if not isinstance(card, dict):
        raise WeightsError(f"model card {p} is not a JSON object ({{...}}) but {type(card).__name__}")
    recorded = card.get("weights_sha256")
    if recorded and path.is_file() and recorded != file_sha256(path):
        raise WeightsError(
            f"model card {p} belongs to other weights than {path} (weights_sha256 differs); "
            "re-save the weights with their card"
        )
    return card
