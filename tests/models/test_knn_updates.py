"""Item-kNN folds new rows in by recomputing only the neighbour lists they change, and ends with
the table, scores and rankings that a fit on every row gives."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from edgerec.evaluation.frames import encode
from edgerec.evaluation.split import leave_last_out
from edgerec.ingest import import_file
from edgerec.models import matrix, neighbours
from edgerec.models.data import History, Interactions
from edgerec.models.neighbours import ItemKNN, ItemKNNConfig
from edgerec.readmodels import catalogue_frame, interaction_frame


def entries(model: ItemKNN) -> dict[tuple[int, int], float]:
    """The table's entries by (neighbour, item), numbered as the catalogue numbers them."""
    coo = model.sim.table.to_sparse_coo().coalesce()
    neighbour, item = model.sim.items[coo.indices().numpy()]
    return dict(zip(zip(neighbour.tolist(), item.tolist(), strict=True), coo.values().tolist(), strict=True))


def in_blocks(data: Interactions, cuts: list[int], config: ItemKNNConfig) -> ItemKNN:
    model = ItemKNN(config)
    for lo, hi in zip([0, *cuts], [*cuts, len(data)], strict=True):
        model.partial_fit(data.select((data.position >= lo) & (data.position < hi)))
    return model


def assert_same_model(updated: ItemKNN, fitted: ItemKNN, histories: list[History]) -> None:
    assert np.array_equal(updated.sim.items, fitted.sim.items)
    assert entries(updated) == entries(fitted)  # the same floats: no tolerance needed
    a, b = updated.score(histories), fitted.score(histories)
    assert torch.equal(a, b)
    for history in histories:
        assert updated.recommend(history, k=20) == fitted.recommend(history, k=20)


@st.composite
def logs(draw: st.DrawFn) -> tuple[Interactions, list[int], int]:
    """A log of few users and items (so that lists fill, and tie), cut into blocks."""
    n_users, n_items = draw(st.integers(1, 12)), draw(st.integers(2, 25))
    rows = draw(st.lists(st.tuples(st.integers(0, n_users - 1), st.integers(0, n_items - 1)), min_size=1))
    users, items = (np.array(column) for column in zip(*rows, strict=True))
    data = Interactions(
        item_ids=tuple(f"item{i}" for i in range(n_items)),
        user_ids=tuple(f"user{u}" for u in range(n_users)),
        user=users,
        item=items,
        event=draw(st.lists(st.integers(1, 3), min_size=len(rows), max_size=len(rows))),
        time=np.arange(len(rows)),
        position=np.arange(len(rows)),
    )
    cuts = sorted(set(draw(st.lists(st.integers(1, max(1, len(rows) - 1)), max_size=4))))
    return data, [c for c in cuts if c < len(rows)], draw(st.integers(1, 8))


@settings(max_examples=150, deadline=None)
@given(logs(), st.sampled_from([1 << 22, 7]))
def test_partial_fits_in_blocks_give_the_table_of_one_fit(case, block_entries: int) -> None:
    """Every update, however few lists it recomputes (the share above which it refits is lifted),
    and in blocks of columns of any width."""
    data, cuts, k = case
    config = ItemKNNConfig(neighbours=k, shrink=1.0)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(neighbours, "REFIT_SHARE", 1.0)
        patch.setattr(matrix, "BLOCK_ENTRIES", block_entries)
        updated = in_blocks(data, cuts, config)
        fitted = ItemKNN(config).fit(data)
    histories = [History(items=[i]) for i in range(data.n_items)] + [History(items=data.item[:5])]
    assert_same_model(updated, fitted, histories)


def test_an_update_recomputes_only_the_lists_it_changes(monkeypatch) -> None:
    """One customer's new view of two items touches their lists and those that may take them in:
    a few of the table's columns, where a refit computed them all."""
    rng = np.random.default_rng(0)
    n = 400
    data = Interactions(
        item_ids=tuple(f"item{i}" for i in range(n)),
        user_ids=tuple(f"user{u}" for u in range(300)),
        user=rng.integers(0, 300, 2000),
        item=rng.integers(0, n, 2000),
        event=np.ones(2000),
        time=np.arange(2000),
        position=np.arange(2000),
    )
    model = ItemKNN(ItemKNNConfig(neighbours=5)).fit(data.select(data.position < 1998))
    computed: list[int] = []
    blocks = matrix.gram_blocks

    def counted(*args, **kwargs):
        for picked, block in blocks(*args, **kwargs):
            computed.append(block.shape[1])
            yield picked, block

    monkeypatch.setattr(matrix, "gram_blocks", counted)
    model.partial_fit(data.select(data.position >= 1998))
    assert 2 <= sum(computed) < 40
    assert_same_model(model, ItemKNN(ItemKNNConfig(neighbours=5)).fit(data), [History(items=[1, 2, 3])])


def test_tied_neighbours_are_kept_by_item_whatever_the_blocks(monkeypatch) -> None:
    """Item 0 is as similar to each of items 1..30 (one customer each saw it with one of them):
    with 3 neighbours kept, its list is items 1, 2 and 3, as an update that merges lists keeps
    them, in blocks of columns of any width."""
    n = 31
    data = Interactions(
        item_ids=tuple(f"item{i}" for i in range(n)),
        user_ids=tuple(f"user{u}" for u in range(n - 1)),
        user=np.repeat(np.arange(n - 1), 2),
        item=np.stack([np.zeros(n - 1, dtype=np.int64), np.arange(1, n)], axis=1).ravel(),
        event=np.ones(2 * (n - 1)),
        time=np.arange(2 * (n - 1)),
        position=np.arange(2 * (n - 1)),
    )
    for block_entries in (1 << 22, 40, 1):
        monkeypatch.setattr(matrix, "BLOCK_ENTRIES", block_entries)
        model = ItemKNN(ItemKNNConfig(neighbours=3)).fit(data)
        assert sorted(i for i, j in entries(model) if j == 0) == [1, 2, 3]


def test_the_validation_rows_of_a_real_log_fold_in_as_a_fit_on_every_row_gives(store, shared_dataset) -> None:
    """Taobao's 43 complete customer histories (3,276 items), imported into a store and split as
    `edgerec eval` splits them: the training rows fitted, then the validation rows and the test
    rows folded in, one block each, give the model a fit on all three gives."""
    import_file(store, shared_dataset("taobao-userbehavior", "UserBehavior_head_4k.csv"))
    data, _ = encode(interaction_frame(store), catalogue_frame(store))
    split = leave_last_out(data)
    test_rows = data.select(
        ~np.isin(data.position, split.train.position) & ~np.isin(data.position, split.valid_rows.position)
    )
    config = ItemKNNConfig()
    model = ItemKNN(config).fit(split.train)
    model.partial_fit(split.valid_rows)
    assert_same_model(model, ItemKNN(config).fit(split.train.concat(split.valid_rows)), split.test.histories)
    model.partial_fit(test_rows)
    assert_same_model(model, ItemKNN(config).fit(data), split.test.histories)
