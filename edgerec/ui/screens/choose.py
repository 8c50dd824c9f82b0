"""A dialog to pick a customer by typing their id (or part of it), or to start a new one."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from edgerec.domain import id_flaw
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
        self._known = False  # whether a customer has the id the list was read for
        self._moved = False  # whether the operator moved the highlight since that list

    def compose(self) -> ComposeResult:
        with Vertical(id="choose-box"):
            yield Label(
                "Choose a customer (type to filter, enter to pick; a new id plays a new customer)",
                id="choose-title",
            )
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
        typed = text.strip()

        def read() -> tuple[str, list[CustomerRow], bool]:
            known = bool(typed) and shop.customer(typed) is not None  # perhaps not among the 100
            return text, shop.customers(text=text, limit=100), known

        self.load("customers", read)

    def show_customers(self, listed: tuple[str, list[CustomerRow], bool]) -> None:
        text, customers, self._known = listed
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
        self._moved = False
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
        # Enter picks the customer the operator moved to, else the one whose id was typed in
        # full, never one whose id merely holds it (a card reader's C001 is not C0010).
        options = self.query_one(OptionList)
        typed = self.query_one(Input).value.strip()
        if self._moved and options.highlighted is not None and options.option_count:
            self.dismiss(options.get_option_at_index(options.highlighted).id)
        elif self._known:
            self.dismiss(typed)
        elif not typed:
            self.notify("Type a customer's id, or pick one with the arrow keys.", severity="warning")
        elif flaw := id_flaw(typed):
            self.notify(f"Not a customer id: '{printable(typed)}' {flaw}.", severity="warning")
        else:
            self.notify(f"No customer has the id '{printable(typed)}': playing a new customer.")
            self.dismiss(typed)

    @on(OptionList.OptionSelected, "#choose-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def key_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()
        self._moved = True

    def key_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()
        self._moved = True

    def action_cancel(self) -> None:
        self.dismiss(None)
