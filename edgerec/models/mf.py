"""Implicit matrix factorisation by weighted alternating least squares (iALS), with confidence
from event type and recency; users are folded in from their history at scoring time."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from edgerec.models.base import Recommender, Validator
from edgerec.models.data import EventWeights, History, Interactions
from edgerec.models.matrix import user_item


@dataclass(frozen=True)
class IALSConfig:
    factors: int = 64
    l2: float = 2.0
    alpha: float = 10.0
    epochs: int = 8
    eval_every: int = 2
    patience: int = 1
    init_std: float = 0.01
    weights: EventWeights = field(default_factory=EventWeights)
    chunk: int = 1024


def _solve(
    rows: np.ndarray,
    cols: np.ndarray,
    conf: np.ndarray,
    n_rows: int,
    other: torch.Tensor,
    l2: float,
    chunk: int,
) -> torch.Tensor:
    """Least-squares factors for each row given the other side's factors (rows sorted)."""
    d = other.shape[1]
    gram = other.t() @ other
    out = torch.zeros(n_rows, d, device=other.device, dtype=other.dtype)
    eye = torch.eye(d, device=other.device, dtype=other.dtype) * l2
    starts = np.searchsorted(rows, np.arange(0, n_rows + chunk, chunk))
    conf_t = torch.as_tensor(conf, device=other.device, dtype=other.dtype)
    for c, lo in enumerate(range(0, n_rows, chunk)):
        hi = min(lo + chunk, n_rows)
        a, b = int(starts[c]), int(starts[c + 1])
        r = torch.as_tensor(rows[a:b] - lo, device=other.device)
        y = other[torch.as_tensor(cols[a:b], device=other.device)]
        cf = conf_t[a:b]
        mats = (gram + eye).expand(hi - lo, d, d).clone()
        mats.index_add_(0, r, (cf[:, None, None] * y[:, :, None] * y[:, None, :]))
        rhs = torch.zeros(hi - lo, d, device=other.device, dtype=other.dtype)
        rhs.index_add_(0, r, (1.0 + cf)[:, None] * y)
        out[lo:hi] = torch.linalg.solve(mats, rhs)
    return out


class IALS(Recommender):
    """Hu, Koren & Volinsky (2008) iALS; confidence = alpha * event weight * recency decay."""

    kind = "ials"
    Config = IALSConfig

    def _triples(self, data: Interactions) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        x = user_item(data, weights=self.config.weights)
        idx = x.indices().numpy()
        return idx[0], idx[1], x.values().numpy() * self.config.alpha

    def _fit(self, data: Interactions, *, validate: Validator | None, seed: int) -> None:
        cfg = self.config
        g = torch.Generator().manual_seed(seed)
        self.items = (torch.randn(data.n_items, cfg.factors, generator=g) * cfg.init_std).to(self.device)
        self.event_weights = torch.as_tensor(cfg.weights.by_code())
        u, i, c = self._triples(data)
        by_item = np.lexsort((u, i))
        best, best_items, bad = -1.0, None, 0
        for epoch in range(1, cfg.epochs + 1):
            users = _solve(u, i, c, data.n_users, self.items, cfg.l2, cfg.chunk)
            self.items = _solve(i[by_item], u[by_item], c[by_item], data.n_items, users, cfg.l2, cfg.chunk)
            entry = {"epoch": float(epoch)}
            if validate is not None and (epoch % cfg.eval_every == 0 or epoch == cfg.epochs):
                v = validate(self)
                entry["valid_ndcg@10"] = v
                if v > best:
                    best, best_items, bad = v, self.items.clone(), 0
                else:
                    bad += 1
            self.history_log.append(entry)
            if bad >= cfg.patience:
                break
        if best_items is not None:
            self.items = best_items

    def _partial_fit(self, new: Interactions, *, seed: int) -> None:
        """One more item step on all data (users are folded in at scoring time anyway)."""
        assert self.data is not None
        cfg = self.config
        u, i, c = self._triples(self.data)
        users = _solve(u, i, c, self.data.n_users, self.items, cfg.l2, cfg.chunk)
        order = np.lexsort((u, i))
        self.items = _solve(i[order], u[order], c[order], self.data.n_items, users, cfg.l2, cfg.chunk)

    def _score(self, histories: list[History]) -> torch.Tensor:
        cfg = self.config
        w = self.event_weights.numpy()
        rows, cols, conf = [], [], []
        for r, h in enumerate(histories):
            assert h.events is not None
            items, first = np.unique(h.items, return_index=True)
            best = np.zeros(len(items), dtype=np.float32)
            np.maximum.at(best, np.searchsorted(items, h.items), w[h.events])
            rows.append(np.full(len(items), r))
            cols.append(items)
            conf.append(best * cfg.alpha)
        users = _solve(
            np.concatenate(rows),
            np.concatenate(cols),
            np.concatenate(conf),
            len(histories),
            self.items,
            cfg.l2,
            cfg.chunk,
        )
        return users @ self.items.t()

    def _tensors(self) -> dict[str, torch.Tensor]:
        return {"items": self.items, "event_weights": self.event_weights}

    def _load_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        self.items, self.event_weights = tensors["items"], tensors["event_weights"].cpu()
