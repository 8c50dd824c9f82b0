"""A customer's search moves their suggestions at once, explains itself, and survives a restart."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from edgerec.domain import ItemListed, ItemViewed, Searched
from edgerec.domain.words import search_words
from edgerec.recommend import Recommender
from edgerec.recommend.catalogue import Catalogue
from edgerec.store.codec import to_micros
from tests.recommend.conftest import at

# In the test shop, item i has category cat{i % 5} and brand brand{i % 7}: only i10 has both.
QUERY = "Brand3 cat0"
MATCH_BOTH = "i10"
MATCH_ONE = {f"i{i}" for i in range(40) if i % 7 == 3 or i % 5 == 0} - {MATCH_BOTH}


def _search(shop, rec: Recommender, minute: float) -> Searched:  # type: ignore[no-untyped-def]
    event = Searched(user_id="u", session_id="s", query=QUERY, occurred_at=at(minute))
    rec.observe(event, shop.record(event))
    return event


def test_a_search_brings_its_best_match_first_with_the_search_as_its_reason(shop) -> None:
    rec = Recommender(shop)
    view = ItemViewed(user_id="u", session_id="s", item_id="i29", occurred_at=at(100))
    rec.observe(view, shop.record(view))
    before = [r.item_id for r in rec.recommend("u", k=10, now=at(101))]
    assert MATCH_BOTH not in before
    search = _search(shop, rec, 101)
    after = rec.recommend("u", k=10, now=at(103))
    assert after[0].item_id == MATCH_BOTH
    assert len({r.item_id for r in after} & MATCH_ONE) >= 3
    best = after[0]
    assert best.sources["search"] > 0.5
    assert best.reasons[0] == f'Matches your search "{QUERY}" (2 minutes ago)'
    evidence = best.evidence[0]
    assert (evidence.event_type, to_micros(evidence.at)) == (search.type, to_micros(search.occurred_at))


def test_a_restarted_recommender_still_knows_the_search(shop) -> None:
    live = Recommender(shop)
    _search(shop, live, 100)
    fresh = Recommender(shop)
    a, b = (r.recommend("u", session_id="s", k=10, now=at(105)) for r in (live, fresh))
    assert a[0].item_id == MATCH_BOTH
    assert [(r.item_id, round(r.score, 9), r.reasons) for r in a] == [
        (r.item_id, round(r.score, 9), r.reasons) for r in b
    ]


def test_a_search_counts_until_an_item_is_looked_at_or_half_an_hour_passes(shop) -> None:
    rec = Recommender(shop)
    _search(shop, rec, 100)
    assert rec.recommend("u", session_id="s", k=10, now=at(129))[0].item_id == MATCH_BOTH
    later = rec.recommend("u", session_id="s", k=10, now=at(131))
    assert all("search" not in r.sources for r in later)
    _search(shop, rec, 140)
    view = ItemViewed(user_id="u", session_id="s", item_id="i3", occurred_at=at(141))
    rec.observe(view, shop.record(view))
    after_a_look = rec.recommend("u", session_id="s", k=10, now=at(142))
    assert all("search" not in r.sources for r in after_a_look)


def test_an_item_listed_after_a_search_is_found_by_it(shop) -> None:
    rec = Recommender(shop)
    _search(shop, rec, 100)
    assert rec.recommend("u", session_id="s", k=1, now=at(101))[0].item_id == MATCH_BOTH
    listed = ItemListed(item_id="new", title="Brand3 Cat0 special", stock=1, occurred_at=at(101))
    rec.observe(listed, shop.record(listed))
    top = [r.item_id for r in rec.recommend("u", session_id="s", k=2, now=at(102))]
    assert set(top) == {MATCH_BOTH, "new"}


def _listed(cat: Catalogue, item_id: str, title: str, **fields: str) -> None:
    cat.apply_listing(item_id, {"title": title, **fields}, status="listed", at_us=0, full=True)


def test_words_match_where_words_start_and_edits_are_searched_again() -> None:
    cat = Catalogue()
    _listed(cat, "a", "Running Shoes", category="Footwear", brand="Trail")
    _listed(cat, "b", "Horseshoe magnet")
    _listed(cat, "c", "Red shoe rack", brand="Shoebox")

    def found(query: str) -> dict[str, float]:
        items, share = cat.matching(query)
        return {cat.ids[i]: float(s) for i, s in zip(items.tolist(), share.tolist(), strict=True)}

    assert found("shoe") == {"a": 1.0, "c": 1.0}  # not inside "Horseshoe"
    assert found("red SHOES") == {"a": 0.5, "c": 1.0}
    assert found("footwear trail") == {"a": 1.0}
    assert found("") == {} and found("  !? ") == {}
    _listed(cat, "d", "Shoe polish")  # a new item: only it is searched
    assert found("shoe") == {"a": 1.0, "c": 1.0, "d": 1.0}
    _listed(cat, "a", "Running socks", category="Footwear", brand="Trail")  # an edit
    assert found("shoe") == {"c": 1.0, "d": 1.0}


@settings(max_examples=200, deadline=None)
@given(query=st.text(max_size=40), titles=st.lists(st.text(max_size=20), min_size=1, max_size=8))
def test_any_query_finds_exactly_the_items_with_a_word_it_starts_or_a_letter_it_is(
    query: str, titles: list[str]
) -> None:
    cat = Catalogue()
    for n, title in enumerate(titles):
        _listed(cat, f"i{n}", title)
    items, share = cat.matching(query)
    words = search_words(query)
    expected = {
        n
        for n, title in enumerate(titles)
        if any(
            t == w or (len(w) > 1 and t.startswith(w))
            for w in words
            for t in re.findall(r"\w+", title.lower())
        )
    }
    assert set(items.tolist()) == expected
    assert ((share > 0) & (share <= 1)).all()


def test_a_one_letter_word_of_a_search_is_matched_whole(shop) -> None:
    """ "t-shirt" was searched as "t" and "shirt", and "t" started Tent, Trail and Tamsin, so these
    came after the T-shirts, each said to match the search; the "c" of "usb-c" is a word of its
    own that USB-C items have, and ranks them first. The "s" of a possessive is no word."""
    shop.record_many(
        [
            ItemListed(item_id=item_id, title=title, category=category, stock=3, occurred_at=at(99))
            for item_id, title, category in (
                ("tee", "Classic T-Shirt Blue", "Apparel/T-Shirts"),
                ("shirt", "Oxford Shirt", "Apparel/Shirts"),
                ("tent", "Tamsin Trail Tent", "Outdoor/Tents"),
                ("usb-c", "USB-C Cable", "Electronics/Cables"),
                ("usb-a", "USB-A Cable", "Electronics/Cables"),
                ("cord", "Charging cord", "Electronics/Cables"),
                ("mens", "Mens Oxford Shirt", "Apparel/Shirts"),
                ("womens", "Women's Oxford Shirt", "Apparel/Shirts"),
                ("boots", "Kid's Rain Boots", "Footwear/Boots"),
            )
        ]
    )
    rec = Recommender(shop)

    def found(query: str) -> dict[str, float]:
        items, share = rec.catalogue.matching(query)
        return {rec.catalogue.ids[i]: float(s) for i, s in zip(items.tolist(), share.tolist(), strict=True)}

    shirts = {"shirt": 0.5, "mens": 0.5, "womens": 0.5}
    assert found("t-shirt") == found("T-Shirts") == found("t shirt") == {"tee": 1.0, **shirts}
    # a possessive's "s" is no word: it matched every other possessive (Kid's Rain Boots)
    assert found("men's shirt") == {**shirts, "tee": 0.5, "mens": 1.0}
    assert found("usb-c") == {"usb-c": 1.0, "usb-a": 0.5}
    assert found("tent's") == {"tent": 1.0}
    event = Searched(user_id="u", session_id="s", query="t-shirt", occurred_at=at(100))
    rec.observe(event, shop.record(event))
    said = {r.item_id for r in rec.recommend("u", session_id="s", k=10, now=at(101)) if "search" in r.sources}
    assert said == {"tee", *shirts}
