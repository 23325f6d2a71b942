"""Does a faster engine track the same? Bench AUC per sequence for several (backend, precision)s.

    python benchmarks/precision_accuracy.py --root ../shared/datasets/bench --out docs/results/precision_accuracy.json

Every configuration tracks every bench sequence with the shipped weights (SiamFC-3s); the first
configuration is the reference (torch fp32, the scale picked on the upsampled maps as in the
authors' code). Along the reference's own trajectory it also counts the frames where picking
the scale on the raw 17x17 maps would choose differently: zero means ``pick_scale_on_raw``
gives exactly the reference's boxes.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from tqdm import tqdm

from siamfc.data.registry import open_dataset
from siamfc.evaluation.ope import score_sequence
from siamfc.evaluation.runner import track_one_pass
from siamfc.io.files import write_text_atomic
from siamfc.tracking import SiamFCTracker
from siamfc.utils.provenance import made_by


class CountingTracker(SiamFCTracker):
    """The reference tracker, also counting frames where the raw-map scale pick would differ."""

    disagreements = 0

    def pick_scale(self, responses, on_raw=None):
        scale_id, up = super().pick_scale(responses, on_raw)
        self.disagreements += int(self.raw_peak_scale(responses) != scale_id)
        return scale_id, up


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default="../shared/datasets/bench")
    ap.add_argument(
        "--configs",
        nargs="+",
        default=["torch:fp32", "torch:bf16", "openvino:bf16", "openvino:fp32"],
        help="BACKEND:PRECISION[:raw], the first is the reference",
    )
    ap.add_argument("--out", default="docs/results/precision_accuracy.json")
    args = ap.parse_args()
    seqs = open_dataset("bench", args.root)
    table = {"made_by": made_by(), "configs": args.configs, "sequences": {}, "mean_auc": {}, "seconds": {}}
    for i, config in enumerate(args.configs):
        backend, precision, *flags = config.split(":")
        cls = CountingTracker if i == 0 else SiamFCTracker
        start = time.perf_counter()
        for seq in tqdm(seqs, desc=config):
            tracker = cls(backend=backend, precision=precision, pick_scale_on_raw="raw" in flags)
            traj = track_one_pass(tracker, seq)
            auc = score_sequence(traj.boxes, seq.boxes, name=seq.name).auc
            row = table["sequences"].setdefault(seq.name, {"frames": len(seq)})
            row[config] = round(auc, 4)
            if i == 0:
                row["raw_pick_disagreements"] = tracker.disagreements
        table["seconds"][config] = round(time.perf_counter() - start, 1)
        table["mean_auc"][config] = round(float(np.mean([r[config] for r in table["sequences"].values()])), 4)
        ref = args.configs[0]
        table.setdefault("max_abs_auc_diff", {})[config] = round(
            max(abs(r[config] - r[ref]) for r in table["sequences"].values()), 4
        )
        write_text_atomic(args.out, json.dumps(table, indent=2))
        print(config, "mean AUC", table["mean_auc"][config], "max |diff| to", ref, table["max_abs_auc_diff"][config])


if __name__ == "__main__":
    main()
