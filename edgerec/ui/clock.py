"""Time for the console: wall clock for event times, perf counter for latencies; fakeable in tests."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, tzinfo

from edgerec.domain.events import EARLIEST
from edgerec.recommend.request import ago as elapsed


class ClockNotSet(RuntimeError):
    """The clock reads a time before any event may have: the console or kiosk would record nothing."""


class Clock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def at_start(self) -> datetime:
        """The time as the app starts, to check that the clock is set (a fake one is not moved on)."""
        return self.now()

    def peek(self) -> datetime:
        """The time now, for a look that records nothing (whether the shop's hour has turned,
        every quarter of a second): a fake clock is not moved on."""
        return self.now()

    def check_set(self, screen: str, *, then: str = "start it again") -> None:
        """Refuses to start on a clock that is not set (a board without a real-time clock reads
        1970 until NTP syncs it): every event would be refused as older than EARLIEST, and the
        shopper told so by each tap, with nothing recorded. `then` is what to do once it is set
        (a command is run again)."""
        now = self.at_start()
        if now < EARLIEST:
            raise ClockNotSet(
                f"this machine's clock reads {now:%Y-%m-%d %H:%M} UTC, before {EARLIEST:%Y}, so the "
                f"{screen} could record nothing: set the clock (or let it sync), then {then}"
            )

    def perf(self) -> float:
        """Seconds from an arbitrary origin, for measuring latencies."""
        return time.perf_counter()


class FixedClock(Clock):
    """A clock that starts at a fixed moment and ticks a fixed step on every reading.

    Snapshot tests use it so that event times, "2 minutes ago" and measured latencies are the
    same on every run.
    """

    def __init__(
        self,
        start: datetime = datetime(2026, 1, 15, 12, 0, tzinfo=UTC),
        *,
        step: timedelta = timedelta(seconds=1),
        perf_step: float = 0.004,
    ) -> None:
        self._now = start
        self._step = step
        self._perf = 0.0
        self._perf_step = perf_step

    def now(self) -> datetime:
        self._now += self._step
        return self._now

    def at_start(self) -> datetime:
        return self._now

    def peek(self) -> datetime:
        return self._now

    def perf(self) -> float:
        self._perf += self._perf_step
        return self._perf


def ago(moment_us: int | float, now: datetime) -> str:
    """'just now', '2 minutes ago', '3 days ago' for a time in microseconds since the epoch:
    the recommender's explanations' phrase."""
    return elapsed(int(now.timestamp() * 1e6 - moment_us))


def zone_name(zone: tzinfo | None = None) -> str:
    """The short names of the shop's clock this year, for a column header: "CET/CEST" where it
    keeps summer time (today's name alone read a summer row an hour wrong in winter), "JST",
    "UTC".

    >>> from zoneinfo import ZoneInfo
    >>> zone_name(ZoneInfo("Europe/Berlin")), zone_name(ZoneInfo("Asia/Tokyo")), zone_name(UTC)
    ('CET/CEST', 'JST', 'UTC')
    """
    year = datetime.now(UTC).year
    names: list[str] = []
    for month in (1, 7):
        name = datetime(year, month, 1, 12, tzinfo=UTC).astimezone(zone).tzname()
        if name and name not in names:
            names.append(name)
    return "/".join(names) or "local"


def clock_time(moment_us: int | float, zone: tzinfo | None = None, *, offset: bool = False) -> str:
    """A compact date and time for tables, on the shop's wall clock: `zone`, or this machine's;
    with `offset`, the UTC offset of that moment ("+0200"), which a zone's name of today
    (CET in winter) does not give for a summer time."""
    shown = "%Y-%m-%d %H:%M:%S %z" if offset else "%Y-%m-%d %H:%M:%S"
    return datetime.fromtimestamp(moment_us / 1e6, UTC).astimezone(zone).strftime(shown)
