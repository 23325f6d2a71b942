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

import torch

from siamfc.apps.demo import demo_sequence
from siamfc.evaluation.ope import score_sequence
from siamfc.evaluation.runner import track_one_pass
from siamfc.io.files import write_text_atomic
from siamfc.model.weights import SHIPPED, load_weights
from siamfc.tracking import SiamFCTracker
from siamfc.utils.provenance import made_by

try:  # run as a script (python benchmarks/...) or imported as benchmarks.shipped_weights_check
    from tflite_agreement import demo_crops, int8_agreement
except ImportError:
    from benchmarks.tflite_agreement import demo_crops, int8_agreement

INT8 = Path(__file__).resolve().parents[2] / "shared" / "weights" / "siamfc-2016-08-17-color-int8"


def crossing_auc(**tracker_options) -> float:
    seq = demo_sequence()
    return round(
        score_sequence(track_one_pass(SiamFCTracker(**tracker_options), seq).boxes, seq.boxes, name=seq.name).auc, 4
    )


def int8_check() -> dict:
    """The converted ``paper`` network against the int8 graphs (tflite_agreement.int8_agreement)."""

    frames = (0, 40, 80)
    pairs = int8_agreement(
        load_weights("paper"),
        INT8 / "template_image_feature_extractor_full_quant_scale1.tflite",
        INT8 / "whole_model_full_quant_scale1.tflite",
        demo_crops(frames),
    )
    return {"frames": list(frames), **{k: [round(p[k], 5) for p in pairs] for k in pairs[0]}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", required=True)
    args = ap.parse_args()
    torch.set_num_threads(1)
    out = {"made_by": made_by(weights=False), "crossing_auc_fp32": {}}
    for name in SHIPPED:
        out["crossing_auc_fp32"][name] = crossing_auc(weights=name, backend="torch", precision="fp32")
        print(name, out["crossing_auc_fp32"][name], flush=True)
    out["crossing_auc_default_engines"] = {
        f"openvino {p}": crossing_auc(backend="openvino", precision=p) for p in ("fp32", "bf16")
    }
    print(out["crossing_auc_default_engines"], flush=True)
    if INT8.is_dir():
        out["paper_vs_int8_graph"] = int8_check()
        print(out["paper_vs_int8_graph"])
    write_text_atomic(args.json, json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
