"""Converters from the two public SiamFC weight files to this project's format.

**siamfc-pytorch** (huanglianghua/siamfc-pytorch, ``siamfc_alexnet_e50.pth``): ``torch.save`` of
``Net(backbone=AlexNetV1(), head=SiamFC(out_scale=0.001)).state_dict()``. Keys
``backbone.conv{1..5}.0.{weight,bias}`` (convolutions, PyTorch ``O x I/groups x kH x kW``) and
``backbone.conv{1..4}.1.{weight,bias,running_mean,running_var,num_batches_tracked}`` (batch
norm); the head has no parameters (fixed gain 0.001, no bias). Differences to ours: it reads
frames as **RGB** (``cv2.cvtColor(BGR2RGB)``), and its batch norm has ``eps = 1e-6`` (ours 1e-5).

**MatConvNet DagNN** (bertinetto/siamese-fc, ``2016-08-17.net.mat``): ``net.params`` is a struct
array of ``name``/``value`` pairs; the shared branch parameters are ``br_conv{i}f`` (filters,
MATLAB ``H x W x Cin/groups x Cout``), ``br_conv{i}b`` (``Cout x 1``), and for i = 1..4
``br_bn{i}m`` (multiplier, ``C x 1``), ``br_bn{i}b`` (bias, ``C x 1``), ``br_bn{i}x`` (moments,
``C x 2``: mean and standard deviation, the latter already ``sqrt(var + eps)``: MatConvNet's
batch norm in test mode is ``m * (x - mean) / std + b``). The score adjustment is either a batch
norm on the score map (``fin_adjust_bn{m,b,x}``, 1 channel, the 2016 release) or the
``adjust_f``/``adjust_b`` 1x1 convolution of the released training code (``fin_adjustf`` /
``fin_adjustb`` in the CFNet releases). A ``.mat`` holding a MATLAB ``dagnn.DagNN`` object
(not its ``saveobj`` struct) cannot be read outside MATLAB, and networks whose pooling is not
SiamFC's (CFNet: pool2 stride 1) are refused from the layer geometry. Frames are **RGB**
(MATLAB ``imread``), pixel values 0..255, no mean subtraction.

How they map onto :class:`~siamfc.model.SiamFC` (BGR input, BN eps 1e-5, score =
0.001 * xcorr + bias), exactly (the converted model computes the same scores):

* RGB -> BGR: conv1's input channels are reversed;
* eps: each BN multiplier is rescaled by ``sqrt(var + 1e-5) / sqrt(var + eps_source)`` (with
  ``var = std^2`` for MatConvNet) so that the normalisation is unchanged;
* adjust (MatConvNet): the source score is ``k * xcorr + c`` with ``k = m / std`` (``adjust_f``)
  and ``c = b - m * mean / std`` (``adjust_b``). ``c`` becomes our bias; the gain ``k`` is
  absorbed by scaling conv5 (weights and bias) by ``a = sqrt(k / 0.001)``, because the
  correlation is bilinear in the two feature maps. conv1-conv4 features are unchanged; conv5
  features are the source's times ``a`` (recorded in the model card as ``conv5_scale``).
"""

from __future__ import annotations

import math
import multiprocessing
import re
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch

from siamfc.errors import WeightsError
from siamfc.io.files import file_sha256
from siamfc.model.siamfc import SiamFC
from siamfc.model.weights import load_state, save_weights

FORMATS = ("siamfc-pytorch", "matconvnet", "tflite")
#: Batch-norm epsilon of siamfc-pytorch's AlexNetV1 (``_BatchNorm2d``).
SIAMFC_PYTORCH_EPS = 1e-6


def _rescale_bn(weight: torch.Tensor, var: torch.Tensor, source_eps: float, target_eps: float) -> torch.Tensor:
    """BN multiplier for ``target_eps`` that reproduces ``weight / sqrt(var + source_eps)``."""
    return weight * torch.sqrt(var + target_eps) / torch.sqrt(var + source_eps)


def _check_and_load(model: SiamFC, state: dict[str, torch.Tensor], source: str) -> SiamFC:
    own = model.state_dict()
    for key, value in state.items():
        if key not in own:
            raise WeightsError(f"{source}: unexpected parameter {key}")
        if tuple(value.shape) != tuple(own[key].shape):
            raise WeightsError(
                f"{source}: {key} has shape {tuple(value.shape)}, SiamFC's AlexNet needs {tuple(own[key].shape)} "
                "(a different architecture?)"
            )
    missing = [k for k, v in own.items() if k not in state and v.is_floating_point() and not k.startswith("head.")]
    if missing:
        raise WeightsError(f"{source}: missing {missing[:3]}{'...' if len(missing) > 3 else ''}")
    not_finite = [k for k, v in state.items() if v.is_floating_point() and not bool(torch.isfinite(v).all())]
    if not_finite:
        raise WeightsError(f"{source}: {not_finite[0]} holds numbers that are not finite (NaN or inf) once converted")
    model.load_state_dict({**own, **{k: v.to(own[k].dtype) for k, v in state.items()}})
    return model.eval()


# -- siamfc-pytorch -----------------------------------------------------------------------------
def from_siamfc_pytorch(
    state: dict[str, torch.Tensor], source: str = "siamfc-pytorch weights", source_eps: float = SIAMFC_PYTORCH_EPS
) -> SiamFC:
    """A :class:`SiamFC` computing what siamfc-pytorch's ``Net`` computes on the RGB version of a frame."""
    state = {re.sub(r"^module\.", "", k): v for k, v in state.items()}  # saved from DataParallel
    if not any(k.startswith("backbone.conv1.") for k in state):
        raise WeightsError(f"{source} is not a siamfc-pytorch state dict (no backbone.conv1.* keys)")
    model = SiamFC()
    target_eps = model.backbone.conv1[1].eps  # type: ignore[index,union-attr]  # the shipped AlexNetEmbedding
    out = {}
    for key, value in state.items():
        if key.endswith("num_batches_tracked"):
            continue
        if not key.startswith("backbone."):
            raise WeightsError(f"{source}: unexpected parameter {key} (siamfc-pytorch's head has none)")
        out[key] = value.detach().float().clone()
    for i in range(1, 5):
        w, v = f"backbone.conv{i}.1.weight", f"backbone.conv{i}.1.running_var"
        if w in out and v in out:
            out[w] = _rescale_bn(out[w], out[v], source_eps, target_eps)
    if "backbone.conv1.0.weight" in out:
        out["backbone.conv1.0.weight"] = out["backbone.conv1.0.weight"].flip(1)  # RGB -> BGR
    out["head.bias"] = torch.zeros(1)
    return _check_and_load(model, out, source)


# -- MatConvNet ---------------------------------------------------------------------------------
#: How long the child process may read a .mat file before it counts as damaged (a damaged file can
#: loop scipy's reader forever; the authors' 9 MB network file reads in a fraction of a second).
MAT_READ_SECONDS = 5


def read_matconvnet_params(path) -> dict[str, np.ndarray]:
    """``net.params`` of a MatConvNet DagNN ``.mat`` file as ``name -> array`` (needs scipy).

    scipy's MAT reader is not hardened against damaged files (its documentation says so): one
    changed byte in an element's type code makes it read outside its tables and crash the
    process. Where the platform can fork, the file is therefore read in a child process, and a
    crash there is a WeightsError naming the file; elsewhere (Windows) it is read in this process.
    """
    try:
        import scipy.io  # noqa: F401 - checked here, used by _read_params
    except ImportError:
        raise WeightsError("reading MatConvNet .mat files needs scipy: pip install 'siamfc[convert]'") from None
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"weights file not found: {path}")
    if "fork" not in multiprocessing.get_all_start_methods():
        return _read_params(path)
    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_read_params_in_child, args=(path, sender), daemon=True)
    child.start()
    sender.close()
    try:
        if not receiver.poll(MAT_READ_SECONDS):  # a damaged file can also send scipy's reader into a loop
            child.kill()
            child.join()
            raise WeightsError(
                f"cannot read {path} as a .mat file: the reader ran for more than {MAT_READ_SECONDS} s "
                "(a real network file takes under one); the file is damaged or not a MATLAB file"
            )
        kind, payload = receiver.recv()
    except EOFError:  # the child died without an answer: scipy's reader crashed on the file
        child.join()
        raise WeightsError(
            f"cannot read {path} as a .mat file: the reader crashed on it (exit code {child.exitcode}); "
            "the file is damaged or not a MATLAB file"
        ) from None
    finally:
        receiver.close()
    child.join()
    if kind == "error":
        raise WeightsError(payload)
    return payload


def _read_params_in_child(path: Path, sender) -> None:
    import faulthandler

    faulthandler.disable()  # a crash here is expected of damaged files and reported by the parent
    try:
        sender.send(("params", _read_params(path)))
    except WeightsError as exc:
        sender.send(("error", str(exc)))
    except BaseException as exc:  # noqa: BLE001 - whatever it is, the parent reports it as a bad file
        sender.send(("error", f"cannot read {path} as a .mat file: {type(exc).__name__}"))
    finally:
        sender.close()


def _read_params(path: Path) -> dict[str, np.ndarray]:
    import scipy.io

    try:
        mat = scipy.io.loadmat(str(path), squeeze_me=False, struct_as_record=True)
    except NotImplementedError:
        raise WeightsError(f"{path} is a MATLAB v7.3 (HDF5) file; re-save it in MATLAB with save(..., '-v7')") from None
    except Exception as exc:  # noqa: BLE001 - any failure here is a bad file
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        raise WeightsError(f"cannot read {path} as a .mat file: {type(exc).__name__}: {reason}") from None
    if "net" not in mat and any("dagnn.DagNN" in repr(v) for k, v in mat.items() if not k.startswith("__")):
        raise WeightsError(
            f"{path} holds a MATLAB dagnn.DagNN object, which only MATLAB can read: load it in MATLAB "
            "and re-save it as a struct with `net = net.saveobj(); save(file, 'net')`"
        )
    _check_matconvnet_pooling(mat, path)
    try:
        params = mat["net"]["params"][0, 0]
        names = [str(np.asarray(n).ravel()[0]) for n in params["name"].ravel()]
        values = [np.asarray(v, dtype=np.float64) for v in params["value"].ravel()]
    except (KeyError, ValueError, IndexError, TypeError, OverflowError):
        raise WeightsError(f"{path} is not a MatConvNet DagNN file (no net.params with name/value)") from None
    for name, value in zip(names, values):
        if not np.isfinite(value).all():
            raise WeightsError(f"{path}: parameter {name!r} holds numbers that are not finite (NaN or inf)")
    return dict(zip(names, values))


def _check_matconvnet_pooling(mat: dict, path: Path) -> None:
    """Refuse networks whose pooling is not SiamFC's 3x3 / stride 2 (total stride 8), from ``net.layers``.

    CFNet's releases reuse SiamFC's conv1/conv2 shapes but pool2 has stride 1 (total stride 4):
    the filter shapes alone would not tell them apart.
    """
    try:
        layers = mat["net"]["layers"][0, 0].ravel()
    except (KeyError, ValueError, IndexError, TypeError):
        return  # no layer list: the parameter shapes are all there is to check
    for layer in layers:
        try:
            kind = str(np.asarray(layer["type"]).ravel()[0])
            name = str(np.asarray(layer["name"]).ravel()[0])
            block = layer["block"]
            stride = np.asarray(block["stride"][0, 0]).ravel().tolist() if kind == "dagnn.Pooling" else None
            stride = [int(v) for v in stride] if stride is not None else None
        except (KeyError, ValueError, IndexError, TypeError, OverflowError):
            continue
        if stride and any(v != 2 for v in stride):
            raise WeightsError(
                f"{path}: pooling layer {name} has stride {'x'.join(str(v) for v in stride)}; "
                "SiamFC's AlexNet pools with stride 2 (total stride 8). A stride-1 pool2 (total stride "
                "4) is CFNet's network, which this tracker does not run"
            )


def from_matconvnet(params: dict[str, np.ndarray], source: str = "MatConvNet weights") -> tuple[SiamFC, dict]:
    """A :class:`SiamFC` computing the MatConvNet network's scores on the RGB version of a frame.

    Returns the model and facts for the model card (``conv5_scale``, the source's score gain).
    Parameters of another shape or size than SiamFC's, or that give non-finite weights, are a
    WeightsError naming ``source``.
    """
    try:
        return _from_matconvnet(params, source)
    except (ValueError, IndexError, ZeroDivisionError, OverflowError) as exc:
        raise WeightsError(
            f"{source}: parameters of an unexpected shape or value ({type(exc).__name__}: {exc})"
        ) from None


def _from_matconvnet(params: dict[str, np.ndarray], source: str) -> tuple[SiamFC, dict]:
    params = {re.sub(r"^br_", "", k): v for k, v in params.items()}

    def get(name: str) -> np.ndarray:
        if name not in params:
            raise WeightsError(f"{source}: parameter {name!r} (or br_{name}) not found; has {sorted(params)[:8]}...")
        return params[name]

    def vector(name: str) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(get(name), dtype=np.float32).reshape(-1))

    model = SiamFC()
    target_eps = model.backbone.conv1[1].eps  # type: ignore[index,union-attr]  # the shipped AlexNetEmbedding
    state = {}
    for i in range(1, 6):
        f = get(f"conv{i}f")
        if f.ndim == 3:  # MATLAB drops a trailing singleton dimension
            f = f[..., None]
        if f.ndim != 4:
            raise WeightsError(f"{source}: conv{i}f has shape {f.shape}, expected H x W x Cin x Cout")
        weight = torch.from_numpy(np.ascontiguousarray(f.transpose(3, 2, 0, 1), dtype=np.float32))  # -> O I H W
        state[f"backbone.conv{i}.0.weight"] = weight
        state[f"backbone.conv{i}.0.bias"] = vector(f"conv{i}b")
        if i < 5:
            moments = get(f"bn{i}x").reshape(-1, 2).astype(np.float32)
            var = torch.from_numpy(moments[:, 1] ** 2)
            state[f"backbone.conv{i}.1.weight"] = _rescale_bn(vector(f"bn{i}m"), var, 0.0, target_eps)
            state[f"backbone.conv{i}.1.bias"] = vector(f"bn{i}b")
            state[f"backbone.conv{i}.1.running_mean"] = torch.from_numpy(moments[:, 0].copy())
            state[f"backbone.conv{i}.1.running_var"] = var
    state["backbone.conv1.0.weight"] = state["backbone.conv1.0.weight"].flip(1)  # RGB -> BGR

    # Score adjustment: source score = gain * xcorr + bias.
    if "fin_adjust_bnm" in params:
        m, b = float(vector("fin_adjust_bnm")[0]), float(vector("fin_adjust_bnb")[0])
        mean, std = (float(v) for v in get("fin_adjust_bnx").reshape(-1)[:2])
        gain, bias = m / std, b - m * mean / std
    elif "adjust_f" in params:
        gain, bias = float(vector("adjust_f")[0]), float(vector("adjust_b")[0])
    elif "fin_adjustf" in params:  # the CFNet releases' name for the same 1x1 adjustment
        gain, bias = float(vector("fin_adjustf")[0]), float(vector("fin_adjustb")[0])
    else:
        raise WeightsError(f"{source}: no score adjustment found (fin_adjust_bn* or adjust_f/adjust_b)")
    if not gain > 0:
        raise WeightsError(f"{source}: the score gain is {gain:g}; only a positive gain can be folded into conv5")
    scale = math.sqrt(gain / model.head.gain)
    state["backbone.conv5.0.weight"] = state["backbone.conv5.0.weight"] * scale
    state["backbone.conv5.0.bias"] = state["backbone.conv5.0.bias"] * scale
    state["head.bias"] = torch.tensor([bias], dtype=torch.float32)
    return _check_and_load(model, state, source), {"conv5_scale": scale, "source_score_gain": gain}


# -- files ----------------------------------------------------------------------------------------
def detect_format(path) -> str:
    """The format of ``path``: by extension, else by content (a TFLite file's identifier)."""
    from siamfc.model.tflite import is_tflite

    suffix = Path(path).suffix.lower()
    if suffix == ".mat":
        return "matconvnet"
    if suffix in (".pth", ".pt", ".bin", ".ckpt"):
        return "siamfc-pytorch"
    if suffix == ".tflite" or is_tflite(path):
        return "tflite"
    raise WeightsError(f"cannot tell the format of {path} from its extension; pass --format {' or '.join(FORMATS)}")


def from_tflite(src: Path, adjust=None) -> tuple[SiamFC, dict]:
    """A :class:`SiamFC` from a TFLite SiamFC (see :mod:`siamfc.model.tflite`) and facts for its card.

    The score adjustment comes from ``src`` itself (the whole-model file), from ``adjust`` (the
    cross-correlation or whole-model file), or from such a file beside ``src``.
    """
    from siamfc.model.tflite import read_score_adjustment, read_tflite, to_state_dict

    net = read_tflite(src)
    facts = {}
    if net.score_gain is None:
        candidates = (
            [Path(adjust)]
            if adjust
            else sorted(
                p for p in src.parent.glob("*.tflite") if p.name.startswith(("cross_correlation", "whole_model"))
            )
        )
        for path in candidates:
            net.score_gain, net.score_bias = read_score_adjustment(path)
            if net.score_gain is not None:
                facts["score_adjustment_from"] = {"file": path.name, "sha256": file_sha256(path)}
                break
        else:
            raise WeightsError(
                f"{src} has no score adjustment and "
                + (
                    f"{adjust} has none either"
                    if adjust
                    else "no cross_correlation*/whole_model*.tflite lies beside it"
                )
                + "; pass the file that has it with --adjust"
            )
    state, more = to_state_dict(net, head_gain=SiamFC().head.gain)
    return _check_and_load(SiamFC(), state, str(src)), {**more, **facts}


def convert_file(src, dst, fmt: str | None = None, adjust=None, card_extra: dict | None = None) -> tuple[Path, dict]:
    """Convert ``src`` (siamfc-pytorch ``.pth``, MatConvNet ``.mat`` or TFLite) to ``dst`` (.safetensors + .json card).

    ``adjust``: for TFLite, the file holding the score adjustment (default: the file itself or one beside it).
    ``card_extra``: more model-card entries (provenance, measurements).
    """
    src, dst = Path(src), Path(dst)
    fmt = fmt or detect_format(src)
    if fmt not in FORMATS:
        raise WeightsError(f"unknown format {fmt!r}; choose one of {FORMATS}")
    if dst.suffix != ".safetensors":
        raise WeightsError(f"write converted weights to a .safetensors file, not {dst}")
    if not src.is_file():
        raise WeightsError(f"weights file not found: {src}")
    extra: dict = {}
    if fmt == "siamfc-pytorch":
        model = from_siamfc_pytorch(load_state(src), source=str(src))
        notes = (
            "conv1 input channels reversed (RGB -> BGR); BN multipliers rescaled from eps 1e-6 to 1e-5; "
            "head: gain 0.001, bias 0 (as the source)"
        )
    elif fmt == "matconvnet":
        model, extra = from_matconvnet(read_matconvnet_params(src), source=str(src))
        notes = (
            "conv1 input channels reversed (RGB -> BGR); BN moments (mean, std) -> running mean/var with "
            "multipliers rescaled for eps 1e-5; score adjustment folded into conv5 (x conv5_scale) and the bias"
        )
    else:
        model, extra = from_tflite(src, adjust)
        notes = (
            f"{extra['quantisation']}: weights scale x (q - zero_point) per output channel, int32 biases "
            "input_scale x weight_scale x q; two-branch convolutions -> grouped convolutions; conv1 input "
            "channels reversed (RGB -> BGR) and the input quantisation folded into conv1; batch norm folded "
            "in the source (identity BN layers here); score gain folded into conv5 (x conv5_scale), bias kept"
        )
    card = {
        "architecture": "siamfc-alexnet",
        "converted_from": {"file": src.name, "format": fmt, "sha256": file_sha256(src)},
        "conversion": notes,
        **extra,
        **(card_extra or {}),
        "input": "BGR uint8 frames, pixel values 0..255",
        "training_data": "as the source file (not trained by this project)",
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
    }
    return save_weights(model, dst, card=card), card
