"""The numbers quoted about the shipped weights outside the bench tables, measured and written down.

    python benchmarks/shipped_weights_check.py --json docs/results/shipped_weights_check.json

1. OTB Crossing (bundled) success AUC of every shipped weights file, eager fp32, each with its own
   crop resampling; and the default weights on OpenVINO fp32 and bf16.
2. With ../shared: the converted `paper` network against the original int8 TFLite graph run by
   OpenVINO, on three real Crossing crops (what tests/test_weights_tflite.py bounds): the largest
   feature difference in output quantisation steps, the feature correlation, and the score
   correlation below the int8 output's saturation.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from siamfc.demo import demo_sequence
from siamfc.evaluation.ope import score_sequence
from siamfc.evaluation.runner import track_one_pass
from siamfc.fileio import write_text_atomic
from siamfc.model.weights import SHIPPED, load_weights
from siamfc.provenance import made_by
from siamfc.tracking import SiamFCTracker
from siamfc.tracking.crop import context_size, crop_and_resize

INT8 = Path(__file__).resolve().parents[2] / "shared" / "weights" / "siamfc-2016-08-17-color-int8"


def crossing_auc(**tracker_options) -> float:
    seq = demo_sequence()
    return round(score_sequence(track_one_pass(SiamFCTracker(**tracker_options), seq).boxes, seq.boxes,
                                name=seq.name).auc, 4)


def int8_agreement() -> dict:
    import openvino as ov

    from siamfc.model.tflite import _Graph

    embed_file, whole_file = INT8 / "template_image_feature_extractor_full_quant_scale1.tflite", \
        INT8 / "whole_model_full_quant_scale1.tflite"
    core = ov.Core()
    embed, whole = (core.compile_model(core.read_model(str(f)), "CPU") for f in (embed_file, whole_file))
    ge, gw = _Graph(embed_file), _Graph(whole_file)
    f_scale, f_zp, _ = ge.quant(int(ge.graph.OutputsAsNumpy()[0]))
    s_scale, s_zp, _ = gw.quant(int(gw.graph.OutputsAsNumpy()[0]))
    model, seq = load_weights("paper"), demo_sequence()
    steps, feat_corr, score_corr = [], [], []
    for i in (0, 40, 80):
        x, y, w, h = seq.boxes[i]
        centre, size = (x + (w - 1) / 2, y + (h - 1) / 2), context_size(w, h, 0.5)
        z = crop_and_resize(seq.frame(i), centre, size, 127)
        s = crop_and_resize(seq.frame(i), centre, size * 255 / 127, 255)
        t = lambda a: torch.from_numpy(np.ascontiguousarray(a)).permute(2, 0, 1)[None].float()  # noqa: E731
        with torch.no_grad():
            feat = model.backbone(t(z))[0].permute(1, 2, 0).numpy()
            scores = model(t(z), t(s))[0, 0].numpy()
        ref = f_scale[0] * (embed(z[..., ::-1].copy())[0].reshape(6, 6, 256).astype(np.float64) - f_zp[0])
        q = whole({"template_image": z[..., ::-1].copy(), "input_image": s[None, ..., ::-1].copy()})[0].reshape(17, 17)
        below = q < 250
        ref_scores = s_scale[0] * (q.astype(np.float64) - s_zp[0])
        steps.append(float(np.abs(feat - ref).max() / f_scale[0]))
        feat_corr.append(float(np.corrcoef(feat.ravel(), ref.ravel())[0, 1]))
        score_corr.append(float(np.corrcoef(scores[below], ref_scores[below])[0, 1]))
    return {"frames": [0, 40, 80], "feature_max_diff_steps": [round(v, 2) for v in steps],
            "feature_range": round(float(np.abs(ref).max()), 2), "feature_correlation": [round(v, 5) for v in feat_corr],
            "score_correlation_below_saturation": [round(v, 4) for v in score_corr]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", required=True)
    args = ap.parse_args()
    torch.set_num_threads(1)
    out = {"made_by": made_by(weights=False), "crossing_auc_fp32": {}}
    for name in SHIPPED:
        out["crossing_auc_fp32"][name] = crossing_auc(weights=name, backend="torch", precision="fp32")
        print(name, out["crossing_auc_fp32"][name], flush=True)
    out["crossing_auc_default_engines"] = {f"openvino {p}": crossing_auc(backend="openvino", precision=p)
                                           for p in ("fp32", "bf16")}
    print(out["crossing_auc_default_engines"], flush=True)
    if INT8.is_dir():
        out["paper_vs_int8_graph"] = int8_agreement()
        print(out["paper_vs_int8_graph"])
    write_text_atomic(args.json, json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
