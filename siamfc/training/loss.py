"""Labels and the balanced logistic loss on the score map (paper, "Training")."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def make_labels(
    map_size: int, stride: int, radius: float, offsets: torch.Tensor, positive: torch.Tensor
) -> torch.Tensor:
    """+1 within ``radius`` px (search-crop pixels) of the object, -1 elsewhere.

    The object sits at the map centre moved by ``offsets`` (px); a pair whose search crop does
    not contain the exemplar's object (``positive`` False) is -1 everywhere.

    Shape: offsets ``(B, 2)`` (dx, dy), positive ``(B,)`` bool -> ``(B, 1, map_size, map_size)`` float
    """
    c = (map_size - 1) / 2
    u = (torch.arange(map_size, dtype=torch.float32) - c) * stride
    dx = u[None, None, :] - offsets[:, 0, None, None].float()
    dy = u[None, :, None] - offsets[:, 1, None, None].float()
    inside = (dx * dx + dy * dy) <= radius * radius
    inside &= positive[:, None, None].bool()
    return (inside.float() * 2 - 1)[:, None]


def balanced_logistic_loss(scores: torch.Tensor, labels: torch.Tensor, neg_weight: float = 1.0) -> torch.Tensor:
    """Mean over the batch of each map's class-balanced logistic loss ``log(1 + exp(-y v))``.

    In each map the positives share weight ``1 / (1 + neg_weight)`` and the negatives
    ``neg_weight / (1 + neg_weight)`` (a map without positives gives its negatives weight 1),
    so the few positives count as much as the many negatives. Each map is normalised on its own,
    which keeps the loss of a batch the mean of its pairs' losses (needed for DDP to equal one
    process on the same global batch).

    Shape: scores, labels ``(B, 1, H, W)`` -> scalar
    """
    scores = scores.float()
    pos = (labels > 0).float()
    neg = 1.0 - pos
    n_pos = pos.sum(dim=(1, 2, 3), keepdim=True)
    n_neg = neg.sum(dim=(1, 2, 3), keepdim=True)
    has_pos = (n_pos > 0).float()
    w_pos = pos / n_pos.clamp(min=1) / (1 + neg_weight)
    w_neg = neg / n_neg.clamp(min=1) * (has_pos * neg_weight / (1 + neg_weight) + (1 - has_pos))
    per_element = F.softplus(-labels * scores)  # = log(1 + exp(-y v)), stable
    return ((w_pos + w_neg) * per_element).sum(dim=(1, 2, 3)).mean()
