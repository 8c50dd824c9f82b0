"""The model contract: one mixin of tests that every model class runs, and its runs."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from edgerec.models.base import Recommender
from edgerec.models.blend import Blend
from edgerec.models.checkpoint import dumps, from_state, loads, to_state
from edgerec.models.content import TwoTower, TwoTowerConfig
from edgerec.models.data import History, Interactions, ItemFeatures
from edgerec.models.features import ItemContent, hash_items
from edgerec.models.mf import IALS, IALSConfig
from edgerec.models.neighbours import EASE, Cooccurrence, EASEConfig, ItemKNN, ItemKNNConfig
from edgerec.models.popularity import Popularity, RandomScores
from edgerec.models.sasrec import SASRec, SASRecConfig

N_ITEMS, N_USERS = 30, 40


def toy_log(seed: int = 0, n_rows: int = 600) -> Interactions:
    """Users walk through item 'chains' (i -> i+1 -> i+2) so sequence structure is learnable."""
    rng = np.random.default_rng(seed)
    users, items, events = [], [], []
    for u in range(N_USERS):
        start = int(rng.integers(0, N_ITEMS))
        for step in range(n_rows // N_USERS):
            users.append(u)
            items.append((start + step) % N_ITEMS)
            events.append(int(rng.choice([1, 1, 1, 2, 3])))
    n = len(users)
    return Interactions(
        item_ids=tuple(f"item{i}" for i in range(N_ITEMS)),
        user_ids=tuple(f"user{u}" for u in range(N_USERS)),
        user=np.array(users),
        item=np.array(items),
        event=np.array(events),
        time=1_700_000_000_000_000 + np.arange(n) * 3_600_000_000,
        position=np.arange(n),
    )


def toy_features() -> ItemFeatures:
    return hash_items(
        [
            ItemContent(
                category=f"Shop/Group{i % 5}", brand=f"b{i % 3}", price=float(i), title=f"thing number {i}"
            )
            for i in range(N_ITEMS)
        ]
    )


class ModelContract:
    """Subclass with ``make`` returning a small, fast model; every test runs on it."""

    fit_kwargs: ClassVar[dict[str, Any]] = {}

    def make(self) -> Recommender:
        raise NotImplementedError

    def fitted(self) -> Recommender:
        log = toy_log()
        cut = log.position < len(log) - 80
        model = self.make()
        model.fit(log.select(cut), features=toy_features(), seed=0)
        return model

    def test_scores_have_catalogue_width_and_are_finite(self) -> None:
        m = self.fitted()
        s = m.score([History(items=[1, 2, 3]), History(items=[])])
        assert s.shape == (2, N_ITEMS)
        assert torch.isfinite(s).all()

    def test_recommend_respects_exclusions(self) -> None:
        m = self.fitted()
        h = History(items=[4, 5, 6])
        recs = m.recommend(h, k=10, exclude=[7, 8])
        ids = [i for i, _ in recs]
        assert len(ids) == 10 and len(set(ids)) == 10
        assert not {"item4", "item5", "item6", "item7", "item8"} & set(ids)
        with_seen = m.recommend(h, k=N_ITEMS, exclude_seen=False)
        assert len(with_seen) == N_ITEMS

    def test_partial_fit_moves_trained_position_forward(self) -> None:
        log = toy_log()
        m = self.fitted()
        before = m.trained_to
        m.partial_fit(log.select(log.position >= len(log) - 80), seed=0)
        assert m.trained_to == len(log) - 1 > before
        assert torch.isfinite(m.score([History(items=[1, 2])])).all()

    def test_save_load_round_trip_gives_identical_scores(self) -> None:
        m = self.fitted()
        hs = [History(items=[1, 2, 3], events=[1, 2, 3]), History(items=[9])]
        again = loads(dumps(m))
        assert type(again) is type(m)
        assert again.config == m.config
        assert again.item_ids == m.item_ids and again.trained_to == m.trained_to
        assert torch.equal(m.score(hs), again.score(hs))

    def test_fit_is_reproducible_with_a_seed(self) -> None:
        hs = [History(items=[3, 4, 5])]
        assert torch.allclose(self.fitted().score(hs), self.fitted().score(hs), atol=1e-5)


class TestPopularity(ModelContract):
    def make(self) -> Recommender:
        return Popularity()


class TestRandom(ModelContract):
    def make(self) -> Recommender:
        return RandomScores()


class TestCooccurrence(ModelContract):
    def make(self) -> Recommender:
        return Cooccurrence()


class TestItemKNN(ModelContract):
    def make(self) -> Recommender:
        return ItemKNN(ItemKNNConfig(neighbours=10))


class TestEASE(ModelContract):
    def make(self) -> Recommender:
        return EASE(EASEConfig(l2=10.0))


class TestIALS(ModelContract):
    def make(self) -> Recommender:
        return IALS(IALSConfig(factors=8, epochs=3))


class TestContent(ModelContract):
    def make(self) -> Recommender:
        return TwoTower(TwoTowerConfig(use_ids=False, dim=16, max_epochs=3, max_seconds=None))


class TestHybrid(ModelContract):
    def make(self) -> Recommender:
        return TwoTower(TwoTowerConfig(use_ids=True, dim=16, max_epochs=3, max_seconds=None))


class TestSASRec(ModelContract):
    def make(self) -> Recommender:
        return SASRec(
            SASRecConfig(max_len=10, hidden=16, max_epochs=3, max_seconds=None, use_content=True, negatives=8)
        )


class TestBlend(ModelContract):
    def make(self) -> Recommender:
        return Blend()

    def fitted(self) -> Recommender:
        log = toy_log()
        train = log.select(log.position < len(log) - 80)
        members: dict[str, Recommender] = {
            "ease": EASE(EASEConfig(l2=10.0)).fit(train, seed=0),
            "cooccurrence": Cooccurrence().fit(train, seed=0),
        }
        blend = Blend()
        blend.set_members(members, {"ease": 1.0, "cooccurrence": 0.5})
        blend.features = toy_features()
        return blend


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.integers(0, N_ITEMS - 1), max_size=8),
    st.lists(st.integers(0, N_ITEMS - 1), max_size=8),
    st.integers(1, N_ITEMS),
)
def test_recommendations_never_contain_excluded_items(history: list[int], banned: list[int], k: int) -> None:
    model = _EASE_FOR_PROPERTIES
    recs = model.recommend(History(items=history), k=k, exclude=banned)
    ids = {model.item_ids.index(i) for i, _ in recs}
    assert not ids & (set(history) | set(banned))
    assert len(recs) == min(k, N_ITEMS - len(set(history) | set(banned)))


_EASE_FOR_PROPERTIES = EASE(EASEConfig(l2=10.0)).fit(toy_log(), seed=0)


def test_a_checkpoint_whose_neighbours_lie_outside_the_catalogue_is_refused() -> None:
    state = to_state(Cooccurrence().fit(toy_log(), seed=0))
    state["model"]["tensors"]["indices"][0, 0] = N_ITEMS + 5  # a tampered or corrupt file
    with pytest.raises(RuntimeError, match="inconsistent with indices"):
        from_state(state)


def test_popularity_decays_at_the_half_life_the_validation_split_prefers() -> None:
    """Item 0 sold well long ago, item 1 sells now; validation asks for what sells now."""
    day = 86_400_000_000
    old = [(u, 0, 1_600_000_000_000_000 + u * day) for u in range(30)]
    new = [(u, 1, 1_600_000_000_000_000 + (400 + u % 5) * day) for u in range(30, 50)]
    rows = old + new
    data = Interactions(
        item_ids=("old-hit", "new-hit", "other"),
        user_ids=tuple(f"u{u}" for u in range(50)),
        user=np.array([u for u, _, _ in rows]),
        item=np.array([i for _, i, _ in rows]),
        event=np.ones(len(rows), dtype=np.int64),
        time=np.array([t for _, _, t in rows]),
        position=np.arange(len(rows)),
    )
    plain = Popularity().fit(data)  # no validation: plain counts
    assert plain.counts[0] > plain.counts[1]
    decayed = Popularity().fit(data, validate=lambda m: float(m.counts[1] > m.counts[0]))
    assert decayed.chosen is not None and decayed.chosen.half_life_days is not None
    assert decayed.counts[1] > decayed.counts[0]
    decayed.partial_fit(data)  # a refit (validation folded in) keeps the chosen half-life
    assert decayed.counts[1] > decayed.counts[0]


def test_the_random_floor_draws_other_scores_for_another_seed() -> None:
    """It ignored the seed it was fitted with (eval --seed): every seed gave the same figures."""
    history = [History(items=[1, 2])]
    scores = [RandomScores().fit(toy_log(), seed=seed)._score(history) for seed in (0, 0, 1)]
    assert torch.equal(scores[0], scores[1]) and not torch.equal(scores[0], scores[2])
