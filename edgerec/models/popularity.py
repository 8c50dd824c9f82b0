"""Time-decayed popularity: the baseline every other model must beat."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from edgerec.models.base import Recommender, Validator
from edgerec.models.data import EventWeights, History, Interactions


@dataclass(frozen=True)
class PopularityConfig:
    weights: EventWeights = field(default_factory=lambda: EventWeights(half_life_days=None))


class Popularity(Recommender):
    """Scores each item by its event-weighted, optionally recency-decayed interaction count."""

    kind = "popularity"
    Config = PopularityConfig

    def _fit(self, data: Interactions, *, validate: Validator | None, seed: int) -> None:
        w = self.config.weights.of(data.event, data.time)
        counts = np.bincount(data.item, weights=w, minlength=data.n_items).astype(np.float32)
        self.counts = torch.as_tensor(counts, device=self.device)

    def _score(self, histories: list[History]) -> torch.Tensor:
        return self.counts.unsqueeze(0).expand(len(histories), -1).clone()

    def _tensors(self) -> dict[str, torch.Tensor]:
        return {"counts": self.counts}

    def _load_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        self.counts = tensors["counts"]


class RandomScores(Recommender):
    """Uniformly random scores (seeded per history length): the floor for cold-start reports."""

    kind = "random"

    @dataclass(frozen=True)
    class Config:
        seed: int = 0

    def _fit(self, data: Interactions, *, validate: Validator | None, seed: int) -> None:
        self.seed_tensor = torch.tensor([self.config.seed])

    def _score(self, histories: list[History]) -> torch.Tensor:
        g = torch.Generator().manual_seed(int(self.seed_tensor[0]) + sum(len(h.items) for h in histories))
        return torch.rand(len(histories), self.n_items, generator=g)

    def _tensors(self) -> dict[str, torch.Tensor]:
        return {"seed": self.seed_tensor}

    def _load_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        self.seed_tensor = tensors["seed"]
