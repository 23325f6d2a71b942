"""The network against the paper: Table 1 shapes, eq. 1 (equivariance), eq. 2 (correlation), batching."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from siamfc.model import STRIDE, AlexNetEmbedding, CorrelationHead, SiamFC, cross_correlate


def random_alexnet(seed: int = 0) -> AlexNetEmbedding:
    """AlexNetEmbedding at random init, with random BN statistics, in eval mode.

    Random running statistics make every BN a non-trivial per-channel affine map (in eval mode
    BN is exactly that, so the equivariance of eq. 1 must still hold).
    """
    torch.manual_seed(seed)
    net = AlexNetEmbedding()
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-1.0, 1.0)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)
    return net.eval()


@pytest.fixture(scope="module")
def net():
    return random_alexnet()


def test_architecture_matches_table_1(net):
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    spec = [(11, 96, 2, 1), (5, 256, 1, 2), (3, 384, 1, 1), (3, 384, 1, 2), (3, 256, 1, 2)]
    assert [(c.kernel_size[0], c.out_channels, c.stride[0], c.groups) for c in convs] == spec
    # No padding anywhere (eq. 1 needs it), in the convolutions and in the poolings.
    assert all(c.padding == (0, 0) for c in convs)
    pools = [m for m in net.modules() if isinstance(m, nn.MaxPool2d)]
    assert [(p.kernel_size, p.stride, p.padding) for p in pools] == [(3, 2, 0), (3, 2, 0)]
    # BN after conv1-conv4 only, ReLU after every conv but conv5.
    assert sum(isinstance(m, nn.BatchNorm2d) for m in net.modules()) == 4
    assert sum(isinstance(m, nn.ReLU) for m in net.modules()) == 4
    assert not any(isinstance(m, (nn.BatchNorm2d, nn.ReLU)) for m in net.conv5.modules())
    assert net.stride == STRIDE == 8


@torch.no_grad()
def test_shapes(net):
    model = SiamFC(net).eval()
    z = torch.rand(1, 3, 127, 127) * 255
    assert net(z).shape == (1, 256, 6, 6)
    assert net(torch.rand(1, 3, 255, 255) * 255).shape == (1, 256, 22, 22)
    assert model(z, torch.rand(1, 3, 255, 255) * 255).shape == (1, 1, 17, 17)
    assert model(z, torch.rand(1, 3, 239, 239) * 255).shape == (1, 1, 15, 15)


@torch.no_grad()
def test_translation_equivariance_eq1(net):
    """Shifting the search image by 8k px shifts features and scores by k cells (valid region)."""
    torch.manual_seed(1)
    model = SiamFC(net).eval()
    big = torch.rand(1, 3, 255 + 3 * STRIDE, 255 + 3 * STRIDE) * 255
    z = torch.rand(1, 3, 127, 127) * 255
    x0 = big[..., :255, :255]
    f0, s0 = net(x0), model(z, x0)
    for ky, kx in [(1, 0), (0, 2), (3, 1)]:
        xk = big[..., STRIDE * ky : STRIDE * ky + 255, STRIDE * kx : STRIDE * kx + 255]
        fk, sk = net(xk), model(z, xk)
        # fk[i, j] = f0[i + ky, j + kx] wherever both exist.
        torch.testing.assert_close(fk[..., : 22 - ky, : 22 - kx], f0[..., ky:, kx:], rtol=1e-4, atol=1e-3)
        torch.testing.assert_close(sk[..., : 17 - ky, : 17 - kx], s0[..., ky:, kx:], rtol=1e-4, atol=1e-4)
    # A shift that is not a multiple of the stride does not give shifted features: the test can fail.
    x4 = big[..., 4:259, :255]
    assert not torch.allclose(net(x4)[..., :21, :], f0[..., 1:, :], rtol=1e-2, atol=1e-2)


@torch.no_grad()
def test_correlation_is_the_inner_product_with_every_subwindow_eq2():
    torch.manual_seed(2)
    z = torch.randn(1, 256, 6, 6, dtype=torch.float64)
    x = torch.randn(1, 256, 22, 22, dtype=torch.float64)
    out = cross_correlate(z, x)
    assert out.shape == (1, 1, 17, 17)
    explicit = torch.tensor(
        [[float((z[0] * x[0, :, i : i + 6, j : j + 6]).sum()) for j in range(17)] for i in range(17)],
        dtype=torch.float64,
    )
    torch.testing.assert_close(out[0, 0], explicit)


@torch.no_grad()
def test_head_is_gain_times_correlation_plus_bias():
    torch.manual_seed(3)
    head = CorrelationHead()
    head.bias.data.fill_(0.25)
    z, x = torch.randn(2, 8, 3, 3), torch.randn(2, 8, 9, 9)
    torch.testing.assert_close(head(z, x), 1e-3 * cross_correlate(z, x) + 0.25)


@torch.no_grad()
def test_batching_equals_per_pair():
    """B pairs in one call, one exemplar against S scales, and B exemplars x S scales."""
    torch.manual_seed(4)
    B, S, C = 3, 5, 16
    z = torch.randn(B, C, 4, 4, dtype=torch.float64)
    x = torch.randn(B * S, C, 12, 12, dtype=torch.float64)
    one = lambda zi, xi: torch.nn.functional.conv2d(xi[None], zi[None])[0]  # noqa: E731
    # B pairs.
    pairs = cross_correlate(z, x[:B])
    torch.testing.assert_close(pairs, torch.stack([one(z[i], x[i]) for i in range(B)]))
    # One exemplar, S scales.
    scales = cross_correlate(z[:1], x[:S])
    torch.testing.assert_close(scales, torch.stack([one(z[0], x[j]) for j in range(S)]))
    # B exemplars, S scales each: search map i*S + j belongs to exemplar i.
    both = cross_correlate(z, x)
    torch.testing.assert_close(both, torch.stack([one(z[n // S], x[n]) for n in range(B * S)]))
    with pytest.raises(ValueError, match="cannot be split"):
        cross_correlate(z, x[:4])


@torch.no_grad()
def test_full_model_batch_equals_per_pair(net):
    torch.manual_seed(5)
    model = SiamFC(net).eval()
    z = torch.rand(2, 3, 127, 127) * 255
    x = torch.rand(2, 3, 255, 255) * 255
    batch = model(z, x)
    single = torch.cat([model(z[i : i + 1], x[i : i + 1]) for i in range(2)])
    torch.testing.assert_close(batch, single, rtol=1e-4, atol=1e-5)
