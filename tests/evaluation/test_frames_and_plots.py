"""Contract frames -> model inputs, and the SVG charts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from edgerec.evaluation.frames import encode
from edgerec.evaluation.plots import curve_chart, metric_chart


def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    inter = pd.DataFrame(
        {
            "user_id": ["u1", "u1", "u2", "u1", "u2"],
            "item_id": ["a", None, "b", "c", "a"],
            "occurred_at": np.array([1, 2, 3, 4, 4], dtype=np.int64),
            "event_type": ["item_viewed", "searched", "purchased", "added_to_cart", "removed_from_cart"],
            "session_id": ["s1", "s1", "s2", "s1", "s2"],
            "store_id": [None, None, "kiosk-1", None, "kiosk-1"],
            "position": np.arange(5, dtype=np.int64),
        }
    )
    catalogue = pd.DataFrame(
        {
            "item_id": ["z", "a", "b", "c"],
            "title": ["Zed", "Apple shirt", None, "Cap"],
            "category": ["Apparel/Topwear", "Apparel/Topwear/Shirts", None, None],
            "brand": [None, "acme", None, None],
            "price": [1.0, np.nan, 5.0, None],
            "description": None,
            "attributes": [None, {"colour": "red"}, None, None],
        }
    )
    return inter, catalogue


def test_encode_keeps_item_events_and_the_whole_catalogue() -> None:
    inter, catalogue = frames()
    data, feats = encode(inter, catalogue)
    assert data.item_ids == ("z", "a", "b", "c")  # never-interacted "z" is still ranked
    assert len(data) == 3  # the search and the cart removal are dropped
    assert [data.item_ids[i] for i in data.item] == ["a", "b", "c"]
    assert data.store.tolist() == [0, 1, 0]
    assert feats is not None and feats.n_items == 4
    assert feats.has_content().tolist() == [True, True, True, True]
    # items sharing a category path share tokens
    assert set(feats.of(0).tolist()) & set(feats.of(1).tolist())


def test_encode_without_content_gives_no_features() -> None:
    inter, _ = frames()
    data, feats = encode(inter, pd.DataFrame({"item_id": ["a", "b", "c"]}))
    assert feats is None and data.n_items == 3


def test_charts_are_svg() -> None:
    report = {
        "dataset": "d",
        "protocol": "leave-last-out",
        "models": {"a": {"ndcg@10": 0.1}, "b": {"ndcg@10": 0.05}},
    }
    svg = metric_chart(report)
    assert svg.startswith("<svg") and "0.1000" in svg and svg.rstrip().endswith("</svg>")
    curves = {"sasrec": [{"valid_ndcg@10": 0.01}, {"valid_ndcg@10": 0.02}]}
    assert "<polyline" in curve_chart(curves)


def test_the_catalogue_frame_is_in_item_order_however_it_was_written(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """An evaluation's item vocabulary, and the seeded draws made on it, follow this order."""
    import edgerec
    from edgerec.domain import ItemListed, ItemViewed
    from edgerec.readmodels import catalogue_frame

    with edgerec.open(tmp_path / "shop.db") as store:
        store.record_many([ItemViewed(user_id="u", item_id=i) for i in ("zeta", "alpha")])
        store.record_many([ItemListed(item_id=i, title=i) for i in ("mu", "beta", "zeta")])
        assert list(catalogue_frame(store)["item_id"]) == ["alpha", "beta", "mu", "zeta"]
