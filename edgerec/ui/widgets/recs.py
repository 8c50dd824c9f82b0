"""The recommendations panel: top suggestions, a reason each, score by source, and the latency."""

from __future__ import annotations

import textwrap
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from rich.segment import Segment
from rich.style import Style as RichStyle
from rich.text import Text
from textual.containers import Vertical
from textual.content import Content
from textual.dom import NoScreen
from textual.errors import NoWidget
from textual.events import Resize
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.style import Style
from textual.widget import Widget
from textual.widgets import Static

from edgerec.ui.suggestions import Suggestion

Part = tuple[str, str]  # some text and its style ("bold", "dim", "cyan", "" for none)
Line = tuple[Part, ...]

SOURCE_STYLES = ("cyan", "magenta", "yellow", "green", "blue", "red")
_SHORT = {
    "co-visitation": "co-vis",
    "cooccurrence": "co-vis",
    "your categories": "taste",
    "content": "sim",
    "history": "hist",
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


class SuggestionLines(Widget):
    """The ranked lines of a `RecommendationsPanel`; says when each new list reaches a frame.

    Lines are drawn straight from their styled parts (Textual's line API) rather than through
    a `Static`, whose general text layout (spans, wrapping, per-cell mouse offsets) was most
    of the cost of the frame that shows a new list.

    A widget's `refresh` only asks for a repaint, and a callback "after refresh" can run
    before the frame that shows it; the compositor rendering these lines is the moment the
    list is on screen.
    """

    ELLIPSIS = "…"

    def __init__(self, stamp: Callable[[], float], *, id: str) -> None:  # noqa: A002
        super().__init__(id=id)
        self.stamp = stamp
        self.lines: list[Line] = [(("Waiting for the first action…", "dim"),)]
        self.generation = 0  # the list these lines show
        self.rendered_generation = 0  # the newest list rendered into a frame
        self._styles: dict[str, RichStyle] = {}
        self._styles_for: Style | None = None  # the widget style `_styles` were built on

    def show(self, lines: list[Line], generation: int) -> None:
        self.lines = lines
        self.generation = generation
        self.refresh()
        if not self._shows_a_line():
            # No frame renders it (a terminal a few rows high), and what waits for it to be
            # painted (the session line, the items) would wait for ever.
            self.rendered_generation = generation
            self.post_message(RecommendationsPanel.Painted(generation, self.stamp()))

    def on_resize(self, event: Resize) -> None:
        """Wraps the reasons of the list shown to the new width: kept as they were, they were
        cut with … at a narrower one. The same list: no new `Painted`."""
        panel = self.parent
        if isinstance(panel, RecommendationsPanel) and panel.suggestions:
            self.lines = suggestion_lines(panel.suggestions, event.size.width or 40)
            self.refresh()

    def _shows_a_line(self) -> bool:
        """Whether a line of these shows on the screen as last laid out (the panel's border
        may clip them all away)."""
        try:
            geometry = self.screen.find_widget(self)
        except (NoScreen, NoWidget):
            return True  # not laid out yet: its first frame will say
        return geometry.region.intersection(geometry.clip).area > 0

    def render_lines(self, crop: Region) -> list[Strip]:
        lines = super().render_lines(crop)
        if self.generation > self.rendered_generation:
            self.rendered_generation = self.generation
            self.post_message(RecommendationsPanel.Painted(self.generation, self.stamp()))
        return lines

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.visual_style
        if y >= len(self.lines):
            return Strip.blank(width, base.rich_style)
        strip = Strip([Segment(text, self._rich_style(style, base)) for text, style in self.lines[y]])
        if strip.cell_length > width:  # the last cell that fits becomes an ellipsis, in its style
            replaced = next(iter(strip.crop(width - 1, width)))
            strip = Strip([*strip.crop(0, width - 1), Segment(self.ELLIPSIS, replaced.style)])
        return strip.adjust_cell_length(width, base.rich_style)

    def _rich_style(self, name: str, base: Style) -> RichStyle:
        """A part's style on top of the widget's, converted as Textual converts Rich text."""
        if base is not self._styles_for:
            self._styles, self._styles_for = {}, base
        if (cached := self._styles.get(name)) is not None:
            return cached
        app = self.app
        part = Style.from_rich_style(app.console.get_style(name), app.ansi_theme) if name else Style()
        self._styles[name] = rich = (base + part).rich_style
        return rich


class RecommendationsPanel(Vertical):
    """Shows a list of `Suggestion`s; `generation` counts the lists it has shown, and a
    `Painted` message says when each went into a frame.

    Its parts have fixed sizes, so a new list repaints the panel without a layout pass over
    the whole screen (that pass, not the ranking, was most of the key-to-panel time). A small
    terminal shows the top suggestions that fit.
    """

    class Painted(Message):
        """List `generation` was rendered into a frame at `at` (the panel's `stamp` clock)."""

        def __init__(self, generation: int, at: float) -> None:
            super().__init__()
            self.generation = generation
            self.at = at

    DEFAULT_CSS = """
    RecommendationsPanel {
        height: 1fr;
        border: round $success 60%;
        border-title-color: $text-success;
        border-title-style: bold;
        border-subtitle-color: $text-muted;
        padding: 0 1;
    }
    RecommendationsPanel > #recs-body { width: 1fr; height: 1fr; }
    RecommendationsPanel > #recs-timing { width: 1fr; height: 1; color: $text-muted; }
    """

    def __init__(
        self,
        *,
        stamp: Callable[[], float] = time.perf_counter,
        id: str | None = None,  # noqa: A002
    ) -> None:
        super().__init__(id=id)
        self.stamp = stamp
        self.suggestions: list[Suggestion] = []
        self.generation = 0
        self.painted_generation = 0  # set by the screen once it has handled `Painted`
        self.painted_at = 0.0
        self.position = 0  # the log position the list was ranked after
        self.border_title = "Suggestions"

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static("", id="recs-timing")
        yield SuggestionLines(self.stamp, id="recs-body")

    def show(self, suggestions: Sequence[Suggestion]) -> None:
        """Puts a new list on screen: only its lines repaint, so the frame stays small."""
        self.suggestions = list(suggestions)
        self.generation += 1
        body = self.query_one(SuggestionLines)
        body.show(suggestion_lines(self.suggestions, body.size.width or 40), self.generation)

    def retell(self, now: datetime) -> None:
        """Says the time phrases of the list shown as of `now` ("just now" an hour later read as
        if the shopper had just looked): the same list, not ranked again, and no new `Painted`.
        Repaints only when a phrase changed."""
        retold = [s.as_of(now) for s in self.suggestions]
        if [s.reasons for s in retold] == [s.reasons for s in self.suggestions]:
            return
        self.suggestions = retold
        body = self.query_one(SuggestionLines)
        body.lines = suggestion_lines(retold, body.size.width or 40)
        body.refresh()

    def describe(self, heading: str, timing: Timing) -> None:
        """The title, log position and timing of the list shown, once it has been painted.

        A new title repaints the whole panel, border and all, so it follows in the next frame.
        """
        self.position = max(self.position, timing.position)
        total = "…" if timing.total_ms is None else f"{timing.total_ms:.0f} ms"
        self.border_title = Content(heading)  # it names the customer: text, never markup
        self.border_subtitle = f"log #{timing.position}" if timing.position else ""
        self.query_one("#recs-timing", Static).update(
            f"{total} to panel (db {timing.write_ms:.0f}, rank {timing.rank_ms:.0f})",
            layout=False,
        )

    def signature(self) -> tuple[tuple[str, str], ...]:
        """What the panel shows, to tell whether an action changed it."""
        return tuple((s.item_id, s.reason) for s in self.suggestions)


def suggestion_lines(suggestions: Sequence[Suggestion], width: int = 40) -> list[Line]:
    """Plain styled lines (no Rich table: this is redrawn after every action, so it is cheap).

    Each suggestion gets its rank, title and score, its reason wrapped under it with a hanging
    indent, and the share of its score by source.
    """
    if not suggestions:
        return [(("Nothing to suggest yet.", "dim"),)]
    sources = list(dict.fromkeys(name for s in suggestions for name in s.sources))
    styles = {name: SOURCE_STYLES[i % len(SOURCE_STYLES)] for i, name in enumerate(sources)}
    indent = "   "
    wrap_at = max(12, width - len(indent))
    lines: list[Line] = []
    for rank, suggestion in enumerate(suggestions, start=1):
        lines.append(
            ((f"{rank:>2} ", "bold"), (suggestion.title, "bold"), (f"  {suggestion.score:.2f}", "dim"))
        )
        for reason in textwrap.wrap(suggestion.reason, wrap_at) or [""]:
            lines.append(((indent, ""), (reason, "italic")))
        shares: list[Part] = [(indent, "")]
        for name, share in suggestion.sources.items():
            if share < 0.005:
                continue  # a source that gave nothing to this suggestion
            shares += [(f"{short_source(name)} ", styles.get(name, "")), (f"{share * 100:.0f}%  ", "dim")]
        lines.append(tuple(shares))
    return lines


def render_suggestions(suggestions: Sequence[Suggestion], width: int = 40) -> Text:
    """The same lines as one Rich `Text`, for a `Static`."""
    out = Text(no_wrap=True, overflow="ellipsis")
    for number, line in enumerate(suggestion_lines(suggestions, width)):
        if number:
            out.append("\n")
        for text, style in line:
            out.append(text, style=style)
    return out
