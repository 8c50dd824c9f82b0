"""The help screen: every key binding active on the screen below it, and what each does."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label

_KEY_NAMES = {"question_mark": "?", "slash": "/", "escape": "esc", "enter": "enter"}


def key_label(key: str) -> str:
    return "/".join(_KEY_NAMES.get(k, k) for k in key.split(","))


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def __init__(self, title: str, bindings: list[tuple[str, str]]) -> None:
        super().__init__()
        self.heading = title
        self.bindings = bindings

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Label(f"Keys on {self.heading}", id="help-title")
            yield DataTable(id="help-table", cursor_type="row", show_header=False)
            yield Label(
                "Mouse: click the bar on top to switch screens · ctrl+p: command palette · esc: close",
                id="help-hint",
            )

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("key", "action")
        for key, description in self.bindings:
            table.add_row(Text(key, style="bold"), Text(description))
        table.focus()

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
