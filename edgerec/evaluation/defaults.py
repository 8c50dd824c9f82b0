"""Model defaults chosen from the size and density of the training data, and tuning grids."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from edgerec.models.base import Recommender
from edgerec.models.data import Interactions

#: Model names evaluate() understands, in the order they are trained and reported.
MODEL_NAMES: tuple[str, ...] = (
    "popularity",
    "cooccurrence",
    "itemknn",
    "ease",
    "ials",
    "content",
    "hybrid",
    "sasrec",
    "blend",
)
DEFAULT_MODELS: tuple[str, ...] = MODEL_NAMES
COLD_MODELS: tuple[str, ...] = ("popularity", "random", "content", "hybrid")
#: Baselines the blend leaves out: they say nothing about the customer.
NOT_BLENDED: tuple[str, ...] = ("popularity", "random")


def check_models(names: list[str]) -> None:
    """ValueError for a name evaluate() does not know, a name given twice (the model was fitted
    twice and its validation rows folded in twice), or a blend with nothing to mix."""
    known = (*MODEL_NAMES, "random")
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(f"unknown model {unknown[0]!r}; known: {', '.join(known)}")
    repeated = [name for index, name in enumerate(names) if name in names[:index]]
    if repeated:
        raise ValueError(f"model {repeated[0]!r} is named twice: name each model once")
    if "blend" in names and all(name in (*NOT_BLENDED, "blend") for name in names):
        mixable = [name for name in MODEL_NAMES if name not in (*NOT_BLENDED, "blend")]
        raise ValueError(
            f"blend mixes the other models chosen: name at least one of {', '.join(mixable)} with it"
        )


@dataclass(frozen=True)
class DataStats:
    """What the defaults look at."""

    n_users: int
    n_items: int
    n_rows: int
    mean_length: float
    median_length: float

    def __str__(self) -> str:
        return (
            f"trained on {self.n_rows:,} interactions of {self.n_users:,} customers among {self.n_items:,}"
            f" items (per customer: mean {self.mean_length:.1f}, median {self.median_length:g})"
        )

    @property
    def density(self) -> float:
        return self.n_rows / max(1, self.n_users * self.n_items)

    @property
    def long_histories(self) -> bool:
        return self.median_length >= 40

    @staticmethod
    def of(data: Interactions) -> DataStats:
        lengths = np.bincount(data.user, minlength=data.n_users)
        lengths = lengths[lengths > 0]
        return DataStats(
            n_users=int(len(lengths)),
            n_items=data.n_items,
            n_rows=len(data),
            mean_length=float(lengths.mean()) if len(lengths) else 0.0,
            median_length=float(np.median(lengths)) if len(lengths) else 0.0,
        )


def make_model(
    name: str, stats: DataStats, *, device: str | None = "cpu", time_budget_s: float | None = None
) -> Recommender:
    """A model with defaults for data like stats describes."""
    from edgerec.models import blend, content, mf, neighbours, popularity, sasrec

    if name == "popularity":
        return popularity.Popularity(device=device)
    if name == "random":
        return popularity.RandomScores(device=device)
    if name == "cooccurrence":
        return neighbours.Cooccurrence(device=device)
    if name == "itemknn":
        return neighbours.ItemKNN(
            neighbours.ItemKNNConfig(neighbours=200 if stats.long_histories else 100), device=device
        )
    if name == "ease":
        return neighbours.EASE(neighbours.EASEConfig(l2=ease_l2(stats)), device=device)
    if name == "ials":
        return mf.IALS(device=device)
    if name in ("content", "hybrid"):
        cfg = content.TwoTowerConfig(use_ids=name == "hybrid", use_content=True)
        return content.TwoTower(cfg, device=device)
    if name == "sasrec":
        return sasrec.SASRec(sasrec_config(stats, time_budget_s), device=device)
    if name == "blend":
        return blend.Blend(device=device)
    raise ValueError(f"unknown model {name!r}; known: {', '.join(MODEL_NAMES)}")


def ease_l2(stats: DataStats) -> float:
    # Dense logs (long histories) need much stronger regularisation than sparse shop logs.
    return 500.0 if stats.long_histories else 100.0


def sasrec_config(stats: DataStats, time_budget_s: float | None) -> object:
    from edgerec.models.sasrec import SASRecConfig

    if stats.long_histories:
        cfg = SASRecConfig(max_len=200, dropout=0.2, hidden=64, blocks=2)
        largest_batch = 512
    else:
        # Sparse shop logs: an epoch is short sequences from many users, so small batches and a
        # higher rate give enough optimiser steps per epoch (with batches of 512 and dropout 0.5
        # SASRec was still far from converged when its time ran out), and as one epoch costs
        # many validations, stop three epochs after the best one.
        cfg = SASRecConfig(max_len=50, dropout=0.2, lr=4e-3, hidden=64, blocks=2, eval_every=1, patience=3)
        largest_batch = 128
    # Small logs get small batches, so that an epoch still has enough optimiser steps.
    cfg = replace(cfg, batch_size=int(np.clip(stats.n_users // 40, 32, largest_batch)))
    if time_budget_s is not None:
        cfg = replace(cfg, max_seconds=time_budget_s)
    return cfg


def tuning_grid(name: str, model: Recommender) -> list[Recommender]:
    """Alternative configurations tried by --tune (validation split only)."""
    from edgerec.models import neighbours

    cfg = model.config
    dev = str(model.device)
    if isinstance(model, neighbours.EASE):
        return [neighbours.EASE(replace(cfg, l2=cfg.l2 * f), device=dev) for f in (0.25, 0.5, 2.0, 4.0)]
    if isinstance(model, neighbours.Cooccurrence):
        return [
            neighbours.Cooccurrence(replace(cfg, window=w, decay=d), device=dev)
            for w, d in ((1, cfg.decay), (6, cfg.decay), (cfg.window, 0.3), (cfg.window, 0.9))
        ]
    if isinstance(model, neighbours.ItemKNN):
        return [neighbours.ItemKNN(replace(cfg, neighbours=n), device=dev) for n in (20, 50, 400)]
    return []
