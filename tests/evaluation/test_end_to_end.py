"""A small end-to-end evaluation on a slice of a real file: learned models beat popularity."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from edgerec.evaluation.harness import evaluate
from edgerec.evaluation.metrics import METRIC_KEYS


def beauty_slice(
    find: Callable[..., Path], n_users: int = 6000, n_items: int = 800
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The first n_users lines of Beauty.txt, restricted to their n_items most frequent items."""
    txt = find("amazon-s3rec", "Beauty.txt")
    lines = [line.split() for line in txt.read_text().splitlines()[:n_users]]
    counts = pd.Series([it for _, *items in lines for it in items]).value_counts()
    keep = set(counts.index[:n_items])
    rows = []
    for user, *items in lines:
        kept = [it for it in items if it in keep]
        rows += [(j, user, it) for j, it in enumerate(kept)]
    rows.sort(key=lambda r: r[0])
    n = len(rows)
    inter = pd.DataFrame(
        {
            "user_id": [r[1] for r in rows],
            "item_id": [r[2] for r in rows],
            "occurred_at": 1_500_000_000_000_000 + np.array([r[0] for r in rows]) * 86_400_000_000,
            "event_type": ["rated"] * n,
            "session_id": [r[1] for r in rows],
            "store_id": [None] * n,
            "position": np.arange(n),
        }
    )
    attrs = json.loads(txt.with_name("Beauty_item2attributes.json").read_text())
    ids = sorted(set(inter["item_id"]))
    catalogue = pd.DataFrame(
        {
            "item_id": ids,
            "title": None,
            "category": None,
            "brand": None,
            "price": np.nan,
            "description": None,
            "attributes": [{f"a{a}": "1" for a in attrs[i]} if i in attrs else None for i in ids],
        }
    )
    return inter, catalogue


@pytest.mark.slow
def test_learned_models_beat_popularity_on_a_beauty_slice(shared_dataset) -> None:
    inter, catalogue = beauty_slice(shared_dataset)
    report = evaluate(
        inter,
        catalogue,
        models=["popularity", "cooccurrence", "itemknn", "ease"],
        seed=0,
        dataset="beauty-slice",
    )
    assert report["dataset"] == "beauty-slice" and report["protocol"] == "leave-last-out"
    models = report["models"]
    for vals in models.values():
        assert set(vals) == set(METRIC_KEYS)
    pop = models["popularity"]["ndcg@10"]
    for name in ("cooccurrence", "itemknn", "ease"):
        assert models[name]["ndcg@10"] > 2 * pop, (name, models)
        assert models[name]["hr@10"] > models["popularity"]["hr@10"]


@pytest.mark.slow
def test_cold_items_protocol_content_beats_popularity(shared_dataset) -> None:
    inter, catalogue = beauty_slice(shared_dataset, n_users=3000, n_items=600)
    report = evaluate(
        inter,
        catalogue,
        protocol="cold-items",
        models=["popularity", "random", "content"],
        seed=0,
        dataset="beauty-slice",
    )
    models = report["models"]
    assert models["content"]["hr@10"] > models["popularity"]["hr@10"]


def test_coverage_is_the_share_of_the_items_a_protocol_ranks(shared_dataset) -> None:
    """Under cold-items only the hidden tenth of the items is ranked: coverage was divided by
    every item, so random scores, whose lists reach nearly every candidate, showed about 0.1."""
    inter, catalogue = beauty_slice(shared_dataset, n_users=1500, n_items=300)
    report = evaluate(inter, catalogue, protocol="cold-items", models=["random"], seed=0, dataset="beauty")
    assert report["models"]["random"]["coverage@10"] > 0.8


def test_the_blend_scores_alike_wherever_it_is_named() -> None:
    """Its members take in the validation events before it is tested, whatever the order."""
    rng = np.random.default_rng(4)
    rows = []
    for user in range(150):
        start = int(rng.integers(0, 40))
        for step in range(6):  # users walk chains of items, with some noise
            item = (start + step + int(rng.integers(0, 2))) % 40
            rows.append((user, f"i{item}", len(rows)))
    n = len(rows)
    inter = pd.DataFrame(
        {
            "user_id": [f"u{u}" for u, _, _ in rows],
            "item_id": [i for _, i, _ in rows],
            "occurred_at": 1_700_000_000_000_000 + np.array([p for _, _, p in rows]) * 60_000_000,
            "event_type": ["item_viewed"] * n,
            "session_id": [f"u{u}" for u, _, _ in rows],
            "store_id": [None] * n,
            "position": np.arange(n),
        }
    )
    blends = [
        {
            k: v
            for k, v in evaluate(inter, None, models=order, seed=0)["models"]["blend"].items()
            if k != "fit_s"
        }
        for order in (["cooccurrence", "itemknn", "blend"], ["blend", "cooccurrence", "itemknn"])
    ]
    assert blends[0] == blends[1]


def _log_only_shop(path: Path, *, listed: bool) -> tuple[object, object]:
    """A shop whose customers each end on an item no one touched before, as a Taobao file's
    last rows often do; listed: a catalogue lists those items too, before any event."""
    from datetime import UTC, datetime, timedelta

    import edgerec
    from edgerec.domain import ItemListed, ItemViewed
    from edgerec.evaluation.frames import encode
    from edgerec.readmodels import catalogue_frame, interaction_frame

    start = datetime(2026, 1, 1, tzinfo=UTC)
    with edgerec.open(path) as store:
        if listed:
            store.record_many(
                [ItemListed(item_id=f"new{u}", title=f"new {u}", category=f"c{u % 3}") for u in range(30)]
            )
        views = []
        for u in range(30):
            walk = [f"w{u % 3}-{(u + step) % 8}" for step in range(4)] + [f"new{u}"]
            views += [
                ItemViewed(
                    user_id=f"u{u}",
                    item_id=item,
                    category=f"c{u % 3}",
                    occurred_at=start + timedelta(hours=u * 10 + step),
                )
                for step, item in enumerate(walk)
            ]
        store.record_many(views)
        return encode(interaction_frame(store), catalogue_frame(store))


def test_an_item_only_the_test_rows_name_is_a_miss_for_every_model(tmp_path: Path) -> None:
    """Otherwise the only items without a training row are the test targets, and the hybrid,
    which ranks such items by content alone, put them first in their category."""
    from edgerec.evaluation.harness import evaluate_encoded

    data, features = _log_only_shop(tmp_path / "shop.db", listed=False)
    report = evaluate_encoded(data, features, models=["popularity", "cooccurrence", "hybrid"]).report
    assert report["test_cases"] == 30  # counted as misses, not dropped
    assert {name: m["hr@20"] for name, m in report["models"].items()} == {
        "popularity": 0.0,
        "cooccurrence": 0.0,
        "hybrid": 0.0,
    }


def test_items_a_catalogue_lists_are_ranked_before_anyone_touches_them(tmp_path: Path) -> None:
    from edgerec.evaluation.harness import known_items_only, make_split

    data, _ = _log_only_shop(tmp_path / "shop.db", listed=True)
    split = known_items_only(make_split(data, "leave-last-out"), data, fold_in=True)
    assert split.test.candidates is None
    assert split.valid.candidates is None


def test_the_report_counts_the_test_cases_whose_item_the_customer_had_touched(tmp_path: Path) -> None:
    """A view, then a purchase of the same item: with seen items left out of the ranking no
    model can hit it, and nothing in the report said how many such cases there were."""
    from datetime import UTC, datetime, timedelta

    import edgerec
    from edgerec.domain import ItemViewed, Purchased
    from edgerec.evaluation.frames import encode
    from edgerec.evaluation.harness import evaluate_encoded
    from edgerec.readmodels import catalogue_frame, interaction_frame

    start = datetime(2026, 1, 1, tzinfo=UTC)
    with edgerec.open(tmp_path / "shop.db") as store:
        events: list[object] = []
        for u in range(30):
            walk = [f"i{(u + step) % 8}" for step in range(4)]
            at = [start + timedelta(hours=u * 10 + step) for step in range(5)]
            events += [
                ItemViewed(user_id=f"u{u}", item_id=item, occurred_at=at[i]) for i, item in enumerate(walk)
            ]
            last = walk[1] if u < 10 else f"i{(u + 5) % 8}"  # the first ten buy an item they viewed
            events.append(Purchased(user_id=f"u{u}", item_id=last, occurred_at=at[4]))
        store.record_many(events)  # type: ignore[arg-type]
        data, features = encode(interaction_frame(store), catalogue_frame(store))
    report = evaluate_encoded(data, features, models=["popularity"]).report
    assert (report["test_cases"], report["test_targets_seen"]) == (30, 10)


def test_a_shop_of_one_item_gives_the_blend_figures_not_nan() -> None:
    """Each member ranks the one item first; the blend, which standardised every member's
    scores over the items, took the spread of one score as NaN and printed nan for every figure."""
    n = 9
    inter = pd.DataFrame(
        {
            "user_id": [f"u{i // 3}" for i in range(n)],
            "item_id": ["only"] * n,
            "occurred_at": 1_700_000_000_000_000 + np.arange(n) * 60_000_000,
            "event_type": ["item_viewed"] * n,
            "session_id": [f"u{i // 3}" for i in range(n)],
            "store_id": [None] * n,
            "position": np.arange(n),
        }
    )
    report = evaluate(inter, None, models=["popularity", "cooccurrence", "blend"], include_seen=True)
    assert report["models"]["blend"]["hr@10"] == report["models"]["cooccurrence"]["hr@10"] == 1.0
    assert report["models"]["blend"]["ndcg@10"] == 1.0


def test_the_blend_takes_no_fewer_training_seconds_than_its_members() -> None:
    """The blend's seconds counted its members' before the validation rows were folded into
    them, so a member that refits to fold them in (item-kNN) reported more than the blend."""
    rng = np.random.default_rng(7)
    n_users, per_user = 200, 60  # few customers among many items: folding in costs more than tuning
    n = n_users * per_user
    inter = pd.DataFrame(
        {
            "user_id": [f"u{i // per_user}" for i in range(n)],
            "item_id": [f"i{int(v)}" for v in rng.integers(0, 6000, size=n)],
            "occurred_at": 1_700_000_000_000_000 + np.arange(n) * 60_000_000,
            "event_type": ["item_viewed"] * n,
            "session_id": [f"u{i // per_user}" for i in range(n)],
            "store_id": [None] * n,
            "position": np.arange(n),
        }
    )
    report = evaluate(inter, None, models=["itemknn", "blend"])
    fit_s = {name: figures["fit_s"] for name, figures in report["models"].items()}
    assert fit_s["blend"] >= fit_s["itemknn"] > 0


def test_the_log_says_what_the_models_train_on_in_words() -> None:
    """It printed the raw object: DataStats(n_users=3, ..., mean_length=2.3333333333333335, ...)."""
    n = 10
    inter = pd.DataFrame(
        {
            "user_id": [f"u{i % 3}" for i in range(n)],
            "item_id": [f"i{i % 4}" for i in range(n)],
            "occurred_at": 1_700_000_000_000_000 + np.arange(n) * 60_000_000,
            "event_type": ["item_viewed"] * n,
            "session_id": [f"u{i % 3}" for i in range(n)],
            "store_id": [None] * n,
            "position": np.arange(n),
        }
    )
    said: list[str] = []
    evaluate(inter, None, models=["popularity"], include_seen=True, dataset="shop", log=said.append)
    assert said[0] == (
        "shop: trained on 4 interactions of 3 customers among 4 items (per customer: mean 1.3, median 1);"
        " 3 validation / 3 test cases"
    )


def test_the_training_curves_draw_no_line_for_the_blend(tmp_path: Path) -> None:
    """curves.svg drew the blend's line from each member's single validation score, as if they
    were its training steps; the blend is tuned, not trained in steps, and the chart says so."""
    from edgerec.evaluation.harness import evaluate_encoded
    from edgerec.evaluation.plots import write_charts
    from tests.models.test_contract import toy_log

    outcome = evaluate_encoded(
        toy_log(n_rows=800), None, models=["popularity", "cooccurrence", "ease", "blend"]
    )
    write_charts(outcome.report, outcome.curves, tmp_path)
    svg = (tmp_path / "curves.svg").read_text()
    assert svg.count("<polyline") == 1  # popularity's checks of its half-lives
    assert ">popularity</text>" in svg and ">blend</text>" not in svg
    assert "no curve (fewer than two validation checks): cooccurrence, ease" in svg
    assert "no curve for the blend: its weights are tuned on validation, not trained in steps" in svg
