"""Reading SiamFC's AlexNet from a TensorFlow Lite file (the authors' network, quantised to int8).

The only copy of the paper's own network at hand is a full-int8 TFLite export of the authors'
``2016-08-17.net.mat`` (bilylee/SiamFC-TensorFlow's conversion, quantised by a fork of it). Two
files of that export matter:

* ``template_image_feature_extractor_full_quant_scale1.tflite``: the embedding phi on a
  127x127 crop, batch norm already folded into the convolutions (conv -> ReLU);
* ``whole_model_full_quant_scale1.tflite``: the whole scoring graph, with batch norm as a
  per-channel ``MUL`` and ``ADD`` after each convolution, and the score adjustment
  ``detection/mul/x`` (gain) and ``detection/biases``;
* ``cross_correlation_scale3.tflite``: the correlation and the same adjustment in float.

The file is parsed with the ``tflite`` package (the TFLite flatbuffer schema, generated code).
Weights are dequantised per output channel, ``scale * (q - zero_point)``; int32 biases as
``input_scale * weight_scale * q`` (the TFLite convention, which the bias tensor's own scale
records; that recorded scale is used when present). Layers are found by their tensor names (``conv{i}[/b{1,2}]/weights``): the two-group
convolutions of AlexNet are two convolutions on a ``SPLIT`` of the input, concatenated, which is
exactly a PyTorch grouped convolution with the ``b1`` filters first. The layer geometry (kernel,
stride, padding, pooling) is checked against SiamFC's, so a network of another shape (CFNet's
stride-4 variants, a wider AlexNet) is refused with the reason.

Mapped onto :class:`~siamfc.model.SiamFC`: filters ``O x kH x kW x I`` -> ``O x I x kH x kW``;
RGB input -> BGR (conv1's input channels reversed); the input quantisation folded into conv1;
batch norm set to the identity (the convolutions carry it); the score gain folded into conv5 as
for MatConvNet files when it is not 0.001.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from siamfc.errors import WeightsError

#: SiamFC's AlexNet as TFLite stores it: filters ``(out, kH, kW, in)`` per branch, stride, branches.
LAYERS = {
    "conv1": ((96, 11, 11, 3), 2, 1),
    "conv2": ((128, 5, 5, 48), 1, 2),
    "conv3": ((384, 3, 3, 256), 1, 1),
    "conv4": ((192, 3, 3, 192), 1, 2),
    "conv5": ((128, 3, 3, 192), 1, 2),
}
_WEIGHT_NAME = re.compile(r"(conv[1-5])(?:/b([12]))?/weights$")
_BN_NAME = re.compile(r"(conv[1-4])(?:/b([12]))?/BatchNorm/FusedBatchNormV3_(mul_0|add)_param$")
_MAGIC = b"TFL3"


@dataclass
class TFLiteNetwork:
    """What a TFLite SiamFC file holds, as float arrays in TFLite's layout.

    Attributes:
        filters: layer -> ``(O, kH, kW, I)`` (the two branches concatenated along O).
        biases: layer -> ``(O,)``; batch norm folded in when the file has it as MUL/ADD.
        input_scale, input_zero_point: real input = scale * (pixel - zero_point).
        score_gain, score_bias: the adjustment after the correlation, if the file has it.
        quantisation: a short description for the model card.
    """

    filters: dict
    biases: dict
    input_scale: float
    input_zero_point: float
    score_gain: float | None
    score_bias: float | None
    quantisation: str


def _schema():
    try:
        import tflite
    except ImportError:
        raise WeightsError("reading .tflite files needs the tflite package: pip install 'siamfc[convert]'") from None
    return tflite


def _enum_names(enum_class) -> dict:
    return {v: k for k, v in vars(enum_class).items() if not k.startswith("_")}


class TFLiteGraph:
    """The first subgraph of a TFLite model, with typed access to tensors and operators."""

    def __init__(self, path: Path):
        tfl = _schema()
        self.path, self.tfl = path, tfl
        if not path.is_file():
            raise WeightsError(f"weights file not found: {path}")
        data = path.read_bytes()
        if data[4:8] != _MAGIC:
            raise WeightsError(f"{path} is not a TensorFlow Lite file (no TFL3 identifier)")
        try:
            self.model = tfl.Model.GetRootAsModel(data, 0)
            self.graph = self.model.Subgraphs(0)
            self.ops = [self._op(k) for k in range(self.graph.OperatorsLength())]
            self.names = [self.graph.Tensors(i).Name().decode() for i in range(self.graph.TensorsLength())]
        except Exception as exc:  # noqa: BLE001 - a truncated or corrupt flatbuffer fails anywhere
            raise WeightsError(
                f"{path} is truncated or corrupt (cannot parse its flatbuffer: {type(exc).__name__})"
            ) from None
        self.type_names = _enum_names(tfl.TensorType)

    def _op(self, k: int):
        op = self.graph.Operators(k)
        code = self.model.OperatorCodes(op.OpcodeIndex())
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        name = _enum_names(self.tfl.BuiltinOperator).get(builtin, str(builtin))
        return name, [int(i) for i in op.InputsAsNumpy()], [int(i) for i in op.OutputsAsNumpy()], op

    def type_of(self, i: int) -> str:
        return self.type_names.get(self.graph.Tensors(i).Type(), "?")

    def quant(self, i: int) -> tuple[np.ndarray | None, np.ndarray | None, int]:
        q = self.graph.Tensors(i).Quantization()
        if q is None or q.ScaleLength() == 0:
            return None, None, 0
        zp = q.ZeroPointAsNumpy() if q.ZeroPointLength() else np.zeros(q.ScaleLength(), np.int64)
        return q.ScaleAsNumpy().astype(np.float64), np.asarray(zp, np.float64), q.QuantizedDimension()

    def raw(self, i: int) -> np.ndarray:
        """The constant data of tensor ``i`` in its stored type and shape."""
        t = self.graph.Tensors(i)
        dtypes = {"INT8": np.int8, "UINT8": np.uint8, "INT32": np.int32, "FLOAT32": np.float32, "INT16": np.int16}
        kind = self.type_of(i)
        if kind not in dtypes:
            raise WeightsError(f"{self.path}: tensor {self.names[i]} has type {kind}, which is not supported")
        buf = self.model.Buffers(t.Buffer())
        data = buf.DataAsNumpy() if buf is not None and buf.DataLength() else None
        if data is None or isinstance(data, int):
            raise WeightsError(f"{self.path}: tensor {self.names[i]} has no constant data")
        shape = tuple(int(s) for s in t.ShapeAsNumpy()) if t.ShapeLength() else ()
        try:
            return np.frombuffer(data.tobytes(), dtype=dtypes[kind]).reshape(shape)
        except ValueError:
            raise WeightsError(
                f"{self.path}: tensor {self.names[i]} holds {data.size} bytes, too few for {shape} (truncated file?)"
            ) from None

    def dequantised(self, i: int, expect=("INT8", "FLOAT32")) -> np.ndarray:
        """Tensor ``i`` as float64: ``scale * (q - zero_point)`` along its quantised dimension."""
        kind = self.type_of(i)
        if kind not in expect:
            raise WeightsError(
                f"{self.path}: {self.names[i]} is {kind}; supported quantisation types: {', '.join(expect)}"
            )
        q = self.raw(i).astype(np.float64)
        if kind == "FLOAT32":
            return q
        scale, zp, axis = self.quant(i)
        if scale is None or zp is None:
            raise WeightsError(f"{self.path}: {self.names[i]} is {kind} without quantisation parameters")
        shape = [1] * q.ndim
        if scale.size > 1:
            shape[axis] = scale.size
        return scale.reshape(shape) * (q - zp.reshape(shape))


def _options(graph: TFLiteGraph, op, kind: str):
    tfl = graph.tfl
    table = op[3].BuiltinOptions()
    cls = {"CONV_2D": tfl.Conv2DOptions, "MAX_POOL_2D": tfl.Pool2DOptions}[kind]
    opts = cls()
    opts.Init(table.Bytes, table.Pos)
    return opts


def _check_geometry(graph: TFLiteGraph, layer: str, op, source: str) -> None:
    tfl = graph.tfl
    opts = _options(graph, op, "CONV_2D")
    stride = LAYERS[layer][1]
    if (opts.StrideH(), opts.StrideW()) != (stride, stride) or opts.Padding() != tfl.Padding.VALID:
        raise WeightsError(
            f"{source}: {layer} has stride {opts.StrideH()}x{opts.StrideW()} and padding "
            f"{'VALID' if opts.Padding() == tfl.Padding.VALID else 'SAME'}; SiamFC's AlexNet has stride "
            f"{stride} and no padding (not SiamFC's AlexNet)"
        )
    if (opts.DilationHFactor(), opts.DilationWFactor()) != (1, 1):
        raise WeightsError(f"{source}: {layer} is dilated; SiamFC's AlexNet is not")


def read_tflite(path) -> TFLiteNetwork:
    """Read SiamFC's AlexNet from a TFLite file (the feature extractor or the whole model).

    Any file gives finite weights or a WeightsError naming it: a flatbuffer whose offsets point
    outside the file (truncated, corrupt) fails inside the generated reader, in any of its calls.
    """
    path = Path(path)
    net = _parsing(path, _read_network)
    arrays = [*net.filters.values(), *net.biases.values()]
    numbers = [net.input_scale, net.input_zero_point, *(v for v in (net.score_gain, net.score_bias) if v is not None)]
    if not all(np.isfinite(a).all() for a in arrays) or not all(math.isfinite(v) for v in numbers):
        raise WeightsError(f"{path}: weights or quantisation parameters that are not finite numbers")
    if not net.input_scale > 0:
        raise WeightsError(f"{path}: input scale {net.input_scale:g}; a positive scale is needed")
    return net


def _parsing(path: Path, read):
    """``read(path)``, with any failure inside the flatbuffer reader made a WeightsError naming the file."""
    try:
        return read(path)
    except WeightsError:
        raise
    except Exception as exc:  # noqa: BLE001 - a corrupt flatbuffer fails anywhere in the generated code
        raise WeightsError(
            f"{path} is truncated or corrupt (cannot parse its flatbuffer: {type(exc).__name__})"
        ) from None


def _read_network(path: Path) -> TFLiteNetwork:
    graph = TFLiteGraph(path)
    source = str(path)
    convs = {}  # weight tensor name -> first CONV_2D using it (the exemplar and search branches share weights)
    for op in graph.ops:
        if op[0] == "CONV_2D" and len(op[1]) >= 2:
            name = graph.names[op[1][1]]
            if _WEIGHT_NAME.search(name) and name not in convs:
                convs[name] = op
    layers: dict[str, dict] = {}
    for name, op in convs.items():
        match = _WEIGHT_NAME.search(name)
        assert match is not None  # convs holds only the names this pattern found
        layer, branch = match.groups()
        layers.setdefault(layer, {})[int(branch or 1)] = op
    if set(layers) != set(LAYERS):
        raise WeightsError(
            f"{source} is not SiamFC's AlexNet: convolution layers {sorted(layers) or 'none'} found by "
            f"name, conv1-conv5 needed"
        )
    pools = [op for op in graph.ops if op[0] == "MAX_POOL_2D"]
    for op in pools:
        opts = _options(graph, op, "MAX_POOL_2D")
        geometry = (opts.FilterHeight(), opts.FilterWidth(), opts.StrideH(), opts.StrideW())
        if geometry != (3, 3, 2, 2):
            raise WeightsError(
                f"{source}: a max pooling is {geometry[0]}x{geometry[1]} with stride "
                f"{geometry[2]}x{geometry[3]}; SiamFC's AlexNet pools 3x3 with stride 2 (total stride 8). "
                "A stride-1 pool2 is CFNet's stride-4 network, which this tracker does not run"
            )
    if not pools:
        raise WeightsError(f"{source}: no max pooling found; not SiamFC's AlexNet")

    bn: dict = {}
    for i, name in enumerate(graph.names):
        m = _BN_NAME.search(name)
        if m and graph.type_of(i) in ("INT8", "FLOAT32") and graph.graph.Tensors(i).Buffer():
            bn.setdefault((m.group(1), int(m.group(2) or 1)), {})[m.group(3)] = i

    filters, biases, kinds = {}, {}, set()
    for layer, (shape, _, branches) in LAYERS.items():
        if sorted(layers[layer]) != list(range(1, branches + 1)):
            raise WeightsError(
                f"{source}: {layer} has branches {sorted(layers[layer])}; SiamFC's AlexNet has "
                f"{branches} group(s) there (not SiamFC's AlexNet)"
            )
        ws, bs = [], []
        for b in range(1, branches + 1):
            op = layers[layer][b]
            _check_geometry(graph, layer, op, source)
            w_idx, b_idx, x_idx = op[1][1], op[1][2] if len(op[1]) > 2 else -1, op[1][0]
            kinds.add(graph.type_of(w_idx))
            w = graph.dequantised(w_idx)
            if w.shape != shape:
                raise WeightsError(
                    f"{source}: {layer} filters have shape {w.shape}, SiamFC's AlexNet has {shape} "
                    "(O x kH x kW x I per group): not SiamFC's AlexNet"
                )
            bias = np.zeros(shape[0]) if b_idx < 0 else _bias(graph, b_idx, w_idx, x_idx, source)
            if (layer, b) in bn:  # the whole-model file: y = (conv + bias) * mul + add
                mul = graph.dequantised(bn[(layer, b)]["mul_0"]).reshape(-1)
                add = graph.dequantised(bn[(layer, b)]["add"]).reshape(-1)
                w, bias = w * mul[:, None, None, None], bias * mul + add
            ws.append(w)
            bs.append(bias)
        filters[layer], biases[layer] = np.concatenate(ws), np.concatenate(bs)

    in_scale, in_zp = _input_quantisation(graph)
    score_gain, score_bias = read_score_adjustment(graph)
    scales = [graph.quant(layers[layer][1][1][1])[0] for layer in LAYERS]  # conv weights' scales
    per_channel = all(s is not None and s.size > 1 for s in scales)
    quant = (
        "float32"
        if kinds == {"FLOAT32"}
        else f"{'/'.join(sorted(k.lower() for k in kinds))} {'per-channel' if per_channel else 'per-tensor'}, dequantised"
    )
    return TFLiteNetwork(filters, biases, in_scale, in_zp, score_gain, score_bias, quant)


def _bias(graph: TFLiteGraph, b_idx: int, w_idx: int, x_idx: int, source: str) -> np.ndarray:
    """A convolution's bias in float: int32 ``q * input_scale * weight_scale`` (checked), or float."""
    kind = graph.type_of(b_idx)
    if kind == "FLOAT32":
        return graph.raw(b_idx).astype(np.float64)
    if kind != "INT32":
        raise WeightsError(f"{source}: bias {graph.names[b_idx]} is {kind}; supported: INT32, FLOAT32")
    own, _, _ = graph.quant(b_idx)
    if own is not None:
        # Normally input_scale x weight_scale; the whole-model file shares one bias tensor between the
        # exemplar and search branches, whose input scales differ, so the tensor's own scale decides.
        return graph.raw(b_idx).astype(np.float64) * own
    w_scale, _, _ = graph.quant(w_idx)
    x_scale, _, _ = graph.quant(x_idx)
    if w_scale is None or x_scale is None:
        raise WeightsError(f"{source}: int32 bias {graph.names[b_idx]} without input/weight scales")
    return graph.raw(b_idx).astype(np.float64) * x_scale[0] * w_scale


def _input_quantisation(graph: TFLiteGraph) -> tuple[float, float]:
    """Real value of a raw pixel ``p`` at conv1 is ``scale * (p - zero_point)`` (pixels fed as uint8)."""
    graph_inputs = [int(i) for i in graph.graph.InputsAsNumpy()]
    x = next(
        (
            i
            for i in graph_inputs
            if graph.type_of(i) in ("UINT8", "INT8", "FLOAT32") and graph.graph.Tensors(i).ShapeAsNumpy()[-1] == 3
        ),
        None,
    )
    if x is None:
        raise WeightsError(f"{graph.path}: no 3-channel image input")
    if graph.type_of(x) == "FLOAT32":
        return 1.0, 0.0
    scale, zp, _ = graph.quant(x)
    if scale is None or zp is None:
        return 1.0, 0.0
    return float(scale[0]), float(zp[0])


def read_score_adjustment(graph_or_path) -> tuple[float | None, float | None]:
    """``(gain, bias)`` of the score adjustment (``detection/mul/x``, ``detection/biases``), if present.

    A bias of the correlation itself (``detection/cross_correlation_bias``) is folded into the
    returned bias (``gain * c + b``).
    """
    if not isinstance(graph_or_path, TFLiteGraph):
        return _parsing(Path(graph_or_path), lambda path: read_score_adjustment(TFLiteGraph(path)))
    graph = graph_or_path

    def scalar(suffix):
        hits = [i for i, n in enumerate(graph.names) if n.endswith(suffix) and graph.graph.Tensors(i).Buffer()]
        for i in hits:
            try:
                return float(graph.dequantised(i, expect=("INT8", "UINT8", "FLOAT32")).reshape(-1)[0])
            except WeightsError:
                continue
        return None

    gain, bias = scalar("detection/mul/x"), scalar("detection/biases")
    if gain is None or bias is None:
        return None, None
    corr_bias = scalar("detection/cross_correlation_bias") or 0.0
    if not all(math.isfinite(v) for v in (gain, corr_bias, bias)):
        raise WeightsError(f"{graph.path}: a score adjustment that is not finite (gain {gain:g}, bias {bias:g})")
    return gain, gain * corr_bias + bias


def to_state_dict(net: TFLiteNetwork, head_gain: float = 1e-3, bn_eps: float = 1e-5) -> tuple[dict, dict]:
    """A :class:`~siamfc.model.SiamFC` state dict computing the TFLite network's scores on BGR frames.

    Returns the state and facts for the model card.
    """
    if net.score_gain is None:
        raise WeightsError(
            "the TFLite file has no score adjustment (detection/mul/x, detection/biases); "
            "pass the whole-model or cross-correlation file with --adjust"
        )
    if not net.score_gain > 0:
        raise WeightsError(f"the score gain is {net.score_gain:g}; only a positive gain can be folded into conv5")
    state = {}
    for i, layer in enumerate(LAYERS, start=1):
        w = torch.from_numpy(np.ascontiguousarray(net.filters[layer].transpose(0, 3, 1, 2), dtype=np.float32))
        b = torch.from_numpy(net.biases[layer].astype(np.float32))
        if layer == "conv1":
            # real input = s * (p - z): conv(s*p - s*z) = (s*w) p + (b - s*z * sum(w))
            b = b - net.input_scale * net.input_zero_point * w.sum(dim=(1, 2, 3))
            w = (w * net.input_scale).flip(1)  # RGB -> BGR
        state[f"backbone.conv{i}.0.weight"], state[f"backbone.conv{i}.0.bias"] = w, b
        if i < 5:  # identity batch norm: the convolutions already carry it
            c = w.shape[0]
            state[f"backbone.conv{i}.1.weight"] = torch.full((c,), math.sqrt(1 + bn_eps))
            state[f"backbone.conv{i}.1.bias"] = torch.zeros(c)
            state[f"backbone.conv{i}.1.running_mean"] = torch.zeros(c)
            state[f"backbone.conv{i}.1.running_var"] = torch.ones(c)
    scale = math.sqrt(net.score_gain / head_gain)
    state["backbone.conv5.0.weight"] = state["backbone.conv5.0.weight"] * scale
    state["backbone.conv5.0.bias"] = state["backbone.conv5.0.bias"] * scale
    state["head.bias"] = torch.tensor([net.score_bias], dtype=torch.float32)
    facts = {
        "quantisation": net.quantisation,
        "source_score_gain": net.score_gain,
        "source_score_bias": net.score_bias,
        "conv5_scale": scale,
        "input_quantisation": {"scale": net.input_scale, "zero_point": net.input_zero_point},
    }
    return state, facts


def is_tflite(path) -> bool:
    """True if ``path`` holds a TFLite flatbuffer (the ``TFL3`` file identifier at bytes 4-8)."""
    try:
        with open(path, "rb") as f:
            return f.read(8)[4:8] == _MAGIC
    except OSError:
        return False
