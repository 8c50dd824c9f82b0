"""What every console screen shares: the shop services, background loads, and error reporting."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.events import Key
from textual.screen import Screen
from textual.widgets import Input, Select

from edgerec.ui.loading import Loader

if TYPE_CHECKING:
    from edgerec.api import Store
    from edgerec.readmodels import ShopData
    from edgerec.ui.app import Services
    from edgerec.ui.suggestions import Suggester


class ConsoleScreen(Loader, Screen[None]):
    """A full console screen with the navigation bar on top and the footer below."""

    MODE = ""
    LIST: str | None = None  # the screen's list, which escape goes back to from a search box
    SEARCH: str | None = None  # the screen's search box above its list, which / focuses

    def __init__(self) -> None:
        super().__init__()
        self._init_loader()

    def key_escape(self) -> None:
        """Escape leaves a search or filter box for the screen's list, where its keys act."""
        if isinstance(self.focused, Input | Select):
            self.focus_list()

    def key_down(self, event: Key) -> None:
        """Down in the search box goes on to the list of what it found, below it."""
        if self.SEARCH is not None and self.focused is self.query_one(self.SEARCH):
            self.focus_list()
            event.stop()  # the key went to the list: it does not move its cursor too

    def action_focus_search(self) -> None:
        if self.SEARCH is not None:
            self.query_one(self.SEARCH).focus()

    def focus_list(self) -> None:
        if self.LIST is not None:
            self.query_one(self.LIST).focus()

    @property
    def services(self) -> Services:
        return self.app.services  # type: ignore[attr-defined,no-any-return]

    @property
    def store(self) -> Store:
        return self.services.store

    @property
    def shop(self) -> ShopData:
        return self.services.shop

    @property
    def suggester(self) -> Suggester:
        return self.services.suggester
