"""Training: data for pairs, augmentation, loss, the loop, checkpoints, distributed runs (``siamfc train``)."""
from .config import TrainConfig
from .trainer import export_model, lr_at, train

__all__ = ["TrainConfig", "train", "export_model", "lr_at"]
