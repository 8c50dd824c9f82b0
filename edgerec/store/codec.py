"""Converts between typed events and rows of the event log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from edgerec.domain import Context, Event, event_from_fields

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_micros(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)  # exact: a float of seconds rounds near 9999


class StoredEvent(NamedTuple):
    """One row of the log, as projections and readers see it (times in microseconds, UTC)."""

    position: int
    event_id: str
    type: str
    occurred_at: int
    user_id: str | None
    session_id: str | None
    item_id: str | None
    store_id: str | None
    location: str | None
    device: str | None
    payload: dict[str, Any]

    def to_event(self) -> Event:
        common = {
            "event_id": self.event_id,
            "occurred_at": from_micros(self.occurred_at),
            "user_id": self.user_id,
            "session_id": self.session_id,
            "item_id": self.item_id,
            "context": Context(self.store_id, self.location, self.device),
        }
        return event_from_fields(self.type, common, self.payload or {})

    def as_dict(self) -> dict[str, Any]:
        return self._asdict()


COLUMNS = StoredEvent._fields


def event_to_row(event: Event) -> dict[str, Any]:
    """The log row for an event, without its position (the log assigns it)."""
    return {
        "event_id": event.event_id,
        "type": event.type.value,
        "occurred_at": to_micros(event.occurred_at),
        "user_id": event.user_id,
        "session_id": event.session_id,
        "item_id": event.item_id,
        "store_id": event.context.store_id,
        "location": event.context.location,
        "device": event.context.device,
        "payload": {k: v for k, v in event.payload().items() if v is not None},
    }
