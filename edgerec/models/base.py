"""The estimator API shared by every model: fit, partial_fit, score, recommend, state."""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar, Self

import numpy as np
import torch

from edgerec.models.data import History, Interactions, ItemFeatures

#: A validation callback: given the model, returns a score where higher is better.
Validator = Callable[["Recommender"], float]


@dataclasses.dataclass(frozen=True)
class MemoryNeed:
    """The memory fitting a model takes at its peak, where that grows faster than its data."""

    bytes: int
    what: str  # what takes it, for the message where there is less


def pick_device(device: str | None = "auto") -> torch.device:
    """The requested device; for "auto" (or None, or ""), CUDA when present, else the CPU.
    Asking for CUDA ("cuda", "cuda:0") where torch sees none is refused at once, not at the
    first tensor moved there."""
    if not device or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    chosen = torch.device(device)
    if chosen.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("CUDA was requested but torch sees no CUDA device")
    return chosen


class Recommender(ABC):
    """Base estimator. Subclasses set ``kind`` and ``Config`` and implement the abstract hooks.

    Every model scores from a user's history rather than a user id, so that a user unseen at
    training time (a new kiosk session) gets recommendations too.
    """

    kind: ClassVar[str]
    Config: ClassVar[type]
    uses_features: ClassVar[bool] = False

    def __init__(self, config: Any = None, *, device: str | None = "cpu") -> None:
        self.config = config if config is not None else self.Config()
        self.device = pick_device(device)
        self.data: Interactions | None = None
        self.features: ItemFeatures | None = None
        self.history_log: list[dict[str, float]] = []
        self.fit_seconds: float = 0.0

    # -- public API ---------------------------------------------------------------------------
    def fit(
        self,
        data: Interactions,
        *,
        features: ItemFeatures | None = None,
        validate: Validator | None = None,
        seed: int = 0,
    ) -> Self:
        """Train from scratch on data (optionally early-stopping on validate)."""
        self.data = data
        self.features = features
        self.history_log = []
        torch.manual_seed(seed)
        np.random.seed(seed)
        self._fit(data, validate=validate, seed=seed)
        return self

    def partial_fit(self, new: Interactions, *, seed: int = 0) -> Self:
        """Fold new interactions (same vocabularies) into the model."""
        if self.data is None:
            return self.fit(new, seed=seed)
        self.data = self.data.concat(new)
        torch.manual_seed(seed)
        self._partial_fit(new, seed=seed)
        return self

    @property
    def item_ids(self) -> tuple[str, ...]:
        if self.data is None:
            raise RuntimeError("model is not fitted")
        return self.data.item_ids

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    @property
    def trained_to(self) -> int:
        """The last log position folded into the model (-1 when untrained)."""
        return -1 if self.data is None else self.data.last_position

    @torch.no_grad()
    def score(self, histories: Sequence[History]) -> torch.Tensor:
        """Scores of every catalogue item for each history, as a [len, n_items] CPU tensor."""
        if not histories:
            return torch.zeros(0, self.n_items)
        return self._score(list(histories)).float().cpu()

    def recommend(
        self,
        history: History,
        *,
        k: int = 10,
        exclude: Iterable[int] | None = None,
        exclude_seen: bool = True,
    ) -> list[tuple[str, float]]:
        """Top-k (item id, score), never including excluded (or, by default, seen) items."""
        s = self.score([history])[0]
        banned = set(exclude or ())
        if exclude_seen:
            banned.update(int(i) for i in history.items)
        if banned:
            s[torch.tensor(sorted(banned), dtype=torch.long)] = -torch.inf
        k = min(k, int(torch.isfinite(s).sum()))
        top = torch.topk(s, k)
        return [(self.item_ids[int(i)], float(v)) for v, i in zip(top.values, top.indices, strict=True)]

    def memory_needed(self, data: Interactions) -> MemoryNeed | None:
        """What fitting on data would take, for a model whose need can outgrow the machine's
        memory (None: a model whose need grows with its data only)."""
        return None

    # -- state (for checkpoints: tensors and plain values only) ---------------------------------
    def state(self) -> dict[str, Any]:
        return {"tensors": {k: v.detach().cpu() for k, v in self._tensors().items()}}

    def load_state(self, state: dict[str, Any]) -> None:
        self._load_tensors({k: v.to(self.device) for k, v in state["tensors"].items()})

    # -- hooks ----------------------------------------------------------------------------------
    @abstractmethod
    def _fit(self, data: Interactions, *, validate: Validator | None, seed: int) -> None: ...

    def _partial_fit(self, new: Interactions, *, seed: int) -> None:
        """Default: refit on everything seen so far (exact for closed-form models)."""
        assert self.data is not None
        self._fit(self.data, validate=None, seed=seed)

    @abstractmethod
    def _score(self, histories: list[History]) -> torch.Tensor: ...

    @abstractmethod
    def _tensors(self) -> dict[str, torch.Tensor]: ...

    @abstractmethod
    def _load_tensors(self, tensors: dict[str, torch.Tensor]) -> None: ...

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.config!r})"


def config_to_dict(config: Any) -> dict[str, Any]:
    return dataclasses.asdict(config)


def config_from_dict(cls: type, values: dict[str, Any]) -> Any:
    """Rebuild a (possibly nested) frozen dataclass config from plain values."""
    kwargs: dict[str, Any] = {}
    defaults = cls()
    for f in dataclasses.fields(cls):
        if f.name not in values:
            continue
        v = values[f.name]
        current = getattr(defaults, f.name)
        if dataclasses.is_dataclass(current) and isinstance(v, dict):
            v = config_from_dict(type(current), v)
        elif isinstance(current, tuple) and isinstance(v, list):
            v = tuple(v)
        kwargs[f.name] = v
    return cls(**kwargs)
