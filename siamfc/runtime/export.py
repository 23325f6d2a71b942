"""Export SiamFC for deployment runtimes as two graphs, the way deployment tools want them.

``backbone``: ``image`` uint8 ``(N, H, W, 3)`` (the crops as the tracker makes them; the cast and
the NHWC->NCHW transpose are inside the graph) -> ``features`` float32 ``(N, 256, (H-79)/8, (W-79)/8)``.
Batch and image size are dynamic: 127x127 exemplars and 255x255 search crops use the same graph.

``correlation``: ``exemplar_features`` ``(1, 256, 6, 6)`` and ``search_features`` ``(S, 256, 22, 22)``
-> ``scores`` ``(S, 17, 17)`` = gain * (phi(z) * phi(x)) + bias: the exemplar features are an
*input* (the convolution's weights), so one graph serves every target.

An export is a folder: ``backbone.onnx``, ``correlation.onnx`` (``--format openvino`` adds the
OpenVINO IR ``backbone.xml/.bin`` and ``correlation.xml/.bin``) and ``export.json`` (architecture,
weights hash, head gain/bias, opset, the exporter's version and toolchain, and the SHA-256 of every
file). An int8 export (:mod:`siamfc.runtime.quantize`) has the same layout with an int8 backbone IR.

A reader checks the hashes (:func:`read_manifest`), so a corrupt file is refused, and the cache
(:func:`siamfc.runtime.select.exported_model`) rebuilds an export whose exporter version or
toolchain differs from the running one (:func:`stale_reason`): a changed exporter never reuses a
stale graph.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from siamfc.errors import SiamFCError, WeightsError
from siamfc.io.files import file_sha256, replace_atomically, writable_folder, write_text_atomic
from siamfc.model.architecture import ARCHITECTURE, EXEMPLAR_SIZE, INSTANCE_SIZE
from siamfc.model.backbone import AlexNetEmbedding
from siamfc.model.fuse import fold_batchnorm
from siamfc.model.head import CorrelationHead

FORMATS = ("onnx", "openvino")
MANIFEST = "export.json"
GRAPHS = ("backbone", "correlation")
#: Version of what :func:`export` writes (graph layout, inputs, steps). Bump it with any change to
#: this module's graphs: every cached export, and every shipped int8 graph, made before is stale.
EXPORT_VERSION = 2


def toolchain(format: str) -> dict:
    """The exporter's own version and the versions of the tools that made the graphs."""
    import onnx

    tools = {"siamfc_export": EXPORT_VERSION, "torch": torch.__version__, "onnx": onnx.__version__}
    if format == "openvino":
        tools["openvino"] = _import_openvino().__version__
    return tools


class BackboneGraph(nn.Module):
    """phi on raw crops: uint8 NHWC in, fp32 features out (the preprocessing lives in the graph)."""

    def __init__(self, backbone: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.backbone(image.permute(0, 3, 1, 2).float())


class CorrelationGraph(nn.Module):
    """The head with the exemplar features as an input: ``(1, C, h, w), (S, C, H, W) -> (S, H-h+1, W-w+1)``."""

    def __init__(self, head: CorrelationHead) -> None:
        super().__init__()
        self.gain = float(head.gain)
        self.bias = nn.Parameter(head.bias.detach().clone())

    def forward(self, exemplar_features: torch.Tensor, search_features: torch.Tensor) -> torch.Tensor:
        return (F.conv2d(search_features, exemplar_features) * self.gain + self.bias)[:, 0]


def weights_digest(model) -> str:
    """A short hash of the model's parameters and buffers: names an export (and its cache entry)."""
    h = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().float().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def export(model, out_dir, format: str = "onnx", opset: int = 17, resampling: str | None = None) -> Path:
    """Write ``model`` (a SiamFC with the AlexNet embedding) as a deployable folder; see the module doc.

    ``resampling``: the crop resampling the weights expect (their card's ``crop_resampling``),
    recorded so that a tracker running the folder alone crops as they need (:func:`export_resampling`).
    """
    if format not in FORMATS:
        raise SiamFCError(f"unknown export format {format!r}; choose one of {', '.join(FORMATS)}")
    if not isinstance(getattr(model, "backbone", None), AlexNetEmbedding):
        raise SiamFCError("only SiamFC's AlexNet embedding can be exported (got a custom backbone)")
    try:
        import onnx  # noqa: F401 - torch's exporter needs it; fail here with one line, not deep inside torch
    except ImportError:
        raise SiamFCError("exporting needs the onnx package: pip install onnx") from None
    if format == "openvino":
        _import_openvino()
    out_dir = writable_folder(out_dir, "the export")
    backbone = BackboneGraph(fold_batchnorm(model.backbone).float().cpu())
    correlation = CorrelationGraph(model.head).cpu()
    feat = backbone.backbone(torch.zeros(1, 3, INSTANCE_SIZE, INSTANCE_SIZE))
    examples = {
        "backbone": (
            (torch.zeros(1, EXEMPLAR_SIZE, EXEMPLAR_SIZE, 3, dtype=torch.uint8),),
            ["image"],
            ["features"],
            {"image": {0: "batch", 1: "height", 2: "width"}, "features": {0: "batch", 2: "fh", 3: "fw"}},
        ),
        "correlation": (
            (feat[:, :, :6, :6].contiguous(), feat.expand(3, -1, -1, -1).contiguous()),
            ["exemplar_features", "search_features"],
            ["scores"],
            {"search_features": {0: "scales", 2: "sh", 3: "sw"}, "scores": {0: "scales", 1: "rh", 2: "rw"}},
        ),
    }
    files = []
    for name, graph in (("backbone", backbone), ("correlation", correlation)):
        args, inputs, outputs, dynamic = examples[name]
        target = out_dir / f"{name}.onnx"
        replace_atomically(
            target,
            lambda tmp, g=graph, a=args, i=inputs, o=outputs, d=dynamic: torch.onnx.export(
                g, a, str(tmp), input_names=i, output_names=o, opset_version=opset, dynamic_axes=d, dynamo=False
            ),
        )
        files.append(target.name)
        if format == "openvino":
            ov = _import_openvino()
            xml = out_dir / f"{name}.xml"
            # Read by the runtime's own ONNX frontend (not ov.convert_model, whose tooling reports
            # telemetry); compress_to_fp16=False keeps the fp32 weights, the runtime picks the precision.
            ov.save_model(ov.Core().read_model(str(target)), str(xml), compress_to_fp16=False)
            files += [xml.name, xml.with_suffix(".bin").name]
    manifest = {
        "architecture": ARCHITECTURE,
        "format": format,
        "precision": "fp32",
        "opset": opset,
        "weights_digest": weights_digest(model),
        "gain": float(model.head.gain),
        "bias": model.head.bias.detach().item(),
        "toolchain": toolchain(format),
    }
    if resampling:
        manifest["crop_resampling"] = resampling
    write_manifest(out_dir, manifest, files)
    return out_dir


def write_manifest(out_dir: Path, manifest: dict, files: list[str]) -> None:
    """Write ``export.json``: ``manifest`` plus the SHA-256 of each of ``files`` (names in ``out_dir``).

    Written last, so a folder whose manifest exists holds every file it names."""
    manifest = dict(manifest, files={name: file_sha256(out_dir / name) for name in files})
    write_text_atomic(out_dir / MANIFEST, json.dumps(manifest, indent=2))


def _import_openvino():
    try:
        import openvino
    except ImportError:
        raise SiamFCError("the OpenVINO format needs the openvino package: pip install openvino") from None
    return openvino


_HASHED: dict[tuple, str] = {}


def _file_digest(path: Path) -> str:
    """SHA-256 of a file, remembered for as long as its size and modification time are unchanged
    (an evaluation builds a tracker per sequence; each would otherwise hash the same graphs again)."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _HASHED:
        _HASHED[key] = file_sha256(path)
    return _HASHED[key]


def read_manifest(export_dir) -> dict:
    """The manifest of an export folder, checked to be a SiamFC export whose files are intact
    (each file's SHA-256 as recorded: a truncated or altered graph is refused)."""
    export_dir = Path(export_dir)
    path = export_dir / MANIFEST
    if not export_dir.is_dir():
        raise WeightsError(f"export folder not found: {export_dir} (make one with `siamfc export`)")
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise WeightsError(f"{export_dir} is not a siamfc export: it has no {MANIFEST}") from None
    except (OSError, ValueError) as exc:
        raise WeightsError(f"cannot read {path}: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("architecture") != ARCHITECTURE:
        what = manifest.get("architecture") if isinstance(manifest, dict) else None
        raise WeightsError(f"{export_dir} holds architecture {what!r}, not {ARCHITECTURE!r}")
    files = manifest.get("files")
    if not isinstance(files, dict):
        raise WeightsError(f"{export_dir} was made by an older siamfc export (no file hashes): export it again")
    for name, digest in files.items():
        path = export_dir / name
        if not path.is_file():
            raise WeightsError(f"{export_dir} is missing {name}")
        if _file_digest(path) != digest:
            raise WeightsError(
                f"{path} is corrupt or was changed after export (its SHA-256 is not the one in {MANIFEST})"
            )
    for name in GRAPHS:
        if not any(f"{name}{ext}" in files for ext in (".onnx", ".xml")):
            raise WeightsError(f"{export_dir} has no {name} graph")
    return manifest


def export_resampling(export_dir) -> str | None:
    """The crop resampling an export folder was made for: its ``crop_resampling``, else (an int8
    graph) the resampling of its calibration crops; None if it records neither."""
    manifest = read_manifest(export_dir)
    return manifest.get("crop_resampling") or (manifest.get("calibration") or {}).get("resampling")


def stale_reason(manifest: dict, keys=None) -> str | None:
    """Why an export made with ``manifest`` must not be reused by this installation (None: it may be):
    another exporter version or toolchain made it. ``keys``: compare only these tools (a shipped int8
    graph is tied to the exporter version, not to the torch release that ran it)."""
    made = manifest.get("toolchain") or {}
    now = toolchain(manifest.get("format", "onnx"))
    changed = [f"{k} {made.get(k)} -> {v}" for k, v in now.items() if made.get(k) != v and (keys is None or k in keys)]
    return f"made by another exporter ({', '.join(changed)})" if changed else None
