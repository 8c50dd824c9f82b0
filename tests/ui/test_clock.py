"""The console's times are the shop's wall time: this machine's clock, summer time included."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from edgerec.ui.clock import clock_time


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("UTC", "2024-05-01 09:00:00"),
        ("Europe/Berlin", "2024-05-01 11:00:00"),
        ("America/New_York", "2024-05-01 05:00:00"),
    ],
)
def test_a_table_shows_an_event_at_the_shop_s_wall_time(
    monkeypatch: pytest.MonkeyPatch, zone: str, shown: str
) -> None:
    moment_us = datetime(2024, 5, 1, 9, 0, tzinfo=UTC).timestamp() * 1e6
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        assert clock_time(moment_us) == shown
    finally:
        monkeypatch.undo()
        time.tzset()


def test_a_table_shows_the_shop_s_configured_zone_when_it_has_one() -> None:
    moment_us = datetime(2024, 5, 1, 9, 0, tzinfo=UTC).timestamp() * 1e6
    assert clock_time(moment_us, ZoneInfo("Asia/Tokyo")) == "2024-05-01 18:00:00"
