"""The online model learns from bare click streams (items without any content) and grows
its tables deterministically."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

import edgerec
from edgerec.store.codec import StoredEvent
from edgerec.training import Trainer, TrainerConfig
from edgerec.training.model import OnlineConfig, OnlineModel


def _click(position: int, session: str, item: str) -> StoredEvent:
    return StoredEvent(
        position,
        f"e{position}",
        "item_viewed",
        position * 1_000_000,
        session,
        session,
        item,
        None,
        None,
        None,
        {},
    )


def test_a_click_stream_without_content_is_learned(tmp_path: Path) -> None:
    # Sessions pair P<n> with Q<n>: items that carry no category, brand or title at all.
    rng = np.random.default_rng(0)
    events, position = [], 0
    for session in range(600):
        n = int(rng.integers(20))
        for item in (f"P{n}", f"Q{n}"):
            position += 1
            events.append(_click(position, f"s{session}", item))
    with edgerec.open(tmp_path / "shop.db") as store:
        trainer = Trainer(store, directory=tmp_path / "m", config=TrainerConfig(block=400), device="cpu")
        reports = [trainer.learn(events[start : start + 400]) for start in range(0, len(events), 400)]
        vectors = trainer.item_matrix().numpy()
    losses = [r.loss for r in reports if r.loss is not None]
    assert losses[-1] < losses[0] - 0.1
    index = trainer.vocabulary.item_index
    hits = 0
    for n in range(20):
        scores = vectors @ vectors[index[f"P{n}"]]
        scores[index[f"P{n}"]] = -np.inf
        hits += int(np.argmax(scores) == index[f"Q{n}"])
    assert hits >= 15


def test_grown_rows_do_not_depend_on_the_global_random_state() -> None:
    config = OnlineConfig(dim=8, initial_capacity=4)
    first = OnlineModel(config)
    torch.manual_seed(123)
    torch.rand(1000)
    second = OnlineModel(config)
    for model in (first, second):
        model.ensure_capacity(20, 20)
    assert first.users.num_embeddings == 32
    assert torch.equal(first.users.weight, second.users.weight)
    assert float(first.users.weight.detach()[20:].abs().min()) > 0  # spare rows are noise too
    # an item's ID row starts at zero: untrained, it is exactly its content vector
    assert float(first.items.weight.detach().abs().max()) == 0.0
