"""Content and hybrid two-tower model: items from hashed attributes (plus ID embeddings for
warm items), users from a recency-weighted pool of their recent items."""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from edgerec.models.base import Recommender, Validator
from edgerec.models.data import History, Interactions
from edgerec.models.sequences import pad_batch
from edgerec.models.towers import ContentTower


@dataclass(frozen=True)
class TwoTowerConfig:
    use_ids: bool = True
    use_content: bool = True
    dim: int = 64
    max_len: int = 20
    dropout: float = 0.3
    lr: float = 3e-3
    # Each step costs about the same whatever its size (the item table dominates), so steps are big.
    batch_size: int = 512
    samples_per_user: int = 2
    max_epochs: int = 40
    eval_every: int = 2
    patience: int = 2
    # An epoch recomputes every item's content embedding at each step, so it is slow on CPU; in
    # warm evaluations these towers add little to the blend, so they get two minutes, not four.
    max_seconds: float | None = 120.0
    temperature: float = 0.1


class _Net(nn.Module):
    def __init__(self, n_items: int, n_buckets: int, cfg: TwoTowerConfig) -> None:
        super().__init__()
        use_ids = cfg.use_ids or not n_buckets  # without content, fall back to IDs
        self.ids = nn.Embedding(n_items + 1, cfg.dim, padding_idx=0) if use_ids else None
        self.content = ContentTower(n_buckets, cfg.dim) if n_buckets else None
        self.recency = nn.Parameter(torch.zeros(cfg.max_len))
        self.user = nn.Sequential(
            nn.Dropout(cfg.dropout), nn.Linear(cfg.dim, cfg.dim), nn.GELU(), nn.Linear(cfg.dim, cfg.dim)
        )
        if self.ids is not None:
            nn.init.normal_(self.ids.weight, std=0.02)

    def table(
        self, offsets: torch.Tensor | None, tokens: torch.Tensor | None, id_mask: torch.Tensor
    ) -> torch.Tensor:
        parts = []
        if self.ids is not None:
            parts.append(self.ids.weight * id_mask[:, None])
        if self.content is not None and offsets is not None and tokens is not None:
            parts.append(self.content(offsets, tokens))
        return F.normalize(sum(parts), dim=-1)  # type: ignore[arg-type]

    def users(self, items: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
        keep = (items > 0).float()
        w = torch.softmax(self.recency, 0)[-items.shape[1] :] * keep
        pooled = (F.embedding(items, table) * w.unsqueeze(-1)).sum(1) / w.sum(1, keepdim=True).clamp_min(1e-9)
        return F.normalize(pooled + self.user(pooled), dim=-1)


class TwoTower(Recommender):
    """Full-softmax two-tower model; with use_ids=False a pure content (cold-start) model."""

    kind = "twotower"
    Config = TwoTowerConfig
    uses_features = True

    def _setup(self, data: Interactions) -> None:
        feats = self.features if self.config.use_content else None
        n_buckets = feats.n_buckets if feats is not None else 0
        self.net = _Net(data.n_items, n_buckets, self.config).to(self.device)
        if feats is not None:
            self.offsets = torch.as_tensor(np.concatenate([[0], feats.offsets]), device=self.device)
            self.tokens = torch.as_tensor(feats.tokens, device=self.device)
        else:
            self.offsets = self.tokens = None
        seen = np.bincount(data.item, minlength=data.n_items) > 0
        self.id_mask = torch.as_tensor(np.concatenate([[0.0], seen]).astype(np.float32), device=self.device)

    def _table(self) -> torch.Tensor:
        return self.net.table(self.offsets, self.tokens, self.id_mask)

    def _train(self, histories: list[History], epochs: int, validate: Validator | None, seed: int) -> None:
        cfg = self.config
        rng = np.random.default_rng(seed)
        opt = torch.optim.Adam(self.net.parameters(), lr=cfg.lr)
        lengths = np.array([len(h.items) for h in histories])
        start = time.perf_counter()
        best, best_state, bad = -1.0, None, 0
        for epoch in range(1, epochs + 1):
            self.net.train()
            reps = np.repeat(np.arange(len(histories)), cfg.samples_per_user)
            perm = rng.permutation(reps)
            total, steps = 0.0, 0
            for lo in range(0, len(perm), cfg.batch_size):
                idx = perm[lo : lo + cfg.batch_size]
                ends = rng.integers(1, lengths[idx])  # predict item `end` from items before it
                hs = [histories[i] for i in idx]
                b = pad_batch(hs, cfg.max_len, ends=ends.tolist()).to(self.device)
                target = torch.as_tensor(
                    [h.items[e] for h, e in zip(hs, ends, strict=True)], device=self.device
                )
                table = self._table()
                u = self.net.users(b.items, table)
                loss = F.cross_entropy(u @ table[1:].t() / cfg.temperature, target)
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += float(loss.detach())
                steps += 1
            entry = {"epoch": float(epoch), "loss": total / max(steps, 1)}
            out_of_time = cfg.max_seconds is not None and time.perf_counter() - start > cfg.max_seconds
            if validate is not None and (epoch % cfg.eval_every == 0 or out_of_time or epoch == epochs):
                self.net.eval()
                v = validate(self)
                entry["valid_ndcg@10"] = v
                if v > best:
                    best, bad, best_state = v, 0, copy.deepcopy(self.net.state_dict())
                else:
                    bad += 1
            self.history_log.append(entry)
            if bad >= cfg.patience or out_of_time:
                break
        if best_state is not None:
            self.net.load_state_dict(best_state)
        self.net.eval()

    def _fit(self, data: Interactions, *, validate: Validator | None, seed: int) -> None:
        self._setup(data)
        hs = [h for h in data.histories().values() if len(h.items) >= 2]
        self._train(hs, self.config.max_epochs, validate, seed)

    def _partial_fit(self, new: Interactions, *, seed: int) -> None:
        assert self.data is not None
        seen = np.bincount(self.data.item, minlength=self.data.n_items) > 0
        self.id_mask = torch.as_tensor(np.concatenate([[0.0], seen]).astype(np.float32), device=self.device)
        touched = set(np.unique(new.user).tolist())
        hs = [h for u, h in self.data.histories().items() if u in touched and len(h.items) >= 2]
        if hs:
            self._train(hs, 1, None, seed)

    def _score(self, histories: list[History]) -> torch.Tensor:
        self.net.eval()
        b = pad_batch(histories, self.config.max_len).to(self.device)
        table = self._table()
        return self.net.users(b.items, table) @ table[1:].t() / self.config.temperature

    def _tensors(self) -> dict[str, torch.Tensor]:
        out = {f"net.{k}": v for k, v in self.net.state_dict().items()}
        out["id_mask"] = self.id_mask
        return out

    def _load_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        assert self.data is not None
        self._setup(self.data)
        self.net.load_state_dict({k[4:]: v for k, v in tensors.items() if k.startswith("net.")})
        self.id_mask = tensors["id_mask"]
        self.net.eval()
