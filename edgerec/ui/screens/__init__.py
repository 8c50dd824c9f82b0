"""The console's screens, one module each, and the order they appear in the navigation bar."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ScreenEntry:
    mode: str
    key: str
    title: str
    help: str


SCREENS: tuple[ScreenEntry, ...] = (
    ScreenEntry("home", "f1", "Home", "The catalogue and the live event log"),
    ScreenEntry("live", "f2", "Live", "Play a shopper's session and watch the suggestions follow"),
    ScreenEntry("customers", "f3", "Customers", "Search customers; profile, history, suggestions"),
    ScreenEntry("events", "f4", "Events", "Live tail of the event log with filters; quarantine"),
    ScreenEntry("catalogue", "f5", "Catalogue", "Browse, add and edit items"),
    ScreenEntry("trainer", "f6", "Trainer", "The background trainer: state, loss, hit rate"),
    ScreenEntry("import", "f7", "Import", "Import a file of events or items"),
)
