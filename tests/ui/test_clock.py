"""The console's times are the shop's wall time: this machine's clock, summer time included."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from edgerec.api import Store
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


def test_the_kiosk_and_the_console_refuse_to_start_on_a_clock_that_is_not_set(
    shop_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kiosk whose board has no real-time clock (1970 until NTP syncs) opened, and each tap
    recorded nothing and told the shopper 'Not recorded: occurred_at: 1970-01-01... is before
    1990-01-01'. The console did the same."""
    from click.testing import CliRunner

    from edgerec.cli import main
    from edgerec.ui.app import ConsoleApp
    from edgerec.ui.clock import Clock, ClockNotSet, FixedClock
    from edgerec.ui.kiosk import KioskApp

    unset = FixedClock(datetime(1970, 1, 1, tzinfo=UTC))
    head = shop_store.head()
    for app, screen in ((KioskApp, "kiosk"), (ConsoleApp, "console")):
        with pytest.raises(
            ClockNotSet, match=f"clock reads 1970-01-01 00:00 UTC, before 1990, so the {screen}"
        ):
            app(shop_store, clock=unset, log_path=tmp_path / "ui.log")
    assert shop_store.head() == head
    monkeypatch.setattr(Clock, "now", lambda _self: datetime(1970, 1, 1, 0, 0, 5, tzinfo=UTC))
    monkeypatch.setattr("edgerec.cli._is_terminal", lambda _stream: True)
    db = tmp_path / "kiosk.db"
    for command in (["kiosk"], ["tui", "--no-trainer"]):
        result = CliRunner().invoke(main, ["--db", str(db), *command])
        assert result.exit_code == 1 and "Traceback" not in result.output, result.output
        assert result.output.startswith("Error: this machine's clock reads 1970-01-01 00:00 UTC")
        assert "set the clock (or let it sync), then start it again" in result.output
    assert not db.exists()  # refused before the store was made


def test_demo_refuses_a_clock_that_is_not_set_before_it_makes_a_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`edgerec demo` on a board whose clock reads 1970 ended in a traceback ('EventError:
    occurred_at: 1969-... is before 1990-01-01': its history is dated back from now) and left an
    empty store behind."""
    from click.testing import CliRunner

    from edgerec.cli import main
    from edgerec.ui.clock import Clock

    class Unset(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[no-untyped-def, override]
            return datetime(1970, 1, 1, 0, 0, 5, tzinfo=tz)

    monkeypatch.setattr(Clock, "now", lambda _self: Unset.now(UTC))
    monkeypatch.setattr("edgerec.demo.datetime", Unset)  # the demo shop's history ends now
    db = tmp_path / "demo.db"
    result = CliRunner().invoke(main, ["--db", str(db), "demo"])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert result.output == (
        "Error: this machine's clock reads 1970-01-01 00:00 UTC, before 1990, so the demo could record "
        "nothing: set the clock (or let it sync), then run it again\n"
    )
    assert list(tmp_path.iterdir()) == []  # refused before the store was made
