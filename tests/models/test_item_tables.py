"""Item-kNN and EASE, whose tables cover only the items training touched, score as the textbook
formulas over the whole catalogue do, whatever the size of the blocks their tables are built in."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from edgerec.models import matrix
from edgerec.models.data import History, Interactions
from edgerec.models.neighbours import EASE, EASEConfig, ItemKNN, ItemKNNConfig
from tests.models.test_contract import toy_log

UNTOUCHED = 25  # catalogue items after the log's, which no row names


def with_untouched_items(log: Interactions) -> Interactions:
    extra = tuple(f"never{i}" for i in range(UNTOUCHED))
    return dataclasses.replace(log, item_ids=log.item_ids + extra)


def dense_user_item(log: Interactions, weights: np.ndarray) -> np.ndarray:
    x = np.zeros((log.n_users, log.n_items))
    np.maximum.at(x, (log.user, log.item), weights)
    return x


HISTORIES = [History(items=[1, 2, 3], events=[1, 2, 3]), History(items=[9, 31]), History(items=[])]


def history_rows(weights: np.ndarray, n_items: int) -> np.ndarray:
    h = np.zeros((len(HISTORIES), n_items))
    for r, history in enumerate(HISTORIES):
        np.maximum.at(h[r], history.items, weights[history.events])
    return h


@pytest.mark.parametrize("block_entries", [matrix.BLOCK_ENTRIES, 100])
def test_item_knn_scores_as_cosine_over_the_whole_catalogue(monkeypatch, block_entries: int) -> None:
    monkeypatch.setattr(matrix, "BLOCK_ENTRIES", block_entries)
    log = with_untouched_items(toy_log())
    model = ItemKNN(ItemKNNConfig(neighbours=log.n_items)).fit(log)  # every neighbour kept: no ties
    x = dense_user_item(log, np.ones(len(log)))
    g = x.T @ x
    d = np.diag(g)
    sim = g / (np.sqrt(d[:, None] * d[None, :]) + model.config.shrink)
    np.fill_diagonal(sim, 0.0)
    expected = history_rows(model.config.weights.by_code(), log.n_items) @ sim
    scores = model.score(HISTORIES)
    assert torch.allclose(scores, torch.as_tensor(expected, dtype=torch.float32), atol=1e-5)
    assert not scores[:, -UNTOUCHED:].any()


@pytest.mark.parametrize("block_entries", [matrix.BLOCK_ENTRIES, 100])
def test_ease_scores_as_its_closed_form_over_the_whole_catalogue(monkeypatch, block_entries: int) -> None:
    monkeypatch.setattr(matrix, "BLOCK_ENTRIES", block_entries)
    log = with_untouched_items(toy_log())
    model = EASE(EASEConfig(l2=10.0)).fit(log)
    x = dense_user_item(log, model.config.weights.of(log.event, log.time))
    p = np.linalg.inv(x.T @ x + 10.0 * np.eye(log.n_items))
    b = -p / np.diag(p)[None, :]
    np.fill_diagonal(b, 0.0)
    expected = history_rows(model.config.weights.by_code(), log.n_items) @ b
    scores = model.score(HISTORIES)
    assert torch.allclose(scores, torch.as_tensor(expected, dtype=torch.float32), atol=1e-5)
    assert not scores[:, -UNTOUCHED:].any()
