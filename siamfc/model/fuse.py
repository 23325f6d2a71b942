"""Inference-time rewrites of a trained embedding that keep its function."""

from __future__ import annotations

import copy

from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval


def fold_batchnorm(module: nn.Module) -> nn.Module:
    """A copy of ``module`` (in eval mode) with every BatchNorm2d that directly follows a Conv2d
    inside an ``nn.Sequential`` folded into that convolution's weights and bias.

    Batch norm at inference is an affine map per channel, so it merges into the preceding
    convolution; this saves one pass over the largest activations (conv1: 123x123x96 per crop).
    """
    module = copy.deepcopy(module).eval()
    for seq in [m for m in module.modules() if isinstance(m, nn.Sequential)]:
        for i in range(len(seq) - 1):
            conv, bn = seq[i], seq[i + 1]
            if isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d):
                seq[i] = fuse_conv_bn_eval(conv, bn)
                seq[i + 1] = nn.Identity()
    return module
