"""Distributed training through PyTorch's own engine (``torchrun``): process group, synced batch norm.

``torchrun --nproc_per_node N -m siamfc train ...`` sets ``RANK``/``WORLD_SIZE``/``LOCAL_RANK``;
this module starts the process group (gloo on CPU, NCCL on GPU). Each process takes its slice
of every global batch; gradients are averaged by DistributedDataParallel; rank 0 alone writes.

Batch norm computes statistics over the batch, so with per-process statistics N processes would
not train like one process on the same global batch. ``torch.nn.SyncBatchNorm`` only runs on
GPUs; :class:`SyncBatchNorm2d` is the same idea on any device (sums all-reduced with autograd).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist
from torch import nn


@dataclass
class DistInfo:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world > 1


def launched_rank() -> int:
    """This process's rank as torchrun set it (0 without torchrun), readable before :func:`setup`."""
    return int(os.environ.get("RANK", "0"))


def setup(device_type: str) -> DistInfo:
    """Join the process group when launched by torchrun (``WORLD_SIZE`` > 1), else a single process."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo()
    if not dist.is_initialized():
        # Rank 0 validates while the others wait at a barrier: allow long validations.
        dist.init_process_group("nccl" if device_type == "cuda" else "gloo", timeout=timedelta(hours=2))
    return DistInfo(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))


def cleanup(info: DistInfo) -> None:
    if info.enabled and dist.is_initialized():
        dist.destroy_process_group()


def barrier(info: DistInfo) -> None:
    if info.enabled:
        dist.barrier()


def mean_over_ranks(value: float, info: DistInfo) -> float:
    if not info.enabled:
        return value
    t = torch.tensor([value], dtype=torch.float64)
    dist.all_reduce(t)
    return float(t) / info.world


class SyncBatchNorm2d(nn.BatchNorm2d):
    """BatchNorm2d whose training statistics are those of the global batch over all processes.

    Shape: ``(B, C, H, W)`` -> same. In eval mode, or in a single process, it is BatchNorm2d.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not (self.training and dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1):
            return super().forward(x)
        from torch.distributed.nn.functional import all_reduce  # the all-reduce that autograd goes through

        xf = x.float()
        c = xf.shape[1]
        count = torch.full((1,), xf.numel() / c, dtype=xf.dtype, device=xf.device)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # deprecated in favour of a non-autograd API
            # Two passes (mean, then centred squares) keep the variance as accurate as BatchNorm2d's.
            stats = all_reduce(torch.cat([xf.sum(dim=(0, 2, 3)), count]))
            n = stats[-1]
            mean = stats[:c] / n
            var = all_reduce(((xf - mean[None, :, None, None]) ** 2).sum(dim=(0, 2, 3))) / n
        with torch.no_grad():
            m = self.momentum
            self.running_mean.mul_(1 - m).add_(m * mean.detach())
            self.running_var.mul_(1 - m).add_(m * var.detach() * n / (n - 1))
            self.num_batches_tracked.add_(1)
        y = (xf - mean[None, :, None, None]) * torch.rsqrt(var + self.eps)[None, :, None, None]
        return y * self.weight[None, :, None, None] + self.bias[None, :, None, None]


def convert_sync_batchnorm(module: nn.Module) -> nn.Module:
    """Replace every BatchNorm2d in ``module`` by :class:`SyncBatchNorm2d` (same parameters and buffers)."""
    for name, child in module.named_children():
        if type(child) is nn.BatchNorm2d:
            new = SyncBatchNorm2d(
                child.num_features, child.eps, child.momentum, child.affine, child.track_running_stats
            )
            new.load_state_dict(child.state_dict())
            setattr(module, name, new)
        else:
            convert_sync_batchnorm(child)
    return module
