"""Time-decayed popularity: the baseline every other model must beat."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import torch

from edgerec.models.base import Recommender, Validator
from edgerec.models.data import EventWeights, History, Interactions

# Half-lives tried on the validation split, as shares of the training data's time span (None:
# no decay): what "recent" means differs between a two-hour click log and years of reviews.
HALF_LIFE_SHARES = (None, 1 / 3, 1 / 10, 1 / 30, 1 / 100)


@dataclass(frozen=True)
class PopularityConfig:
    # A half-life here is used as given; without one, it is chosen on the validation split.
    weights: EventWeights = field(default_factory=lambda: EventWeights(half_life_days=None))


class Popularity(Recommender):
    """Scores each item by its event-weighted interaction count, decayed with age at the
    half-life that ranks the validation split best (or the configured one)."""

    kind = "popularity"
    Config = PopularityConfig
    chosen: EventWeights | None = None  # the weights the validation split chose, kept for refits

    def _fit(self, data: Interactions, *, validate: Validator | None, seed: int) -> None:
        span_days = float(data.time.max() - data.time.min()) / 86_400e6 if len(data.time) else 0.0
        if validate is None or self.config.weights.half_life_days is not None or span_days <= 0:
            self._count(data, self.chosen or self.config.weights)
            return
        best = -1.0
        for share in HALF_LIFE_SHARES:
            half_life = None if share is None else span_days * share
            weights = replace(self.config.weights, half_life_days=half_life)
            self._count(data, weights)
            score = validate(self)
            self.history_log.append({"half_life_days": half_life or 0.0, "valid_ndcg@10": score})
            if score > best:
                best, counts, self.chosen = score, self.counts, weights
        self.counts = counts

    def _count(self, data: Interactions, weights: EventWeights) -> None:
        w = weights.of(data.event, data.time)
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
        self.seed_tensor = torch.tensor([self.config.seed + seed])  # eval --seed draws other scores

    def _score(self, histories: list[History]) -> torch.Tensor:
        g = torch.Generator().manual_seed(int(self.seed_tensor[0]) + sum(len(h.items) for h in histories))
        return torch.rand(len(histories), self.n_items, generator=g)

    def _tensors(self) -> dict[str, torch.Tensor]:
        return {"seed": self.seed_tensor}

    def _load_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        self.seed_tensor = tensors["seed"]
