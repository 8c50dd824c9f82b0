"""Shaped reads of the read models for screens and reports: catalogue, customers, carts, quarantine.

The `Store` API reads the log; the console and kiosk also need these views of the
projections. They live here, in portable SQLAlchemy Core over `store.schema`, so that the UI
itself holds no SQL (an import-linter contract keeps it so).
"""

from __future__ import annotations

import math
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, desc, false, func, literal, or_, select
from sqlalchemy import case as case_when

from edgerec.api import Store
from edgerec.domain.events import text_flaw
from edgerec.domain.printable import UNTITLED_ITEM, item_name, unseen_characters
from edgerec.domain.words import caseless, folded, search_words, singular
from edgerec.projections.catalogue import SEEN
from edgerec.store.codec import to_micros
from edgerec.store.engine import by_code_point, folded_text, folds_accents, lowered
from edgerec.store.schema import (
    cooccurrence,
    events,
    forgets,
    imports,
    item_stats,
    items,
    quarantine,
    sessions,
    user_items,
    users,
)

LISTED = "listed"


@dataclass(frozen=True, slots=True)
class ItemRow:
    item_id: str
    title: str
    category: str | None
    brand: str | None
    price: float | None
    stock: int | None
    status: str
    views: int = 0
    purchases: int = 0
    popularity_log: float = -math.inf
    description: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return item_name(self.title, self.item_id)

    @property
    def available(self) -> bool:
        """Listed and not known to be out of stock (unknown stock counts as available)."""
        return self.status == LISTED and self.in_stock

    @property
    def in_stock(self) -> bool:
        """Not known to be out of stock: an item no listing described has no stock, and counts
        as in stock, as the recommender counts it."""
        return self.stock is None or self.stock > 0


@dataclass(frozen=True, slots=True)
class CustomerRow:
    user_id: str
    first_at: int
    last_at: int
    events: int
    sessions: int
    last_session_id: str | None


@dataclass(frozen=True, slots=True)
class HistoryRow:
    item: ItemRow
    views: int
    carts: int
    in_cart: int
    purchases: int
    last_type: str
    last_at: int


@dataclass(frozen=True, slots=True)
class SessionRow:
    session_id: str
    user_id: str | None
    store_id: str | None
    started_at: int
    last_at: int
    events: int
    ended: bool
    recent_items: list[str]


@dataclass(frozen=True, slots=True)
class Profile:
    customer: CustomerRow
    history: list[HistoryRow]
    sessions: list[SessionRow]
    top_categories: list[tuple[str, float]]


_ITEM_COLUMNS = (
    items.c.item_id,
    items.c.title,
    items.c.category,
    items.c.brand,
    items.c.price,
    items.c.stock,
    items.c.status,
    func.coalesce(item_stats.c.views, 0),
    func.coalesce(item_stats.c.purchases, 0),
    item_stats.c.popularity_log,
    items.c.description,
    items.c.attributes,
)
_SHOWING_LEADS = tuple(string.ascii_letters + string.digits)  # a title led by one shows
_ITEMS_FROM = items.outerjoin(item_stats, item_stats.c.item_id == items.c.item_id)
# Interest carried by each kind of history row when ranking a customer's categories.
_CATEGORY_WEIGHTS = {"views": 1.0, "carts": 3.0, "purchases": 5.0}


def _item(row: Sequence[Any]) -> ItemRow:
    popularity = row[9]
    return ItemRow(
        item_id=row[0],
        title=row[1] or "",
        category=row[2],
        brand=row[3],
        price=row[4],
        stock=row[5],
        status=row[6],
        views=int(row[7] or 0),
        purchases=int(row[8] or 0),
        popularity_log=-math.inf if popularity is None else float(popularity),
        description=row[10],
        attributes=dict(row[11] or {}),
    )


def _on_offer(unlisted: bool) -> Any:
    """Listed items, and with `unlisted` the items known only from the log (never delisted ones)."""
    return items.c.status.in_((LISTED, SEEN)) if unlisted else items.c.status == LISTED


def _storable(value: str) -> bool:
    """Whether a stored id or text could equal `value`: none holds a NUL or a surrogate, and
    PostgreSQL refuses to compare with them (SQLite finds nothing)."""
    return text_flaw(value) is None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _unseen_in(engine: Engine) -> str:
    """The characters that show nothing which `engine`'s text can hold: a PostgreSQL database
    not in UTF-8 (LATIN1, say, whose client is sent that encoding) takes ASCII's alone."""
    every = unseen_characters()
    return every if folds_accents(engine) else "".join(c for c in every if c.isascii())


class ShopData:
    """Read-only views of one store's projections, shaped for the screens."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    # --- catalogue -------------------------------------------------------------------------

    def categories(self, *, unlisted: bool = False) -> list[tuple[str, int]]:
        """The listed items' categories (with `unlisted`, those of items known only from the
        log too), each with its count of items."""
        query = (
            select(items.c.category, func.count())
            .where(_on_offer(unlisted), items.c.category.is_not(None))
            .group_by(items.c.category)
            .order_by(by_code_point(self.engine, items.c.category))
        )
        with self.engine.connect() as connection:
            return [(str(c), int(n)) for c, n in connection.execute(query)]

    def items(
        self,
        *,
        text: str | None = None,
        category: str | None = None,
        listed_only: bool = True,
        unlisted: bool = False,
        in_stock_only: bool = False,
        limit: int = 200,
        offset: int = 0,
        order: str = "popular",
    ) -> list[ItemRow]:
        """Catalogue items, most popular first (or by id), filtered by text and category;
        `listed_only` with `unlisted` takes items known only from the log too (a store that
        lists none)."""
        if not all(_storable(value) for value in (text or "", category or "")):
            return []
        query = select(*_ITEM_COLUMNS).select_from(_ITEMS_FROM)
        if listed_only:
            query = query.where(_on_offer(unlisted))
        if in_stock_only:
            query = query.where(or_(items.c.stock.is_(None), items.c.stock > 0))
        if category:
            query = query.where(items.c.category == category)
        if text and text.strip():
            # Every word somewhere in the item, as the recommender's search matches them
            # ("soft shoes" finds "Soft Shoe 3", "creme" "Crème", "绿茶" "有机绿茶"); a query
            # of no words is matched as it is.
            # A database that cannot fold only lowers the case: "Straße" is "straße" there, not
            # the caseless "strasse".
            fold, case = (folded, caseless) if folds_accents(self.engine) else (str, str.lower)
            words = [singular(fold(word)) for word in search_words(text, case)]
            # An item with no title is found by the name it is shown by too ("item 2338453"),
            # and so is one whose title shows nothing (zero-width spaces), named so too.
            # Trimming a title of every character that shows nothing (2,214 of them) costs 1.6 s
            # on 100,000 titles, so it is done only where the title is not led by a letter or a
            # digit (a CASE, whose order both databases keep), and only for a word of that name.
            blank = func.trim(items.c.title, literal(_unseen_in(self.engine))) == ""
            shows = func.substr(items.c.title, 1, 1).in_(_SHOWING_LEADS)
            untitled = or_(items.c.title.is_(None), case_when((shows, false()), else_=blank))
            for word in words or [fold(case(text.strip()))]:
                pattern = _like(word)
                query = query.where(
                    or_(
                        *(
                            folded_text(self.engine, column).like(pattern, escape="\\")
                            for column in (items.c.title, items.c.brand, items.c.category, items.c.item_id)
                        ),
                        and_(literal(UNTITLED_ITEM).like(pattern, escape="\\"), untitled),
                    )
                )
        if order == "popular":
            query = query.order_by(desc(func.coalesce(item_stats.c.popularity_log, -1e308)), items.c.item_id)
        else:
            query = query.order_by(items.c.item_id)
        query = query.limit(limit).offset(offset)
        with self.engine.connect() as connection:
            return [_item(row) for row in connection.execute(query)]

    def item(self, item_id: str) -> ItemRow | None:
        found = self.items_by_id([item_id])
        return found.get(item_id)

    def items_by_id(self, item_ids: Iterable[str]) -> dict[str, ItemRow]:
        wanted = [item_id for item_id in dict.fromkeys(item_ids) if _storable(item_id)]
        if not wanted:
            return {}
        found: dict[str, ItemRow] = {}
        with self.engine.connect() as connection:
            for start in range(0, len(wanted), 500):
                query = (
                    select(*_ITEM_COLUMNS)
                    .select_from(_ITEMS_FROM)
                    .where(items.c.item_id.in_(wanted[start : start + 500]))
                )
                for row in connection.execute(query):
                    found[row[0]] = _item(row)
        return found

    def count_items(self, *, listed_only: bool = True) -> int:
        query = select(func.count()).select_from(items)
        if listed_only:
            query = query.where(items.c.status == LISTED)
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    def has_catalogue(self) -> bool:
        """Whether the store has ever listed an item (one listed or delisted now): one whose
        items are known only from its log (an events-only dataset) has no catalogue."""
        query = select(items.c.item_id).where(items.c.status != SEEN).limit(1)
        with self.engine.connect() as connection:
            return connection.execute(query).first() is not None

    def co_visited(self, item_ids: Sequence[str], *, limit: int = 50) -> list[tuple[str, str, int]]:
        """(anchor, other, count) pairs seen together in sessions, strongest first."""
        wanted = [item_id for item_id in item_ids if _storable(item_id)]
        if not wanted:
            return []
        query = (
            select(cooccurrence.c.item_a, cooccurrence.c.item_b, cooccurrence.c.count)
            .where(cooccurrence.c.item_a.in_(wanted))
            .order_by(desc(cooccurrence.c.count), cooccurrence.c.item_a, cooccurrence.c.item_b)
            .limit(limit)
        )
        with self.engine.connect() as connection:
            return [(a, b, int(n)) for a, b, n in connection.execute(query)]

    # --- customers -------------------------------------------------------------------------

    def customers(self, *, text: str | None = None, limit: int = 200) -> list[CustomerRow]:
        query = select(users).order_by(desc(users.c.last_at), users.c.user_id).limit(limit)
        if text and not _storable(text):
            return []
        if text and text.strip():
            pattern = _like(text.strip().lower())
            query = query.where(lowered(self.engine, users.c.user_id).like(pattern, escape="\\"))
        with self.engine.connect() as connection:
            return [CustomerRow(**row) for row in connection.execute(query).mappings()]

    def forgets(self) -> int:
        """How many customers have been forgotten in this store so far, by any process."""
        with self.engine.connect() as connection:
            return forgets_recorded(connection)

    def customer(self, user_id: str) -> CustomerRow | None:
        if not _storable(user_id):
            return None
        with self.engine.connect() as connection:
            row = connection.execute(select(users).where(users.c.user_id == user_id)).mappings().first()
        return CustomerRow(**row) if row else None

    def history(self, user_id: str, *, limit: int = 50) -> list[HistoryRow]:
        if not _storable(user_id):
            return []
        query = (
            select(
                *_ITEM_COLUMNS,
                user_items.c.views,
                user_items.c.carts,
                user_items.c.in_cart,
                user_items.c.purchases,
                user_items.c.last_type,
                user_items.c.last_at,
            )
            .select_from(
                user_items.join(items, items.c.item_id == user_items.c.item_id).outerjoin(
                    item_stats, item_stats.c.item_id == items.c.item_id
                )
            )
            .where(user_items.c.user_id == user_id)
            .order_by(desc(user_items.c.last_position))
            .limit(limit)
        )
        with self.engine.connect() as connection:
            return [
                HistoryRow(_item(row[:12]), *(int(v) for v in row[12:16]), row[16], int(row[17]))
                for row in connection.execute(query)
            ]

    def sessions(self, user_id: str, *, limit: int = 20) -> list[SessionRow]:
        if not _storable(user_id):
            return []
        query = (
            select(sessions)
            .where(sessions.c.user_id == user_id)
            .order_by(desc(sessions.c.last_at), sessions.c.session_id)
            .limit(limit)
        )
        with self.engine.connect() as connection:
            return [_session(row) for row in connection.execute(query).mappings()]

    def session(self, session_id: str) -> SessionRow | None:
        if not _storable(session_id):
            return None
        with self.engine.connect() as connection:
            row = (
                connection.execute(select(sessions).where(sessions.c.session_id == session_id))
                .mappings()
                .first()
            )
        return _session(row) if row else None

    def acted_in(self, user_id: str, session_id: str) -> bool:
        """Whether the customer has an event in the session (customers can share a session id)."""
        if not (_storable(user_id) and _storable(session_id)):
            return False
        with self.engine.connect() as connection:
            found = connection.execute(
                select(events.c.position)
                .where(events.c.session_id == session_id, events.c.user_id == user_id)
                .limit(1)
            ).first()
        return found is not None

    def top_categories(self, user_id: str, *, limit: int = 5) -> list[tuple[str, float]]:
        if not _storable(user_id):
            return []
        weight = sum(user_items.c[name] * w for name, w in _CATEGORY_WEIGHTS.items())
        query = (
            select(items.c.category, func.sum(weight))
            .select_from(user_items.join(items, items.c.item_id == user_items.c.item_id))
            .where(user_items.c.user_id == user_id, items.c.category.is_not(None))
            .group_by(items.c.category)
            .order_by(desc(func.sum(weight)), by_code_point(self.engine, items.c.category))
            .limit(limit)
        )
        with self.engine.connect() as connection:
            rows = [(str(c), float(s or 0)) for c, s in connection.execute(query)]
        total = sum(s for _, s in rows) or 1.0
        return [(c, s / total) for c, s in rows]

    def profile(self, user_id: str) -> Profile | None:
        customer = self.customer(user_id)
        if customer is None:
            return None
        return Profile(customer, self.history(user_id), self.sessions(user_id), self.top_categories(user_id))

    def cart(self, user_id: str) -> dict[str, int]:
        """Items in the customer's cart now, with quantities."""
        if not _storable(user_id):
            return {}
        query = select(user_items.c.item_id, user_items.c.in_cart).where(
            user_items.c.user_id == user_id, user_items.c.in_cart > 0
        )
        with self.engine.connect() as connection:
            return {i: int(q) for i, q in connection.execute(query)}

    def bought(self, user_id: str) -> set[str]:
        if not _storable(user_id):
            return set()
        query = select(user_items.c.item_id).where(
            user_items.c.user_id == user_id, user_items.c.purchases > 0
        )
        with self.engine.connect() as connection:
            return set(connection.execute(query).scalars())

    def excluded_for(
        self,
        user_id: str,
        *,
        in_cart: bool = True,
        bought: bool = True,
        bought_after: datetime | None = None,
    ) -> set[str]:
        """Items not to suggest to this customer: those in the cart (unless `in_cart` is false)
        and those bought (unless `bought` is false), of these only the ones last bought after
        `bought_after` where it is given (a shop that suggests an item again a while after)."""
        if not _storable(user_id):
            return set()
        conditions = []
        if in_cart:
            conditions.append(user_items.c.in_cart > 0)
        if bought:
            purchased = user_items.c.purchases > 0
            if bought_after is not None:
                purchased = and_(purchased, user_items.c.purchased_at > to_micros(bought_after))
            conditions.append(purchased)
        if not conditions:
            return set()
        query = select(user_items.c.item_id).where(user_items.c.user_id == user_id, or_(*conditions))
        with self.engine.connect() as connection:
            return set(connection.execute(query).scalars())

    def unavailable(self, item_ids: Iterable[str]) -> set[str]:
        """Of these items, the ones that are delisted, unknown or out of stock."""
        wanted = set(item_ids)
        found = self.items_by_id(wanted)
        return {i for i in wanted if i not in found or not found[i].available}

    def store_ids(self) -> list[str]:
        query = select(sessions.c.store_id).where(sessions.c.store_id.is_not(None)).distinct()
        with self.engine.connect() as connection:
            return sorted(str(s) for s in connection.execute(query).scalars())

    # --- quarantine ------------------------------------------------------------------------

    def quarantine(
        self, *, reason: str | None = None, import_id: str | None = None, limit: int = 500
    ) -> list[dict[str, Any]]:
        """Quarantined rows, newest first: of one reason and one import where given."""
        if not all(_storable(value) for value in (reason or "", import_id or "")):
            return []
        query = select(quarantine).order_by(desc(quarantine.c.id)).limit(limit)
        if reason:
            query = query.where(quarantine.c.reason == reason)
        if import_id:
            query = query.where(quarantine.c.import_id == import_id)
        with self.engine.connect() as connection:
            return [dict(row) for row in connection.execute(query).mappings()]

    def import_known(self, import_id: str) -> bool:
        """Whether an import with this id ran here (finished, or with rows in quarantine)."""
        if not _storable(import_id):
            return False
        with self.engine.connect() as connection:
            return any(
                connection.execute(
                    select(table.c.import_id).where(table.c.import_id == import_id).limit(1)
                ).first()
                for table in (imports, quarantine)
            )

    def quarantine_reasons(self) -> list[tuple[str, int]]:
        query = select(quarantine.c.reason, func.count()).group_by(quarantine.c.reason)
        with self.engine.connect() as connection:
            return sorted(
                ((str(r), int(n)) for r, n in connection.execute(query)), key=lambda x: (-x[1], x[0])
            )

    def user_item(self, user_id: str, item_id: str) -> dict[str, Any] | None:
        if not (_storable(user_id) and _storable(item_id)):
            return None
        query = select(user_items).where(
            and_(user_items.c.user_id == user_id, user_items.c.item_id == item_id)
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        return dict(row) if row else None


def _session(row: Any) -> SessionRow:
    return SessionRow(
        session_id=row["session_id"],
        user_id=row["user_id"],
        store_id=row["store_id"],
        started_at=int(row["started_at"]),
        last_at=int(row["last_at"]),
        events=int(row["events"]),
        ended=bool(row["ended"]),
        recent_items=list(row["recent_items"] or []),
    )


# --- the log and catalogue as DataFrames (the evaluation's data contract) --------------------


def interaction_frame(store: Store) -> Any:
    """Item events of the log as a DataFrame: position, user_id, item_id, occurred_at (µs),
    event_type, session_id, store_id, in log order."""
    import pandas as pd

    from edgerec.store.schema import events

    query = select(
        events.c.position,
        events.c.user_id,
        events.c.item_id,
        events.c.occurred_at,
        events.c.type.label("event_type"),
        events.c.session_id,
        events.c.store_id,
    ).where(events.c.item_id.is_not(None), events.c.user_id.is_not(None))
    with store.engine.connect() as connection:
        return pd.read_sql(query.order_by(events.c.position), connection)


def catalogue_frame(store: Store) -> Any:
    """The catalogue as a DataFrame: item_id, title, category, brand, price, description, attributes
    and listed (false for an item known only from interactions, such as a Taobao file's).

    In item id order: the rows' order in the table follows how they were written, and an
    evaluation's item vocabulary (and with it its seeded draws) must not.
    """
    import pandas as pd

    query = select(
        items.c.item_id,
        items.c.title,
        items.c.category,
        items.c.brand,
        items.c.price,
        items.c.description,
        items.c.attributes,
        (items.c.status != SEEN).label("listed"),
    ).order_by(items.c.item_id)
    with store.engine.connect() as connection:
        return pd.DataFrame(connection.execute(query).all(), columns=list(query.selected_columns.keys()))


def forgets_recorded(connection: Connection) -> int:
    """How many times a customer has been forgotten in this store (`edgerec forget-user`): a
    reader holding customers in memory drops them when it moves."""
    return int(connection.execute(select(func.count()).select_from(forgets)).scalar_one())
