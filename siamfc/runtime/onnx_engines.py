"""Engines that run an exported SiamFC (see :mod:`siamfc.runtime.export`): ONNX Runtime and OpenVINO.

Both check that the graphs they load *are* SiamFC's -- input names, types and the feature shape of
a blank exemplar -- so a file of another architecture fails with one line at load time, not with
a shape error on the first frame.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from siamfc.errors import BackendUnavailable, ConfigError, WeightsError
from siamfc.model.architecture import EXEMPLAR_SIZE
from siamfc.runtime.engine import Engine, check_crops, scales_per_target
from siamfc.runtime.export import read_manifest

#: phi of a 127x127 exemplar: (1, 256, 6, 6).
EXEMPLAR_FEATURES = (1, 256, 6, 6)


def _check_signature(path: Path, inputs: list[tuple[str, str]], expected: list[tuple[str, str]]) -> None:
    """``inputs`` and ``expected`` are ``(name, element type)`` pairs."""
    if inputs != expected:
        raise WeightsError(
            f"{path} is not a SiamFC {path.stem} graph: its inputs are {inputs}, expected {expected} "
            "(export it with `siamfc export`)"
        )


def _check_features(path: Path, features: np.ndarray) -> None:
    if tuple(features.shape) != EXEMPLAR_FEATURES:
        raise WeightsError(
            f"{path} is not SiamFC's AlexNet embedding: a 127x127 exemplar gives features of shape "
            f"{tuple(features.shape)}, expected {EXEMPLAR_FEATURES}"
        )


def _probe(engine: Engine, export_dir: Path) -> None:
    """Run a blank exemplar through the loaded backbone: it must give SiamFC's features.

    A runtime failure here (a graph the runtime cannot compile on this CPU) becomes
    :class:`BackendUnavailable` with its first line, so ``auto`` can fall back.
    """
    try:
        features = engine.embed(np.zeros((1, EXEMPLAR_SIZE, EXEMPLAR_SIZE, 3), np.uint8))
    except Exception as exc:  # noqa: BLE001 - whatever the runtime raises, say it in one line
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise BackendUnavailable(f"{engine.backend} cannot run {export_dir / 'backbone.onnx'} here: {first}") from None
    _check_features(export_dir / "backbone.onnx", features)


BACKBONE_INPUTS = [("image", "uint8")]
CORRELATION_INPUTS = [("exemplar_features", "float32"), ("search_features", "float32")]


class ExportedEngine(Engine):
    """What both runtimes share: the ``backbone`` graph, then the ``correlation`` graph.

    Subclasses run the two graphs (:meth:`_backbone`, :meth:`_correlate`). Several targets
    (:meth:`score_many`) share one backbone call on all their crops; the correlation graph takes
    one exemplar, so it runs once per target, on that target's rows of the features.
    """

    def _backbone(self, images: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _correlate(self, kernel: np.ndarray, features: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def embed(self, exemplar: np.ndarray) -> np.ndarray:
        return self._backbone(check_crops(exemplar))

    def score(self, kernel: np.ndarray, search: np.ndarray) -> np.ndarray:
        return self._correlate(kernel, self._backbone(check_crops(search)))

    def stack_kernels(self, kernels) -> np.ndarray:
        return np.concatenate(list(kernels))  # (N, C, 6, 6)

    def score_many(self, kernels: np.ndarray, search: np.ndarray) -> np.ndarray:
        s = scales_per_target(len(search), len(kernels))
        features = self._backbone(check_crops(search))
        # Leading-axis slices are contiguous views: no copy per target.
        return np.concatenate(
            [self._correlate(kernels[i : i + 1], features[i * s : (i + 1) * s]) for i in range(len(kernels))]
        )


class OnnxRuntimeEngine(ExportedEngine):
    """The exported graphs in ONNX Runtime (CPU execution provider, fp32 only)."""

    backend = "onnxruntime"

    def __init__(self, export_dir, precision: str = "fp32", threads: int | None = None) -> None:
        if precision != "fp32":
            raise ConfigError("the onnxruntime backend runs fp32 only (its CPU provider has no fast bf16 convolutions)")
        try:
            import onnxruntime as ort
        except ImportError:
            raise BackendUnavailable(
                "the onnxruntime backend needs onnxruntime: pip install 'siamfc[onnxruntime]'"
            ) from None
        export_dir = Path(export_dir)
        if read_manifest(export_dir).get("precision", "fp32") != "fp32":
            raise ConfigError(f"{export_dir} is an int8 OpenVINO export: run it with the openvino backend")
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        # Two sessions run in turn: a pool left spinning after its run would steal the cores from
        # the other one (and from the crops): measured 110 ms -> 75 ms a step on 2 cores.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.sessions = {}
        for name, expected in (("backbone", BACKBONE_INPUTS), ("correlation", CORRELATION_INPUTS)):
            path = export_dir / f"{name}.onnx"
            try:
                session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            except Exception as exc:  # noqa: BLE001 - any failure here is a bad file
                raise WeightsError(f"cannot load {path}: {str(exc).splitlines()[0]}") from None
            types = [
                (i.name, i.type.removeprefix("tensor(").rstrip(")").replace("float", "float32"))
                for i in session.get_inputs()
            ]
            _check_signature(path, types, expected)
            self.sessions[name] = session
        _probe(self, export_dir)

    def _backbone(self, images: np.ndarray) -> np.ndarray:
        return self.sessions["backbone"].run(None, {"image": images})[0]

    def _correlate(self, kernel: np.ndarray, features: np.ndarray) -> np.ndarray:
        return self.sessions["correlation"].run(None, {"exemplar_features": kernel, "search_features": features})[0]


class OpenVINOEngine(ExportedEngine):
    """The exported graphs in OpenVINO (CPU plugin).

    In bf16 the backbone runs with OpenVINO's bf16 inference precision (AMX or AVX-512-bf16) and
    the correlation graph stays fp32. ``int8`` runs an int8 export (:mod:`siamfc.runtime.quantize`:
    int8 convolutions on VNNI / AMX, everything between them in fp32) and its fp32 correlation.
    Graphs are compiled for each input shape on first use (:meth:`warm_up` does it before the first
    frame); ``cache_dir`` keeps the compiled blobs.
    """

    backend = "openvino"

    def __init__(self, export_dir, precision: str = "fp32", threads: int | None = None, cache_dir=None) -> None:
        try:
            import openvino as ov
        except ImportError:
            raise BackendUnavailable("the openvino backend needs openvino: pip install openvino") from None
        if precision not in ("fp32", "bf16", "int8"):
            raise ConfigError(f"precision must be 'fp32', 'bf16' or 'int8', got {precision!r}")
        self.precision = precision
        export_dir = Path(export_dir)
        quantized = read_manifest(export_dir).get("precision", "fp32") == "int8"
        if quantized != (precision == "int8"):
            raise ConfigError(
                f"{export_dir} is an int8 export: run it with precision int8"
                if quantized
                else f"{export_dir} is not quantised: precision int8 needs an int8 export "
                "(siamfc export --precision int8 --calibrate DATA)"
            )
        self.core = ov.Core()
        if cache_dir:
            self.core.set_property({"CACHE_DIR": str(cache_dir)})
        self.models: dict = {}
        self.compiled: dict = {}
        for name, expected in (("backbone", BACKBONE_INPUTS), ("correlation", CORRELATION_INPUTS)):
            xml = export_dir / f"{name}.xml"
            path = xml if xml.is_file() else export_dir / f"{name}.onnx"
            try:
                model = self.core.read_model(str(path))
            except Exception as exc:  # noqa: BLE001 - any failure here is a bad file
                raise WeightsError(f"cannot load {path}: {str(exc).strip().splitlines()[0]}") from None
            types = [
                (
                    i.get_any_name(),
                    i.get_element_type().get_type_name().replace("f32", "float32").replace("u8", "uint8"),
                )
                for i in model.inputs
            ]
            _check_signature(path, types, expected)
            self.models[name] = model
        # int8: what is not quantised (bias, ReLU, pooling between the int8 convolutions) runs in f32.
        self.config = {
            "PERFORMANCE_HINT": "LATENCY",
            "INFERENCE_PRECISION_HINT": "bf16" if precision == "bf16" else "f32",
        }
        if threads:
            self.config["INFERENCE_NUM_THREADS"] = int(threads)  # type: ignore[assignment]
        self.export_dir = export_dir
        _probe(self, export_dir)

    def _run(self, name: str, *inputs: np.ndarray) -> np.ndarray:
        """Run graph ``name``, compiled for these input shapes (static shapes are OpenVINO's fast path)."""
        key = (name,) + tuple(x.shape for x in inputs)
        compiled = self.compiled.get(key)
        if compiled is None:
            model = self.models[name].clone()
            model.reshape({i: list(x.shape) for i, x in enumerate(inputs)})
            # The correlation always runs in fp32: its 9,216-term sums decide the peak.
            config = dict(self.config, INFERENCE_PRECISION_HINT="f32") if name == "correlation" else self.config
            compiled = self.compiled[key] = self.core.compile_model(model, "CPU", config)
        return compiled(list(inputs))[0]

    def _backbone(self, images: np.ndarray) -> np.ndarray:
        return self._run("backbone", images)

    def convolution_kernels(self) -> list[str]:
        """The CPU kernels the compiled backbones run their convolutions with, as OpenVINO names them
        (e.g. ``brgconv_avx512_amx_I8``: int8 on AMX tiles; ``brgconv_avx512_I8``: AVX-512 VNNI)."""
        kernels = set()
        for key, compiled in self.compiled.items():
            if key[0] != "backbone":
                continue
            for op in compiled.get_runtime_model().get_ordered_ops():
                info = op.get_rt_info()
                if "layerType" in info and "primitiveType" in info and info["layerType"].astype(str) == "Convolution":
                    kernels.add(info["primitiveType"].astype(str))
        return sorted(kernels)

    def _correlate(self, kernel: np.ndarray, features: np.ndarray) -> np.ndarray:
        return self._run("correlation", kernel, features)
