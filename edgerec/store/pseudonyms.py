"""Pseudonyms for customer ids in exports: a keyed hash with a secret kept in the store."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable

from sqlalchemy import Connection, Engine, insert, select

from edgerec.store.engine import write_transaction
from edgerec.store.schema import settings

_KEY = "pseudonym_key"


def pseudonymizer(engine: Engine) -> Callable[[str | None], str | None]:
    """A function mapping ids to stable pseudonyms ("p-" + 16 hex digits) for this store.

    The same id always gets the same pseudonym from the same store, so exports stay joinable,
    but without the store's secret a pseudonym cannot be turned back into the id.
    """
    return _keyed(_secret(engine))


def stored_pseudonymizer(connection: Connection) -> Callable[[str | None], str | None] | None:
    """The store's `pseudonymizer` if it has made its secret (a pseudonymous export has been
    written), else None: such a store has written no pseudonym yet. Makes no secret."""
    key = _read(connection)
    return _keyed(key) if key is not None else None


def _keyed(key: bytes) -> Callable[[str | None], str | None]:
    def pseudonym(value: str | None) -> str | None:
        if value is None:
            return None
        return "p-" + hmac.new(key, value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:16]

    return pseudonym


def _secret(engine: Engine) -> bytes:
    with engine.connect() as connection:
        found = _read(connection)
    if found is not None:
        return found
    with write_transaction(engine) as connection:
        found = _read(connection)  # another writer may have made it meanwhile
        if found is None:
            found = secrets.token_bytes(32)
            connection.execute(insert(settings).values(name=_KEY, value=found.hex()))
    return found


def _read(connection: Connection) -> bytes | None:
    value = connection.execute(select(settings.c.value).where(settings.c.name == _KEY)).scalar_one_or_none()
    return bytes.fromhex(value) if value is not None else None
