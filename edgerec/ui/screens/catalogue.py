"""The catalogue: browse and search items; add or edit one, each change a catalogue event."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, Select, Static

from edgerec.domain import Event, EventError, ItemDelisted, ItemListed, ItemUpdated
from edgerec.domain.printable import printable
from edgerec.ingest.convert import parse_price, ungrouped
from edgerec.readmodels import LISTED, SEEN, ItemRow
from edgerec.ui.errors import guarded, report
from edgerec.ui.screens.base import ConsoleScreen
from edgerec.ui.screens.confirm import ConfirmScreen
from edgerec.ui.widgets.footer import KeyFooter
from edgerec.ui.widgets.nav import NavBar
from edgerec.ui.widgets.tables import ItemTable, PathContent, facts, money

FOLLOW_S = 2.0  # how often the rows shown are read again, as the Home screen's counts are

FIELDS = ("item_id", "title", "category", "brand", "price", "stock", "attributes")


@dataclass(frozen=True, slots=True)
class ItemDraft:
    """What the form holds, as typed; `changes` and `listing` turn it into event fields."""

    item_id: str
    title: str
    category: str
    brand: str
    price: str
    stock: str
    attributes: str

    @classmethod
    def of(cls, item: ItemRow | None) -> ItemDraft:
        if item is None:
            return cls("", "", "", "", "", "", "")
        return cls(
            item.item_id,
            item.title,
            item.category or "",
            item.brand or "",
            "" if item.price is None else _plain(item.price),
            "" if item.stock is None else str(item.stock),
            "; ".join(f"{_escape(k, '=;')}={_escape(v, ';')}" for k, v in sorted(item.attributes.items())),
        )

    def values(self) -> dict[str, Any]:
        """Typed field values; raises EventError naming the field that does not parse."""
        out: dict[str, Any] = {
            "title": self.title.strip(),
            "category": self.category.strip() or None,
            "brand": self.brand.strip() or None,
            "price": _price(self.price),
            "stock": _stock(self.stock),
            "attributes": _attributes(self.attributes),
        }
        return out

    def changes(self, before: ItemDraft) -> dict[str, Any]:
        """The fields changed; EventError for one emptied (an update can set a field, never
        clear it)."""
        mine, theirs = self.values(), before.values()
        for name, value in mine.items():
            if value is None and theirs[name] is not None:
                raise EventError(name, "cannot be emptied here; type its new value")
        return {k: v for k, v in mine.items() if v != theirs[k]}

    def event(self, before: ItemDraft | None, at: datetime) -> ItemListed | ItemUpdated | None:
        """What saving the draft records: a listing (a new item, `before` None), an update of
        the fields changed, or None when nothing changed. EventError names a field the event
        refuses (a negative price, a title too long, ...)."""
        if before is None:
            return ItemListed(item_id=self.item_id.strip(), occurred_at=at, **self.values())
        changes = self.changes(before)
        return ItemUpdated(item_id=before.item_id, occurred_at=at, **changes) if changes else None


def _plain(price: float) -> str:
    """A price as typed, in full: 12345.67, not 12345.7 or 1.23457e+06."""
    return f"{price:.6f}".rstrip("0").rstrip(".")


def _price(text: str) -> float | None:
    """A price as a shop writes it ('12,99', '1.299,00', '$12'), as an import reads it."""
    if not text.strip():
        return None
    price = parse_price(text)
    if price is None:
        raise EventError("price", f"{text.strip()!r} is not a price")
    return price


def _stock(text: str) -> int | None:
    """A count of items, thousands marked or not ('1,200', '1.200', '1 200'), as an import
    reads it."""
    text = ungrouped(text) or text.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise EventError("stock", f"{text!r} is not a whole number") from None


# In the attributes field `name=value; name=value`, a backslash escapes a ';' or '=' that is
# part of a name or value, and itself: 'material=cotton\\; polyester' is one attribute.
_ESCAPABLE = "\\;="


def _escape(text: str, special: str) -> str:
    return "".join(f"\\{c}" if c in special or c == "\\" else c for c in text)


def _unescape(text: str) -> str:
    return re.sub(r"\\([\\;=])", r"\1", text)


def _split(text: str, separator: str, limit: int = -1) -> list[str]:
    """`text` cut at each `separator` no backslash escapes (at most `limit` cuts), escapes kept."""
    parts, start, i = [], 0, 0
    while i < len(text):
        if text[i] == "\\" and text[i + 1 : i + 2] in tuple(_ESCAPABLE):
            i += 2
            continue
        if text[i] == separator and limit != 0:
            parts.append(text[start:i])
            start, limit = i + 1, limit - 1
        i += 1
    return [*parts, text[start:]]


def _attributes(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in _split(text, ";"):
        if not part.strip():
            continue
        pair = _split(part, "=", 1)
        if len(pair) < 2:
            raise EventError("attributes", f"{_unescape(part.strip())!r} is not name=value")
        key, value = (_unescape(side.strip()) for side in pair)
        if not key:
            raise EventError("attributes", f"{part.strip()!r} has no name before its '='")
        out[key] = value
    return out


class ItemFormScreen(ModalScreen[ItemDraft | None]):
    """Adds a new item (empty form) or edits an existing one (lists it again where delisted)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "save", "Save")]

    def __init__(
        self,
        draft: ItemDraft,
        *,
        new: bool,
        listed: Callable[[str], bool] | None = None,
        relist: bool = False,
    ) -> None:
        super().__init__()
        self.draft = draft
        self.new = new
        self.listed = listed  # whether an item id is listed now: a new item must not replace it
        self.relist = relist  # a delisted item's form: saving lists it again, as the form has it

    def compose(self) -> ComposeResult:
        with Vertical(id="form-box"):
            yield Label(
                "New item"
                if self.new
                else f"List {printable(self.draft.item_id)} again"
                if self.relist
                else f"Edit {printable(self.draft.item_id)}",
                id="form-title",
                markup=False,
            )
            with Grid(id="form-grid"):
                for name in FIELDS:
                    yield Label(name.replace("_", " "))
                    # Control characters escaped: a title's ESC never reaches the terminal.
                    yield Input(
                        value=printable(getattr(self.draft, name)),
                        id=f"form-{name}-input" if name == "title" else f"form-{name}",
                        compact=True,
                        disabled=name == "item_id" and not self.new,
                        placeholder="name=value; name=value (\\; for a ; in a value)"
                        if name == "attributes"
                        else "",
                    )
            with Horizontal(id="form-buttons"):
                yield Button("Cancel", id="form-cancel")
                yield Button("Save (ctrl+s)", id="form-save", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#form-item_id" if self.new else "#form-title-input", Input).focus()

    def _field(self, name: str) -> Input:
        return self.query_one(f"#form-{name}-input" if name == "title" else f"#form-{name}", Input)

    def _typed(self, name: str) -> str:
        """A field as typed: as the item has it where the field still shows it as it was shown,
        its control characters escaped, so that saving an item changes none of them."""
        typed, before = self._field(name).value, getattr(self.draft, name)
        return before if typed == printable(before) else typed

    @on(Button.Pressed, "#form-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#form-save")
    @on(Input.Submitted)
    @guarded("saving the item")
    def action_save(self) -> None:
        draft = ItemDraft(**{name: self._typed(name) for name in FIELDS})
        item_id = draft.item_id.strip()
        if not item_id:
            raise EventError("item_id", "is required")
        if not draft.title.strip() and (self.new or self.draft.title.strip()):
            raise EventError("title", "is required: it is the name customers see")
        if self.new and self.listed is not None and self.listed(item_id):
            # A listing replaces every field: typed by mistake, it would wipe the item's stock.
            raise EventError("item_id", f"{item_id} is in the catalogue already: edit it (e) instead")
        # Fails here, naming the field, while the form and what was typed are still there.
        draft.event(None if self.new or self.relist else self.draft, datetime.now(UTC))
        self.dismiss(draft)


class CatalogueScreen(ConsoleScreen):
    MODE = "catalogue"
    LIST = "#catalogue-items"
    SEARCH = "#catalogue-search"
    BINDINGS = [
        Binding("slash", "focus_search", "Search", key_display="/"),
        Binding("n", "new", "New item"),
        Binding("enter", "edit", "Edit", show=False),
        Binding("e", "edit", "Edit"),
        Binding("d", "delist", "Delist"),
    ]

    def compose(self) -> ComposeResult:
        yield NavBar(self.MODE)
        with Horizontal(id="catalogue-filters"):
            yield Input(
                placeholder="/ search title, brand, category or id", id="catalogue-search", compact=True
            )
            yield Select([], prompt="all categories", id="catalogue-category", compact=True)
        yield ItemTable(columns=ItemTable.WIDE, id="catalogue-items")
        yield Static("", id="catalogue-detail", classes="status-line")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._writing = threading.Lock()  # one write at a time
        self.query_one(ItemTable).focus()
        self.set_interval(FOLLOW_S, self._follow)

    def _follow(self) -> None:
        """The rows shown, as the catalogue has them now: a kiosk's sale, an import's new prices
        show while the screen is open, each in its row (the list's order is kept until it is
        loaded again)."""
        shown = list(self.query_one(ItemTable).rows_by_key)
        if shown and self.is_current:
            shop = self.shop
            self.load("fresh_items", lambda: shop.items_by_id(shown))

    def show_fresh_items(self, fresh: dict[str, ItemRow]) -> None:
        if self.query_one(ItemTable).update_items(fresh):
            self._highlighted()

    def on_screen_resume(self) -> None:
        # Each time the screen shows (its first time too): an import may have brought items
        # and categories meanwhile. In a store that has no catalogue (an events-only dataset),
        # the categories of the items known from its log, which the list shows.
        shop = self.shop
        self.load("categories", lambda: shop.categories(unlisted=not shop.has_catalogue()))
        self.reload()

    def reload(self) -> None:
        self.drop("fresh_items")  # read before the list this loads, maybe
        text = self.query_one("#catalogue-search", Input).value
        category = self.query_one("#catalogue-category", Select).value
        chosen = category if isinstance(category, str) else None
        self.load("items", lambda: self.shop.items(text=text, category=chosen, listed_only=False, limit=500))

    def show_categories(self, categories: list[tuple[str, int]]) -> None:
        select = self.query_one("#catalogue-category", Select)
        chosen = select.value
        # A long category keeps its most specific levels, as elsewhere ("…/Coffee/Grinders (3)"),
        # in the menu and once chosen; its value stays the whole category.
        select.set_options((PathContent(printable(f"{name} ({count})")), name) for name, count in categories)
        if isinstance(chosen, str) and any(name == chosen for name, _ in categories):
            select.value = chosen  # the filter chosen stays

    def show_items(self, items: list[ItemRow]) -> None:
        self.query_one(ItemTable).show_items(items)
        self.query_one("#catalogue-detail", Static).update(f"{len(items)} items shown")

    @on(Input.Changed, "#catalogue-search")
    @on(Select.Changed, "#catalogue-category")
    def _filters_changed(self) -> None:
        self.reload()

    @on(ItemTable.RowHighlighted, "#catalogue-items")
    def _highlighted(self) -> None:
        item = self.query_one(ItemTable).selected_item
        if item is not None:
            attributes = ", ".join(f"{k}={v}" for k, v in item.attributes.items())
            self.query_one("#catalogue-detail", Static).update(
                facts(printable(item.item_id), item.status, money(item.price), printable(attributes))
            )

    @on(DataTable.RowSelected, "#catalogue-items")
    def _selected(self) -> None:
        self.action_edit()

    @on(Input.Submitted, "#catalogue-search")
    def _searched(self) -> None:
        self.focus_list()  # the list follows each key typed already: enter goes on to it

    @guarded("adding an item")
    def action_new(self) -> None:
        self.app.push_screen(
            ItemFormScreen(ItemDraft.of(None), new=True, listed=self._listed), self._save_new
        )

    def _listed(self, item_id: str) -> bool:
        item = self.shop.item(item_id)
        return item is not None and item.status == "listed"  # a delisted one may be listed again

    def _highlighted_item(self, doing: str) -> ItemRow | None:
        """The item highlighted, or None, saying so: a search or a category that lists none, or
        a catalogue with no items yet."""
        item = self.query_one(ItemTable).selected_item
        if item is None:
            self.notify(
                f"No item is highlighted to {doing}: highlight one in the list (clear the search or "
                "the category if it lists none; n adds a new item).",
                severity="warning",
            )
        return item

    @guarded("editing an item")
    def action_edit(self) -> None:
        item = self._highlighted_item("edit")
        if item is None:
            return
        # As the store has it now, not as the list read it: a sale since (here or in another
        # program) lowered its stock, and a stock typed to match the old one would change nothing.
        current = self.shop.item(item.item_id) or item
        before = ItemDraft.of(current)
        # An update leaves a delisted item delisted, never suggested nor sold: its form lists it
        # again, which otherwise took typing every field anew (n), its description lost.
        relist = current.status not in (LISTED, SEEN)

        def saved(draft: ItemDraft | None) -> None:
            if draft is not None and relist:
                self._save_relisting(current, draft)
            elif draft is not None:
                self._save_edit(before, draft)

        self.app.push_screen(ItemFormScreen(before, new=False, relist=relist), saved)

    @guarded("adding an item")
    def _save_new(self, draft: ItemDraft | None) -> None:
        if draft is None:
            return
        event = draft.event(None, self.services.clock.now())
        assert event is not None
        self._record(
            event,
            "adding an item",
            lambda at: f"Listed {event.item_id} (log #{at}); it can be suggested now.",
        )

    @guarded("saving an item")
    def _save_edit(self, before: ItemDraft, draft: ItemDraft) -> None:
        event = draft.event(before, self.services.clock.now())
        if event is None:
            self.notify("Nothing changed.")
            return
        changed = ", ".join(draft.changes(before))
        self._record(event, "saving an item", lambda at: f"Updated {before.item_id}: {changed} (log #{at}).")

    @guarded("listing an item again")
    def _save_relisting(self, item: ItemRow, draft: ItemDraft) -> None:
        # The description, which the form does not show, as the item had it.
        event = ItemListed(
            item_id=item.item_id,
            occurred_at=self.services.clock.now(),
            description=item.description,
            **draft.values(),
        )
        self._record(
            event,
            "listing an item again",
            lambda at: f"Listed {item.item_id} again (log #{at}); it can be suggested now.",
        )

    @guarded("delisting an item")
    def action_delist(self) -> None:
        item = self._highlighted_item("delist")
        if item is None:
            return
        if item.status == SEEN:  # no listing to end: delisting it would hide every such item
            self.notify(
                f"{printable(item.label)} is not listed: it is known only from the log (n lists it).",
                severity="warning",
            )
            return
        if item.status != "listed":
            self.notify(f"{printable(item.label)} is delisted already.", severity="warning")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._delist(item)

        self.app.push_screen(
            ConfirmScreen(f"Delist {printable(item.label)}? It will no longer be suggested.", yes="Delist"),
            answered,
        )

    @guarded("delisting an item")
    def _delist(self, item: ItemRow) -> None:
        event = ItemDelisted(item_id=item.item_id, occurred_at=self.services.clock.now())
        self._record(event, "delisting an item", lambda at: f"Delisted {item.item_id} (log #{at}).")

    def _record(self, event: Event, doing: str, done: Callable[[int], str]) -> None:
        """Records `event` in a thread, as the Live screen's writer does: another program may
        hold the store's write lock (up to its busy timeout), and the console goes on meanwhile.
        Says `done(position)` once recorded, or why it was not."""
        services, app = self.services, self.app

        def write() -> None:
            with self._writing:
                try:
                    position = services.record(event)
                except Exception as error:  # noqa: BLE001 - reported as a notification
                    app.call_from_thread(report, self, error, doing)
                    return
            app.call_from_thread(self._recorded, done(position))

        self.run_worker(write, thread=True, group="catalogue-write", exit_on_error=False, name=doing)

    def _recorded(self, said: str) -> None:
        self.notify(said)
        self.reload()
