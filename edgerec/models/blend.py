"""The blender: a weighted sum of member models' per-user standardised scores."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from edgerec.models.base import Recommender, Validator
from edgerec.models.data import History, Interactions


@dataclass(frozen=True)
class BlendConfig:
    members: tuple[str, ...] = ()


def standardise(scores: torch.Tensor) -> torch.Tensor:
    """Per-row z-scores, so members on different scales can be added (all 0 over one item)."""
    mean = scores.mean(dim=1, keepdim=True)
    # A single score has no sample spread (torch gives NaN, and warns), which the sum would spread.
    spread = scores.std(dim=1, keepdim=True) if scores.shape[1] > 1 else torch.zeros_like(mean)
    std = spread.clamp_min(1e-8)
    return (scores - mean) / std


class Blend(Recommender):
    """Scores = sum_m w_m * standardise(member_m scores). Weights are tuned on validation data
    by the evaluation layer (set_weights); members are fitted models."""

    kind = "blend"
    Config = BlendConfig

    def __init__(self, config: Any = None, *, device: str | None = "cpu") -> None:
        super().__init__(config, device=device)
        self.members: dict[str, Recommender] = {}
        self.weights = torch.zeros(0)

    def set_members(self, members: dict[str, Recommender], weights: dict[str, float]) -> None:
        self.members = {n: m for n, m in members.items() if weights.get(n, 0.0) != 0.0}
        self.config = BlendConfig(members=tuple(self.members))
        self.weights = torch.tensor([weights[n] for n in self.members], dtype=torch.float32)
        first = next(iter(members.values()))
        self.data = first.data
        self.features = first.features

    def weights_by_name(self) -> dict[str, float]:
        return {n: float(w) for n, w in zip(self.members, self.weights, strict=True)}

    def _fit(self, data: Interactions, *, validate: Validator | None, seed: int) -> None:
        for m in self.members.values():
            m.fit(data, features=self.features, validate=validate, seed=seed)

    def _partial_fit(self, new: Interactions, *, seed: int) -> None:
        for m in self.members.values():
            m.partial_fit(new, seed=seed)

    def _score(self, histories: list[History]) -> torch.Tensor:
        total = torch.zeros(len(histories), self.n_items)
        for w, m in zip(self.weights.tolist(), self.members.values(), strict=True):
            total += w * standardise(m.score(histories))
        return total

    def state(self) -> dict[str, Any]:
        from edgerec.models.checkpoint import to_state

        return {"tensors": {"weights": self.weights}, "members": [to_state(m) for m in self.members.values()]}

    def load_state(self, state: dict[str, Any]) -> None:
        from edgerec.models.checkpoint import from_state

        self.weights = state["tensors"]["weights"]
        loaded = [from_state(s, device=str(self.device)) for s in state["members"]]
        self.members = dict(zip(self.config.members, loaded, strict=True))

    def _tensors(self) -> dict[str, torch.Tensor]:
        return {"weights": self.weights}

    def _load_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        self.weights = tensors["weights"]
