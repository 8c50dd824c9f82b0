"""The online hybrid model: ID and content embeddings for items, a learned offset plus a fold-in
of recent items for users, trained by sampled softmax, with tables that grow as ids arrive."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True, slots=True)
class OnlineConfig:
    dim: int = 64
    token_buckets: int = 1 << 15
    context_items: int = 10  # recent items folded into a user's vector
    negatives: int = 128  # shared sampled negatives per batch
    learning_rate: float = 0.01
    initial_capacity: int = 1024
    # Customers' offsets start as small noise, not zeros. With zeros everywhere, an item without
    # content tokens (a bare click stream such as YOOCHOOSE) has a zero vector, so has every
    # user vector folded from such items, and no gradient ever moves either of them. Item ID
    # rows stay at zero, so an item the model has not trained on is exactly its content vector.
    user_init_std: float = 0.01


class OnlineModel(nn.Module):
    """score(user, item) = (user offset + mean of recent item vectors) . item vector.

    An item vector is its ID embedding plus the mean of its content-token embeddings, so an
    item never interacted with is placed by its attributes alone (cold start), and a customer
    unknown to the model is placed by what they just looked at (fold-in).
    """

    def __init__(self, config: OnlineConfig) -> None:
        super().__init__()
        self.config = config
        self.items = _table(config.initial_capacity, config.dim, std=0.0)
        self.users = _table(config.initial_capacity, config.dim, std=config.user_init_std)
        self.tokens = nn.EmbeddingBag(config.token_buckets, config.dim, mode="mean")
        nn.init.normal_(self.tokens.weight, std=0.05)

    # --- growth --------------------------------------------------------------------------------

    def ensure_capacity(self, n_users: int, n_items: int) -> bool:
        """Grows the tables (doubling) to hold these many ids; True when they grew."""
        grew = False
        if n_users > self.users.num_embeddings:
            self.users = _grown(self.users, n_users, std=self.config.user_init_std)
            grew = True
        if n_items > self.items.num_embeddings:
            self.items = _grown(self.items, n_items, std=0.0)
            grew = True
        return grew

    # --- vectors -------------------------------------------------------------------------------

    def item_vectors(self, items: torch.Tensor, tokens: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
        """Vectors of `items`; `tokens`/`offsets` hold each item's content tokens (CSR)."""
        content = (
            self.tokens(tokens, offsets)
            if tokens.numel()
            else torch.zeros(len(items), self.config.dim, device=items.device)
        )
        return self.items(items) + content

    def user_vectors(
        self, users: torch.Tensor, context_vectors: torch.Tensor, context_mask: torch.Tensor
    ) -> torch.Tensor:
        """users: [B]; context_vectors: [B, L, D] recent items' vectors; mask: [B, L] (1 = present)."""
        counts = context_mask.sum(dim=1, keepdim=True).clamp(min=1.0)
        folded = (context_vectors * context_mask.unsqueeze(-1)).sum(dim=1) / counts
        offset = self.users(users.clamp(min=0)) * (users >= 0).unsqueeze(-1).float()
        return offset + folded


def _table(rows: int, dim: int, *, std: float) -> nn.Embedding:
    table = nn.Embedding(rows, dim, sparse=True)
    nn.init.zeros_(table.weight)
    _init_rows(table, 0, std)
    return table


def _init_rows(table: nn.Embedding, start: int, std: float) -> None:
    """Rows from `start` on get N(0, std) noise from a CPU generator seeded by `start`, so that
    a table grown after a resume (or on another device) equals one grown without it."""
    if not std or start >= table.num_embeddings:
        return
    generator = torch.Generator().manual_seed(start)
    noise = torch.randn(table.num_embeddings - start, table.embedding_dim, generator=generator) * std
    with torch.no_grad():
        table.weight[start:] = noise.to(table.weight.device)


def _grown(table: nn.Embedding, needed: int, *, std: float) -> nn.Embedding:
    rows = table.num_embeddings
    while rows < needed:
        rows *= 2
    grown = _table(rows, table.embedding_dim, std=0.0).to(table.weight.device)
    with torch.no_grad():
        grown.weight[: table.num_embeddings] = table.weight
    _init_rows(grown, table.num_embeddings, std)
    return grown
