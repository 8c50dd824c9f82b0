"""Model checkpoints as bytes: weights, config, id maps, training log and log position.

Only tensors and plain values are stored, and loading uses ``torch.load(weights_only=True)``, so
opening a checkpoint never runs code. Model classes are looked up in a fixed registry by kind.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import torch

from edgerec.models.base import Recommender, config_from_dict, config_to_dict
from edgerec.models.data import Interactions, ItemFeatures

FORMAT_VERSION = 1


def registry() -> dict[str, type[Recommender]]:
    from edgerec.models.blend import Blend
    from edgerec.models.content import TwoTower
    from edgerec.models.mf import IALS
    from edgerec.models.neighbours import EASE, Cooccurrence, ItemKNN
    from edgerec.models.popularity import Popularity, RandomScores
    from edgerec.models.sasrec import SASRec

    classes: list[type[Recommender]] = [
        Popularity,
        RandomScores,
        Cooccurrence,
        ItemKNN,
        EASE,
        IALS,
        TwoTower,
        SASRec,
        Blend,
    ]
    return {c.kind: c for c in classes}


def _data_state(data: Interactions) -> dict[str, Any]:
    arrays = {
        k: torch.from_numpy(np.ascontiguousarray(getattr(data, k)))
        for k in ("user", "item", "event", "time", "position", "store")
    }
    return {"item_ids": list(data.item_ids), "user_ids": list(data.user_ids), "arrays": arrays}


def _data_from(state: dict[str, Any]) -> Interactions:
    a = {k: v.numpy() for k, v in state["arrays"].items()}
    return Interactions(item_ids=tuple(state["item_ids"]), user_ids=tuple(state["user_ids"]), **a)


def to_state(model: Recommender) -> dict[str, Any]:
    """A plain, weights-only description of a fitted model."""
    if model.data is None:
        raise ValueError("cannot save an unfitted model")
    feats = None
    if model.features is not None:
        f = model.features
        feats = {
            "offsets": torch.from_numpy(f.offsets),
            "tokens": torch.from_numpy(f.tokens),
            "n_buckets": f.n_buckets,
        }
    return {
        "format": FORMAT_VERSION,
        "kind": model.kind,
        "config": config_to_dict(model.config),
        "trained_to": model.trained_to,
        "data": _data_state(model.data),
        "features": feats,
        "fit_seconds": model.fit_seconds,
        "model": model.state(),
    }


def from_state(state: dict[str, Any], *, device: str | None = "cpu") -> Recommender:
    cls = registry()[state["kind"]]
    model = cls(config_from_dict(cls.Config, state["config"]), device=device)
    model.data = _data_from(state["data"])
    if state["features"] is not None:
        f = state["features"]
        model.features = ItemFeatures(f["offsets"].numpy(), f["tokens"].numpy(), int(f["n_buckets"]))
    model.fit_seconds = float(state["fit_seconds"])
    model.load_state(state["model"])
    return model


def dumps(model: Recommender) -> bytes:
    buf = io.BytesIO()
    torch.save(to_state(model), buf)
    return buf.getvalue()


def loads(blob: bytes, *, device: str | None = "cpu") -> Recommender:
    state = torch.load(io.BytesIO(blob), weights_only=True, map_location="cpu")
    return from_state(state, device=device)
