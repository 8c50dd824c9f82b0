"""A footer that redraws only when the keys it shows change."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.screen import Screen
from textual.widgets import Footer


class KeyFooter(Footer):
    """Textual's footer rebuilds its keys after every action, which costs a layout pass.

    In the live session that pass landed in the same frame as the new suggestions; this one
    rebuilds only when the screen's or the app's shown keys, or their enabled state, differ
    (moving focus between a search box and a table changes neither).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shown: tuple[tuple[str, str, bool], ...] | None = None

    def bindings_changed(self, screen: Screen[Any]) -> None:
        shown = tuple(
            (key, active.binding.description, active.enabled)
            for key, active in screen.active_bindings.items()
            if active.binding.show and isinstance(active.node, (Screen, App))
        )
        if shown == self._shown:
            return
        self._shown = shown
        super().bindings_changed(screen)
