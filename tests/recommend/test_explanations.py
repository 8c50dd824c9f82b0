"""Every recommendation explains itself with the customer's real events or real item attributes."""

from __future__ import annotations

from edgerec.domain import AddedToCart, Context, ItemListed, ItemViewed, Searched
from edgerec.recommend import Recommender, RequestContext, RuleSet
from edgerec.recommend.request import ago
from edgerec.recommend.shop_time import WEEKDAYS
from edgerec.store.codec import to_micros
from tests.recommend.conftest import at


def _catalogue(store) -> dict[str, dict]:
    from sqlalchemy import select

    from edgerec.store.schema import item_stats, items

    with store.engine.connect() as conn:
        rows = {r["item_id"]: dict(r) for r in conn.execute(select(items)).mappings()}
        for r in conn.execute(select(item_stats)).mappings():
            counts = r["views"] + r["carts"] + r["purchases"] + r["favourites"] + r["ratings"]
            rows.setdefault(r["item_id"], {})["interactions"] = counts
    return rows


def test_every_reason_is_grounded(shop) -> None:
    rec = Recommender(shop)
    steps = [
        ItemViewed(user_id="u", item_id="i1", occurred_at=at(100)),
        ItemViewed(user_id="u", item_id="i8", occurred_at=at(101)),
        AddedToCart(user_id="u", item_id="i4", occurred_at=at(102), context=Context(store_id="kiosk-a")),
        Searched(user_id="u", query="brand3", occurred_at=at(102.5)),
    ]
    for event in steps:
        rec.observe(event, shop.record(event))
    now = at(103)
    recs = rec.recommend("u", k=10, now=now, context=RequestContext(store_id="kiosk-a"))
    assert len(recs) == 10
    log = {(e.item_id, e.type, e.occurred_at) for e in shop.read(user_id="u")}
    catalogue = _catalogue(shop)
    assert any(e.source == "search" for r in recs for e in r.evidence)
    for r in recs:
        assert r.reasons and len(r.reasons) == len(r.evidence)
        assert abs(sum(r.sources.values()) - 1.0) < 1e-9
        assert r.title == catalogue[r.item_id]["title"]
        for e in r.evidence:
            assert e.event_type is not None or e.attribute is not None, e
            if e.event_type is not None:  # cites one of this customer's logged events
                assert e.at is not None
                assert (e.item_id, e.event_type, to_micros(e.at)) in log, e
            if e.attribute is not None:
                name, value = e.attribute
                if name in ("category", "brand"):
                    assert catalogue[r.item_id][name] == value
                    assert catalogue[e.item_id][name] == value  # the anchor shares it
                elif name == "interactions":
                    assert catalogue[r.item_id]["interactions"] == int(value)
                elif name == "hour":
                    assert int(value) == now.hour
                elif name == "weekday":
                    assert value == WEEKDAYS[now.weekday()]
                else:
                    assert name in ("status", "item_id")


def test_reasons_read_like_sentences(shop) -> None:
    rec = Recommender(shop)
    view = ItemViewed(user_id="u", item_id="i1", occurred_at=at(100))
    rec.observe(view, shop.record(view))
    recs = {r.item_id: r for r in rec.recommend("u", k=10, now=at(102))}
    assert "You viewed Thing 1 2 minutes ago" in recs["i1"].reasons
    assert any(
        reason.startswith("Often viewed with Thing 1, which you viewed 2 minutes ago")
        for reason in recs["i2"].reasons
    )
    cart = AddedToCart(user_id="u", item_id="i1", occurred_at=at(103))
    rec.observe(cart, shop.record(cart))
    reasons = [reason for r in rec.recommend("u", k=10, now=at(104)) for reason in r.reasons]
    assert any(reason.startswith("Often viewed with Thing 1 in your cart") for reason in reasons)
    assert not any("bought" in reason for reason in reasons)  # no one bought anything


def test_elapsed_times_read_like_speech() -> None:
    day = 86_400_000_000
    assert [ago(t) for t in (30_000_000, 125_000_000, 7_300_000_000, 2 * day)] == [
        "just now",
        "2 minutes ago",
        "2 hours ago",
        "2 days ago",
    ]
    assert [ago(t) for t in (20 * day, 100 * day, 1_110 * day)] == [
        "2 weeks ago",
        "3 months ago",
        "3 years ago",
    ]


def test_a_shared_session_id_never_lends_one_customer_anothers_items_or_search(shop) -> None:
    live = Recommender(shop)
    steps = [
        ItemViewed(user_id="alice", session_id="kiosk-1", item_id="i7", occurred_at=at(100)),
        ItemViewed(user_id="alice", session_id="kiosk-1", item_id="i8", occurred_at=at(101)),
        ItemViewed(user_id="bob", session_id="kiosk-1", item_id="i1", occurred_at=at(102)),
        Searched(user_id="alice", session_id="kiosk-1", query="brand3", occurred_at=at(103)),
    ]
    for event in steps:
        live.observe(event, shop.record(event))
    bobs = {(e.item_id, e.type, e.occurred_at) for e in shop.read(user_id="bob")}
    for rec in (live, Recommender(shop)):  # running, and opened afresh on the same log
        recs = rec.recommend("bob", session_id="kiosk-1", k=10, now=at(104))
        assert recs
        for r in recs:
            assert all(e.source != "search" for e in r.evidence), r.reasons
            for e in r.evidence:
                if e.event_type is not None:
                    assert (e.item_id, e.event_type, to_micros(e.at)) in bobs, e
                if e.attribute is not None and e.attribute[0] in ("category", "brand"):
                    assert e.item_id == "i1", r.reasons  # bob's only item is the anchor


def test_an_item_titled_with_spaces_alone_is_named_by_its_id(tmp_path) -> None:
    """A title of spaces read 'You viewed     59 minutes ago'; an empty one was already named
    'item EMPTY'."""
    import edgerec
    from edgerec.domain import ItemListed

    with edgerec.open(tmp_path / "shop.db") as store:
        for item, title in (("EMPTY", ""), ("BLANK", "   "), ("B", "Bee")):
            store.record(ItemListed(item_id=item, title=title, category="X", occurred_at=at(0)))
        store.record(ItemViewed(user_id="v", item_id="EMPTY", occurred_at=at(60)))
        store.record(ItemViewed(user_id="v", item_id="BLANK", occurred_at=at(65)))
        found = Recommender(store).recommend("v", k=3, now=at(120))
    reasons = " / ".join(reason for item in found for reason in item.reasons)
    assert "item BLANK" in reasons and "item EMPTY" in reasons
    assert "  " not in reasons


def test_an_item_titled_with_invisible_characters_alone_is_named_by_its_id(tmp_path) -> None:
    """A title of zero-width spaces and word joiners (as messy catalogues hold) named the item
    in reasons and the console's labels all the same: 'You viewed \u200b just now'."""
    import edgerec
    from edgerec.domain import ItemListed
    from edgerec.readmodels import ShopData

    titles = {"ZW": "\u200b\u2060", "FMT": " \ufeff\u00ad ", "B": "Bee", "ZWB": "\u200bBee"}
    with edgerec.open(tmp_path / "shop.db") as store:
        for item, title in titles.items():
            store.record(ItemListed(item_id=item, title=title, category="X", occurred_at=at(0)))
        store.record(ItemViewed(user_id="v", item_id="ZW", occurred_at=at(60)))
        store.record(ItemViewed(user_id="v", item_id="FMT", occurred_at=at(65)))
        found = Recommender(store).recommend("v", k=3, now=at(120))
        labels = {item: row.label for item, row in ShopData(store).items_by_id(titles).items()}
    reasons = " / ".join(reason for item in found for reason in item.reasons)
    assert "item ZW" in reasons and "item FMT" in reasons
    assert "\u200b" not in reasons and "\ufeff" not in reasons
    # The console names them as the reasons do.
    assert labels == {"ZW": "item ZW", "FMT": "item FMT", "B": "Bee", "ZWB": "\u200bBee"}


def test_an_item_no_source_suggested_is_credited_to_no_source() -> None:
    """A fill-in (new and untouched, or promoted) was credited "popularity 100%", with no
    popularity at all."""
    rec = Recommender(None, rules=RuleSet(promote_items={"promoted": 1.0}))
    for item in ("old", "new", "promoted"):
        rec.observe(ItemListed(item_id=item, title=item, category="Toys", stock=2, occurred_at=at(0)))
    rec.observe(ItemViewed(user_id="c1", item_id="old", occurred_at=at(1)))
    recs = {r.item_id: r for r in rec.recommend("visitor", k=3, now=at(2))}
    assert recs["old"].sources == {"popularity": 1.0}
    assert recs["new"].sources == {} and recs["new"].reasons == ["Newly listed"]
    assert recs["promoted"].sources == {} and "Promoted by the shop" in recs["promoted"].reasons


def test_same_category_and_brand_hold_however_the_catalogue_spelt_them(tmp_path) -> None:
    """Beans in 'kitchen/coffee' by 'ACME' were never 'Same category' or 'Same brand' as a
    viewed grinder in 'Kitchen/Coffee' by 'Acme' (shown only as 'Popular in kitchen/coffee'),
    though the category cap and the rules take each pair as one."""
    import edgerec

    listed = {"a": ("Kitchen/Coffee", "Acme"), "b": ("kitchen/coffee", "ACME"), "x": ("Toys", "Zed")}
    with edgerec.open(tmp_path / "shop.db") as store:
        for item, (category, brand) in listed.items():
            store.record(
                ItemListed(item_id=item, title=item, category=category, brand=brand, occurred_at=at(0))
            )
        for n, item in enumerate(["b", "b", "x", "x", "x"]):
            store.record(ItemViewed(user_id=f"o{n}", item_id=item, occurred_at=at(n)))
        store.record(ItemViewed(user_id="u", item_id="a", occurred_at=at(10)))
        recs = {r.item_id: r for r in Recommender(store).recommend("u", k=3, now=at(12))}
    beans = recs["b"]
    assert "content" in beans.sources, beans
    assert beans.reasons[:2] == [
        "Same category (kitchen/coffee) as a, which you viewed 2 minutes ago",
        "Same brand (ACME) as a, which you viewed 2 minutes ago",
    ]


def test_a_category_or_brand_is_named_without_its_stray_spaces(tmp_path) -> None:
    """Beans listed by ' ACME' in 'Kitchen/Coffee ' were 'Same brand ( ACME)' and 'Popular in
    Kitchen/Coffee ', and an untouched item 'Available now in  Garden ': the names as stored.
    A brand of spaces only, which names nothing, made two such items 'Same brand ( )'."""
    import edgerec

    listed = {
        "a": ("kitchen/coffee", "Acme"),
        "b": ("Kitchen/Coffee ", " ACME"),
        "x": ("Toys", "  "),
        "y": (" Toys", " "),
    }
    with edgerec.open(tmp_path / "shop.db") as store:
        for item, (category, brand) in listed.items():
            store.record(
                ItemListed(item_id=item, title=item, category=category, brand=brand, occurred_at=at(0))
            )
        store.record(ItemListed(item_id="z", title="z", category=" Garden ", occurred_at=at(-20_000)))
        for n, item in enumerate(["b", "b", "y", "y", "y"]):
            store.record(ItemViewed(user_id=f"o{n}", item_id=item, occurred_at=at(n)))
        store.record(ItemViewed(user_id="u", item_id="a", occurred_at=at(10)))
        store.record(ItemViewed(user_id="v", item_id="x", occurred_at=at(10)))
        rec = Recommender(store)
        for_u = {r.item_id: r.reasons for r in rec.recommend("u", k=5, now=at(12))}
        for_v = {r.item_id: r.reasons for r in rec.recommend("v", k=5, now=at(12))}
        for_w = {r.item_id: r.reasons for r in rec.recommend("w", k=5, now=at(12))}
    assert for_u["b"] == [
        "Same category (Kitchen/Coffee) as a, which you viewed 2 minutes ago",
        "Same brand (ACME) as a, which you viewed 2 minutes ago",
    ]
    assert for_v["b"] == ["Popular in Kitchen/Coffee (2 shopper interactions in all)"]
    assert for_v["y"] == ["Same category (Toys) as x, which you viewed 2 minutes ago"]
    assert for_w["z"] == ["Available now in Garden"]
