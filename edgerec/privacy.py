"""Forgetting a customer: their events, every read model built from them, the quarantine rows
that name them, and the free pages and WAL frames that could still hold them."""

from __future__ import annotations

import ast
import csv
import io
import json
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, true, update
from sqlalchemy.exc import OperationalError

from edgerec.api import Store
from edgerec.domain import number_id, text_id
from edgerec.store import log
from edgerec.store.codec import to_micros
from edgerec.store.engine import close_engine, write_transaction
from edgerec.store.import_turn import Waiting, import_turn
from edgerec.store.schema import (
    PROJECTION_TABLES,
    events,
    forgets,
    imports,
    items,
    quarantine,
    sessions,
    settings,
    users,
)
from edgerec.store.sql import chunks

# Called with the processes whose transactions a forget on PostgreSQL waits for.
Holding = Callable[[list[int]], None]
# How long a forget on PostgreSQL waits for the transactions that began before it to end.
HOLD_S = 30.0
# How long the rewrite of each table on PostgreSQL waits for another session's lock on it, where
# the login sets no lock_timeout of its own: while it waits, every kiosk's write to that table
# waits behind it.
LOCK_WAIT = "2s"
_HOLD_POLL_S = 0.2
# The processes whose transaction began before the last forget committed (its row's xmin): in
# any database where it has a transaction id, as VACUUM's snapshot then keeps it running; in
# this one where its snapshot is older too. A vacuum of another table keeps no row version
# (a login that may not see others' sessions in full sees no backend_type: it waits for them).
_OLDER_TRANSACTIONS = """
SELECT pid FROM pg_stat_activity, (SELECT xmin AS xid FROM forgets ORDER BY id DESC LIMIT 1) AS last
WHERE pid <> pg_backend_pid() AND backend_type IS DISTINCT FROM 'autovacuum worker'
  AND (age(backend_xid) >= age(last.xid)
       OR datname = current_database() AND age(backend_xmin) >= age(last.xid))
ORDER BY pid
"""
# What to do about a compaction that failed, by its cause: the command and the console say it.
_AGAIN = "run `edgerec forget-user` again (whatever the id) to compact it"
_FREE_SPACE = "free some space and run `edgerec forget-user` again (whatever the id) to compact it"
_AFTER_OTHERS = (
    "run `edgerec forget-user` again (whatever the id) once the other sessions using the store are"
    " done, to compact it"
)
_AFTER_THEM = "run `edgerec forget-user` again (whatever the id) once they end, to compact it"
_AS_OWNER = (
    "run `edgerec forget-user` again (whatever the id) as the owner of edgerec's tables (and of the"
    " database, for pg_statistic) to compact it"
)
# Where the login owns edgerec's tables but not the database: only pg_statistic is left.
_STATISTICS = "old row versions in the planner's statistics (pg_statistic)"
_AS_DATABASE_OWNER = (
    "run `edgerec forget-user` again (whatever the id) as the database's owner (or a superuser) to compact it"
)
# The login's own statement_timeout (query_canceled, 57014) stops the rewrite of big tables at
# every run, whoever else is there: not a session in the way.
_LONGER_TIMEOUT = (
    "this login's statement_timeout{value} stops the rewrite: run `edgerec forget-user` again"
    " (whatever the id) as a login without one, or with a longer one, to compact it"
)
# PostgreSQL's error codes for another session in the way: lock_not_available (lock_timeout),
# deadlock_detected.
_OTHERS_IN_THE_WAY = frozenset({"55P03", "40P01"})
# Characters no file format escapes or quotes: a run of them in an id is in the file as itself.
_PLAIN = re.compile(r"[0-9A-Za-z_.-]+")
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_JSON_NUMBER = re.compile(r"[:,\[]\s*(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*(?=[,\]}]|$)")
_EXPONENT = r"[0-9][eE][-+]?[0-9]"
_USUAL_DELIMITERS = frozenset(",;\t|")
# They join the parts of a time, a date or a number too: 10:30:00, 2025-01-30, 1396471744.66.
_JOINERS = frozenset(".:-/+")
_SURROGATE = re.compile("[\ud800-\udfff]")
# Stands for a forgotten id in the name of an imported file (orders_zoe123.csv).
FORGOTTEN = "[forgotten]"
# Set with a forget, cleared once the file is compacted: the next forget-user finishes it.
_COMPACTION_PENDING = "compaction_pending"
# Set with a forget, cleared once the model's files are retrained without the customer or
# removed (by forget-user, or by a trainer saving a model learnt after every forget): the next
# forget-user finishes the model's part where that was not done (a folder that cannot be
# changed, a running trainer stopped before it saved its retrain).
_MODEL_PENDING = "model_forget_pending"


@dataclass(frozen=True, slots=True)
class Receipt:
    """What forgetting a customer removed, for the operator and the customer."""

    user_id: str
    found: bool  # False: no event and no quarantined row names the id; nothing was changed
    events_removed: int
    sessions_removed: int  # the customer's sessions that no event is left in
    quarantine_rows_removed: int
    projections_rebuilt_from: int  # events replayed into the projections afterwards
    database_compacted: bool
    seconds: float
    # Why the file could not be compacted (a full disk): the next forget-user compacts it.
    compaction_failed: str | None = None
    # Then what may still hold a copy of the customer, and what to do (not in `to_dict`): in the
    # words of the store's database and of the cause, for the command and the console alike.
    compaction_advice: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        del data["compaction_advice"]
        if data["compaction_failed"] is None:
            del data["compaction_failed"]
        return data


def forget_user(
    store: Store, user_id: str, waiting: Waiting | None = None, holding: Holding | None = None
) -> Receipt:
    """Removes a customer's personal data from the store; the log stays intact for everyone else.

    The customer's events are deleted (positions of other events do not change), and so are the
    quarantine rows that name them (`_quarantined_rows_of`); the projections are rebuilt from
    the remaining log, so aggregates (popularity, co-occurrence) no longer count the customer,
    and the file is compacted with VACUUM and its WAL truncated, so no free page or WAL frame
    keeps a copy. A compaction that fails (VACUUM needs room for a copy of the file) leaves
    the rest done and says why in `compaction_failed`; the next call, whatever its id, compacts
    first. The model is the trainer's business: see `edgerec forget-user`, which retrains it.
    An id that no event and no quarantined row names (a typo) changes nothing but that
    compaction: the receipt says `found: False`. An import under way is waited for (calling
    `waiting`, as `import_turn` says): its later chunks would have logged the customer again.
    On PostgreSQL, so are the transactions that began before the forget, for a while (calling
    `holding` with their processes' ids): their snapshots keep the deleted rows' old versions,
    which VACUUM FULL then copies into the new files.
    """
    if not user_id:
        raise ValueError("user_id must not be empty")
    with import_turn(store.engine, waiting):
        return _forget_user(store, user_id, holding)


def _forget_user(store: Store, user_id: str, holding: Holding | None = None) -> Receipt:
    started = time.perf_counter()
    with write_transaction(store.engine) as connection:
        log_head = log.head(connection)
        theirs = set(
            connection.execute(
                select(events.c.session_id)
                .where(events.c.user_id == user_id, events.c.session_id.is_not(None))
                .distinct()
            ).scalars()
        )
        removed = connection.execute(delete(events).where(events.c.user_id == user_id)).rowcount
        mentioned = _quarantined_rows_of(connection, user_id, customer=removed > 0)
        pending = connection.execute(
            select(settings.c.value).where(settings.c.name == _COMPACTION_PENDING)
        ).scalar_one_or_none()
        found, replayed, gone = bool(removed or mentioned), 0, 0
        if found:
            _forget_rows(connection, mentioned, removed=removed, log_head=log_head)
            _forget_in_file_names(connection, user_id)
            renamed = _forget_in_shared_sessions(connection, user_id, theirs)
            # In the same transaction: a running recommender that sees the forget counter move
            # must find read models that no longer hold the customer, and a crash leaves all or
            # nothing.
            replayed = store.rebuild_in(connection)
            # A session shared with another customer (a family's tablet) stays, as theirs.
            now_named = {renamed.get(session_id, session_id) for session_id in theirs}
            gone = len(now_named - _known(connection, sessions.c.session_id, now_named))
    compacted, failed, advice = (
        _compact_saying_why(store, holding, found) if found or pending is not None else (False, None, None)
    )
    return Receipt(
        user_id=user_id,
        found=found,
        events_removed=removed,
        sessions_removed=gone,
        quarantine_rows_removed=len(mentioned),
        projections_rebuilt_from=replayed,
        database_compacted=compacted,
        seconds=round(time.perf_counter() - started, 3),
        compaction_failed=failed,
        compaction_advice=advice,
    )


def _forget_rows(connection: Connection, mentioned: list[int], *, removed: int, log_head: int) -> None:
    """Deletes the quarantine rows that name the customer, counts the forget (no id) and marks
    the file for compaction and the model for cleaning, in the transaction that deleted their
    events."""
    if mentioned:
        connection.execute(delete(quarantine).where(quarantine.c.id.in_(mentioned)))
    connection.execute(
        insert(forgets).values(
            forgotten_at=to_micros(datetime.now(UTC)), events_removed=removed, log_head=log_head
        )
    )
    connection.execute(delete(settings).where(settings.c.name == _COMPACTION_PENDING))
    connection.execute(insert(settings).values(name=_COMPACTION_PENDING, value="1"))
    connection.execute(delete(settings).where(settings.c.name == _MODEL_PENDING))
    connection.execute(insert(settings).values(name=_MODEL_PENDING, value="1"))


def _forget_in_file_names(connection: Connection, user_id: str) -> None:
    """Writes FORGOTTEN for the id where an imported file's path holds it as a whole word
    (zoe123/orders_zoe123.csv): in the import's row and its report, and in the source of the
    refused rows of that file that other customers keep (`reclaim_sources` gives them the path
    back when the file is imported again). An id of digits alone is such a word only in the
    file's own name, and not as a part of a date or a number there: forgetting customer 30
    rewrites orders_30.csv, not sales-30/day.csv nor sales-2025-01-30.csv."""
    word = _path_word(user_id)
    plain = max(_PLAIN.findall(user_id), key=len, default="")
    named = imports.c.source.contains(plain) if plain else true()
    for import_id, source, report in connection.execute(
        select(imports.c.import_id, imports.c.source, imports.c.report).where(named)
    ).all():
        if word.search(source):
            if isinstance(report, dict) and isinstance(report.get("source"), str):
                report = report | {"source": word.sub(FORGOTTEN, report["source"])}
            connection.execute(
                update(imports)
                .where(imports.c.import_id == import_id)
                .values(source=word.sub(FORGOTTEN, source), report=report)
            )
    named = quarantine.c.source.contains(plain) if plain else true()
    for source in connection.execute(select(quarantine.c.source).where(named).distinct()).scalars().all():
        if word.search(source):
            connection.execute(
                update(quarantine)
                .where(quarantine.c.source == source)
                .values(source=word.sub(FORGOTTEN, source))
            )


def _forget_in_shared_sessions(connection: Connection, user_id: str, theirs: set[str]) -> dict[str, str]:
    """Renames a session the store named after the customer (`anna@1795993239`: the customer
    who opened it and its time) that they shared with others (a family's tablet), in those
    others' events, to `[forgotten]@1795993239`; the session stays, as theirs. A name already
    taken (another forgotten customer's session of the same second) gets a number, so that two
    sessions never become one. Returns the new names; the rebuild that follows carries them
    into the read models."""
    form = re.compile(rf"{re.escape(user_id)}(@-?[0-9]+(?:\.[0-9]+)?)")
    renamed: dict[str, str] = {}
    for session_id in sorted(theirs):
        match = form.fullmatch(session_id)
        if match is None:  # a name of the shop's own (`ann.smith@1700000000` is not ann's)
            continue
        new = base = FORGOTTEN + match.group(1)
        number = 1
        while _known(connection, events.c.session_id, {new}):
            number += 1
            new = f"{base}-{number}"
        connection.execute(update(events).where(events.c.session_id == session_id).values(session_id=new))
        renamed[session_id] = new
    return renamed


def _path_word(user_id: str) -> re.Pattern[str]:
    """The id as a word of a file's path (`_forget_in_file_names`)."""
    word = rf"(?<![^\W_]){re.escape(user_id)}(?![^\W_])"
    if not user_id.isdigit():
        return re.compile(word)
    # In the file's name, with no joiner to a digit either side (2025-01-30, 1.30).
    return re.compile(rf"(?<![0-9][-.:/+]){word}(?![-.:/+][0-9])(?=[^/\\]*$)")


def reclaim_sources(connection: Connection, sources: set[str]) -> None:
    """Gives the refused rows a forget left under a file's path with FORGOTTEN for the id
    (`_forget_in_file_names`) that path again, as the file is imported again: the import then
    finds them, and replaces them once it has read the file to its end, instead of refusing
    them a second time beside the first."""
    stored = connection.execute(
        select(quarantine.c.source).where(quarantine.c.source.contains(FORGOTTEN)).distinct()
    ).scalars()
    for renamed in stored.all():
        path = re.compile(".+".join(map(re.escape, renamed.split(FORGOTTEN))))
        real = next((source for source in sorted(sources) if path.fullmatch(source)), None)
        if real is not None:
            connection.execute(update(quarantine).where(quarantine.c.source == renamed).values(source=real))


def _quarantined_rows_of(connection: Connection, user_id: str, *, customer: bool) -> list[int]:
    """The quarantine rows that name the customer: whose line holds the id as one of its values
    (`_values`: a field, or a value of a JSON line), however the file spelt it, with JSON escapes
    ("Zo\\u00eb", "\\/") or CSV's doubled quotes ("O""Brien"), as a number the importer reads as
    the id (30.0 or 3e1 for 30), or whose detail quotes it. A time, a price or a date that merely
    contains the id's digits (10:30:00, 1396471744.66) names no one.

    A refused line keeps no column names, so where the id sits is told from what the store
    knows. When no event has the id as its customer (`customer` False) and it is an item's id,
    a row that also names a known customer (one whose id is no item's) is that customer's row,
    naming the item: it stays. Every other row that holds the id goes, whatever column it is
    in, even another customer's row naming an item spelt like the customer being forgotten:
    better a refused row too many gone than a copy of the customer left behind.
    """
    quoted = repr(user_id)  # as a detail quotes a value it refuses
    # SQL picks the rows holding the id's longest plain run; each is then read back in full.
    plain = max(_PLAIN.findall(user_id), key=len, default="")
    holding = quarantine.c.raw.contains(plain) | quarantine.c.detail.contains(plain) if plain else true()
    if plain and _is_number_id(user_id):
        # and those with a number written with an exponent: JSON's 3e1 is customer 30 too
        holding |= quarantine.c.raw.regexp_match(_EXPONENT)
    query = select(quarantine.c.id, quarantine.c.raw, quarantine.c.detail).where(holding)
    naming: dict[int, set[str]] = {}
    for row_id, raw, detail in connection.execute(query):
        values = _values(raw or "")
        if user_id in values or quoted in (detail or ""):
            naming[row_id] = values
    if customer or not naming or not _known(connection, items.c.item_id, {user_id}):
        return list(naming)
    values = {row_id: held - {user_id} for row_id, held in naming.items()}
    others = set().union(*values.values())
    customers = _known(connection, users.c.user_id, others) - _known(connection, items.c.item_id, others)
    return [row_id for row_id in naming if not values[row_id] & customers]


def _is_number_id(user_id: str) -> bool:
    """Whether the importer reads some JSON or Parquet number as this id (30, 1e-05)."""
    try:
        return number_id(float(user_id)) == user_id
    except ValueError:
        return False


def _known(connection: Connection, column: Any, values: set[str]) -> set[str]:
    """The values the column (a projection's key) holds."""
    found: set[str] = set()
    for part in chunks(sorted(values)):
        found.update(connection.execute(select(column).where(column.in_(part))).scalars())
    return found


def _values(raw: str) -> set[str]:
    """The values a quarantined line holds, read back as its file wrote them, each also stripped
    of spaces: the keys, strings and numbers of a JSON line (or a Python literal's, as JSON-lines
    files may hold), escapes undone (those still whole, and the fields, when the line is cut
    short or broken); the fields of any other line (`_fields`), quotes undone."""
    found: set[str] = set()
    text = raw.strip()
    if text.startswith(("{", "[")):
        parsed = _parsed(text)
        if parsed is not None:
            found.update(_json_values(parsed))
        else:
            found.update(_cut_short_values(text))
            found.update(_fields(raw))
    else:
        found.update(_fields(raw))
    found |= {value.strip() for value in found}
    found |= {text_id(value) for value in found}  # 17850.0 in a CSV line is customer 17850
    # A JSON escape can spell a lone surrogate, which no database takes as a parameter.
    return {value for value in found if value and not _SURROGATE.search(value)}


def _parsed(text: str) -> Any:
    """A JSON line's value, or a Python literal's; None for a line cut short or broken."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        pass
    try:  # literal_eval evaluates literals only: no names, calls or operators
        return ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def _cut_short_values(text: str) -> Iterator[str]:
    """The strings a broken JSON line still holds whole, escapes undone, and its numbers, as
    written and as the importer reads them (30.0 and 1e2 as 30 and 100)."""
    for literal in _JSON_STRING.findall(text):
        try:
            yield json.loads(literal)
        except ValueError:
            continue
    for number in _JSON_NUMBER.findall(_JSON_STRING.sub('""', text)):
        yield number
        try:
            yield number_id(json.loads(number))
        except ValueError:  # 007 is no JSON number
            continue


def _fields(raw: str) -> set[str]:
    """The fields of a delimited line, quotes undone. A line keeps no note of its file's
    delimiter, so it is split at each character that could be one: any but a letter, a digit,
    `_` and a quote; `.`, `:`, `-`, `/` and `+`, which also join the parts of a time, a date
    or a number, only in a line with no comma, semicolon, tab or bar."""
    usual = not _USUAL_DELIMITERS.isdisjoint(raw)
    delimiters = {",", *(c for c in raw if not (c.isalnum() or c in '_"\r\n'))}
    if usual:
        delimiters -= _JOINERS
    found: set[str] = set()
    for delimiter in delimiters:
        try:
            records = csv.reader(io.StringIO(raw), delimiter=delimiter, skipinitialspace=delimiter == " ")
            found.update(field for record in records for field in record)
        except csv.Error:
            found.update(raw.split(delimiter))
    return found


def _json_values(value: Any) -> Iterator[str]:
    """Every key, string and number in a parsed JSON value (or Python literal), as text: a
    number as the importer reads it as an id (`number_id`: 30.0 and 1e2 are 30 and 100)."""
    stack = [value]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value)
            stack.extend(value.values())
        elif isinstance(value, list | tuple | set | frozenset):
            stack.extend(value)
        elif isinstance(value, str):
            yield value
        elif isinstance(value, float | int) and not isinstance(value, bool):
            yield number_id(value)
        elif value is not None and not isinstance(value, bool):
            yield str(value)


def forget_generation(store: Store) -> int:
    """How many customers have been forgotten so far; a model trained before must retrain."""
    with store.engine.connect() as connection:
        return int(connection.execute(select(func.coalesce(func.max(forgets.c.id), 0))).scalar_one())


def model_forget_pending(store: Store) -> bool:
    """Whether a forget's model part is not done yet: the model's files may hold the customer."""
    with store.engine.connect() as connection:
        found = connection.execute(select(settings.c.value).where(settings.c.name == _MODEL_PENDING))
        return found.scalar_one_or_none() is not None


def set_model_forget_pending(store: Store, pending: bool) -> None:
    """Remembers (or clears) that the model's part of a forget is still to be done."""
    if pending == model_forget_pending(store):
        return
    with write_transaction(store.engine) as connection:
        connection.execute(delete(settings).where(settings.c.name == _MODEL_PENDING))
        if pending:
            connection.execute(insert(settings).values(name=_MODEL_PENDING, value="1"))


def model_forget_done(store: Store, forgets_seen: int) -> None:
    """Clears the mark of `model_forget_pending` once the model's files are learnt after
    `forgets_seen` forgets (or removed then), where no customer was forgotten since: checked in
    the transaction that clears it, so a forget committed meanwhile keeps it."""
    if not model_forget_pending(store):
        return
    with write_transaction(store.engine) as connection:
        generation = connection.execute(select(func.coalesce(func.max(forgets.c.id), 0))).scalar_one()
        if int(generation) <= forgets_seen:
            connection.execute(delete(settings).where(settings.c.name == _MODEL_PENDING))


def _compact_saying_why(
    store: Store, holding: Holding | None, found: bool
) -> tuple[bool, str | None, str | None]:
    """`_compact`, or why it failed and what to do (`_advice`): the customer's rows are gone by
    then, and a full disk (VACUUM writes a copy of the file) must not stop the model's part of
    forgetting them."""
    try:
        return _compact(store, holding), None, None
    except _NotCompacted as exc:
        return False, exc.why, _advice(store, found, exc.todo, exc.held)
    except (sqlite3.OperationalError, OperationalError) as exc:
        close_engine(store.engine)
        error = getattr(exc, "orig", None) or exc
        sqlstate = getattr(error, "sqlstate", None)  # the server's error code (psycopg's)
        if sqlstate == "57014":
            todo = _after_cancel(store)
        elif sqlstate in _OTHERS_IN_THE_WAY or getattr(error, "sqlite_errorname", "").startswith(
            ("SQLITE_BUSY", "SQLITE_LOCKED")
        ):
            todo = _AFTER_OTHERS
        elif sqlstate == "53100" or store.engine.dialect.name == "sqlite":  # a full disk
            todo = _FREE_SPACE
        else:
            todo = _AGAIN
        return False, str(error).strip(), _advice(store, found, todo)


def _after_cancel(store: Store) -> str:
    """What to do after the server cancelled the compaction: where the login has a
    statement_timeout, that stopped it (naming it); without one, it was cancelled by hand."""
    try:
        with store.engine.connect() as connection:
            timeout = str(connection.exec_driver_sql("SHOW statement_timeout").scalar_one())
    except OperationalError:
        return _LONGER_TIMEOUT.format(value="")
    return _AGAIN if timeout == "0" else _LONGER_TIMEOUT.format(value=f" ({timeout})")


class _NotCompacted(Exception):
    """The compaction could not be done: why, and what to do."""

    def __init__(self, why: str, todo: str, held: str | None = None) -> None:
        super().__init__(why)
        self.why, self.todo, self.held = why, todo, held


def _advice(store: Store, found: bool, todo: str, held: str | None = None) -> str:
    """What may still hold a copy of the customer after a compaction that failed (`held`, where
    it is not the whole database), and `todo`."""
    if held is None and store.engine.dialect.name == "postgresql":
        held = "old row versions in the table files"
    elif held is None:
        held = "free pages and the WAL"
    whose = "them" if found else "a customer forgotten before"
    return f"{held} may still hold a copy of {whose}; {todo}"


def _compact(store: Store, holding: Holding | None = None) -> bool:
    """Rewrites the database without free pages and empties the WAL (SQLite); on PostgreSQL,
    rewrites every table the customer was in, so no dead row version keeps a copy (the server's
    own write-ahead log and backups are its administrator's to rotate)."""
    if store.engine.dialect.name == "postgresql":
        tables = ", ".join(table.name for table in (events, quarantine, imports, *PROJECTION_TABLES))
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            _wait_for_older_transactions(connection, holding)
            # The server skips a table this login may not vacuum with a warning, not an error.
            skipped: list[str] = []

            def notice(diagnostic: Any) -> None:
                if diagnostic.severity_nonlocalized == "WARNING":
                    skipped.append(str(diagnostic.message_primary))

            driver = connection.connection.driver_connection
            assert driver is not None
            driver.add_notice_handler(notice)
            bounded = connection.exec_driver_sql("SHOW lock_timeout").scalar_one() == "0"
            if bounded:
                connection.exec_driver_sql(f"SET lock_timeout = '{LOCK_WAIT}'")
            try:
                # ANALYZE too: the planner's statistics (pg_stats) list a column's common
                # values, the customer's id among them; then their old row versions go.
                connection.exec_driver_sql(f"VACUUM FULL ANALYZE {tables}")
                of_tables = len(skipped)
                # Only the database's owner may: the owner of the tables alone is warned.
                connection.exec_driver_sql("VACUUM FULL pg_catalog.pg_statistic")
            finally:
                driver.remove_notice_handler(notice)
                if bounded:
                    connection.exec_driver_sql("RESET lock_timeout")
            if of_tables:
                raise _NotCompacted(f"this login may not rewrite the tables: {skipped[0]}", _AS_OWNER)
            if skipped:
                raise _NotCompacted(
                    f"this login may rewrite edgerec's tables but not the planner's statistics: {skipped[0]}",
                    _AS_DATABASE_OWNER,
                    _STATISTICS,
                )
            connection.execute(delete(settings).where(settings.c.name == _COMPACTION_PENDING))
        return True
    if store.engine.dialect.name != "sqlite":
        return False
    close_engine(store.engine)  # its connections would keep old WAL frames alive
    with store.engine.connect() as connection:
        driver = connection.connection.driver_connection
        assert driver is not None
        driver.execute("VACUUM")
        driver.execute("DELETE FROM settings WHERE name = ?", (_COMPACTION_PENDING,))  # autocommit
        busy, _, _ = driver.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    close_engine(store.engine)
    # Busy means another process holds an old snapshot; its frames go at the next checkpoint.
    return busy == 0


def _wait_for_older_transactions(connection: Connection, holding: Holding | None) -> None:
    """Waits, up to HOLD_S, for the transactions on the server that may still see the rows the
    last forget deleted: VACUUM FULL keeps the versions some snapshot may see, and a transaction
    in any database of the server (another shop's import) holds back VACUUM's own snapshot."""
    deadline = time.monotonic() + HOLD_S
    while pids := list(connection.exec_driver_sql(_OLDER_TRANSACTIONS).scalars()):
        if time.monotonic() >= deadline:
            raise _NotCompacted(
                f"transactions that began before the forget are still open after {HOLD_S:g} s"
                f" (process {', '.join(map(str, pids))})",
                _AFTER_THEM,
            )
        if holding is not None:
            holding(pids)
        time.sleep(_HOLD_POLL_S)


@dataclass(frozen=True, slots=True)
class PopularItem:
    item_id: str
    customers: float | int  # distinct customers: exact, or with Laplace noise when epsilon is given


def popular_items(
    store: Store,
    *,
    k: int = 20,
    epsilon: float | None = None,
    items_per_customer: int = 20,
    seed: int | None = None,
) -> list[PopularItem]:
    """The k items with the most distinct customers, optionally with differential privacy.

    With `epsilon`, each customer counts towards at most `items_per_customer` items (their most
    recent ones), so adding or removing one customer changes the count vector by at most that
    much in L1; Laplace noise of scale items_per_customer / epsilon on every item's count (zeros
    included, so an item's mere presence is hidden too) makes the whole list epsilon-differentially
    private for each customer. Without `epsilon` the counts are exact, nothing is clipped, and
    only items at least one customer touched are listed (fewer than k where fewer were touched).
    """
    import numpy as np

    from edgerec.store.schema import items as catalogue
    from edgerec.store.schema import user_items

    counts: dict[str, int] = {}
    with store.engine.connect() as connection:
        query = select(user_items.c.user_id, user_items.c.item_id).order_by(
            user_items.c.user_id, user_items.c.last_at.desc(), user_items.c.item_id
        )
        current, taken = None, 0
        for user, item in connection.execute(query):
            if user != current:
                current, taken = user, 0
            if epsilon is not None and taken >= items_per_customer:
                continue
            taken += 1
            counts[item] = counts.get(item, 0) + 1
        # The items nobody touched count only for the noisy counts (zeros noised too, so that an
        # item's presence is hidden); exact counts list the items customers touched.
        every_item = (
            list(connection.execute(select(catalogue.c.item_id)).scalars()) if epsilon is not None else []
        )
    names = sorted(set(every_item) | set(counts))
    values = np.array([counts.get(name, 0) for name in names], dtype=np.float64)
    if epsilon is not None:
        if epsilon <= 0:
            raise ValueError("epsilon must be positive")
        rng = np.random.default_rng(seed)
        values = np.clip(values + rng.laplace(scale=items_per_customer / epsilon, size=len(values)), 0, None)
    order = np.argsort(-values, kind="stable")[:k]
    exact = epsilon is None
    return [PopularItem(names[i], int(values[i]) if exact else round(float(values[i]), 1)) for i in order]
