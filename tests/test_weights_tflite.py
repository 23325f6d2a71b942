"""`siamfc convert` on the real files: the authors' int8 TFLite network and the real-samples.

The reference for the TFLite conversion is the original int8 graph itself, run by OpenVINO
(which reads ``.tflite``): the converted float network must compute the same features and
scores on real crops, within the int8 graph's own quantisation error.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from conftest import NEEDS, SHARED, available, requires_shared

from benchmarks.tflite_agreement import demo_crops, int8_agreement
from siamfc.apps.cli import main
from siamfc.apps.demo import demo_sequence
from siamfc.errors import WeightsError
from siamfc.evaluation.ope import score_sequence
from siamfc.evaluation.runner import track_one_pass
from siamfc.model.convert import convert_file
from siamfc.model.weights import load_weights, resolve_weights
from siamfc.tracking import SiamFCTracker

INT8 = SHARED / "weights" / "siamfc-2016-08-17-color-int8"
EMBEDDING = INT8 / "template_image_feature_extractor_full_quant_scale1.tflite"
WHOLE = INT8 / "whole_model_full_quant_scale1.tflite"
CORRELATION = INT8 / "cross_correlation_scale3.tflite"
SAMPLES = SHARED / "weights" / "real-samples"


def as_tensor(bgr: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(bgr)).permute(2, 0, 1)[None].float()


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    if not EMBEDDING.is_file():
        pytest.skip(f"needs the int8 TFLite network at {EMBEDDING} (absent on a bare clone)")
    if not available("tflite"):
        pytest.skip(NEEDS["tflite"][1])
    dst = tmp_path_factory.mktemp("tflite") / "paper.safetensors"
    convert_file(EMBEDDING, dst, adjust=CORRELATION)
    return dst


@requires_shared
@pytest.mark.openvino
def test_features_and_scores_match_the_int8_graph(converted):

    for pair in int8_agreement(load_weights(converted), EMBEDDING, WHOLE, demo_crops()):
        # Features: within 3 output quantisation steps everywhere (measured 1.7-1.9 steps, 0.13 of a
        # +-6 range), and the same up to the int8 noise (correlation measured 0.9994-0.9995;
        # docs/results/shipped_weights_check.json, benchmarks/shipped_weights_check.py).
        assert pair["feature_max_diff_steps"] <= 3
        assert pair["feature_correlation"] > 0.999
        # Scores, below the top of the whole graph's uint8 range, where it saturates.
        assert pair["score_cells_below_saturation"] > 200
        assert pair["score_correlation"] > 0.98
        assert pair["score_max_diff"] < 1.0  # scores span about -3..+9


@requires_shared
def test_shipped_paper_weights_are_this_conversion(converted):
    shipped = load_weights("paper").state_dict()
    fresh = load_weights(converted).state_dict()
    for key, value in fresh.items():
        torch.testing.assert_close(shipped[key], value, rtol=0, atol=0, msg=key)
    card = json.loads(resolve_weights("paper").with_suffix(".json").read_text())
    assert card["quantisation"] == "int8 per-channel, dequantised"
    for key in ("repository", "commit", "path", "licence"):
        assert card["source"][key]


@pytest.mark.slow
def test_paper_weights_track_crossing():
    # The authors' network on OTB Crossing (bundled): success AUC measured 0.771 in fp32 (bicubic-aa crops).
    seq = demo_sequence()
    traj = track_one_pass(SiamFCTracker(weights="paper", backend="torch", precision="fp32"), seq)
    assert score_sequence(traj.boxes, seq.boxes, name=seq.name).auc >= 0.75


@requires_shared
def test_whole_model_file_converts_to_the_same_network(tmp_path, converted):
    # The whole-model file keeps batch norm as per-tensor int8 MUL/ADD: folded here, it gives
    # nearly the same network as the feature extractor (per-channel, BN folded before quantising).
    path, card = convert_file(WHOLE, tmp_path / "whole.safetensors")
    assert card["source_score_gain"] == pytest.approx(1e-3, rel=1e-2)
    a, b = load_weights(converted), load_weights(path)
    z, _ = demo_crops((0,))[0]
    with torch.no_grad():
        fa, fb = a.backbone(as_tensor(z)).ravel().numpy(), b.backbone(as_tensor(z)).ravel().numpy()
    assert np.corrcoef(fa, fb)[0, 1] > 0.99


def _set_tensor_type(data: bytearray, name: str, new_type: int) -> bytearray:
    """Rewrite the stored type of tensor ``name`` in a TFLite flatbuffer (an unsupported quantisation)."""
    import tflite

    g = tflite.Model.GetRootAsModel(bytes(data), 0).Subgraphs(0)
    for i in range(g.TensorsLength()):
        t = g.Tensors(i)
        if t.Name().decode() == name:
            offset = t._tab.Offset(6)  # field 1 of Tensor: type (a byte)
            assert offset, "type stored explicitly for non-float tensors"
            data[t._tab.Pos + offset] = new_type
            return data
    raise AssertionError(name)


@requires_shared
@pytest.mark.tflite
def test_bad_tflite_files_get_one_line_errors(tmp_path, capsys):
    dst = tmp_path / "out.safetensors"
    cases = {
        "other network": (CORRELATION, "not SiamFC's AlexNet"),
        "truncated": (tmp_path / "cut.tflite", "truncated or corrupt"),
        "int16 weights": (tmp_path / "int16.tflite", "INT16"),
        "not tflite": (tmp_path / "text.tflite", "not a TensorFlow Lite file"),
    }
    data = EMBEDDING.read_bytes()
    (tmp_path / "cut.tflite").write_bytes(data[: len(data) // 3])
    (tmp_path / "int16.tflite").write_bytes(
        bytes(_set_tensor_type(bytearray(data), "convolutional_alexnet/conv3/weights", 7))
    )
    (tmp_path / "text.tflite").write_text("hello")
    for label, (src, message) in cases.items():
        with pytest.raises(WeightsError, match=message):
            convert_file(src, dst, adjust=CORRELATION)
        assert main(["convert", str(src), str(dst), "--adjust", str(CORRELATION)]) == 2, label
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and message in err, (label, err)
        assert not dst.exists() and not dst.with_suffix(".json").exists(), label


@requires_shared
@pytest.mark.parametrize(
    "name, message",
    [
        ("baseline-conv3-on-cfnet-conv3_e100.mat", "pool2 has stride 1|stride 1x1"),  # CFNet: refused from geometry
        ("cfnet-conv2_e80.mat", "conv3f"),  # CFNet-conv2 stops at conv2
        ("lucky7323_2017-11-11.net.mat", r"net = net.saveobj\(\)"),  # a MATLAB dagnn.DagNN object
        ("lucky7323_2017-11-13.net.mat", r"conv1.0.weight has shape \(48, 3, 11, 11\)"),  # reduced widths
        (
            "FDSiamfc_15.pth",
            r"conv1.0.weight has shape \(14, 3, 11, 11\)",
        ),  # legacy pickle: read, then refused by shape
        ("FDSiamfc_30.pth", r"conv1.0.weight has shape \(28, 3, 11, 11\)"),
    ],
)
@pytest.mark.scipy
def test_real_sample_files_are_read_or_refused_with_the_reason(tmp_path, name, message):
    dst = tmp_path / "out.safetensors"
    with pytest.raises(WeightsError, match=message):
        convert_file(SAMPLES / name, dst)
    assert not dst.exists()


def test_unknown_weights_name_is_one_line(capsys):
    with pytest.raises(WeightsError, match="unknown weights name 'papr'"):
        load_weights("papr")
    assert main(["track", "nothing.mp4", "--box", "1,1,5,5", "--weights", "papr"]) == 2
    assert "unknown weights name" in capsys.readouterr().err
