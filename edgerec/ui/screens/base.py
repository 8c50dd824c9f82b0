"""What every console screen shares: the shop services, background loads, and error reporting."""

from __future__ import annotations

from typing import TYPE_CHECKING

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

    def __init__(self) -> None:
        super().__init__()
        self._init_loader()

    def key_escape(self) -> None:
        """Escape leaves a search or filter box for the screen's list, where its keys act."""
        if self.LIST is not None and isinstance(self.focused, Input | Select):
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
