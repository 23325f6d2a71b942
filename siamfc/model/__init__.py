"""Model: the embedding phi, the correlation head, weight I/O and converters."""

from siamfc.model.backbone import STRIDE, AlexNetEmbedding
from siamfc.model.head import CorrelationHead, cross_correlate
from siamfc.model.siamfc import SiamFC

__all__ = ["STRIDE", "AlexNetEmbedding", "CorrelationHead", "cross_correlate", "SiamFC"]
