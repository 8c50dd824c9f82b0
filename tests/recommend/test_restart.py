"""A recommender opened afresh on a store (the CLI, the kiosk, a restarted console) serves what
the live one that saw every event serves: the read models keep what its memory keeps."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from edgerec.api import Store
from edgerec.domain import (
    AddedToCart,
    Event,
    ItemListed,
    ItemUpdated,
    ItemViewed,
    Purchased,
    Searched,
    SessionStarted,
)
from edgerec.recommend import Recommender
from edgerec.recommend.config import Policy, RecommenderConfig
from tests.recommend.conftest import at

NO_RERANK = Policy(max_category_share=None, mmr_lambda=None)


def _live_and_reopened(shop: Store, events: list[Event], config: RecommenderConfig | None = None):  # type: ignore[no-untyped-def]
    live = Recommender(shop, config=config)
    for event in events:
        live.observe(event, shop.record(event))
    return live, Recommender(shop, config=config)


def _ranked_live_and_reopened(shop: Store, events: list[Event], now: datetime) -> list[dict[str, float]]:
    """Ana's top 8 (item: score, no re-ranking) from a recommender that observed `events` and
    from one opened afresh on the same store."""
    return [
        {r.item_id: round(r.score, 9) for r in rec.recommend("ana", k=8, now=now, policy=NO_RERANK)}
        for rec in _live_and_reopened(shop, events)
    ]


def test_an_old_item_whose_price_changed_is_not_a_new_arrival_after_a_restart(shop: Store) -> None:
    events: list[Event] = [
        ItemListed(item_id="new-mug", title="New Mug", category="mugs", stock=4, occurred_at=at(600)),
        ItemListed(item_id="old-mug", title="Old Mug", category="mugs", stock=4, occurred_at=at(601)),
    ]
    events += [ItemUpdated(item_id="old-mug", price=12.0, occurred_at=at(60 * 24 * 30))]
    events += [ItemViewed(user_id="ana", item_id="new-mug", occurred_at=at(60 * 24 * 30 + 1))]
    ranked = _ranked_live_and_reopened(shop, events, now=at(60 * 24 * 30 + 2))
    assert ranked[0] == ranked[1]


def test_a_new_untouched_item_is_a_new_arrival_live_after_64_more_listings(shop: Store) -> None:
    """The live list of arrivals kept items touched since and looked at its last 64 entries
    only, so 70 more items listed and looked at hid the untouched new mug from it: it lost
    its new-arrival boost live, not after a restart."""
    events: list[Event] = [
        ItemListed(item_id="old-mug", title="Old Mug", category="mugs", stock=4, occurred_at=at(600)),
        ItemListed(item_id="new-mug", title="New Mug", category="mugs", stock=4, occurred_at=at(601)),
    ]
    events += [
        ItemListed(item_id=f"tea{n}", title=f"Tea {n}", category="tea", occurred_at=at(602))
        for n in range(70)
    ]
    events += [ItemViewed(user_id=f"c{n}", item_id=f"tea{n}", occurred_at=at(610 + n)) for n in range(70)]
    events += [ItemViewed(user_id="ana", item_id="old-mug", occurred_at=at(700))]
    ranked = _ranked_live_and_reopened(shop, events, now=at(701))
    assert ranked[0] == ranked[1]
    assert list(ranked[0])[:2] == ["old-mug", "new-mug"]


def test_new_arrivals_listed_out_of_time_order_are_the_same_live_and_after_a_restart(shop: Store) -> None:
    """A delivery recorded with its newest listing first: the live list took the last 64 items
    in the log's order as the newest arrivals, a reopened one the 64 most recently listed, so
    the new mug had its new-arrival boost only after a restart."""
    events: list[Event] = [
        ItemListed(item_id="old-mug", title="Old Mug", category="mugs", stock=4, occurred_at=at(0)),
        ItemListed(item_id="new-mug", title="New Mug", category="mugs", stock=4, occurred_at=at(900)),
    ]
    events += [
        ItemListed(item_id=f"mug{n}", title=f"Mug {n}", category="mugs", stock=4, occurred_at=at(600 + n))
        for n in range(70)
    ]
    events += [ItemViewed(user_id="ana", item_id="old-mug", occurred_at=at(1000))]
    ranked = _ranked_live_and_reopened(shop, events, now=at(1001))
    assert ranked[0] == ranked[1]
    assert "new-mug" in ranked[0]


def test_the_wait_before_buying_again_counts_from_the_purchase_after_a_restart(shop: Store) -> None:
    default = RecommenderConfig.default()
    config = replace(default, policy=replace(default.policy, repurchase_after_s=7 * 86_400))
    events: list[Event] = [
        Purchased(user_id="ana", item_id="i7", occurred_at=at(0)),
        ItemViewed(user_id="ana", item_id="i7", occurred_at=at(60 * 24 * 10)),  # ten days later
    ]
    live, reopened = _live_and_reopened(shop, events, config)
    now = at(60 * 24 * 10 + 1)
    for rec in (live, reopened):
        assert "i7" in [r.item_id for r in rec.recommend("ana", k=10, now=now)]


def test_events_recorded_late_are_not_taken_for_the_latest(shop: Store) -> None:
    """An offline kiosk syncs two views from three hours ago after the customer's latest one."""
    live = Recommender(shop)
    for event in (
        ItemViewed(user_id="ana", item_id="i1", occurred_at=at(300)),
        ItemViewed(user_id="ana", item_id="i9", occurred_at=at(301)),
    ):
        live.observe(event, shop.record(event))
    synced = shop.head()
    shop.record_many(
        [
            ItemViewed(user_id="ana", item_id="i1", occurred_at=at(120)),
            ItemViewed(user_id="ana", item_id="i12", occurred_at=at(125)),  # a first touch, late too
        ]
    )
    for stored in shop.read(since=synced):
        live.observe(stored)
    latest = ItemViewed(user_id="ana", item_id="i2", occurred_at=at(302))
    live.observe(latest, shop.record(latest))
    sessions = [e.session_id for e in shop.read(user_id="ana")]
    assert sessions[0] == sessions[1] == sessions[4] != sessions[2] == sessions[3]  # the current one goes on
    now = at(303)
    reopened = Recommender(shop)
    for rec in (live, reopened):
        recs = {r.item_id: r for r in rec.recommend("ana", k=10, now=now, policy=NO_RERANK)}
        assert "You viewed Thing 1 3 minutes ago (viewed 2 times)" in recs["i1"].reasons
    assert live.recommend("ana", k=10, now=now) == reopened.recommend("ana", k=10, now=now)


def test_a_late_view_or_a_cart_removal_orders_the_session_alike_after_a_restart(shop: Store) -> None:
    from edgerec.domain import AddedToCart, RemovedFromCart

    sequences: list[list[Event]] = [
        [
            ItemViewed(user_id="ana", session_id="s", item_id="i1", occurred_at=at(60)),
            AddedToCart(user_id="ana", session_id="s", item_id="i1", occurred_at=at(61)),
            ItemViewed(user_id="ana", session_id="s", item_id="i2", occurred_at=at(62)),
            RemovedFromCart(user_id="ana", session_id="s", item_id="i1", occurred_at=at(63)),
        ],
        [  # taken out of the cart after another item's view: still the latest touch
            ItemViewed(user_id="cy", session_id="u", item_id="i2", occurred_at=at(60)),
            ItemViewed(user_id="cy", session_id="u", item_id="i1", occurred_at=at(61)),
            AddedToCart(user_id="cy", session_id="u", item_id="i1", occurred_at=at(62)),
            RemovedFromCart(user_id="cy", session_id="u", item_id="i1", occurred_at=at(63)),
        ],
        [  # taken out of the cart after eleven other items: no longer among the session's kept ten
            AddedToCart(user_id="di", session_id="v", item_id="i0", occurred_at=at(40)),
            *(
                ItemViewed(user_id="di", session_id="v", item_id=f"i{n}", occurred_at=at(40 + n))
                for n in range(1, 12)
            ),
            RemovedFromCart(user_id="di", session_id="v", item_id="i0", occurred_at=at(60)),
        ],
        [
            ItemViewed(user_id="bo", session_id="t", item_id="i1", occurred_at=at(60)),
            ItemViewed(user_id="bo", session_id="t", item_id="i2", occurred_at=at(62)),
            ItemViewed(user_id="bo", session_id="t", item_id="i5", occurred_at=at(55)),  # synced late
        ],
    ]
    for events in sequences:
        live, reopened = _live_and_reopened(shop, events)
        user = events[0].user_id
        lists = [
            [(r.item_id, r.reasons) for r in rec.recommend(user, k=6, now=at(64), policy=NO_RERANK)]
            for rec in (live, reopened)
        ]
        assert lists[0] == lists[1]


def test_a_shared_sessions_search_stays_its_searchers_after_a_restart(shop: Store) -> None:
    """Alice and Bob share a session id and Bob searches: reopened, the search was Alice's
    (the session's first customer) and Bob's own was gone."""
    events: list[Event] = [
        ItemViewed(user_id="alice", session_id="S1", item_id="i29", occurred_at=at(100)),
        ItemViewed(user_id="bob", session_id="S1", item_id="i28", occurred_at=at(101)),
        Searched(user_id="bob", session_id="S1", query="Thing 7", occurred_at=at(102)),
    ]
    live, reopened = _live_and_reopened(shop, events)
    for user in ("alice", "bob"):
        answers = [r.recommend(user, session_id="S1", k=5, now=at(103)) for r in (live, reopened)]
        reasons = [[reason for rec in answer for reason in rec.reasons] for answer in answers]
        assert reasons[0] == reasons[1]
        assert any("your search" in reason for reason in reasons[1]) == (user == "bob")


def test_the_cart_is_in_the_same_order_live_and_after_a_restart(shop: Store) -> None:
    """Live, the cart kept the order items first went into it; loaded, the order of each item's
    latest touch. The content source reads the first three, so a look at a cart item changed
    the list after a restart."""
    events: list[Event] = [
        AddedToCart(user_id="u", item_id=f"i{n}", occurred_at=at(80 + n)) for n in (20, 21, 22, 23)
    ]
    events.append(ItemViewed(user_id="u", item_id="i20", occurred_at=at(105)))  # a look at a cart item
    live, reopened = _live_and_reopened(shop, events)
    assert list(live.state.users["u"].cart) == list(reopened.state.users["u"].cart)
    answers = [r.recommend("u", k=10, now=at(110), policy=NO_RERANK) for r in (live, reopened)]
    assert [(x.item_id, x.reasons) for x in answers[0]] == [(x.item_id, x.reasons) for x in answers[1]]


def test_an_item_with_more_neighbours_than_memory_holds_keeps_their_counts_live(shop: Store) -> None:
    """Past twice `neighbours_per_item` neighbours, the live row was trimmed in place, so a
    neighbour dropped from it and seen again counted from 1: the item's strongest neighbour,
    seen with it twice, was "seen together 1 time" live (and off a long list), twice afresh."""
    config = replace(RecommenderConfig.default(), neighbours_per_item=3)
    events: list[Event] = [ItemListed(item_id="x", title="Anchor", occurred_at=at(600))]
    events += [ItemListed(item_id=f"y{n}", title=f"Y {n}", occurred_at=at(600)) for n in range(8)]
    for n in [*range(8), 5]:  # x seen with eight items once each, then with y5 again
        session = {"user_id": f"c{n}-{len(events)}", "session_id": f"s{len(events)}"}
        events += [
            SessionStarted(**session, occurred_at=at(700 + len(events))),
            ItemViewed(**session, item_id="x", occurred_at=at(700 + len(events))),
            ItemViewed(**session, item_id=f"y{n}", occurred_at=at(701 + len(events))),
        ]
    events += [
        SessionStarted(user_id="ana", session_id="ana-1", occurred_at=at(800)),
        ItemViewed(user_id="ana", item_id="x", session_id="ana-1", occurred_at=at(800)),
    ]
    live, reopened = _live_and_reopened(shop, events, config)
    for recommender in (live, reopened):
        served = recommender.recommend("ana", session_id="ana-1", k=5, now=at(801))
        together = [r for r in served if r.item_id.startswith("y")]
        assert together[0].item_id == "y5" and "(seen together 2 times)" in together[0].reasons[0]
