"""Why the correlation stays fp32 in bf16 mode: how often the score map's peak moves.

Along the fp32 reference run on the bundled Crossing sequence, the same search crops are scored
with bf16 features and (a) the fp32 correlation the engines use, (b) a bf16 correlation. Counts
the frames where the upsampled peak (scale and position, before the window) differs from fp32.

    python benchmarks/correlation_precision.py --json docs/results/correlation_precision.json
"""

from __future__ import annotations

import argparse
import json

import torch

from siamfc.apps.bench import demo_frames
from siamfc.io.files import write_text_atomic
from siamfc.model.head import cross_correlate
from siamfc.model.weights import load_weights
from siamfc.runtime import TorchEngine
from siamfc.tracking import SiamFCTracker, crop_and_resize
from siamfc.utils.provenance import made_by


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", metavar="OUT", help="also write the counts (with the command that made them) here")
    args = ap.parse_args()
    model = load_weights()
    frames, box = demo_frames()
    ref = SiamFCTracker(model=model, weights="default", backend="torch", precision="fp32")  # the card's crops
    fp32, bf16 = TorchEngine(model, "fp32"), TorchEngine(model, "bf16")
    ref.init(frames[0], box)
    z = crop_and_resize(
        frames[0], tuple(ref.center), ref.z_size, ref.params.exemplar_size, ref.avg_color, resampling=ref.resampling
    )[None]
    kernel32, kernel16 = fp32.embed(z), bf16.embed(z)

    peak = ref.unwindowed_peak  # the tracker's own choice of scale (upsampled maps, penalty), then the peak
    moved = {"bf16 features, fp32 correlation (what the engines do)": 0, "bf16 features, bf16 correlation": 0}
    for frame in frames[1:]:
        ref.update(frame)  # leaves this frame's search crops, along the fp32 trajectory, in ref.crops
        reference = peak(fp32.score(kernel32, ref.crops))
        with torch.inference_mode():
            features = bf16._features(ref.crops)
            corr16 = (
                cross_correlate(kernel16.bfloat16(), features.bfloat16()).float() * model.head.gain + model.head.bias
            )
        moved["bf16 features, fp32 correlation (what the engines do)"] += (
            peak(bf16.score(kernel16, ref.crops)) != reference
        )
        moved["bf16 features, bf16 correlation"] += peak(corr16[:, 0].numpy()) != reference
    print(f"{len(frames) - 1} frames of Crossing; frames whose peak (scale, position) differs from fp32:")
    for name, count in moved.items():
        print(f"  {name:55s} {count}")
    if args.json:
        report = {
            "made_by": made_by(),
            "sequence": "Crossing (bundled)",
            "frames": len(frames) - 1,
            "resampling": ref.resampling,
            "peak_moved": {name: int(c) for name, c in moved.items()},
        }
        write_text_atomic(args.json, json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
