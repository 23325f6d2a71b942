"""How much faster could int8 be? Times the exported backbone on 3 search crops in OpenVINO bf16
against an int8 version of it (ONNX Runtime static quantization, QDQ, per-channel weights), run
by ONNX Runtime and by OpenVINO. Speed only: the quantization is calibrated on random crops, so
nothing here says how well an int8 tracker would track (that needs real calibration data and the
per-sequence check of benchmarks/precision_accuracy.py).

    python benchmarks/int8_outlook.py --json docs/results/int8_outlook.json
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
import openvino as ov
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process

from siamfc.bench import machine_line
from siamfc.fileio import write_text_atomic
from siamfc.provenance import made_by
from siamfc.model.weights import load_weights
from siamfc.runtime.export import export


def median_ms(fn, n: int = 15, warm: int = 3) -> float:
    for _ in range(warm):
        fn()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


class RandomCrops(CalibrationDataReader):
    def __init__(self, n: int = 8):
        rng = np.random.default_rng(0)
        self.items = iter([{"image": rng.integers(0, 256, (1, 255, 255, 3), dtype=np.uint8)} for _ in range(n)])

    def get_next(self):
        return next(self.items, None)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", metavar="OUT", help="also write the timings (with the command that made them) here")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="siamfc-int8-"))
    folder = export(load_weights(), tmp / "fp32")
    quant_pre_process(str(folder / "backbone.onnx"), str(tmp / "pre.onnx"))
    quantize_static(str(tmp / "pre.onnx"), str(tmp / "int8.onnx"), RandomCrops(), quant_format=QuantFormat.QDQ,
                    per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
    x = np.random.default_rng(1).integers(0, 256, (3, 255, 255, 3), dtype=np.uint8)
    core = ov.Core()

    def openvino(path, precision):
        model = core.read_model(str(path))
        model.reshape({0: list(x.shape)})
        compiled = core.compile_model(model, "CPU", {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": precision})
        return lambda: compiled([x])

    session = ort.InferenceSession(str(tmp / "int8.onnx"), providers=["CPUExecutionProvider"])
    rows = {
        "openvino bf16 (the default engine)": median_ms(openvino(folder / "backbone.onnx", "bf16")),
        "onnxruntime int8": median_ms(lambda: session.run(None, {"image": x})),
        "openvino int8": median_ms(openvino(tmp / "int8.onnx", "f32")),
    }
    print(f"machine: {machine_line()}\nbackbone on 3 search crops (255x255), median ms:")
    base = next(iter(rows.values()))
    for name, ms in rows.items():
        print(f"  {name:36s} {ms:6.1f} ms   x{base / ms:.2f}")
    if args.json:
        report = {"made_by": made_by(), "machine": machine_line(), "what": "backbone on 3 search crops (255x255), median ms",
                  "median_ms": {name: round(ms, 2) for name, ms in rows.items()}}
        write_text_atomic(args.json, json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
