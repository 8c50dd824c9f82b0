"""The shop's hour of day and day of the week, for "popular at this kiosk this hour" and "on
Saturdays": in the shop's own time zone, summer time included, not UTC's."""

from __future__ import annotations

import time
from datetime import datetime, tzinfo

import numpy as np

from edgerec.domain.zones import zone

LOCAL = "local"  # the time zone this machine's clock is set to: a kiosk's own
QUARTER_US = 900_000_000  # every zone's offset from UTC is a whole number of quarter hours
# Days of the week as `datetime.weekday` numbers them, in English whatever the machine's locale.
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


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
    """Hours of day and days of the week in one time zone, remembered per quarter hour (a call
    per event)."""

    def __init__(self, zone_name: str = LOCAL) -> None:
        self.zone = check_zone(zone_name)
        self._info = None if zone_name == LOCAL else zone(zone_name)
        self._times: dict[int, tuple[int, int]] = {}

    def hour(self, at_us: int) -> int:
        return self._local(at_us)[0]

    def weekday(self, at_us: int) -> int:
        """The day of the week, 0 for Monday to 6 for Sunday."""
        return self._local(at_us)[1]

    def hours_and_weekdays(self, at_us: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """`hour` and `weekday` of each of these times, one look-up per quarter hour among them."""
        quarters, inverse = np.unique(at_us // QUARTER_US, return_inverse=True)
        local = np.array([self._local(int(q) * QUARTER_US) for q in quarters], dtype=np.int64)
        local = local.reshape(len(quarters), 2)[inverse.reshape(-1)]
        return local[:, 0], local[:, 1]

    def _local(self, at_us: int) -> tuple[int, int]:
        quarter = at_us // QUARTER_US
        local = self._times.get(quarter)
        if local is None:
            seconds = quarter * (QUARTER_US // 1_000_000)
            if self._info is None:
                wall = time.localtime(seconds)
                local = (wall.tm_hour, wall.tm_wday)
            else:
                when = datetime.fromtimestamp(seconds, self._info)
                local = (when.hour, when.weekday())
            if len(self._times) >= 100_000:
                self._times.clear()
            self._times[quarter] = local
        return local
