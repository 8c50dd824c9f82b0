"""The shop's hour of day, for "popular at this kiosk this hour": in the shop's own time zone,
summer time included, not UTC's."""

from __future__ import annotations

import time
from datetime import datetime, tzinfo

from edgerec.domain.zones import zone

LOCAL = "local"  # the time zone this machine's clock is set to: a kiosk's own
QUARTER_US = 900_000_000  # every zone's offset from UTC is a whole number of quarter hours


def check_zone(name: str) -> str:
    """`name` if it is "local" or a zone `edgerec.domain.zones.zone` knows; ValueError otherwise."""
    if name != LOCAL:
        try:
            zone(name)
        except ValueError as exc:
            raise ValueError(f"{exc}; or {LOCAL}, this machine's own") from None
    return name


def wall_zone(name: str) -> tzinfo | None:
    """The zone a shop's times are shown in: None for this machine's own ("local")."""
    return None if check_zone(name) == LOCAL else zone(name)


class ShopClock:
    """Hours of day in one time zone, remembered per quarter hour (a call per event)."""

    def __init__(self, zone_name: str = LOCAL) -> None:
        self.zone = check_zone(zone_name)
        self._info = None if zone_name == LOCAL else zone(zone_name)
        self._hours: dict[int, int] = {}

    def hour(self, at_us: int) -> int:
        quarter = at_us // QUARTER_US
        hour = self._hours.get(quarter)
        if hour is None:
            seconds = quarter * (QUARTER_US // 1_000_000)
            if self._info is None:
                hour = time.localtime(seconds).tm_hour
            else:
                hour = datetime.fromtimestamp(seconds, self._info).hour
            if len(self._hours) >= 100_000:
                self._hours.clear()
            self._hours[quarter] = hour
        return hour
