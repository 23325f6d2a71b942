"""Make the shipped ``paper`` weights: the authors' SiamFC-3s network (2016-08-17, ImageNet-VID),
converted from the int8 TFLite copy in ../shared/weights (see its README for provenance).

    python scripts/make_paper_weights.py [--shared ../shared]

Writes siamfc/assets/weights/siamfc_paper.safetensors and its model card. The card's measured
scores are added by scripts/ship_weights.py once they are measured (bench and validation).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from siamfc.model.convert import convert_file
from siamfc.model.weights import _SHIPPED_DIR, SHIPPED

SOURCE = {
    "repository": "tongtybj/SiamFC-TensorFlow (MIT; a fork of bilylee/SiamFC-TensorFlow)",
    "commit": "b885c62132fb6203e820570a2263e6a401af5d26",
    "path": "Logs/SiamFC/track_model_checkpoints/SiamFC-3s-color-pretrained/models/"
    "template_image_feature_extractor_full_quant_scale1.tflite (+ cross_correlation_scale3.tflite)",
    "licence": "MIT",
    "network": "the authors' released SiamFC-3s colour network 2016-08-17.net.mat (bertinetto/siamese-fc, MIT), "
    "trained on ImageNet-VID; converted to TensorFlow, then post-training quantised to full int8 by a "
    "third party (the float originals are not available here)",
}

#: What tests/test_weights_tflite.py measures of the conversion (run: python -m pytest tests/test_weights_tflite.py).
CHECK = (
    "against the original int8 graph run by OpenVINO on real OTB Crossing crops: embedding features within "
    "3 output quantisation steps (measured 1.7-1.9 steps, max 0.13 on a +-6 range; correlation 0.9994-0.9995: docs/results/shipped_weights_check.json), scores "
    "correlation > 0.98 below the int8 output's saturation; OTB Crossing success AUC 0.771 (eager fp32, "
    "bicubic-aa crops)"
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared"))
    args = ap.parse_args()
    folder = Path(args.shared) / "weights" / "siamfc-2016-08-17-color-int8"
    path, card = convert_file(
        folder / "template_image_feature_extractor_full_quant_scale1.tflite",
        _SHIPPED_DIR / SHIPPED["paper"],
        adjust=folder / "cross_correlation_scale3.tflite",
        card_extra={
            "name": "paper",
            "source": SOURCE,
            "training_data": "ImageNet-VID (ILSVRC-2015), by the paper's authors",
            "conversion_check": CHECK,
        },
    )
    print(f"wrote {path}: {card['quantisation']}")


if __name__ == "__main__":
    main()
