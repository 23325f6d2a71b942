"""The correlation head: f(z, x) = gain * (phi(z) * phi(x)) + b (paper eq. 2 + the adjust layer)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def cross_correlate(exemplar: torch.Tensor, search: torch.Tensor) -> torch.Tensor:
    """Cross-correlate each exemplar feature map with its search feature maps.

    One grouped convolution does the whole batch: the B exemplars become the kernels of B
    groups. When there are more search maps than exemplars (S scales of one exemplar, or
    S scales of each of B exemplars), search maps are assigned to exemplars in order.

    Shape:
        exemplar ``(B, C, h, w)``, search ``(B * S, C, H, W)`` -> ``(B * S, 1, H - h + 1, W - w + 1)``
    """
    b, c, h, w = exemplar.shape
    n = search.shape[0]
    if n % b:
        raise ValueError(f"{n} search maps cannot be split among {b} exemplars")
    s = n // b
    # Search map i*S + j belongs to exemplar i: fold the B exemplars into channel groups.
    x = search.reshape(b, s, c, *search.shape[-2:]).transpose(0, 1).reshape(s, b * c, *search.shape[-2:])
    out = F.conv2d(x, exemplar, groups=b)  # (S, B, H', W')
    return out.transpose(0, 1).reshape(n, 1, *out.shape[-2:])


class CorrelationHead(nn.Module):
    """Cross-correlation followed by the reference code's "adjust" layer.

    The adjust layer is a fixed gain (0.001 in the authors' code: it brings raw correlations
    of order 1e3 to logits of order 1) and a learnable scalar bias b.
    """

    def __init__(self, gain: float = 1e-3) -> None:
        super().__init__()
        self.gain = gain
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, exemplar: torch.Tensor, search: torch.Tensor) -> torch.Tensor:
        return cross_correlate(exemplar, search) * self.gain + self.bias
