"""Training: data for pairs, augmentation, loss, the loop, checkpoints, distributed runs (``siamfc train``)."""

from siamfc.training.config import TrainConfig
from siamfc.training.trainer import export_model, lr_at, train

__all__ = ["TrainConfig", "train", "export_model", "lr_at"]
