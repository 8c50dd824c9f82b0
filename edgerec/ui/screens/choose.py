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
        self.load("customers", lambda: shop.customers(text=text, limit=100))

    def show_customers(self, customers: list[CustomerRow]) -> None:
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
        if customers:
            options.highlighted = 0

    @on(Input.Submitted, "#choose-filter")
    def _submit(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None and options.option_count:
            self.dismiss(options.get_option_at_index(options.highlighted).id)

    @on(OptionList.OptionSelected, "#choose-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def key_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()

    def key_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()

    def action_cancel(self) -> None:
        self.dismiss(None)
