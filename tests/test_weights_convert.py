"""`siamfc convert` on synthetic files with the public files' names, shapes and layouts.

Each test writes a source file the way its project does, computes the source network's features
and scores with a reference forward pass written directly on the source layout (PyTorch
functional ops for siamfc-pytorch; numpy on MATLAB's H x W x C layout for MatConvNet), and
checks that the converted model (fed the same frame as BGR) computes the same.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from numpy.lib.stride_tricks import sliding_window_view

from siamfc.apps.cli import main
from siamfc.errors import WeightsError
from siamfc.model.convert import convert_file
from siamfc.model.weights import load_weights

# AlexNetV1 / the 2016 net: (out, in / groups, k, stride, groups) for conv1..conv5.
CONVS = [(96, 3, 11, 2, 1), (256, 48, 5, 1, 2), (384, 256, 3, 1, 1), (384, 192, 3, 1, 2), (256, 192, 3, 1, 2)]


def images(seed=0, search=151):
    """An RGB exemplar (127) and search image (151 -> 9x9 features -> 4x4 scores), float64."""
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 255, (127, 127, 3)), rng.uniform(0, 255, (search, search, 3))


def to_bgr_tensor(rgb: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(rgb[..., ::-1].transpose(2, 0, 1)))[None].float()


def ours(model, z_rgb, x_rgb):
    """Converted model on the BGR frames: conv4 features of x, conv5 features of x, scores."""
    with torch.no_grad():
        x = to_bgr_tensor(x_rgb)
        b = model.backbone
        conv4 = b.conv4(b.conv3(b.conv2(b.conv1(x))))
        return conv4[0].numpy(), b.conv5(conv4)[0].numpy(), model(to_bgr_tensor(z_rgb), x)[0, 0].numpy()


# -- siamfc-pytorch -----------------------------------------------------------------------------
def siamfc_pytorch_state(seed=0) -> dict[str, torch.Tensor]:
    """``Net(AlexNetV1(), SiamFC()).state_dict()`` with random values (some tiny BN variances)."""
    g = torch.Generator().manual_seed(seed)
    state = {}
    for i, (out, cin, k, _, _) in enumerate(CONVS, 1):
        state[f"backbone.conv{i}.0.weight"] = torch.randn(out, cin, k, k, generator=g) * (2 / (cin * k * k)) ** 0.5
        state[f"backbone.conv{i}.0.bias"] = torch.randn(out, generator=g) * 0.1
        if i < 5:
            var = torch.rand(out, generator=g) * 2 + 0.5
            var[:8] = 2e-6  # where eps 1e-6 vs 1e-5 matters
            state[f"backbone.conv{i}.1.weight"] = torch.rand(out, generator=g) + 0.5
            state[f"backbone.conv{i}.1.bias"] = torch.randn(out, generator=g) * 0.1
            state[f"backbone.conv{i}.1.running_mean"] = torch.randn(out, generator=g) * 0.1
            state[f"backbone.conv{i}.1.running_var"] = var
            state[f"backbone.conv{i}.1.num_batches_tracked"] = torch.tensor(1000)
    return state


def alexnet_v1_reference(state, rgb: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """siamfc-pytorch's AlexNetV1 forward (eval mode, BN eps 1e-6) on an RGB image: (conv4, conv5)."""
    x = torch.from_numpy(rgb.transpose(2, 0, 1).copy())[None].float()
    conv4 = x
    for i, (_, _, _, stride, groups) in enumerate(CONVS, 1):
        x = F.conv2d(x, state[f"backbone.conv{i}.0.weight"], state[f"backbone.conv{i}.0.bias"], stride, groups=groups)
        if i == 5:
            return conv4, x
        p = f"backbone.conv{i}.1."
        x = F.batch_norm(
            x,
            state[p + "running_mean"],
            state[p + "running_var"],
            state[p + "weight"],
            state[p + "bias"],
            training=False,
            eps=1e-6,
        )
        x = F.relu(x)
        if i <= 2:
            x = F.max_pool2d(x, 3, 2)
        conv4 = x


def test_siamfc_pytorch_conversion_computes_the_same(tmp_path):
    state = siamfc_pytorch_state()
    src = tmp_path / "siamfc_alexnet_e50.pth"
    torch.save(state, src)
    dst = tmp_path / "converted.safetensors"
    assert main(["convert", str(src), str(dst)]) == 0
    model = load_weights(dst)
    z, x = images()
    conv4, conv5, scores = ours(model, z, x)
    ref4, ref5 = alexnet_v1_reference(state, x)
    ref_z = alexnet_v1_reference(state, z)[1]
    ref_scores = 0.001 * F.conv2d(ref5, ref_z)[0, 0]  # siamfc-pytorch's head: out_scale 0.001, no bias
    np.testing.assert_allclose(conv4, ref4[0].numpy(), rtol=1e-4, atol=1e-4 * float(ref4.abs().max()))
    np.testing.assert_allclose(conv5, ref5[0].numpy(), rtol=1e-4, atol=1e-4 * float(ref5.abs().max()))
    np.testing.assert_allclose(scores, ref_scores.numpy(), rtol=1e-4, atol=1e-4 * float(ref_scores.abs().max()))
    card = json.loads(dst.with_suffix(".json").read_text())
    assert card["converted_from"]["file"] == "siamfc_alexnet_e50.pth"
    assert card["converted_from"]["format"] == "siamfc-pytorch"
    # The channel order matters: the same frame given as RGB gives other features.
    assert not np.allclose(ours(model, z[..., ::-1], x[..., ::-1])[1], conv5, rtol=1e-2)


def test_siamfc_pytorch_wrong_architecture_or_file(tmp_path):
    state = siamfc_pytorch_state()
    state["backbone.conv5.0.weight"] = torch.zeros(32, 192, 3, 3)  # AlexNetV2's 32-channel conv5
    state["backbone.conv5.0.bias"] = torch.zeros(32)
    torch.save(state, tmp_path / "v2.pth")
    with pytest.raises(WeightsError, match=r"backbone\.conv5\.0\.weight has shape \(32, 192, 3, 3\)"):
        convert_file(tmp_path / "v2.pth", tmp_path / "out.safetensors")
    torch.save({"features.0.weight": torch.zeros(3)}, tmp_path / "other.pth")
    with pytest.raises(WeightsError, match="not a siamfc-pytorch state dict"):
        convert_file(tmp_path / "other.pth", tmp_path / "out.safetensors")
    with pytest.raises(WeightsError, match="not found"):
        convert_file(tmp_path / "missing.pth", tmp_path / "out.safetensors")
    with pytest.raises(WeightsError, match="cannot tell the format"):
        convert_file(tmp_path / "weights.xyz", tmp_path / "out.safetensors")
    torch.save(siamfc_pytorch_state(), tmp_path / "ok.pth")
    with pytest.raises(WeightsError, match=r"\.safetensors"):
        convert_file(tmp_path / "ok.pth", tmp_path / "out.pth")


# -- MatConvNet ---------------------------------------------------------------------------------
def matconvnet_params(seed=0, adjust="bn") -> dict[str, np.ndarray]:
    """The 2016-08-17.net.mat parameters: MATLAB layouts (filters H x W x Cin/g x Cout, columns)."""
    rng = np.random.default_rng(seed)
    params = {}
    for i, (out, cin, k, _, _) in enumerate(CONVS, 1):
        params[f"br_conv{i}f"] = (rng.standard_normal((k, k, cin, out)) * (2 / (cin * k * k)) ** 0.5).astype(np.float32)
        params[f"br_conv{i}b"] = (rng.standard_normal((out, 1)) * 0.1).astype(np.float32)
        if i < 5:
            # Moments of the size the activations have (conv1 sees 0..255 pixels), so that every
            # layer's output stays of order 1.
            typical = 200.0 if i == 1 else 1.5
            std = rng.uniform(0.7, 1.5, out) * typical
            multiplier = rng.uniform(0.5, 1.5, out)
            std[:8] = 3e-3  # tiny deviations: the epsilon handling must be exact...
            multiplier[:8] *= 3e-3 / typical  # ...on channels of the same size as the others
            params[f"br_bn{i}m"] = multiplier[:, None].astype(np.float32)
            params[f"br_bn{i}b"] = (rng.standard_normal((out, 1)) * 0.1).astype(np.float32)
            params[f"br_bn{i}x"] = np.stack([rng.standard_normal(out) * 0.1 * typical, std], 1).astype(np.float32)
    if adjust == "bn":
        params["fin_adjust_bnm"] = np.array([[0.7]], np.float32)
        params["fin_adjust_bnb"] = np.array([[-1.3]], np.float32)
        params["fin_adjust_bnx"] = np.array([[5380.0, 12.0]], np.float32)  # ~ mean, std of the raw correlations
    else:
        prefix = "fin_adjust" if adjust == "fin" else "adjust_"  # the CFNet releases' name / the training code's
        params[f"{prefix}f"] = np.array([[[[0.05]]]], np.float32)
        params[f"{prefix}b"] = np.array([[-270.0]], np.float32)
    return params


def write_dagnn_mat(path, params: dict[str, np.ndarray]) -> None:
    """Save as MatConvNet's DagNN.saveobj does: net.params is a struct array of name/value/... ."""
    import scipy.io

    entries = np.zeros(
        (1, len(params)), dtype=[("name", object), ("value", object), ("learningRate", object), ("weightDecay", object)]
    )
    for j, (name, value) in enumerate(params.items()):
        entries[0, j] = (name, value, 1.0, 1.0)
    scipy.io.savemat(str(path), {"net": {"params": entries, "meta": {"normalization": {"averageImage": []}}}})


def _mcn_conv(x, f, b, stride, groups):
    """MatConvNet vl_nnconv on H x W x C: correlation, no padding, filter groups."""
    kh, kw, cg, out = f.shape
    og = out // groups
    windows = sliding_window_view(x, (kh, kw), axis=(0, 1))[::stride, ::stride]  # Ho x Wo x C x kh x kw
    parts = [
        np.tensordot(windows[:, :, g * cg : (g + 1) * cg], f[..., g * og : (g + 1) * og], axes=([3, 4, 2], [0, 1, 2]))
        for g in range(groups)
    ]
    return np.concatenate(parts, axis=-1) + b.reshape(-1)


def matconvnet_reference(params, rgb):
    """The DagNN branch (test mode) on an RGB H x W x 3 image: (conv4, conv5) as H x W x C."""
    x = rgb.astype(np.float64)
    conv4 = x
    for i, (_, _, _, stride, groups) in enumerate(CONVS, 1):
        x = _mcn_conv(x, params[f"br_conv{i}f"].astype(np.float64), params[f"br_conv{i}b"], stride, groups)
        if i == 5:
            return conv4, x
        moments = params[f"br_bn{i}x"].astype(np.float64)
        x = params[f"br_bn{i}m"].reshape(-1) * (x - moments[:, 0]) / moments[:, 1] + params[f"br_bn{i}b"].reshape(-1)
        x = np.maximum(x, 0)
        if i <= 2:
            x = sliding_window_view(x, (3, 3), axis=(0, 1))[::2, ::2].max(axis=(-2, -1))
        conv4 = x


def matconvnet_scores(params, z_rgb, x_rgb):
    zf, xf = matconvnet_reference(params, z_rgb)[1], matconvnet_reference(params, x_rgb)[1]
    windows = sliding_window_view(xf, zf.shape[:2], axis=(0, 1))  # Hs x Ws x C x 6 x 6
    corr = np.tensordot(windows, zf, axes=([3, 4, 2], [0, 1, 2]))
    if "fin_adjust_bnm" in params:
        mean, std = params["fin_adjust_bnx"].reshape(-1)
        return params["fin_adjust_bnm"].item() * (corr - mean) / std + params["fin_adjust_bnb"].item()
    prefix = "fin_adjust" if "fin_adjustf" in params else "adjust_"
    return params[f"{prefix}f"].item() * corr + params[f"{prefix}b"].item()


@pytest.mark.parametrize("adjust", ["bn", "conv", "fin"])
@pytest.mark.scipy
def test_matconvnet_conversion_computes_the_same(tmp_path, adjust):
    params = matconvnet_params(adjust=adjust)
    src = tmp_path / "2016-08-17.net.mat"
    write_dagnn_mat(src, params)
    dst = tmp_path / "converted.safetensors"
    assert main(["convert", str(src), str(dst)]) == 0
    card = json.loads(dst.with_suffix(".json").read_text())
    assert card["converted_from"] == {
        "file": src.name,
        "format": "matconvnet",
        "sha256": card["converted_from"]["sha256"],
    }
    model = load_weights(dst)
    z, x = images(1)
    conv4, conv5, scores = ours(model, z, x)
    ref4, ref5 = matconvnet_reference(params, x)
    ref_scores = matconvnet_scores(params, z, x)
    assert scores.shape == ref_scores.shape == (4, 4)
    # conv1-conv4 features are the source's; conv5 features are scaled by the folded score gain.
    np.testing.assert_allclose(conv4, ref4.transpose(2, 0, 1), rtol=1e-4, atol=1e-4 * np.abs(ref4).max())
    a = card["conv5_scale"]
    np.testing.assert_allclose(conv5, a * ref5.transpose(2, 0, 1), rtol=1e-4, atol=1e-4 * np.abs(a * ref5).max())
    np.testing.assert_allclose(scores, ref_scores, rtol=1e-4, atol=1e-4 * np.abs(ref_scores).max())
    assert np.ptp(ref_scores) > 0.1  # the scores are not trivially constant


@pytest.mark.scipy
def test_matconvnet_errors(tmp_path):
    import scipy.io

    bad = matconvnet_params()
    bad["br_conv5f"] = bad["br_conv5f"][..., :32]  # a 32-channel conv5 (the CFNet baselines)
    bad["br_conv5b"] = bad["br_conv5b"][:32]
    write_dagnn_mat(tmp_path / "cfnet.mat", bad)
    with pytest.raises(WeightsError, match=r"conv5\.0\.weight has shape \(32, 192, 3, 3\)"):
        convert_file(tmp_path / "cfnet.mat", tmp_path / "out.safetensors")
    missing = matconvnet_params()
    del missing["br_bn3x"]
    write_dagnn_mat(tmp_path / "missing.mat", missing)
    with pytest.raises(WeightsError, match="'bn3x'"):
        convert_file(tmp_path / "missing.mat", tmp_path / "out.safetensors")
    negative = matconvnet_params()
    negative["fin_adjust_bnm"] = -negative["fin_adjust_bnm"]
    write_dagnn_mat(tmp_path / "negative.mat", negative)
    with pytest.raises(WeightsError, match="score gain"):
        convert_file(tmp_path / "negative.mat", tmp_path / "out.safetensors")
    scipy.io.savemat(str(tmp_path / "other.mat"), {"weights": np.zeros(3)})
    with pytest.raises(WeightsError, match="not a MatConvNet DagNN"):
        convert_file(tmp_path / "other.mat", tmp_path / "out.safetensors")
    (tmp_path / "junk.mat").write_bytes(b"not a mat file at all")
    with pytest.raises(WeightsError, match="cannot read"):
        convert_file(tmp_path / "junk.mat", tmp_path / "out.safetensors")
    # Through the command: one line on stderr, exit status 2.
    assert main(["convert", str(tmp_path / "junk.mat"), str(tmp_path / "out.safetensors")]) == 2
