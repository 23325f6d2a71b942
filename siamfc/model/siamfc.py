"""SiamFC = a shared embedding phi + the correlation head."""

from __future__ import annotations

import torch
from torch import nn

from siamfc.model.architecture import STRIDE
from siamfc.model.backbone import AlexNetEmbedding
from siamfc.model.head import CorrelationHead


class SiamFC(nn.Module):
    """The fully-convolutional Siamese network.

    ``backbone`` is any embedding with a ``stride`` attribute (8 for the paper's AlexNet);
    tests use hand-set ones (e.g. stride-8 pooling of the pixels).

    Shape:
        exemplar ``(B, 3, 127, 127)``, search ``(B * S, 3, 255, 255)`` -> scores ``(B * S, 1, 17, 17)``
        (search 239 -> 15x15, as in training).
    """

    def __init__(self, backbone: nn.Module | None = None, gain: float = 1e-3) -> None:
        super().__init__()
        self.backbone = backbone if backbone is not None else AlexNetEmbedding()
        self.head = CorrelationHead(gain)

    @property
    def stride(self) -> int:
        return int(getattr(self.backbone, "stride", STRIDE))

    def forward(self, exemplar: torch.Tensor, search: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(exemplar), self.backbone(search))
