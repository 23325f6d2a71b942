"""Inference backends for the embedding: PyTorch (default) or an exported ONNX file.

The tracker only needs ``model.backbone(x)`` and ``model.head(z, x)``; an
:class:`OnnxEmbedding` stands in for the PyTorch backbone, so the tracker's code is the same
whichever backend runs the heavy part (the correlation and post-processing stay in PyTorch/NumPy).
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from ..errors import SiamFCError, WeightsError


def export_onnx(model, path, opset: int = 17) -> Path:
    """Export ``model.backbone`` to ONNX with dynamic batch and image size.

    Shape: input ``x`` ``(B, 3, H, W)`` float BGR 0..255 -> output ``features`` ``(B, 256, (H-79)/8, (W-79)/8)``.
    """
    try:
        import onnx  # noqa: F401 - torch's exporter needs it; fail here with one line, not deep inside torch
    except ImportError:
        raise SiamFCError("exporting to ONNX needs the onnx package: pip install 'siamfc[onnx]'") from None
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    example = torch.zeros(1, 3, 255, 255)
    backbone = model.backbone.eval()
    tmp = path.with_name(path.name + ".tmp")
    torch.onnx.export(
        backbone, example, str(tmp), input_names=["x"], output_names=["features"], opset_version=opset,
        dynamic_axes={"x": {0: "batch", 2: "height", 3: "width"}, "features": {0: "batch", 2: "fh", 3: "fw"}},
        dynamo=False,
    )
    tmp.replace(path)
    return path


class OnnxEmbedding(nn.Module):
    """The embedding phi run by ONNX Runtime (CPU). Same input/output as :class:`AlexNetEmbedding`."""

    stride = 8

    def __init__(self, path, threads: int | None = None) -> None:
        super().__init__()
        try:
            import onnxruntime as ort
        except ImportError:
            raise WeightsError("the ONNX backend needs onnxruntime: pip install 'siamfc[onnx]'") from None
        path = Path(path)
        if not path.is_file():
            raise WeightsError(f"ONNX file not found: {path}")
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        try:
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - any failure is a bad file
            raise WeightsError(f"cannot load ONNX file {path}: {str(exc).splitlines()[0]}") from None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.session.run(None, {"x": x.float().contiguous().numpy()})[0]
        return torch.from_numpy(out)

    def __deepcopy__(self, memo):  # the session is immutable: share it
        return self


def onnx_model(onnx_path, weights=None, threads: int | None = None):
    """A SiamFC whose embedding runs in ONNX Runtime; the head (gain, bias) comes from ``weights``.

    Use it like any model: ``SiamFCTracker(model=onnx_model("siamfc.onnx"))``.
    """
    from ..model import SiamFC
    from ..model.weights import load_weights

    torch_model = load_weights(weights)
    model = SiamFC(backbone=OnnxEmbedding(onnx_path, threads), gain=torch_model.head.gain)
    model.head.load_state_dict(torch_model.head.state_dict())
    return model.eval()
