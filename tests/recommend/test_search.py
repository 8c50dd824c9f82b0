"""A customer's search moves their suggestions at once, explains itself, and survives a restart."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from edgerec.domain import ItemListed, ItemViewed, Searched
from edgerec.domain.words import folded, pieces, search_words, singular, unspaced, words_of
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


def _matches(word: str, title: str) -> bool:
    """A query word found in a title, by the rules of the README, read plainly: a word of a
    spaced script starts one of the title's words, or is it or its plural, or its singular is
    one (a one-letter word: is one), as typed or both without accents; a run of an unspaced
    script has each of its pairs of characters (its one character) in one of the title's."""
    title_words = words_of(title)
    if unspaced(word):
        runs = [run for run in title_words if unspaced(run)]
        plain = [folded(run) for run in title_words]
        return all(any(p in run for run in runs) for p in pieces(word)[:-1] or [word]) or all(
            any(p in run for run in runs + plain) for p in pieces(folded(word))[:-1] or [folded(word)]
        )
    forms = {form for t in title_words if not unspaced(t) for form in (t, folded(t))}
    return any(
        t in (w, singular(w)) or (len(w) > 1 and t.startswith(w)) or singular(t) == w
        for w in {word, folded(word)}
        for t in forms
    )


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
    expected = {n for n, title in enumerate(titles) if any(_matches(w, title) for w in words)}
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


def _found(cat: Catalogue, query: str) -> dict[str, float]:
    items, share = cat.matching(query)
    return {cat.ids[i]: float(s) for i, s in zip(items.tolist(), share.tolist(), strict=True)}


def test_a_word_keeps_its_combining_marks_and_its_decomposed_spelling_is_the_same() -> None:
    """A title saved decomposed (NFD, as macOS writes it) was not found by "Müsli": the "u" and
    its dots were split into two words; and "चावल" (rice) found "मसाला चाय" (tea) through the lone
    letter "च", Devanagari's vowel signs, combining marks, having cut its words into letters."""
    cat = Catalogue()
    _listed(cat, "muesli", unicodedata.normalize("NFD", "Müsli Nuss"))
    _listed(cat, "tea", "मसाला चाय")
    _listed(cat, "rice", "बासमती चावल")
    _listed(cat, "thai", "ข้าวหอมมะลิ")
    assert _found(cat, "Müsli") == _found(cat, unicodedata.normalize("NFD", "MÜSLI")) == {"muesli": 1.0}
    assert _found(cat, "चावल") == {"rice": 1.0}
    assert _found(cat, "ข้าวหอมมะลิ") == {"thai": 1.0}


def test_a_search_without_accents_finds_the_accented_words_and_ranks_the_typed_ones_first() -> None:
    """A kiosk keyboard without accents found nothing: "musli" no "Müsli", "istanbul" no
    "İstanbul" (whose lower() is "i", a dot and "stanbul"), "STRASSENKARTE" no "Straßenkarte",
    and "maslo", "losos", "smor" and "dong" no "Masło", "Łosoś", "Smør" and "Đông", whose strokes
    no decomposition splits off."""
    cat = Catalogue()
    for item_id, title in (
        ("muesli", "Müsli Classic"),
        ("musli", "Musli bar"),
        ("brulee", "Crème brûlée"),
        ("simit", "İstanbul Simidi"),
        ("map", "Straßenkarte Berlin"),
        ("yoghurt", "Ελληνικό Γιαούρτι"),
        ("honey", "Мёд липовый"),
        ("fire", "Fırın"),
        ("hindi", "चाय"),
        ("butter", "Masło extra"),
        ("salmon", "Łosoś wędzony"),
        ("smoer", "Smør usaltet"),
        ("coffee", "Cà phê Đông Á"),
    ):
        _listed(cat, item_id, title)
    for query, item_id in (
        ("maslo", "butter"),
        ("losos", "salmon"),
        ("smor", "smoer"),
        ("dong", "coffee"),
        ("creme brulee", "brulee"),
        ("istanbul", "simit"),
        ("İSTANBUL", "simit"),
        ("STRASSENKARTE", "map"),
        ("γιαουρτι", "yoghurt"),
        ("мед", "honey"),
        ("FIRIN", "fire"),
    ):
        assert set(_found(cat, query)) == {item_id}, query
    musli, muesli = _found(cat, "musli"), _found(cat, "müsli")
    assert musli["musli"] > musli["muesli"] and muesli["muesli"] > muesli["musli"]
    assert _found(cat, "चया") == {}  # another script's vowel signs are no accents: not stripped


def test_a_run_of_a_script_written_without_spaces_is_found_anywhere_in_one() -> None:
    """Chinese and Japanese titles have no spaces, so a whole title was one word, and "绿茶"
    (green tea) did not find "有机绿茶" (organic green tea): only its first characters did."""
    cat = Catalogue()
    _listed(cat, "zh", "有机绿茶", category="饮料/茶")
    _listed(cat, "ja", "静岡緑茶ティーバッグ")
    _listed(cat, "choc", "抹茶チョコレート")
    _listed(cat, "case", "iPhone用ケース")
    assert _found(cat, "绿茶") == {"zh": 1.0}
    assert _found(cat, "緑茶") == {"ja": 1.0}
    assert _found(cat, "チョコレート") == {"choc": 1.0}
    assert set(_found(cat, "茶")) == {"zh", "ja", "choc"}
    assert _found(cat, "ケース") == _found(cat, "iphone ケース") == {"case": 1.0}
    assert _found(cat, "茶绿") == {}  # its characters, but not in its order


def test_a_plural_s_is_dropped_only_for_a_whole_word_and_whole_words_rank_first() -> None:
    """The English plural rule ran on every word: "Reis" (German rice) was searched as "rei" and
    found "Reiniger" (cleaner) and "Reifenpflege" (tyre care), as well as the rice; a word
    starting a longer one ranked with the word itself, the more popular first."""
    cat = Catalogue()
    _listed(cat, "rice", "Basmati Reis 1kg")
    _listed(cat, "cleaner", "Reiniger Zitrone")
    _listed(cat, "tyres", "Reifenpflege Spray")
    _listed(cat, "mar", "Mar Menor salt")
    _listed(cat, "teak", "Teak table")
    _listed(cat, "tea", "Tea cup")
    assert set(_found(cat, "Reis")) == {"rice"}
    assert set(_found(cat, "rei")) == {"rice", "cleaner", "tyres"}
    assert set(_found(cat, "Mars")) == {"mar"}  # its singular, a whole word
    tea = _found(cat, "tea")
    assert tea["tea"] == 1.0 and tea["teak"] < 1.0
    both = _found(cat, "tea cups")  # a word more always ranks higher, however matched
    assert both["tea"] == 1.0 and both["teak"] < 0.5
