"""What an inference engine does for the tracker: phi(z) once, then score maps for S crops.

Engines take crops exactly as the tracker makes them -- ``uint8`` arrays in ``(N, H, W, 3)``
(NHWC) layout -- so each backend converts to its own layout and precision in one step, with no
intermediate copy, and returns plain NumPy score maps. Engines hold no tracking state: one
engine can serve several trackers (e.g. every sequence of an evaluation).
"""

from __future__ import annotations

import numpy as np

from siamfc.errors import InvalidFrameError
from siamfc.model.architecture import EXEMPLAR_SIZE, INSTANCE_SIZE, STRIDE


def check_crops(images: np.ndarray) -> np.ndarray:
    """Crops must be ``(N, H, W, 3)`` uint8; anything else is a caller bug worth one clear line."""
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] != 3:
        what = (
            f"{images.dtype} array of shape {images.shape}" if isinstance(images, np.ndarray) else type(images).__name__
        )
        raise InvalidFrameError(f"engine input must be uint8 crops of shape (N, H, W, 3), got {what}")
    return images


class Engine:
    """Runs SiamFC's network. Subclasses implement :meth:`embed` and :meth:`score`.

    Attributes:
        backend: ``torch``, ``torch-compile``, ``onnxruntime`` or ``openvino``.
        precision: ``fp32`` or ``bf16`` (of the embedding; the correlation is always fp32).
        stride: total stride of the embedding (8).
    """

    backend = "?"
    precision = "fp32"
    stride = STRIDE

    def embed(self, exemplar: np.ndarray):
        """phi(z) of one exemplar crop ``(1, 127, 127, 3)`` uint8; returned as the engine likes it."""
        raise NotImplementedError

    def score(self, kernel, search: np.ndarray) -> np.ndarray:
        """Score maps ``(S, 17, 17)`` float32 of ``S`` search crops ``(S, 255, 255, 3)`` uint8."""
        raise NotImplementedError

    def warm_up(self, num_scales: int) -> None:
        """Run once on blank crops so that kernel selection / compilation is not paid on frame 1."""
        kernel = self.embed(np.zeros((1, EXEMPLAR_SIZE, EXEMPLAR_SIZE, 3), np.uint8))
        self.score(kernel, np.zeros((num_scales, INSTANCE_SIZE, INSTANCE_SIZE, 3), np.uint8))

    def describe(self) -> str:
        return f"{self.backend} {self.precision}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"
