"""SASRec-style self-attentive next-item model with event-type and context inputs.

Trained with cross-entropy over the whole catalogue (not one sampled negative), which is what
makes SASRec competitive on sparse shop logs.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from edgerec.models.base import Recommender, Validator
from edgerec.models.data import EVENT_TYPES, History, Interactions
from edgerec.models.sequences import SeqBatch, pad_batch
from edgerec.models.towers import ContentTower


@dataclass(frozen=True)
class SASRecConfig:
    max_len: int = 50
    hidden: int = 64
    blocks: int = 2
    heads: int = 1
    dropout: float = 0.5
    lr: float = 2e-3
    weight_decay: float = 0.0
    batch_size: int = 512
    max_epochs: int = 200
    eval_every: int = 2
    patience: int = 4
    max_seconds: float | None = 420.0
    use_events: bool = True
    use_context: bool = True
    use_content: bool = False
    random_windows: bool = True
    partial_epochs: int = 1
    negatives: int = 1024


class _Block(nn.Module):
    def __init__(self, d: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, heads, dropout=dropout, batch_first=True)
        self.ln2 = nn.LayerNorm(d)
        self.ff = nn.Sequential(nn.Linear(d, d), nn.GELU(), nn.Dropout(dropout), nn.Linear(d, d))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        q = self.ln1(x)
        a, _ = self.attn(q, q, q, attn_mask=mask, need_weights=False)
        x = x + self.drop(a)
        x = x + self.drop(self.ff(self.ln2(x)))
        return x * keep


class SASRecNet(nn.Module):
    """Item (+ content) + position + event (+ hour/weekday/store) embeddings -> causal blocks."""

    def __init__(self, n_items: int, cfg: SASRecConfig, *, n_stores: int, n_buckets: int) -> None:
        super().__init__()
        d = cfg.hidden
        self.items = nn.Embedding(n_items + 1, d, padding_idx=0)
        self.positions = nn.Embedding(cfg.max_len, d)
        self.events = nn.Embedding(len(EVENT_TYPES) + 1, d, padding_idx=0)
        self.hours = nn.Embedding(25, d, padding_idx=0)
        self.weekdays = nn.Embedding(8, d, padding_idx=0)
        self.stores = nn.Embedding(max(n_stores, 1) + 1, d, padding_idx=0)
        self.content = ContentTower(n_buckets, d) if n_buckets else None
        self.blocks = nn.ModuleList(_Block(d, cfg.heads, cfg.dropout) for _ in range(cfg.blocks))
        self.ln = nn.LayerNorm(d)
        self.drop = nn.Dropout(cfg.dropout)
        self.cfg = cfg
        nn.init.normal_(self.items.weight, std=0.02)
        nn.init.normal_(self.positions.weight, std=0.02)
        for emb in (self.events, self.hours, self.weekdays, self.stores):
            nn.init.zeros_(emb.weight)

    def item_table(
        self,
        offsets: torch.Tensor | None = None,
        tokens: torch.Tensor | None = None,
        id_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """[n_items + 1, d] output/input item representations (row 0 is padding)."""
        table = self.items.weight
        if id_mask is not None:
            table = table * id_mask[:, None]
        if self.content is not None and offsets is not None and tokens is not None:
            table = table + self.content(offsets, tokens)
        return table

    def forward(self, b: SeqBatch, table: torch.Tensor, *, context: bool) -> torch.Tensor:
        keep = (b.items > 0).unsqueeze(-1).float()
        x = F.embedding(b.items, table) * (self.cfg.hidden**0.5)
        length = b.items.shape[1]
        x = x + self.positions.weight[-length:].unsqueeze(0)
        if self.cfg.use_events:
            x = x + self.events(b.events)
        if context:
            x = x + self.hours(b.hours) + self.weekdays(b.weekdays) + self.stores(b.stores)
        x = self.drop(x) * keep
        causal = torch.ones(length, length, dtype=torch.bool, device=x.device).triu(1)
        for blk in self.blocks:
            x = blk(x, causal, keep)
        return self.ln(x)


def _length_batches(
    lengths: np.ndarray, cfg: SASRecConfig, rng: np.random.Generator
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Batches of similar-length sequences (in random order), so little compute goes to padding.

    For long histories a random earlier window is used half of the time (data augmentation).
    """
    ends = lengths.copy()
    if cfg.random_windows:
        long = (ends > cfg.max_len + 1) & (rng.random(len(ends)) < 0.5)
        ends[long] = rng.integers(cfg.max_len + 1, ends[long] + 1)
    width = np.minimum(ends, cfg.max_len + 1)
    order = np.lexsort((rng.random(len(ends)), width))
    batches = [order[lo : lo + cfg.batch_size] for lo in range(0, len(order), cfg.batch_size)]
    rng.shuffle(batches)  # type: ignore[arg-type]
    return [(b, ends[b]) for b in batches]


class SASRec(Recommender):
    """Self-attentive sequential recommender (Kang & McAuley 2018) with full softmax."""

    kind = "sasrec"
    Config = SASRecConfig
    uses_features = True

    def _build(self, data: Interactions) -> None:
        cfg = self.config
        feats = self.features if cfg.use_content else None
        self.net = SASRecNet(
            data.n_items,
            cfg,
            n_stores=int(data.store.max(initial=0)),
            n_buckets=feats.n_buckets if feats is not None else 0,
        ).to(self.device)
        self._set_inputs(data)

    def _set_inputs(self, data: Interactions) -> None:
        cfg = self.config
        feats = self.features if cfg.use_content else None
        if feats is not None:
            self.offsets = torch.as_tensor(np.concatenate([[0], feats.offsets]), device=self.device)
            self.tokens = torch.as_tensor(feats.tokens, device=self.device)
            counts = np.bincount(data.item, minlength=data.n_items) > 0
            # Items never seen in training are represented by their content alone.
            self.id_mask = torch.as_tensor(
                np.concatenate([[0.0], counts]).astype(np.float32), device=self.device
            )
        else:
            self.offsets = self.tokens = self.id_mask = None
        self.use_context = bool(
            cfg.use_context
            and (len(np.unique(data.time // 3_600_000_000 % 24)) > 1 or data.store.max(initial=0) > 0)
        )
        self.context_flag = torch.tensor([int(self.use_context)])

    def _table(self) -> torch.Tensor:
        return self.net.item_table(self.offsets, self.tokens, self.id_mask)

    def _train_epochs(
        self, histories: list[History], epochs: int, *, validate: Validator | None, seed: int
    ) -> None:
        cfg = self.config
        rng = np.random.default_rng(seed)
        opt = torch.optim.Adam(
            self.net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, betas=(0.9, 0.98)
        )
        start = time.perf_counter()
        best, best_state, bad = -1.0, None, 0
        lengths = np.array([len(h.items) for h in histories])
        for epoch in range(1, epochs + 1):
            self.net.train()
            total, steps = 0.0, 0
            for idx, ends in _length_batches(lengths, cfg, rng):
                hs = [histories[i] for i in idx]
                width = min(cfg.max_len + 1, int(ends.max()))
                b = pad_batch(hs, width, ends=ends.tolist()).to(self.device)
                inp = SeqBatch(
                    b.items[:, :-1], b.events[:, :-1], b.hours[:, :-1], b.weekdays[:, :-1], b.stores[:, :-1]
                )
                target = b.items[:, 1:]
                table = self._table()
                h = self.net(inp, table, context=self.use_context)
                sel = target > 0
                loss = self._loss(h[sel], target[sel] - 1, table[1:], rng)
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
                    best, bad = v, 0
                    best_state = copy.deepcopy(self.net.state_dict())
                else:
                    bad += 1
            self.history_log.append(entry)
            if bad >= cfg.patience or out_of_time:
                break
        if best_state is not None:
            self.net.load_state_dict(best_state)
        self.net.eval()

    def _loss(
        self, h: torch.Tensor, target: torch.Tensor, table: torch.Tensor, rng: np.random.Generator
    ) -> torch.Tensor:
        """Cross-entropy over all items, or, for big catalogues, over the targets plus a shared
        uniform sample of negatives (uniform, so no logQ correction is needed)."""
        n, k = table.shape[0], self.config.negatives
        if k <= 0 or n <= 2 * k:
            return F.cross_entropy(h @ table.t(), target)
        neg = torch.as_tensor(rng.choice(n, size=k, replace=False), device=h.device)
        pos_logit = (h * table[target]).sum(-1, keepdim=True)
        neg_logits = h @ table[neg].t()
        neg_logits = neg_logits.masked_fill(neg[None, :] == target[:, None], -torch.inf)
        logits = torch.cat([pos_logit, neg_logits], dim=1)
        return F.cross_entropy(logits, torch.zeros(len(target), dtype=torch.long, device=h.device))

    def _fit(self, data: Interactions, *, validate: Validator | None, seed: int) -> None:
        self._build(data)
        hs = [h for h in data.histories().values() if len(h.items) >= 2]
        self._train_epochs(hs, self.config.max_epochs, validate=validate, seed=seed)

    def _partial_fit(self, new: Interactions, *, seed: int) -> None:
        assert self.data is not None
        self._set_inputs(self.data)
        if self.config.partial_epochs <= 0:
            return
        touched = set(np.unique(new.user).tolist())
        hs = [h for u, h in self.data.histories().items() if u in touched and len(h.items) >= 2]
        if hs:
            self._train_epochs(hs, self.config.partial_epochs, validate=None, seed=seed)

    def _score(self, histories: list[History]) -> torch.Tensor:
        self.net.eval()
        width = max(1, min(self.config.max_len, max(len(h.items) for h in histories)))
        b = pad_batch(histories, width).to(self.device)
        table = self._table()
        h = self.net(b, table, context=self.use_context)[:, -1]
        return h @ table[1:].t()

    def _tensors(self) -> dict[str, torch.Tensor]:
        out = {f"net.{k}": v for k, v in self.net.state_dict().items()}
        out["context_flag"] = self.context_flag
        return out

    def _load_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        assert self.data is not None
        self._build(self.data)
        self.net.load_state_dict({k[4:]: v for k, v in tensors.items() if k.startswith("net.")})
        self.use_context = bool(int(tensors["context_flag"][0]))
        self.context_flag = tensors["context_flag"].cpu()
        self.net.eval()
