"""Anonymous visitors get context-aware popular items; a new item is recommendable at once."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from edgerec.domain import Context, ItemListed, ItemViewed, Searched
from edgerec.recommend import Recommender, RecommenderConfig, RequestContext
from edgerec.recommend.shop_time import ShopClock
from edgerec.store.codec import to_micros
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


def test_this_hour_is_the_shops_hour_summer_time_included() -> None:
    """It was UTC's hour (or a fixed offset): a Berlin kiosk's 10:00 crowd counted as 08:00's
    in summer and 09:00's in winter."""
    config = replace(RecommenderConfig.default(), timezone="Europe/Berlin")
    rec = Recommender(None, config=config)
    for e in catalogue_events(5):
        rec.observe(e)
    summer_ten = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)  # 10:00 in Berlin (UTC+2)
    for n in range(3):
        rec.observe(ItemViewed(user_id=f"v{n}", item_id="i3", occurred_at=summer_ten + timedelta(minutes=n)))
    [top] = rec.recommend("someone", k=1, now=datetime(2026, 12, 1, 9, 30, tzinfo=UTC))  # 10:30 (UTC+1)
    assert top.item_id == "i3"
    assert any("around 10:00" in reason for reason in top.reasons), top.reasons
    clock = ShopClock("Asia/Kolkata")  # UTC+05:30: an hour starts at half past in UTC
    assert [clock.hour(to_micros(datetime(2026, 1, 1, 4, m, tzinfo=UTC))) for m in (29, 30)] == [9, 10]
    friday_night = to_micros(datetime(2026, 4, 10, 22, 30, tzinfo=UTC))  # Saturday 00:30 in Berlin
    assert ShopClock("Europe/Berlin").weekday(friday_night) == 5  # Monday is 0


def _berlin(day: int, hour: int, minute: int = 0) -> datetime:
    """That time of a day of April 2026 in Berlin (UTC+2), where the 7th is a Tuesday."""
    return datetime(2026, 4, day, hour - 2, minute, tzinfo=UTC)


def test_anonymous_visitor_gets_the_popular_items_of_this_day_of_the_week(tmp_path) -> None:
    """Kiosk K's Saturday crowd looks at "sat" and its Tuesday crowd at "tue", both at 10:00, and
    six other items alike every day; kiosk L's crowds the other way round, so that the shop as a
    whole likes both alike. The kiosk's popular items knew the hour and not the day: on a
    Tuesday, K's visitor got Saturday's favourite, the more recent, first."""
    from edgerec.api import Store

    config = replace(RecommenderConfig.default(), timezone="Europe/Berlin")
    events = [
        *catalogue_events(6),
        *(ItemListed(item_id=i, title=i, stock=5, occurred_at=T0) for i in ("sat", "tue")),
    ]
    for week in range(3):
        for day, favourite, other in ((7, "tue", "sat"), (11, "sat", "tue")):  # Tuesday, Saturday
            others = [f"i{n}" for n in range(6) for _ in range(3)]
            looks = {"K": [favourite] * 10 + [other] + others, "L": [other] * 10 + [favourite] + others}
            events += [
                ItemViewed(
                    user_id=f"{kiosk}{week}-{day}-{n}",
                    item_id=looks[kiosk][n],
                    occurred_at=_berlin(day + 7 * week, 10, n),
                    context=Context(store_id=kiosk),
                )
                for n in range(len(looks["K"]))
                for kiosk in "KL"
            ]
    with Store(tmp_path / "shop.db", synchronous="OFF") as store:
        store.record_many(events)
        live = Recommender(None, config=config)
        for event in events:
            live.observe(event)
        for rec in (Recommender(store, config=config), live):
            at_kiosk = RequestContext(store_id="K")
            on_tuesday = rec.recommend("visitor", k=3, now=_berlin(28, 10, 30), context=at_kiosk)
            on_saturday = rec.recommend("visitor", k=3, now=_berlin(25, 10, 30), context=at_kiosk)
            assert [on_tuesday[0].item_id, on_saturday[0].item_id] == ["tue", "sat"]
            assert on_tuesday[0].reasons[:2] == [
                "Popular at this kiosk around 10:00",
                "Popular at this kiosk on Tuesdays",
            ]
            assert "Popular at this kiosk on Saturdays" in on_saturday[0].reasons
            assert not any("on Saturdays" in reason for r in on_tuesday for reason in r.reasons)
            # A caller may name the day, as the hour: Tuesday's list on a Saturday.
            asked = RequestContext(store_id="K", weekday=1)
            assert rec.recommend("visitor", k=3, now=_berlin(25, 10, 30), context=asked)[0].item_id == "tue"


def test_a_shop_with_one_day_of_data_keeps_its_hours_list() -> None:
    """With nothing to tell days apart (every event on a Tuesday), any day's list is the hour's;
    one look on a quiet Saturday does not make its item Saturday's first."""
    config = replace(RecommenderConfig.default(), timezone="Europe/Berlin")
    rec = Recommender(None, config=config)
    for e in catalogue_events(10):
        rec.observe(e)
    for n in range(30):
        item = f"i{n % 7 if n % 3 else 0}"
        rec.observe(
            ItemViewed(
                user_id=f"v{n}", item_id=item, occurred_at=_berlin(7, 10, n), context=Context(store_id="K")
            )
        )
    lists = [
        [
            (r.item_id, r.score, r.reasons)
            for r in rec.recommend("x", k=8, now=_berlin(day, 10, 45), context=RequestContext(store_id="K"))
        ]
        for day in (7, 8, 11)
    ]
    assert lists[0] == lists[1] == lists[2]
    assert not any("on Tuesdays" in reason for _, _, reasons in lists[0] for reason in reasons)
    rec.observe(
        ItemViewed(user_id="s", item_id="i9", occurred_at=_berlin(11, 10), context=Context(store_id="K"))
    )
    saturday = rec.recommend("x", k=8, now=_berlin(11, 10, 45), context=RequestContext(store_id="K"))
    assert saturday[0].item_id == lists[0][0][0] == "i0"


def test_an_item_launched_this_week_is_not_taken_as_unpopular_on_days_it_has_not_had(tmp_path) -> None:
    """Kiosk K's steady trade since March; an item launched on the fourth Monday is its most
    viewed at 10:00 every weekday. It had had no Saturday, so its share of Saturdays was nil and
    on its first Saturday it fell down the list, below the old items of every day."""
    from edgerec.api import Store

    config = replace(RecommenderConfig.default(), timezone="UTC")
    monday = datetime(2026, 3, 2, 10, tzinfo=UTC)
    kiosk = Context(store_id="K")
    events = [*catalogue_events(20), ItemListed(item_id="new", title="New", stock=5, occurred_at=monday)]
    for day in range(26):  # to the fourth Friday
        when = monday + timedelta(days=day)
        events += [
            ItemViewed(
                user_id=f"u{day}-{n}",
                item_id=f"i{n % 20}",
                occurred_at=when + timedelta(minutes=n),
                context=kiosk,
            )
            for n in range(40)
        ]
        events += [
            ItemViewed(
                user_id=f"n{day}-{n}", item_id="new", occurred_at=when + timedelta(minutes=n), context=kiosk
            )
            for n in range(6 if day >= 21 else 0)
        ]
    with Store(tmp_path / "shop.db", synchronous="OFF") as store:
        store.record_many(events)
        live = Recommender(None, config=config)
        for event in events:
            live.observe(event)
        for rec in (Recommender(store, config=config), live):
            for day in (25, 26):  # the Friday, the Saturday
                ranked = rec.recommend(
                    "visitor",
                    k=3,
                    now=monday + timedelta(days=day, minutes=30),
                    context=RequestContext(store_id="K"),
                )
                assert ranked[0].item_id == "new", (day, [r.item_id for r in ranked])
                assert not any("on Saturdays" in reason for reason in ranked[0].reasons)


def test_a_saved_configuration_with_an_hour_offset_keeps_it_as_a_zone(tmp_path) -> None:
    saved = RecommenderConfig.default().to_json()
    del saved["timezone"]
    path = tmp_path / "recommender.json"
    for offset, zone in ((0, "local"), (2, "Etc/GMT-2")):
        path.write_text(json.dumps({**saved, "hour_offset_h": offset}))
        assert RecommenderConfig.load(path).timezone == zone
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        replace(RecommenderConfig.default(), timezone="Mars/Olympus")


def test_a_list_of_fill_ins_alone_shows_no_negative_score() -> None:
    """With nothing popular or relevant, every item is a fill-in ranked just below the lowest
    score, 0: `recommend` printed -0.000 and its JSON -1e-06."""
    rec = Recommender(None)
    for n, (item, category) in enumerate([("A", "Shoes"), ("B", "Kitchen")]):
        rec.observe(ItemListed(item_id=item, title=item, category=category, stock=3, occurred_at=at(n)))
    recs = rec.recommend("someone", k=2, now=at(10))
    assert [r.item_id for r in recs] and all(r.score >= 0 for r in recs)


def test_fill_ins_come_after_every_suggested_item_whatever_the_variety_rule() -> None:
    """Three items match a search, two of them hats; twenty untouched items fill the list. The
    fill-ins were scored a hair below the matches, and the re-rank, scaling relevance by the
    pool's range (those hairs alone when the matches tie), put three of them above the second
    hat: the same-category penalty outweighed a millionth."""
    rec = Recommender(None)
    matches = {"R0": "Hats", "R1": "Hats", "R2": "Scarves"}
    for item, category in matches.items():
        rec.observe(
            ItemListed(item_id=item, title=f"Red {item}", category=category, stock=5, occurred_at=at(0))
        )
    for n in range(20):
        rec.observe(
            ItemListed(item_id=f"O{n}", title=f"Plain {n}", category=f"Dept {n}", stock=5, occurred_at=at(0))
        )
    rec.observe(Searched(user_id="c", session_id="s", query="red", occurred_at=at(60)))
    recs = rec.recommend("c", k=5, now=at(61))
    assert {r.item_id for r in recs[:3]} == set(matches)
    assert all(r.item_id.startswith("O") for r in recs[3:])


def test_once_the_shop_lists_items_one_known_only_from_interactions_is_not_offered() -> None:
    """History names OLD1, a product the shop no longer lists: after its catalogue came it was
    still recommended, untitled, as popular. A shop that lists nothing (click logs alone) is
    served from the items its customers touched."""
    rec = Recommender(None)
    for n, customer in enumerate(("u1", "u2")):
        rec.observe(ItemViewed(user_id=customer, item_id="OLD1", occurred_at=at(n)))
    assert [r.item_id for r in rec.recommend("new", k=3, now=at(5))] == ["OLD1"]
    rec.observe(ItemListed(item_id="A1", title="Alpha", category="Toys", stock=3, occurred_at=at(6)))
    assert [r.item_id for r in rec.recommend("new", k=3, now=at(7))] == ["A1"]


@pytest.mark.parametrize(("field", "value"), [("weekday", 7), ("weekday", -1), ("hour", 24), ("hour", 9.5)])
def test_a_day_or_hour_out_of_range_is_refused_by_name(field: str, value: object) -> None:
    """Sunday numbered 7, as isoweekday numbers it, was taken modulo 7: Monday's list, without
    a word (and hour 24 as midnight's)."""
    with pytest.raises(ValueError, match=f"{field} must be a whole number from 0 to"):
        RequestContext(store_id="K", **{field: value})
    assert RequestContext(store_id="K", hour=23, weekday=6).weekday == 6


def test_one_look_does_not_make_an_item_popular_at_the_kiosk() -> None:
    """One shopper's look at 10:00 on a quiet Saturday gave its item "Popular at this kiosk around
    10:00". A few looks make it so, also when the log is read long after (an imported history)."""
    config = replace(RecommenderConfig.default(), timezone="Europe/Berlin")
    rec = Recommender(None, config=config)
    for e in catalogue_events(10):
        rec.observe(e)
    for day in (7, 8, 9):  # Tuesday to Thursday: i0 and i1 looked at every hour
        for n in range(20):
            rec.observe(
                ItemViewed(
                    user_id=f"v{day}-{n}",
                    item_id=f"i{n % 2}",
                    occurred_at=_berlin(day, 9 + n % 8, n),
                    context=Context(store_id="K"),
                )
            )

    def reasons(item: str, when: datetime) -> list[str]:
        listed = rec.recommend("x", k=10, now=when, context=RequestContext(store_id="K"))
        return next(r.reasons for r in listed if r.item_id == item)

    saturday = _berlin(11, 10, 30)
    rec.observe(
        ItemViewed(user_id="s0", item_id="i7", occurred_at=_berlin(11, 10), context=Context(store_id="K"))
    )
    assert not any("Popular at this kiosk" in reason for reason in reasons("i7", saturday))
    for n in (1, 2):
        rec.observe(
            ItemViewed(
                user_id=f"s{n}", item_id="i7", occurred_at=_berlin(11, 10, n), context=Context(store_id="K")
            )
        )
    assert reasons("i7", saturday)[0] == "Popular at this kiosk around 10:00"  # its day not known yet
    later = reasons("i7", saturday + timedelta(weeks=57))  # a Saturday more than a year on
    assert later[:2] == ["Popular at this kiosk around 10:00", "Popular at this kiosk on Saturdays"], later


@pytest.mark.parametrize("reopened", [False, True], ids=["live", "reopened"])
def test_one_look_at_an_hour_does_not_make_an_item_popular_at_that_hour(tmp_path, reopened: bool) -> None:
    """i7, looked at a dozen times at the kiosk in the afternoons, then once at 07:00, was
    "Popular at this kiosk around 07:00" on the 07:00 list: the weight checked was the item's
    at the kiosk in all hours."""
    import edgerec

    config = replace(RecommenderConfig.default(), timezone="Europe/Berlin")
    with edgerec.open(tmp_path / "shop.db") as store:
        store.record_many(catalogue_events(10))
        looks = [("i7", _berlin(9, 15 + n % 3, n)) for n in range(12)]  # Thursday afternoon
        looks += [("i0", _berlin(10, 7, n)) for n in range(4)]  # Friday at 07:00: i0 four times
        looks.append(("i7", _berlin(10, 7, 30)))  # and i7 once
        live = Recommender(store, config=config)
        for n, (item, when) in enumerate(looks):
            event = ItemViewed(user_id=f"v{n}", item_id=item, occurred_at=when, context=Context(store_id="K"))
            live.observe(event, store.record(event))
        rec = Recommender(store, config=config) if reopened else live

        def reasons(item: str, hour: int) -> list[str]:
            listed = rec.recommend("x", k=10, now=_berlin(10, hour, 45), context=RequestContext(store_id="K"))
            return next(r.reasons for r in listed if r.item_id == item)

        assert not any("Popular at this kiosk" in reason for reason in reasons("i7", 7))
        assert reasons("i0", 7)[0] == "Popular at this kiosk around 07:00"
        assert reasons("i7", 15)[0] == "Popular at this kiosk around 15:00"


def test_one_look_on_a_quiet_saturday_does_not_make_an_item_saturdays() -> None:
    """An item looked at through the week at 10:00, then once on a quiet Saturday, was "Popular
    at this kiosk on Saturdays": the one look made it a big part of that Saturday."""
    config = replace(RecommenderConfig.default(), timezone="Europe/Berlin")
    rec = Recommender(None, config=config)
    for e in catalogue_events(10):
        rec.observe(e)
    looks = [("i8", _berlin(2, 10))] + [("i8", _berlin(9, 10, n)) for n in range(6)]
    looks += [(f"i{n % 2}", _berlin(day, 9 + n % 8, n)) for day in (6, 7, 8, 9, 10) for n in range(40)]
    looks += [("i8", _berlin(11, 10, 1)), ("i0", _berlin(11, 10, 2))]  # Saturday
    for n, (item, when) in enumerate(sorted(looks, key=lambda look: look[1])):
        rec.observe(
            ItemViewed(user_id=f"v{n}", item_id=item, occurred_at=when, context=Context(store_id="K"))
        )
    listed = rec.recommend("x", k=3, now=_berlin(11, 10, 30), context=RequestContext(store_id="K"))
    said = next(r.reasons for r in listed if r.item_id == "i8")
    assert "Popular at this kiosk around 10:00" in said
    assert "Popular at this kiosk on Saturdays" not in said


def test_a_restarted_kiosk_counts_the_days_of_the_whole_last_week(tmp_path) -> None:
    """A restarted kiosk (or `edgerec recommend`) counted the days of the week from the log's
    newest 50,000 events: on a shop of about 8,600 events a day that is less than a week, its
    Monday left out, so its Monday lists were not the long-running kiosk's, which had counted
    every event. It counts back to a week before the newest event."""
    from edgerec.api import Store

    config = replace(RecommenderConfig.default(), timezone="UTC")
    monday = datetime(2026, 4, 6, tzinfo=UTC)
    events = [
        ItemViewed(
            user_id=f"v{n % 997}",
            item_id=f"i{(n // 7) % 6}" if day else "mon",
            occurred_at=monday + timedelta(days=day, seconds=n * 10),
            context=Context(store_id="K"),
        )
        for day in range(7)
        for n in range(8_600)
    ]
    with Store(tmp_path / "shop.db", synchronous="OFF") as store:
        store.record_many(catalogue_events(6))
        live = Recommender(store, config=config)
        store.record_many(events)
        live.refresh()
        restarted = Recommender(store, config=config)
        counted = [rec.state.context.days["K"] for rec in (live, restarted)]
        names = [rec.catalogue.ids for rec in (live, restarted)]
        assert names[0] == names[1]
        assert counted[0].store.tolist() == counted[1].store.tolist() == [8_600.0] * 7
        assert (counted[0].weeks == counted[1].weeks).all()
