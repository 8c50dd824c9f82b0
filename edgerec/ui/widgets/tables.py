"""Tables of items and of log events, shared by several screens."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.console import Console, ConsoleOptions
from rich.segment import Segment
from rich.text import Text
from textual.content import Content
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from edgerec.domain.printable import printable
from edgerec.readmodels import ItemRow
from edgerec.store.codec import StoredEvent
from edgerec.ui.clock import clock_time, zone_name
from edgerec.ui.loading import Loader


def money(value: float | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def facts(*parts: str | tuple[str, str] | None) -> Text:
    """An item's facts that are present, each a text or (text, style), joined by " · ": one
    without a price or a brand, or whose brand is only spaces, shows no stray separator
    ("Mug ·  · Kitchen", "Mug ·    · Kitchen").

    >>> facts("12.50", None, ("Kitchen", "bold"), "", "   ", ("  ", "bold")).plain
    '12.50 · Kitchen'
    """
    present = [part for part in parts if part and (part[0] if isinstance(part, tuple) else part).strip()]
    return Text(" · ").join(Text.assemble(part) for part in present)


def stock_text(item: ItemRow) -> Text:
    if item.status != "listed":
        return Text(item.status, style="dim")
    if item.stock is None:
        return Text("?", style="dim")
    if item.stock == 0:
        return Text("out", style="bold red")
    return Text(str(item.stock))


class ItemTable(DataTable[Text | str]):
    """Catalogue items, one per row, keyed by item id."""

    # A table that leaves a number out does not scroll sideways: scrolled, the pane's edge would
    # cut the number it left out.
    DEFAULT_CSS = """
    ItemTable { height: 1fr; }
    ItemTable.-cramped { overflow-x: hidden; }
    """

    # Price and stock come right after the title: on a narrow pane the less needed columns
    # are the ones that scroll out of view.
    WIDE = ("id", "title", "price", "stock", "category", "brand", "views")
    NARROW = ("title", "price", "stock", "category")
    # Fixed widths, not measured ones: a measured width depends on how wide the table was when
    # the rows arrived. Price and stock are as wide as their widest value shown (a number cut
    # short reads as another number), and the title takes what the pane has left.
    WIDTHS = {"id": 10, "title": 28, "category": 18, "brand": 10, "price": 5, "stock": 5, "views": 6}
    FITTED = ("price", "stock")
    TITLE_FLOOR = 8  # the title's least width on a pane too narrow for 28 cells, price and stock,
    # unless price and stock would not fit beside it; where even a title of one cell leaves no
    # room for them, the stock and then the price are left out of view (never cut)

    def __init__(
        self,
        *,
        columns: Sequence[str] = NARROW,
        id: str | None = None,  # noqa: A002
    ) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.columns_shown = tuple(columns)
        self.rows_by_key: dict[str, ItemRow] = {}

    def on_mount(self) -> None:
        for name in self.columns_shown:
            self.add_column(name, width=self.WIDTHS.get(name), key=name)

    def on_resize(self) -> None:
        self._fit_columns()

    def show_items(self, items: Sequence[ItemRow]) -> None:
        keep = self.selected_item.item_id if self.selected_item else None
        self.clear()
        self.rows_by_key = {}
        for item in items:
            self.rows_by_key[item.item_id] = item
            self.add_row(*(_cell(item, name) for name in self.columns_shown), key=item.item_id)
        self._fit_columns()
        if keep and keep in self.rows_by_key:
            self.move_cursor(row=self.get_row_index(keep))

    def update_items(self, fresh: Mapping[str, ItemRow]) -> bool:
        """Redraws, in place, the rows whose item `fresh` has otherwise (a sale lowered its
        stock, a new price): their order stays, and so do the cursor and the scroll. Returns
        whether any row changed."""
        changed = False
        for key, item in fresh.items():
            if key not in self.rows_by_key or self.rows_by_key[key] == item:
                continue
            self.rows_by_key[key] = item
            for name in self.columns_shown:
                self.update_cell(key, name, _cell(item, name))
            changed = True
        if changed:
            self._fit_columns()
        return changed

    def _fit_columns(self) -> None:
        """Sizes price and stock to their widest value shown, and the title to the rest."""
        if not self.columns:
            return
        widths = dict(self.WIDTHS)
        for name in self.FITTED:
            cells = [_cell(item, name).cell_len for item in self.rows_by_key.values()]
            widths[name] = max([len(name), *cells])
        pad = 2 * self.cell_padding
        room = self.content_size.width
        if self.row_count + self.header_height > self.content_size.height:
            room -= self.styles.scrollbar_size_vertical
        others = [n for n in self.columns_shown if n != "title"]
        everything = sum(widths[n] + pad for n in others)
        needed = list(self.columns_shown[: max(self.columns_shown.index(n) for n in self.FITTED) + 1])
        essential = sum(widths[n] + pad for n in needed if n != "title")
        # Below its floor the title yields to price and stock: a number cut reads as another one.
        # Where they do not fit beside a title of one cell, the last of them is left out: the
        # title takes the cells up to the pane's edge, and the number starts past it.
        cramped = False
        while room - essential < 1 + pad and needed[-1] in self.FITTED:
            essential -= widths[needed.pop()] + pad
            cramped = True
        floor = min(self.TITLE_FLOOR + pad, max(room - essential, 1 + pad))
        title = max(room - everything, min(self.WIDTHS["title"] + pad, room - essential), floor)
        widths["title"] = (max(room - essential, 1 + pad) if cramped else title) - pad
        self.set_class(cramped, "-cramped")
        if cramped:
            self.scroll_x = 0
        changed = False
        for name in self.columns_shown:
            column = self.columns[ColumnKey(name)]
            if column.width != widths[name]:
                column.width = widths[name]
                changed = True
        if changed:
            self._clear_caches()
            self._require_update_dimensions = True
            self.refresh()

    def action_select_cursor(self) -> None:
        """Selects the highlighted row, without Textual's repaint of the row under the mouse.

        That repaint hides a hover highlight (keys that move the cursor hide it already) and
        took a frame just before the one with the suggestions the selection leads to.
        """
        if self.row_count:
            row_key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
            self.post_message(self.RowSelected(self, self.cursor_row, row_key))

    @property
    def selected_item(self) -> ItemRow | None:
        if not self.rows_by_key or self.cursor_row < 0 or self.cursor_row >= self.row_count:
            return None
        key = self.coordinate_to_cell_key((self.cursor_row, 0)).row_key.value
        return self.rows_by_key.get(str(key))


class FittedTable(DataTable[Text | str]):
    """A table whose first column takes the width the others leave (each as wide as its widest
    cell, up to `most`), so that one long id, title or category pushes no other column out of
    view; its cells of free text end in an ellipsis (`cut`). On a pane too narrow for them all,
    the columns of free text yield, the widest first (the first column below `least` too), and
    on one narrower still the columns past its edge are left out of view, never cut."""

    # A table that leaves a column out does not scroll sideways: scrolled, the pane's edge would
    # cut the number it left out.
    DEFAULT_CSS = """
    FittedTable.-cramped { overflow-x: hidden; }
    """

    most = 18

    def __init__(self, *, least: int = 8, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.least = least

    def on_resize(self) -> None:
        self.fit()

    def fit(self) -> None:
        """Sizes the columns to the cells shown now: call it once the rows are added."""
        if not self.columns:
            return
        pad = 2 * self.cell_padding
        room = self.content_size.width
        if self.row_count + self.header_height > self.content_size.height:
            room -= self.styles.scrollbar_size_vertical
        first, *others = self.columns.values()
        for column in others:
            cells = [cell_len(c) if isinstance(c, str) else c.cell_len for c in self.get_column(column.key)]
            column.width = min(self.most, max([column.label.cell_len, *cells]))
            column.auto_width = False
        first.width = max(self.least, room - sum(c.width + pad for c in others) - pad)
        first.auto_width = False
        # Cut, a column of names ends in …; one of times or counts cut reads as another ('10
        # months ago' as '10'): free text gives up cells where that brings every column into
        # view. On a pane narrower still the columns that fit whole stay, the first stretched so
        # that the next starts past the pane's edge.
        free = [c for c in self.columns.values() if all(_free(cell) for cell in self.get_column(c.key))]
        over = sum(c.width + pad for c in self.columns.values()) - room
        if over <= sum(c.width - 1 for c in free):
            for _ in range(over):
                max(free, key=lambda c: c.width).width -= 1
        widths = [c.width + pad for c in self.columns.values()]
        cramped = sum(widths) > room and widths[0] < room
        if cramped:
            shown = widths[0]
            for width in widths[1:]:
                if shown + width > room:
                    break
                shown += width
            first.width += room - shown
            self.scroll_x = 0
        self.set_class(cramped, "-cramped")
        self._clear_caches()
        self._require_update_dimensions = True
        self.refresh()


def cut(text: str) -> Text:
    """A cell of free text: one row, ending in … where its column is narrower."""
    return Text(printable(text), overflow="ellipsis", no_wrap=True)


_PART = re.compile(r"\s*[/>]")  # where a category's next level starts: "Toys/Lego", "Apparel > Shoes"


def tail_cut(name: str, width: int) -> str:
    """A category `name` as it fits `width` cells: whole, else its last levels, the most
    specific, after an ellipsis; where not even the last fits, that one cut at its end.

    >>> tail_cut("Home/Kitchen/Coffee/Grinders", 17), tail_cut("Home/Kitchen/Coffee/Grinders", 20)
    ('…/Coffee/Grinders', '…/Coffee/Grinders')
    >>> tail_cut("Apparel > Shoes > Running", 12), tail_cut("Home/Kitchen/Grinders", 9)
    ('… > Running', '…Grinders')
    >>> tail_cut("Home/Kitchen/Grinders", 6), tail_cut("Grinders", 8)
    ('Grind…', 'Grinders')
    """
    if cell_len(name) <= width:
        return name
    last = _PART.split(name)[-1].strip()
    tails = [name[part.start() :] for part in _PART.finditer(name)]
    for tail in (*tails, last):
        if cell_len(tail) < width:
            return "…" + tail
    return set_cell_size(last, max(width - 1, 0)) + "…" if width > 0 else ""


class PathText(Text):
    """A table cell of a category: cut from its start where its column is narrower (…/Coffee/
    Grinders, not Home/Kitchen/Cof…), as `tail_cut` cuts it."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Segment]:
        shown = Text(tail_cut(self.plain, options.max_width), style=self.style, no_wrap=True, end=self.end)
        yield from shown.__rich_console__(console, options)


class PathContent(Content):
    """An option of a category in a list, cut as `PathText`."""

    def render_strips(
        self, width: int, height: int | None, style: Style, options: RenderOptions
    ) -> list[Strip]:
        return Content(tail_cut(self.plain, width)).render_strips(width, height, style, options)


def cut_path(name: str) -> Text:
    """A cell of a category: one row, cut from its start where its column is narrower."""
    return PathText(printable(name), overflow="ellipsis", no_wrap=True)


def _free(cell: object) -> bool:
    return isinstance(cell, Text) and cell.overflow == "ellipsis"


def _cell(item: ItemRow, column: str) -> Text:
    if column == "id":
        return Text(printable(item.item_id), style="dim", overflow="ellipsis", no_wrap=True)
    if column == "title":
        return Text(printable(item.label), overflow="ellipsis", no_wrap=True)
    if column == "price":
        return Text(money(item.price), justify="right")
    if column == "stock":
        return stock_text(item)
    if column == "views":
        return Text(str(item.views), justify="right")
    if column == "category":
        return cut_path(item.category or "")
    return Text(printable(str(getattr(item, column) or "")), overflow="ellipsis", no_wrap=True)


@dataclass(frozen=True, slots=True)
class EventFilter:
    types: tuple[str, ...] = ()
    user_id: str | None = None
    session_id: str | None = None
    store_id: str | None = None


_TYPE_STYLE = {
    "purchased": "bold green",
    "added_to_cart": "green",
    "removed_from_cart": "yellow",
    "searched": "cyan",
    "item_listed": "magenta",
    "item_updated": "magenta",
    "item_delisted": "red",
}


class EventTail(Loader, DataTable[Text | str]):
    """The newest log events, oldest at the top, following the head like `tail -f`."""

    poll_rows = 2_000  # the most new events one poll reads

    # The compact tail never scrolls sideways (its cells end in an ellipsis): a horizontal
    # scrollbar that appears once the columns are measured took a row from the view after the
    # tail had scrolled to its newest event, which then sat just out of sight.
    DEFAULT_CSS = """
    EventTail { height: 1fr; }
    EventTail.-compact { overflow-x: hidden; }
    """

    def __init__(
        self,
        *,
        compact: bool = False,
        keep: int = 300,
        poll_seconds: float = 1.0,
        id: str | None = None,  # noqa: A002
    ) -> None:
        super().__init__(
            id=id, cursor_type="row", zebra_stripes=True, classes="-compact" if compact else None
        )
        self._init_loader()
        self.compact = compact
        self.keep = keep
        self.poll_seconds = poll_seconds
        self.filter = EventFilter()
        self.last_position = 0
        self.forgets = 0  # the store's count of forgets when the rows shown were read
        self._ready = False
        self.shown = 0

    def on_mount(self) -> None:
        if self.compact:
            self.add_columns("#", "type", "user", "item")
        else:
            zone = zone_name(self.app.services.zone)  # type: ignore[attr-defined]
            self.add_columns("#", f"time ({zone})", "type", "user", "session", "item", "kiosk")
        self.reload()
        self.set_interval(self.poll_seconds, self.poll)

    def set_filter(self, event_filter: EventFilter) -> None:
        self.filter = event_filter
        self.reload()

    def reload(self) -> None:
        self._ready = False
        self.drop("tail")  # a poll under way reads by the filter before: its rows would follow these
        services = self.app.services  # type: ignore[attr-defined]
        store, shop = services.store, services.shop
        wanted, keep = self.filter, self.keep

        def read() -> tuple[int, list[StoredEvent]]:
            forgets = shop.forgets()  # first: a forget while the rows are read shows at the next poll
            rows = store.read(
                user_id=wanted.user_id,
                session_id=wanted.session_id,
                store_id=wanted.store_id,
                types=list(wanted.types) or None,
                descending=True,
                limit=keep,
            )
            return forgets, list(reversed(rows))

        self.load("initial", read)

    def poll(self) -> None:
        if not self._ready:
            return
        services = self.app.services  # type: ignore[attr-defined]
        store, shop = services.store, services.shop
        since, wanted, limit = self.last_position, self.filter, self.poll_rows

        def read() -> tuple[int, list[StoredEvent]]:
            forgets = shop.forgets()
            rows = store.read(
                since=since,
                user_id=wanted.user_id,
                session_id=wanted.session_id,
                store_id=wanted.store_id,
                types=list(wanted.types) or None,
                limit=limit,
            )
            return forgets, rows

        self.load("tail", read)

    def show_initial(self, found: tuple[int, list[StoredEvent]]) -> None:
        self.forgets, rows = found
        self.clear()
        self.shown = 0
        self.last_position = 0
        self._append(rows)
        self._ready = True
        if rows:
            self.last_position = max(self.last_position, rows[-1].position)
        else:
            self.last_position = self.app.services.store.head()  # type: ignore[attr-defined]

    def show_tail(self, found: tuple[int, list[StoredEvent]]) -> None:
        forgets, rows = found
        if forgets != self.forgets or len(rows) >= self.poll_rows:
            # A customer was forgotten (here or by another process): their events, erased from
            # the log, leave the rows shown too. A full poll (a large import) may have many more
            # behind it: the tail jumps to the newest rows, not read through them a poll at a time.
            self.reload()
            return
        self._append([e for e in rows if e.position > self.last_position])

    def _append(self, rows: list[StoredEvent]) -> None:
        if not rows:
            return
        following = self.row_count == 0 or self.cursor_row >= self.row_count - 1
        for event in rows[-self.keep :]:
            self.add_row(*self._cells(event), key=str(event.position))
            self.last_position = max(self.last_position, event.position)
            self.shown += 1
        dropped = max(0, self.row_count - self.keep)
        for _ in range(dropped):
            first = self.coordinate_to_cell_key((0, 0)).row_key
            self.remove_row(first)
        if following:
            self.move_cursor(row=self.row_count - 1)
        elif dropped:
            # The operator reading an older event keeps it under the cursor while the oldest rows
            # go (the cursor stayed on its row number, and so moved to a newer event each poll).
            self.move_cursor(row=max(0, self.cursor_row - dropped))

    def _cells(self, event: StoredEvent) -> list[Text | str]:
        style = _TYPE_STYLE.get(event.type, "")
        detail = printable(str(event.item_id or event.payload.get("query") or ""))
        user, session, kiosk = (
            printable(text or "") for text in (event.user_id, event.session_id, event.store_id)
        )
        if self.compact:
            return [
                Text(str(event.position), style="dim", justify="right"),
                Text(event.type, style=style),
                Text(user, overflow="ellipsis", no_wrap=True),
                Text(detail, overflow="ellipsis", no_wrap=True),
            ]
        return [
            Text(str(event.position), style="dim", justify="right"),
            Text(clock_time(event.occurred_at, self.app.services.zone)),  # type: ignore[attr-defined]
            Text(event.type, style=style),
            Text(user),
            Text(session, overflow="ellipsis", no_wrap=True),
            Text(detail),
            Text(kiosk),
        ]
