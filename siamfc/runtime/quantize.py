"""int8 post-training quantisation of the exported backbone (NNCF), calibrated on real tracker crops.

    crops = calibration_crops(train_sequences)                 # exemplar + search crops, uint8 NHWC
    quantize(export_dir, crops, out_dir)                       # -> an int8 export folder

What is quantised: the five convolutions of the embedding (weights per output channel, activations
per tensor, NNCF's ``performance`` preset: symmetric, which VNNI runs fastest). What is not: the
correlation graph, which stays fp32 -- its 9,216-term sums decide the peak -- and anything listed
in ``keep_fp32`` (layer names, ``conv1``...``conv5``). The choice of what to keep was made on the
held-out validation videos (``benchmarks/int8_accuracy.py``, docs/speed.md), never on the bench.

Calibration data are crops made exactly as the tracker makes them, by its own crop function, from
annotated training videos: per sequence, the exemplar of the first frame and, for a few frames, the
S search crops centred on the previous frame's box at the tracker's scales. Calibrating on what the
network will see is what sets the activation ranges right; random pixels would not.

The result is an export folder (:mod:`siamfc.runtime.export` layout) holding the int8 backbone IR,
the fp32 correlation graph and a manifest that records the weights' digest, the exporter version,
the NNCF / OpenVINO versions and the calibration data, so that it is only ever used with the
weights it was calibrated for (:func:`siamfc.runtime.select.int8_export`).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from siamfc.errors import ConfigError, SiamFCError
from siamfc.io.files import writable_folder
from siamfc.runtime.export import read_manifest, write_manifest

LAYERS = ("conv1", "conv2", "conv3", "conv4", "conv5")
#: Layers kept in fp32 by default: none. On the validation videos (docs/results/int8_validation.json)
#: keeping conv5 -- whose output the correlation multiplies -- or conv1 in fp32 did not move the peak
#: on fewer frames in any consistent way (paper 72 -> 70 / 79, finetuned 192 -> 182 / 198, scratch
#: 38 -> 38 / 33 of 308 frames) and cost speed, so all five convolutions run in int8.
DEFAULT_KEEP_FP32: tuple[str, ...] = ()


def require_nncf():
    try:
        import nncf
    except ImportError:
        raise SiamFCError("int8 quantisation needs NNCF: pip install 'siamfc[quantize]'") from None
    return nncf


def calibration_crops(
    sequences, params="3s", resampling: str = "bilinear", frames_per_sequence: int = 4, max_items: int = 300
) -> list[np.ndarray]:
    """Tracker crops from annotated ``sequences``: ``(1, 127, 127, 3)`` exemplars and ``(S, 255, 255, 3)``
    search batches (uint8 BGR), at most ``max_items`` arrays, deterministic.

    Per sequence: the exemplar of frame 0 and ``frames_per_sequence`` evenly spaced later frames,
    each searched as the tracker would be after a correct previous step: centred on the previous
    frame's box, at the S scales around its search size.
    """
    from siamfc.tracking import get_params
    from siamfc.tracking.crop import context_size, crop_and_resize

    p = get_params(params) if isinstance(params, str) else params
    scales = p.scale_step ** np.linspace(-(p.num_scales // 2), p.num_scales // 2, p.num_scales)
    items: list[np.ndarray] = []
    for seq in sequences:
        boxes = np.asarray(seq.boxes, dtype=np.float64)
        valid = np.flatnonzero(np.all(np.isfinite(boxes), axis=1) & (boxes[:, 2] > 1) & (boxes[:, 3] > 1))
        if len(valid) < 2:
            continue
        first = valid[0]
        frame = seq.frame(int(first))
        avg = frame.reshape(-1, 3).mean(axis=0)
        x, y, w, h = boxes[first]
        z = crop_and_resize(
            frame,
            (x + (w - 1) / 2, y + (h - 1) / 2),
            context_size(w, h, p.context),
            p.exemplar_size,
            avg,
            resampling=resampling,
        )
        items.append(z[None])
        later = valid[valid > first]
        for i in later[np.linspace(0, len(later) - 1, min(frames_per_sequence, len(later))).round().astype(int)]:
            prev = boxes[valid[valid < i][-1]]
            frame = seq.frame(int(i))
            x, y, w, h = prev
            x_size = context_size(w, h, p.context) * p.instance_size / p.exemplar_size
            centre = (x + (w - 1) / 2, y + (h - 1) / 2)
            items.append(
                np.stack(
                    [
                        crop_and_resize(frame, centre, x_size * s, p.instance_size, avg, resampling=resampling)
                        for s in scales
                    ]
                )
            )
        if len(items) >= max_items:
            break
    if not items:
        raise ConfigError("no calibration crops: the calibration sequences have no frames with a usable box")
    return items[:max_items]


def _layer_patterns(keep_fp32) -> list[str]:
    unknown = sorted(set(keep_fp32) - set(LAYERS))
    if unknown:
        raise ConfigError(f"keep_fp32: unknown layers {unknown}; choose from {', '.join(LAYERS)}")
    return [f".*/{name}/.*" for name in keep_fp32]


def quantize(
    export_dir, crops: list[np.ndarray], out_dir, *, keep_fp32=DEFAULT_KEEP_FP32, calibration: dict | None = None
) -> Path:
    """Quantise the backbone of an OpenVINO export (``siamfc export --format openvino``) to int8.

    Args:
        export_dir: an fp32 export folder with ``backbone.xml``.
        crops: calibration inputs (:func:`calibration_crops`).
        out_dir: the int8 export folder to write (replaced if it exists).
        keep_fp32: layers left in fp32.
        calibration: what the crops were made from, recorded in the manifest.
    """
    nncf = require_nncf()
    import openvino as ov
    from openvino.passes import ConstantFolding, Manager

    export_dir = Path(export_dir)
    source = read_manifest(export_dir)
    if source.get("precision", "fp32") != "fp32" or "backbone.xml" not in source["files"]:
        raise ConfigError(f"{export_dir} is not an fp32 OpenVINO export (siamfc export --format openvino)")
    model = ov.Core().read_model(str(export_dir / "backbone.xml"))
    # The grouped convolutions' weights arrive as Constant -> Reshape; NNCF quantises a convolution
    # only when its weights are one constant, so fold first (else conv2, conv4, conv5 stay fp32).
    passes = Manager()
    passes.register_pass(ConstantFolding())
    passes.run_passes(model)
    patterns = _layer_patterns(keep_fp32)
    quantized = nncf.quantize(
        model,
        nncf.Dataset(list(crops)),
        subset_size=len(crops),
        preset=nncf.QuantizationPreset.PERFORMANCE,
        ignored_scope=nncf.IgnoredScope(patterns=patterns, validate=False) if patterns else None,
    )
    out_dir = Path(out_dir)
    tmp = out_dir.with_name(f".{out_dir.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    writable_folder(tmp, "the int8 export")
    ov.save_model(quantized, str(tmp / "backbone.xml"))  # weights stored as int8
    for name in ("correlation.xml", "correlation.bin"):
        shutil.copy2(export_dir / name, tmp / name)
    manifest = {key: value for key, value in source.items() if key != "files"}
    manifest.update(
        precision="int8",
        keep_fp32=list(keep_fp32),
        quantizer={"nncf": nncf.__version__, "preset": "performance"},
        calibration=dict(calibration or {}, items=len(crops), crops=int(sum(len(c) for c in crops))),
    )
    write_manifest(tmp, manifest, ["backbone.xml", "backbone.bin", "correlation.xml", "correlation.bin"])
    if out_dir.exists():
        shutil.rmtree(out_dir)
    tmp.rename(out_dir)
    return out_dir


def record_check(int8_dir, check: dict) -> None:
    """Write the int8 graph's check on held-out video (:func:`siamfc.evaluation.precision_check.make_check`)
    into its manifest as ``check``: what lets ``precision auto`` choose it (:mod:`siamfc.runtime.checks`).
    An older bench-based ``accuracy`` record is dropped: the bench decides nothing."""
    int8_dir = Path(int8_dir)
    manifest = read_manifest(int8_dir)
    files = list(manifest.pop("files"))
    manifest.pop("accuracy", None)
    manifest["check"] = check
    write_manifest(int8_dir, manifest, files)
