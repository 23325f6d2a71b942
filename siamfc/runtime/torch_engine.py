"""PyTorch engines: eager (the default fall-back) and ``torch.compile`` (Inductor)."""

from __future__ import annotations

import copy

import numpy as np
import torch

from siamfc.errors import ConfigError
from siamfc.model.architecture import STRIDE
from siamfc.model.fuse import fold_batchnorm
from siamfc.runtime.engine import Engine, check_crops, scales_per_target

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16}


class TorchEngine(Engine):
    """The network in PyTorch, on its own copy of the model.

    Args:
        model: a :class:`~siamfc.model.SiamFC` (or anything with ``backbone`` and ``head``).
        precision: ``fp32`` or ``bf16``. In bf16 the *embedding* runs with bf16 weights and
            activations (uint8 pixels are exact in bf16); its output is cast to fp32 before the
            correlation, a 9,216-term sum whose bf16 rounding would otherwise move the peak.
        device: torch device.
        channels_last: NHWC memory layout (oneDNN's fast path on CPU; the crops already are NHWC,
            so the input needs no transpose). ``False`` gives the plain channels-first layout.
        fuse: fold batch norm into the convolutions (inference only; same function).
        compile: ``torch.compile`` the embedding (Inductor, frozen weights); compiled at
            :meth:`warm_up` so that the first frame does not pay for it.
        threads: intra-op threads. PyTorch has one such pool per process, so this calls
            ``torch.set_num_threads(threads)``: it holds for everything else in the process too.
            ``None`` leaves the pool as it is (all cores by default).

    ``TorchEngine(model, "fp32", channels_last=False, fuse=False)`` is the plain reference that
    existing SiamFC re-implementations run; ``siamfc bench`` times it side by side.
    """

    def __init__(
        self,
        model,
        precision: str = "fp32",
        device="cpu",
        *,
        channels_last: bool = True,
        fuse: bool = True,
        compile: bool = False,
        threads: int | None = None,
    ) -> None:
        if precision not in DTYPES:
            raise ConfigError(f"precision must be one of {sorted(DTYPES)}, got {precision!r}")
        if threads is not None:
            if not (isinstance(threads, int) and threads >= 1):
                raise ConfigError(f"threads must be a whole number >= 1, got {threads!r}")
            torch.set_num_threads(threads)
        self.precision = precision
        self.backend = "torch-compile" if compile else "torch"
        self.device = torch.device(device)
        self.dtype = DTYPES[precision]
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        model = copy.deepcopy(model).eval()  # never touch a model that is being trained
        self.stride = int(getattr(model, "stride", STRIDE))
        backbone = fold_batchnorm(model.backbone) if fuse else model.backbone
        # Module.to takes memory_format (torch's own stubs leave it out of the overloads)
        self.backbone = backbone.to(self.device, self.dtype, memory_format=self.memory_format)  # type: ignore[call-overload]
        self.head = model.head.to(self.device, torch.float32)
        if compile:
            self.backbone = torch.compile(self.backbone, dynamic=False)
        self.layout = "channels-last" if channels_last else "channels-first"

    def _input(self, images: np.ndarray) -> torch.Tensor:
        # (N, H, W, 3) uint8 viewed as (N, 3, H, W) *is* channels-last: one conversion, no transpose.
        x = torch.from_numpy(check_crops(images)).permute(0, 3, 1, 2)
        return x.to(self.device, self.dtype, memory_format=self.memory_format)

    def _features(self, images: np.ndarray) -> torch.Tensor:
        return self.backbone(self._input(images)).float()

    @torch.inference_mode()
    def embed(self, exemplar: np.ndarray) -> torch.Tensor:
        return self._features(exemplar)

    @torch.inference_mode()
    def score(self, kernel: torch.Tensor, search: np.ndarray) -> np.ndarray:
        return self.head(kernel, self._features(search))[:, 0].cpu().numpy()

    @torch.inference_mode()
    def stack_kernels(self, kernels) -> torch.Tensor:
        return torch.cat(list(kernels))  # (N, C, 6, 6)

    @torch.inference_mode()
    def score_many(self, kernels: torch.Tensor, search: np.ndarray) -> np.ndarray:
        scales_per_target(len(search), len(kernels))
        # One backbone call on the N*S crops; the grouped correlation pairs kernel i with crops i*S...
        return self.head(kernels, self._features(search))[:, 0].cpu().numpy()

    def warm_up(self, num_scales: int) -> None:
        if self.backend != "torch-compile":
            return super().warm_up(num_scales)
        import torch._inductor.config as inductor_config

        # Freezing turns the weights into constants that Inductor pre-packs for oneDNN; it
        # applies to the graphs compiled inside this block: both input shapes, compiled here.
        with inductor_config.patch(freezing=True):
            super().warm_up(num_scales)

    def describe(self) -> str:
        return f"{self.backend} {self.precision} {self.layout}"
