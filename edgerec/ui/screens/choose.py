"""A dialog to pick a customer by typing part of their id."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from edgerec.domain.printable import printable
from edgerec.readmodels import CustomerRow
from edgerec.ui.clock import clock_time
from edgerec.ui.loading import Loader


class ChooseCustomerScreen(Loader, ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self) -> None:
        super().__init__()
        self._init_loader()
        self._listed_for: str | None = None  # the typed text the list shows the customers of
        self._pick_when_listed = False

    def compose(self) -> ComposeResult:
        with Vertical(id="choose-box"):
            yield Label("Choose a customer (type to filter, enter to pick)", id="choose-title")
            yield Input(placeholder="customer id", id="choose-filter", compact=True)
            yield OptionList(id="choose-list")

    def on_mount(self) -> None:
        self._reload("")
        self.query_one(Input).focus()

    @on(Input.Changed, "#choose-filter")
    def _filter(self, event: Input.Changed) -> None:
        self._reload(event.value)

    def _reload(self, text: str) -> None:
        shop = self.app.services.shop  # type: ignore[attr-defined]
        self.load("customers", lambda: (text, shop.customers(text=text, limit=100)))

    def show_customers(self, listed: tuple[str, list[CustomerRow]]) -> None:
        text, customers = listed
        options = self.query_one(OptionList)
        options.clear_options()
        zone = self.app.services.zone  # type: ignore[attr-defined]
        options.add_options(
            [
                Option(
                    Text(
                        printable(
                            f"{c.user_id}  ·  {c.sessions} sessions · last {clock_time(c.last_at, zone)}"
                        )
                    ),
                    id=c.user_id,
                )
                for c in customers
            ]
        )
        if customers:  # the customer whose id was typed in full, else the first
            ids = [c.user_id for c in customers]
            options.highlighted = ids.index(text.strip()) if text.strip() in ids else 0
        self._listed_for = text
        if self._pick_when_listed and text == self.query_one(Input).value:
            self._pick_when_listed = False
            self._pick()

    @on(Input.Submitted, "#choose-filter")
    def _submit(self) -> None:
        if self._listed_for != self.query_one(Input).value:
            # Typed faster than the list follows (a card reader types an id and Enter at once):
            # picked once the list shows what was typed, not the customer listed before.
            self._pick_when_listed = True
            return
        self._pick()

    def _pick(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None and options.option_count:
            self.dismiss(options.get_option_at_index(options.highlighted).id)
        else:
            typed = printable(self.query_one(Input).value.strip())
            self.notify(f"No customer's id holds {typed!r}.", severity="warning")

    @on(OptionList.OptionSelected, "#choose-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def key_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()

    def key_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()

    def action_cancel(self) -> None:
        self.dismiss(None)
