"""Time zones by name: the zone a file's times are written in, or a shop's own."""

from __future__ import annotations

import re
import zoneinfo
from datetime import timedelta, timezone, tzinfo

_OFFSET = re.compile(r"([+-])(0\d|1[0-4]):([0-5]\d)")


def zone(name: object) -> tzinfo:
    """The zone named in the time zone database (Europe/Berlin, UTC), or a fixed offset
    (+02:00); anything else, "UTC+2" included, is a ValueError that says what is accepted."""
    if isinstance(name, str) and (offset := _OFFSET.fullmatch(name)):
        sign, hours, minutes = offset.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes))
        return timezone(-delta if sign == "-" else delta)
    try:
        return zoneinfo.ZoneInfo(name)  # type: ignore[arg-type]
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(
            f"unknown time zone {name!r}: give a name such as Europe/Berlin, or an offset such as +02:00"
        ) from None
