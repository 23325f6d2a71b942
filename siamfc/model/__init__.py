"""Model: the embedding phi, the correlation head, weight I/O and converters."""
from .backbone import STRIDE, AlexNetEmbedding
from .head import CorrelationHead, cross_correlate
from .siamfc import SiamFC

__all__ = ["STRIDE", "AlexNetEmbedding", "CorrelationHead", "cross_correlate", "SiamFC"]
