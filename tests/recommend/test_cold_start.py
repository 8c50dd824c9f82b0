"""Anonymous visitors get context-aware popular items; a new item is recommendable at once."""

from __future__ import annotations

from edgerec.domain import Context, ItemListed, ItemViewed
from edgerec.recommend import Recommender, RequestContext
from tests.recommend.conftest import T0, at, catalogue_events


def _shop_with_two_kiosks() -> Recommender:
    rec = Recommender(None)
    for e in catalogue_events(20):
        rec.observe(e)
    for n in range(6):  # kiosk A loves i10, kiosk B loves i11; i12 is popular everywhere
        rec.observe(
            ItemViewed(user_id=f"a{n}", item_id="i10", occurred_at=at(n), context=Context(store_id="A"))
        )
        rec.observe(
            ItemViewed(user_id=f"b{n}", item_id="i11", occurred_at=at(n), context=Context(store_id="B"))
        )
    for n in range(8):
        rec.observe(ItemViewed(user_id=f"c{n}", item_id="i12", occurred_at=at(n)))
    return rec


def test_anonymous_visitor_gets_popular_items_for_their_kiosk() -> None:
    rec = _shop_with_two_kiosks()
    at_a = rec.recommend("new-visitor", k=3, now=at(10), context=RequestContext(store_id="A"))
    at_b = rec.recommend("new-visitor", k=3, now=at(10), context=RequestContext(store_id="B"))
    assert at_a[0].item_id == "i10" and at_b[0].item_id == "i11"
    assert any("at this kiosk" in reason for reason in at_a[0].reasons)
    anywhere = rec.recommend("new-visitor", k=3, now=at(10))
    assert anywhere[0].item_id == "i12"
    assert all(r.sources == {"popularity": 1.0} for r in anywhere)


def test_first_view_brings_session_suggestions() -> None:
    rec = _shop_with_two_kiosks()
    rec.observe(ItemViewed(user_id="x", item_id="i3", occurred_at=at(20)))
    rec.observe(ItemViewed(user_id="x", item_id="i4", occurred_at=at(21)))
    rec.observe(ItemViewed(user_id="new", item_id="i3", occurred_at=at(22)))
    recs = rec.recommend("new", k=5, now=at(23))
    i4 = next(r for r in recs if r.item_id == "i4")
    assert i4.sources.get("cooccurrence", 0) > 0


def test_new_item_is_recommendable_as_soon_as_listed(shop) -> None:
    rec = Recommender(shop)
    view = ItemViewed(user_id="u", item_id="i2", occurred_at=at(100))
    rec.observe(view, shop.record(view))
    listing = ItemListed(
        item_id="brand-new", title="Brand New", category="cat2", brand="brand9", stock=4, occurred_at=at(101)
    )
    rec.observe(listing, shop.record(listing))
    for recommender in (rec, Recommender(shop)):  # live, and a fresh process
        recs = recommender.recommend("u", k=10, now=at(102))
        new = next(r for r in recs if r.item_id == "brand-new")
        assert new.title == "Brand New"
        assert any("Same category (cat2)" in reason for reason in new.reasons)
        in_category = recommender.recommend("anonymous", k=20, now=at(102), category="cat2")
        assert "brand-new" in [r.item_id for r in in_category]


def test_empty_store_gives_empty_list(tmp_path) -> None:
    from edgerec.api import Store

    with Store(tmp_path / "empty.db", synchronous="OFF") as store:
        assert Recommender(store).recommend("anyone", now=T0) == []
