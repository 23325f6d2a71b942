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


def scales_per_target(crops: int, targets: int) -> int:
    """How many of ``crops`` search crops each of ``targets`` targets has (they must split evenly)."""
    if targets < 1 or crops % targets:
        raise InvalidFrameError(f"{crops} search crops cannot be split among {targets} targets")
    return crops // targets


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

    def stack_kernels(self, kernels):
        """The kernels of N targets (each from :meth:`embed`) kept as one batch, in the form
        :meth:`score_many` takes (default: a tuple; engines stack them into one array)."""
        return tuple(kernels)

    def score_many(self, kernels, search: np.ndarray) -> np.ndarray:
        """Score maps ``(N*S, 17, 17)`` of N targets at once: ``kernels`` from :meth:`stack_kernels`,
        ``search`` ``(N*S, 255, 255, 3)`` uint8, crops ``i*S .. i*S+S-1`` being target i's.

        This default scores one target after the other; the engines override it to run all N*S
        crops through the network in one call. With N = 1 it gives exactly :meth:`score`'s maps.
        """
        s = scales_per_target(len(search), len(kernels))
        return np.concatenate([self.score(k, search[i * s : (i + 1) * s]) for i, k in enumerate(kernels)])

    def warm_up(self, num_scales: int) -> None:
        """Run once on blank crops so that kernel selection / compilation is not paid on frame 1."""
        kernel = self.embed(np.zeros((1, EXEMPLAR_SIZE, EXEMPLAR_SIZE, 3), np.uint8))
        self.score(kernel, np.zeros((num_scales, INSTANCE_SIZE, INSTANCE_SIZE, 3), np.uint8))

    def describe(self) -> str:
        return f"{self.backend} {self.precision}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"
