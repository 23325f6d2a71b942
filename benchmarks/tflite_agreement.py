"""Test and benchmark helpers for the converted authors' network: real crops of the bundled demo
sequence, and the converted network's agreement with the original int8 TFLite graphs.

Used by ``tests/test_weights_tflite.py`` and ``benchmarks/shipped_weights_check.py`` only, so they
live here rather than in the package.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from siamfc.apps.demo import demo_sequence
from siamfc.model.tflite import TFLiteGraph


def demo_crops(frames=(0, 40, 80)) -> list[tuple[np.ndarray, np.ndarray]]:
    """Exemplar (127) and search (255) crops of the demo sequence on its true boxes, BGR uint8:
    real crops for checking a network against a reference."""
    from siamfc.tracking.crop import context_size, crop_and_resize

    seq = demo_sequence()
    out = []
    for i in frames:
        x, y, w, h = seq.boxes[i]
        centre, size = (x + (w - 1) / 2, y + (h - 1) / 2), context_size(w, h, 0.5)
        image = seq.frame(i)
        out.append((crop_and_resize(image, centre, size, 127), crop_and_resize(image, centre, size * 255 / 127, 255)))
    return out


def int8_agreement(model, embedding_file, whole_model_file, crops) -> list[dict]:
    """How closely a converted ``model`` follows the original int8 TFLite graphs, run by OpenVINO.

    Args:
        model: the converted :class:`~siamfc.model.SiamFC` (BGR input).
        embedding_file, whole_model_file: the feature-extractor and whole-model ``.tflite`` files.
        crops: ``[(exemplar 127x127x3, search 255x255x3)]`` BGR uint8 crop pairs.

    Returns, per pair: the largest feature difference in output quantisation steps, the feature
    correlation, and the score correlation and largest difference on the score cells below the
    int8 output's saturation (its uint8 score tops out near +6.9), with their count.
    """
    import openvino as ov
    import torch

    core = ov.Core()
    embed = core.compile_model(core.read_model(str(embedding_file)), "CPU")
    whole = core.compile_model(core.read_model(str(whole_model_file)), "CPU")
    # Output quantisation of the two graphs (uint8): real = scale * (q - zero_point).
    g_embed, g_whole = TFLiteGraph(Path(embedding_file)), TFLiteGraph(Path(whole_model_file))
    f_scale, f_zp, _ = g_embed.quant(int(g_embed.graph.OutputsAsNumpy()[0]))
    s_scale, s_zp, _ = g_whole.quant(int(g_whole.graph.OutputsAsNumpy()[0]))

    def tensor(bgr):
        return torch.from_numpy(np.ascontiguousarray(bgr)).permute(2, 0, 1)[None].float()

    out = []
    for z, x in crops:
        with torch.no_grad():
            feat = model.backbone(tensor(z))[0].permute(1, 2, 0).numpy().astype(np.float64)
            scores = model(tensor(z), tensor(x))[0, 0].numpy().astype(np.float64)
        ref = f_scale[0] * (embed(z[..., ::-1].copy())[0].reshape(feat.shape).astype(np.float64) - f_zp[0])
        q = whole({"template_image": z[..., ::-1].copy(), "input_image": x[None, ..., ::-1].copy()})[0]
        q = q.reshape(scores.shape)
        below = q < 250
        ref_scores = s_scale[0] * (q.astype(np.float64) - s_zp[0])
        out.append(
            {
                "feature_max_diff_steps": float(np.abs(feat - ref).max() / f_scale[0]),
                "feature_range": float(np.abs(ref).max()),
                "feature_correlation": float(np.corrcoef(feat.ravel(), ref.ravel())[0, 1]),
                "score_cells_below_saturation": int(below.sum()),
                "score_correlation": float(np.corrcoef(scores[below], ref_scores[below])[0, 1]),
                "score_max_diff": float(np.abs(scores[below] - ref_scores[below]).max()),
            }
        )
    return out
