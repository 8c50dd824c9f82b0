"""The one writer of a shopper's session: records each action's events in order, then ranks.

Screens (the live session, the kiosk) turn keys and taps into `Job`s on the UI thread; a single
thread worker records them through the store, lets the recommender observe them, ranks again
and posts the outcome back as an `ActionDone` message. While no action waits, the same worker
folds in what other writers appended and the trainer's newest model, so that work is not done
between a key press and the new suggestions. Before it records a shopper's action, and while
idle, it asks whether the shopper has been forgotten since (`CustomerForgotten`). While idle it
also says when the list on screen is due to be ranked again (`CatalogueChanged`) without waiting
for the shopper's next action: the log brought catalogue changes, the shop's rules or blend
changed, or the shop's hour turned since the list was ranked. As the app quits, it records the
end of a session started and not ended (`end_on_quit`).
"""

from __future__ import annotations

import asyncio
import queue
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from textual import work
from textual.message import Message
from textual.worker import get_current_worker

from edgerec.api import Store
from edgerec.domain import CATALOGUE_TYPES, Event, EventType, SessionStarted
from edgerec.domain.printable import printable
from edgerec.readmodels import ItemRow
from edgerec.ui.errors import log, logged
from edgerec.ui.suggestions import Suggestion

# How long a quit waits for the shopper's last actions to be recorded before the screen closes;
# past that (another program holds the store's write lock) they are recorded as the app exits.
QUIT_WAIT_S = 2.0


@dataclass
class Job:
    """Events one action makes, and what to rank for afterwards."""

    label: str
    events: list[Event]
    user_id: str
    session_id: str
    context: Any
    pressed_at: float
    ticket: int = 0
    showing: str | None = None  # the item open on screen: never suggested beside itself
    # Events the writer makes from the shopper's cart as recorded once the jobs before this
    # one are (a checkout, a removal); it may raise `Refused` instead.
    on_cart: Callable[[dict[str, int]], list[Event]] | None = None


class Refused(Exception):
    """An action on the cart that records nothing (the cart is empty, an item in it is not for
    sale): its text says why, and `items` are the cart's items that refused it."""

    def __init__(self, text: str, items: Sequence[str] = ()) -> None:
        super().__init__(text)
        self.items = list(items)


@dataclass
class Outcome:
    job: Job
    positions: list[int]
    suggestions: list[Suggestion] | None
    cart: dict[str, int] = field(default_factory=dict)
    write_ms: float = 0.0
    rank_ms: float = 0.0
    error: BaseException | None = None
    finished_at: float = 0.0  # clock.perf() when the writer was done with it
    forgotten: bool = False  # its shopper had been forgotten: nothing was recorded
    refused: Refused | None = None  # its action on the cart was refused: nothing was recorded


class ActionDone(Message):
    def __init__(self, outcome: Outcome) -> None:
        super().__init__()
        self.outcome = outcome


class CustomerForgotten(Message):
    """The shopper played has been forgotten (on the Customers screen, by another console or by
    `edgerec forget-user`): the screen lets them go, and nothing more is recorded for them."""

    def __init__(self, user_id: str) -> None:
        super().__init__()
        self.user_id = user_id


class CatalogueChanged(Message):
    """The log brought catalogue events (from this console's Catalogue screen, an import, another
    process) or sales: the list on screen may show an item no longer for sale, or an old price. Posted too
    when the shop's rules or blend changed (an item banned), or the shop's hour turned since the
    list was ranked (its popular-this-hour items and reasons are an hour old)."""


# What changes an item's listing or stock: a sale lowers the stock the catalogue stated.
_CHANGING_STOCK = (*CATALOGUE_TYPES, EventType.PURCHASED)


def short_of(item: ItemRow, quantity: int) -> str | None:
    """Why fewer are in stock than the cart holds (a sale does not sell what is not there),
    None when the stock is enough or not known."""
    if item.stock is None or quantity <= item.stock:
        return None
    return f"down to {item.stock:,} in stock, {quantity:,} in the cart"


def catalogue_changed_since(store: Store, position: int) -> bool:
    """Whether the log holds catalogue events or sales (which may sell an item out) after
    `position`."""
    return bool(store.read(since=position, types=_CHANGING_STOCK, limit=1))


@dataclass
class _Watch:
    """What the writer knew of its shopper when it last looked: a forget leaves no id behind,
    but it moves the store's count of forgets, and the customer it took is unknown after it."""

    user_id: str
    forgets: int
    known: bool  # whether the store held anything of them
    gone: bool = False


class SessionWriter:
    """Mixin for a screen: `_submit` actions; handle `ActionDone`; call `start_writer` on mount.

    The screen keeps its shopper's `session` (a LiveSession, None before one), whether that
    session has `started` in the log, and the item `open_item` on screen (an ItemRow or None).
    """

    suggestion_count = 8
    # What an add beyond the stock says (the kiosk speaks to the shopper, of a basket).
    BEYOND_STOCK = "{label} is down to {stock:,} in stock, {held:,} in the cart already."
    idle_refresh_seconds = 0.25  # how often, while idle, to fold in others' events and models
    session: Any
    started: bool
    open_item: Any

    def _submit(
        self,
        label: str,
        make: Callable[[Any], list[Event]],
        *,
        on_cart: Callable[[Any, dict[str, int]], list[Event]] | None = None,
    ) -> None:
        """Turns an action into events now (on the UI thread) and queues them for the writer;
        the session's start goes first when this is its first action. `on_cart` makes more
        events in the writer, from the cart as the actions queued before have left it."""
        pressed_at = self.services.clock.perf()  # type: ignore[attr-defined]
        self._renew_if_lapsed()
        session = self.session
        if session is None:
            return
        events = [] if self.started else [session.start()]
        events.extend(make(session))  # a refused action raises here: the start still waits
        self.started = True
        job = self._job(label, events, pressed_at)
        if on_cart is not None:
            job.on_cart = lambda cart: on_cart(session, cart)
        self._enqueue(job)

    def _submit_on_cart(self, label: str, decide: Callable[[Any, dict[str, int]], list[Event]]) -> None:
        """A checkout, a removal or an add decides on the cart as the actions queued before it leave
        it: in the writer, in order. Before the session's first action none is on its way,
        and the cart recorded is decided on here: a refusal records nothing, not its start."""
        self._renew_if_lapsed()
        if self.session is None:
            return
        if self.started:
            self._submit(label, lambda _s: [], on_cart=decide)
            return
        cart = self.services.shop.cart(self.session.user_id)  # type: ignore[attr-defined]
        try:
            self._submit(label, lambda s: decide(s, cart))
        except Refused as refusal:
            self._refused(refusal)

    def _end_session(self, label: str = "end") -> None:
        """Records the end of the shopper's session, if it started and has not ended (nor lapsed:
        an end recorded now would stretch it over the gap the store reads as its end)."""
        self._renew_if_lapsed()
        session = self.session
        if session is not None and self.started and not session.ended:
            self._submit(label, lambda s: [s.end()])

    def _renew_if_lapsed(self) -> None:
        """Moves the shopper on to a new session once theirs has had no action for
        `SESSION_GAP_S`, as the store's own sessions end: a customer played on Monday and left
        open does not take Tuesday's actions into Monday's session. Nothing is recorded for the
        old one; the store reads it as ended idle. The next action records the new one's start."""
        session = self.session
        if session is not None and self.started and not session.ended and session.lapsed():
            self.session = session.next_session()
            self.started = False
            self._session_lapsed()

    def _session_lapsed(self) -> None:
        """The screen's part once the session has lapsed (`_renew_if_lapsed`)."""

    def _submit_add(self, item: ItemRow) -> None:
        """Adds one of `item` to the cart, unless the cart holds its stock already: the cart
        recorded, not the one shown, which the adds queued before (keys pressed or tiles tapped
        while another program held the store) have not reached yet."""

        def add(session: Any, cart: dict[str, int]) -> list[Event]:
            held = cart.get(item.item_id, 0)
            if short_of(item, held + 1):  # the checkout would refuse it
                raise Refused(
                    self.BEYOND_STOCK.format(label=printable(item.label), stock=item.stock, held=held)
                )
            return [session.add_to_cart(item)]

        self._submit_on_cart("add", add)

    def _refused(self, refusal: Refused, *, latest: bool = True) -> None:
        """Says why an action on the cart recorded nothing; `latest` when no action came after it."""
        self.notify(str(refusal), severity="warning")  # type: ignore[attr-defined]

    def _job(self, label: str, events: list[Event], pressed_at: float | None = None) -> Job:
        """A job of the current session, carrying the item open on screen."""
        session, item = self.session, self.open_item
        assert session is not None
        if pressed_at is None:
            pressed_at = self.services.clock.perf()  # type: ignore[attr-defined]
        showing = item.item_id if item is not None else None
        return Job(
            label, events, session.user_id, session.session_id, session.context, pressed_at, showing=showing
        )

    def _init_writer(self) -> None:
        self.jobs: queue.Queue[Job] = queue.Queue()
        self._tickets = 0
        self._watch: _Watch | None = None  # the writer thread's own
        # The writer thread's own too: a session's start whose write failed, recorded with the
        # session's next events (the screen has moved on, as if it were recorded).
        self._start_owed: Event | None = None
        # The writer thread's own once started: the log position up to which it looked for
        # catalogue events.
        self._catalogue_seen = 0
        # The writer thread's own too: the shop's hour the newest list was ranked for (None
        # before one).
        self._ranked_hour: int | None = None
        # The screen's services, kept for the writer thread: once the screen has closed it
        # cannot reach them through the app, and it still records the actions queued before.
        self._services: Any = None
        self._finished = 0  # the ticket of the last job the writer is done with
        self.quitting = False  # the app is closing: no list is ranked or shown any more
        self.lost_on_quit: str | None = None  # why a write failed once the app was closing

    def start_writer(self) -> None:
        self._services = self.services  # type: ignore[attr-defined]
        self._catalogue_seen = self._services.store.head()
        self._writer()

    async def end_on_quit(self) -> bool:
        """Ends the shopper's session as the app quits, as the kiosk's idle reset or the
        console's `e` would: a session started and not ended stayed open in the store for good.
        Returns whether the writer recorded everything queued within `QUIT_WAIT_S`; past that it
        goes on as the app exits. A write that fails (a store gone, read-only, or its file
        deleted) is logged, and why is kept in `lost_on_quit` for the app to say as it exits."""
        self.quitting = True
        self._end_session("the end of the session on quit")
        waited = 0.0
        while self.writing and waited < QUIT_WAIT_S:
            await asyncio.sleep(0.02)
            waited += 0.02
        return not self.writing

    @property
    def writing(self) -> bool:
        """Whether actions queued are not recorded yet."""
        return self._finished < self._tickets

    def _enqueue(self, job: Job) -> None:
        self._tickets += 1
        job.ticket = self._tickets
        self.jobs.put(job)

    @work(thread=True, exclusive=True, group="session-writer", exit_on_error=False)
    def _writer(self) -> None:
        """The one writer of this screen: records each job's events in order, then ranks.
        Cancelled as the app closes, it records the jobs still queued first: a shopper's last
        actions, and the end of their session, are not lost to a quit."""
        worker = get_current_worker()
        while True:
            try:
                job = self.jobs.get(timeout=self.idle_refresh_seconds)
            except queue.Empty:
                if worker.is_cancelled:
                    return
                # Once the app is closing the screen is detached: nothing is left to refresh.
                if self.is_attached:  # type: ignore[attr-defined]
                    self._refresh_while_idle()
                continue
            self.post_message(ActionDone(self._run(job)))  # type: ignore[attr-defined]
            self._finished = job.ticket

    def _refresh_while_idle(self) -> None:
        try:
            head = self._services.store.head()
            ranking_changed = self._services.suggester.refresh()
            catalogue_changed = self._catalogue_changed(head)
            if self._hour_turned() or ranking_changed or catalogue_changed:
                self.post_message(CatalogueChanged())  # type: ignore[attr-defined]
            watch = self._watch
            if watch is not None and not watch.gone and self._forgotten(watch.user_id):
                self.post_message(CustomerForgotten(watch.user_id))  # type: ignore[attr-defined]
        except Exception as error:  # noqa: BLE001 - the next action's ranking reports it
            log.warning("refreshing the recommender failed", exc_info=error)

    def _catalogue_changed(self, head: int) -> bool:
        """Whether catalogue events were logged since the writer last looked, up to `head`
        (read before the refresh, so the recommender holds them). Nothing is read while the log
        stands still, and then only the events new since: no ranking on a tick without them."""
        seen, self._catalogue_seen = self._catalogue_seen, max(self._catalogue_seen, head)
        if head <= seen:
            return False
        return catalogue_changed_since(self._services.store, seen)

    def _hour_turned(self) -> bool:
        """Whether the shop's hour is no longer the one the newest list was ranked for: a kiosk
        nobody touches would say "Popular at this kiosk around 09:00" all afternoon. Said once
        per hour: the list it brings is ranked for the new one."""
        if self._ranked_hour is None:
            return False
        hour = self._services.suggester.hour()
        turned, self._ranked_hour = hour != self._ranked_hour, hour
        return turned

    def _forgotten(self, user_id: str) -> bool:
        """Whether `user_id` has been forgotten in the store since this writer first saw them,
        by this console or any other process. Asked before each action is recorded, as well
        as when idle: a forget elsewhere tells this console nothing else."""
        shop = self._services.shop
        forgets = shop.forgets()
        watch = self._watch
        if watch is None or watch.user_id != user_id:
            self._watch = _Watch(user_id, forgets, shop.customer(user_id) is not None)
            return False
        if not watch.gone and forgets != watch.forgets:
            known = shop.customer(user_id) is not None
            watch.gone = watch.known and not known
            watch.forgets, watch.known = forgets, known
        return watch.gone

    def _run(self, job: Job) -> Outcome:
        services = self._services
        clock = services.clock
        outcome = Outcome(job, [], None)
        try:
            if self._forgotten(job.user_id):
                self.post_message(CustomerForgotten(job.user_id))  # type: ignore[attr-defined]
                outcome.forgotten = True
                return outcome
            started = clock.perf()
            if job.on_cart is not None:
                try:
                    job.events = [*job.events, *job.on_cart(services.shop.cart(job.user_id))]
                except Refused as refusal:
                    outcome.refused = refusal
            self._pay_start_owed(job)
            for event in job.events:
                outcome.positions.append(services.record(event))
            if job.events and self._watch is not None:
                self._watch.known = True
            ranked_from = clock.perf()
            outcome.write_ms = (ranked_from - started) * 1000
            # While more actions wait, skip ranking for this one: only the newest list matters
            # (and none once the app quits).
            if self.jobs.empty() and not self.quitting:
                self._ranked_hour = services.suggester.hour()  # read first: a list is never older
                outcome.suggestions = services.suggester.recommend(
                    job.user_id,
                    session_id=job.session_id,
                    k=self.suggestion_count,
                    context=job.context,
                    refresh=False,
                    exclude=(job.showing,) if job.showing else (),
                )
                outcome.cart = services.shop.cart(job.user_id)
            outcome.finished_at = clock.perf()
            outcome.rank_ms = (outcome.finished_at - ranked_from) * 1000
        except Exception as error:  # noqa: BLE001 - shown as a notification by the UI thread
            message, _ = logged(error, f"recording {job.label}")
            if self.quitting:  # no screen is left to show it: the app says it as it exits
                self.lost_on_quit = message
            outcome.error = error
            if job.events and isinstance(job.events[0], SessionStarted) and not outcome.positions:
                self._start_owed = job.events[0]
        return outcome

    def _pay_start_owed(self, job: Job) -> None:
        """Puts the start of `job`'s session first in its events when an earlier write of that
        start failed: the session's later actions were queued as started already."""
        owed, self._start_owed = self._start_owed, None
        if owed is None or owed.session_id != job.session_id:
            return  # none, or of a session left since: it recorded nothing
        if job.events:
            job.events = [owed, *job.events]
        else:
            self._start_owed = owed  # a ranking only: the start waits for the session's events
