"""The one-line navigation bar at the top of every console screen; each entry is clickable."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from edgerec.ui.screens import SCREENS


class NavBar(Static):
    DEFAULT_CSS = """
    NavBar {
        height: 1;
        width: 1fr;
        background: $panel;
        color: $text-muted;
    }
    """

    def __init__(self, current: str, modes: tuple[str, ...] | None = None) -> None:
        super().__init__()
        self.current = current
        self.modes = modes

    def on_mount(self) -> None:
        parts: list[Content] = []
        for entry in SCREENS:
            if self.modes is not None and entry.mode not in self.modes:
                continue
            label = f" {entry.key.upper()} {entry.title}"
            if entry.mode == self.current:
                parts.append(Content.from_markup("[reverse b]$label[/]", label=label))
            else:
                parts.append(
                    # Modes are fixed identifiers from SCREENS, safe to place in the markup.
                    Content.from_markup(f"[@click=app.go('{entry.mode}')]$label[/]", label=label)
                )
        self.update(Content("").join(parts))
