"""The recommendations panel: top suggestions, a reason each, score by source, and the latency."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from edgerec.ui.suggestions import Suggestion

SOURCE_STYLES = ("cyan", "magenta", "yellow", "green", "blue", "red")
_SHORT = {
    "co-visitation": "co-vis",
    "cooccurrence": "co-vis",
    "your categories": "taste",
    "content": "similar",
    "popular": "pop",
    "popularity": "pop",
}


def short_source(name: str) -> str:
    return _SHORT.get(name, name[:10])


@dataclass(frozen=True, slots=True)
class Timing:
    """Where the time between an action and its suggestions on screen went, in milliseconds."""

    write_ms: float
    rank_ms: float
    total_ms: float | None = None  # key press to panel painted; known one frame later
    position: int = 0


class RecommendationsPanel(VerticalScroll):
    """Shows a list of `Suggestion`s; `generation` counts the lists it has shown."""

    DEFAULT_CSS = """
    RecommendationsPanel {
        height: 1fr;
        border: round $success 60%;
        border-title-color: $text-success;
        border-title-style: bold;
        border-subtitle-color: $text-muted;
        padding: 0 1;
    }
    RecommendationsPanel > #recs-body { width: 1fr; }
    RecommendationsPanel > #recs-timing { width: 1fr; color: $text-muted; }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.suggestions: list[Suggestion] = []
        self.generation = 0
        self.painted_generation = 0
        self.painted_at = 0.0
        self.position = 0  # the log position the list was ranked after
        self.border_title = "Suggestions"

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static("", id="recs-timing")
        yield Static(Text("Waiting for the first action…", style="dim"), id="recs-body")

    def show(self, suggestions: Sequence[Suggestion], *, heading: str) -> None:
        self.suggestions = list(suggestions)
        self.generation += 1
        self.border_title = heading
        self.query_one("#recs-body", Static).update(render_suggestions(self.suggestions))

    def show_timing(self, timing: Timing) -> None:
        self.position = max(self.position, timing.position)
        total = "…" if timing.total_ms is None else f"{timing.total_ms:.0f} ms"
        self.border_subtitle = f"log #{timing.position}" if timing.position else ""
        self.query_one("#recs-timing", Static).update(
            f"event→panel {total} (write {timing.write_ms:.0f}, rank {timing.rank_ms:.0f})"
        )

    def signature(self) -> tuple[tuple[str, str], ...]:
        """What the panel shows, to tell whether an action changed it."""
        return tuple((s.item_id, s.reason) for s in self.suggestions)


def render_suggestions(suggestions: Sequence[Suggestion]) -> Table | Text:
    if not suggestions:
        return Text("Nothing to suggest yet.", style="dim")
    sources = list(dict.fromkeys(name for s in suggestions for name in s.sources))
    styles = {name: SOURCE_STYLES[i % len(SOURCE_STYLES)] for i, name in enumerate(sources)}
    grid = Table.grid(padding=(0, 1))
    grid.add_column(justify="right", width=2, style="bold")
    grid.add_column(ratio=1)
    for rank, suggestion in enumerate(suggestions, start=1):
        body = Text.assemble((suggestion.title, "bold"), (f"  {suggestion.score:.2f}", "dim"), "\n")
        body.append(suggestion.reason, style="italic")
        body.append("\n")
        for name, share in suggestion.sources.items():
            body.append(f"{short_source(name)} ", style=styles.get(name, ""))
            body.append(f"{share * 100:.0f}%  ", style="dim")
        grid.add_row(str(rank), body)
    return grid
