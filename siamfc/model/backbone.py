"""The embedding network phi of SiamFC (paper Table 1).

AlexNet-like, fully convolutional, **no padding anywhere**, total stride 8, so that
phi(L_{8k} x) = L_k phi(x) (paper eq. 1) holds on the valid region of the output.
"""

from __future__ import annotations

import torch
from torch import nn

from siamfc.model.architecture import STRIDE


def _conv_bn_relu(cin: int, cout: int, k: int, stride: int = 1, groups: int = 1) -> list[nn.Module]:
    return [
        nn.Conv2d(cin, cout, k, stride=stride, groups=groups),
        nn.BatchNorm2d(cout, eps=1e-5, momentum=0.05),
        nn.ReLU(inplace=True),
    ]


class AlexNetEmbedding(nn.Module):
    """SiamFC's embedding (paper Table 1).

    conv1 11x11/2, 96 -> pool 3/2 -> conv2 5x5, 256, 2 groups -> pool 3/2 -> conv3 3x3, 384
    -> conv4 3x3, 384, 2 groups -> conv5 3x3, 256, 2 groups. Batch norm after conv1-conv4,
    ReLU after every conv but conv5.

    Shape:
        input  ``(B, 3, H, W)`` float, pixel values in [0, 255] (BGR or RGB as trained)
        output ``(B, 256, (H - 79) // 8, (W - 79) // 8)`` — 127 -> 6, 239 -> 20, 255 -> 22
    """

    stride = STRIDE

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Sequential(*_conv_bn_relu(3, 96, 11, stride=2), nn.MaxPool2d(3, 2))
        self.conv2 = nn.Sequential(*_conv_bn_relu(96, 256, 5, groups=2), nn.MaxPool2d(3, 2))
        self.conv3 = nn.Sequential(*_conv_bn_relu(256, 384, 3))
        self.conv4 = nn.Sequential(*_conv_bn_relu(384, 384, 3, groups=2))
        self.conv5 = nn.Sequential(nn.Conv2d(384, 256, 3, groups=2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1(x)
        x = self.conv2(x)
        x = self.conv3(x)
        x = self.conv4(x)
        return self.conv5(x)
