"""The content tower: an item embedding built from its hashed attribute tokens."""

from __future__ import annotations

import torch
from torch import nn


class ContentTower(nn.Module):
    """Mean of token embeddings per item, through a small projection (row 0 = padding item)."""

    def __init__(self, n_buckets: int, dim: int) -> None:
        super().__init__()
        self.tokens = nn.EmbeddingBag(n_buckets, dim, mode="mean")
        self.proj = nn.Linear(dim, dim)
        nn.init.normal_(self.tokens.weight, std=0.02)

    def forward(self, offsets: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """offsets: [n_rows + 1] CSR offsets (row 0 empty for padding); returns [n_rows, dim]."""
        lengths = offsets[1:] - offsets[:-1]
        bag = (
            self.tokens(tokens, offsets[:-1])
            if tokens.numel()
            else torch.zeros(len(lengths), self.proj.in_features, device=offsets.device)
        )
        out = self.proj(bag)
        return out * (lengths > 0).unsqueeze(-1).float()
