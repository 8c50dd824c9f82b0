"""The operator console: a Textual app over one store, with a screen per job (see screens/)."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import tzinfo
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel
from textual.screen import Screen

from edgerec.api import Store
from edgerec.domain import Context, Event
from edgerec.memory import settle_heap
from edgerec.readmodels import ShopData
from edgerec.ui.clock import Clock
from edgerec.ui.errors import guarded, setup_logging
from edgerec.ui.screens import SCREENS
from edgerec.ui.screens.help import HelpScreen, key_label
from edgerec.ui.suggestions import Suggester, make_suggester
from edgerec.ui.writer import SessionWriter

log = logging.getLogger("edgerec.ui")

# What a quit leaves running or stops, by worker group (see ConsoleApp.action_quit).
QUIT_NOTES = {
    "forget": "edgerec: finishing forgetting a customer before it exits (deleting, then compacting).",
    "import": "edgerec: the import stops after the step under way; importing the file again finishes it.",
    "load-tuned": "edgerec: tuning the blend stopped; the current blend stays.",
}
QUIT_BUSY = (
    "edgerec: another program holds the store: the console records the end of the live session "
    "once it lets go, then exits."
)
QUIT_LOST = "edgerec: the end of the live session was not recorded: {}"


@dataclass
class Services:
    """What the screens share: the store, its read models, the recommender, time and chance."""

    store: Store
    shop: ShopData
    suggester: Suggester
    clock: Clock
    rng: random.Random
    store_id: str | None = None
    pending_customer: str | None = None  # the live screen plays this customer when shown
    forgotten: list[str] = field(default_factory=list)  # the live screen lets them go when shown
    trainer: Any = None  # a screens.trainer.Trainer when the runtime runs one
    # The shop's wall clock for the times shown, as the recommender keeps its hours (None: this
    # machine's own).
    zone: tzinfo | None = None

    def record(self, event: Event) -> int:
        """Records one event durably, then lets the recommender see it at once."""
        position = self.store.record(event)
        self.suggester.observe(event, position)
        return position


def screen_factories() -> dict[str, Callable[[], Screen[Any]]]:
    from edgerec.ui.screens.catalogue import CatalogueScreen
    from edgerec.ui.screens.customers import CustomersScreen
    from edgerec.ui.screens.events import EventLogScreen
    from edgerec.ui.screens.home import HomeScreen
    from edgerec.ui.screens.importer import ImportScreen
    from edgerec.ui.screens.live import LiveScreen
    from edgerec.ui.screens.trainer import TrainerScreen

    return {
        "home": HomeScreen,
        "live": LiveScreen,
        "customers": CustomersScreen,
        "events": EventLogScreen,
        "catalogue": CatalogueScreen,
        "trainer": TrainerScreen,
        "import": ImportScreen,
    }


class BaseApp(App[None]):
    """Logging, error handling and shared services, for both the console and the kiosk."""

    SCREEN_NAME = "console"
    # Said as it exits of a session end its quit queued and that was not recorded (`{}`: why).
    QUIT_LOST: ClassVar[str] = QUIT_LOST
    # Whether a store that lists no item offers those known from its log (`make_suggester`):
    # the console does, as `edgerec recommend`; the kiosk asks for a catalogue.
    UNLISTED: ClassVar[bool] = False

    def __init__(
        self,
        store: Store,
        *,
        clock: Clock | None = None,
        seed: int | None = None,
        suggester: Suggester | None = None,
        store_id: str | None = None,
        log_path: Path | None = None,
        trainer: Any = None,
    ) -> None:
        Context(store_id=store_id)  # every event carries it: a bad one is an EventError now, not at mount
        clock = clock or Clock()
        clock.check_set(self.SCREEN_NAME)  # an unset clock is the operator's to set, before any shopper
        super().__init__()
        self.log_path = setup_logging(log_path)
        # The screens whose writers the quit left recording (another program held the store).
        self.quit_writers: list[SessionWriter] = []
        shop = ShopData(store)
        from edgerec.recommend import Recommender
        from edgerec.recommend.shop_time import wall_zone

        self.services = Services(
            store=store,
            shop=shop,
            suggester=suggester or make_suggester(store, shop, clock, unlisted=self.UNLISTED),
            clock=clock,
            rng=random.Random(seed),
            store_id=store_id,
            trainer=trainer,
            zone=wall_zone(Recommender.config_for(store).timezone),
        )

    def on_ready(self) -> None:
        settle_heap()

    @property
    def writing_on_quit(self) -> bool:
        """Whether what the quit queued is not recorded yet (it waits for the store)."""
        return any(screen.writing for screen in self.quit_writers)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """A toast, its text shown as it is: notifications carry shop data and what was typed
        (`[/]` in an id or a path would be read as markup, and a markup error stops the app)."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    # Textual stops the app on an exception that no handler caught. Handlers go through
    # `guarded`, so this is the last resort: log it, and leave a one-line note instead of
    # a traceback on the terminal.
    def _handle_exception(self, error: Exception) -> None:
        log.critical("unexpected error; the app stops", exc_info=error)
        super()._handle_exception(error)

    def _fatal_error(self) -> None:
        self.bell()
        where = f" (details in {self.log_path})" if self.log_path else ""
        self._exit_renderables.append(Text(f"edgerec stopped after an unexpected error{where}."))
        self._close_messages_no_wait()


class ConsoleApp(BaseApp):
    """The operator console."""

    TITLE = "edgerec"
    CSS_PATH = "console.tcss"
    UNLISTED = True
    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(entry.key, f"app.go('{entry.mode}')", entry.title, show=False) for entry in SCREENS),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("ctrl+t", "toggle_theme", "Theme", show=False),
    ]

    def __init__(self, store: Store, *, start: str = "home", **options: Any) -> None:
        super().__init__(store, **options)
        self.start_mode = start
        self.available_modes: set[str] = set()
        self.theme = "textual-dark"

    def on_mount(self) -> None:
        for mode, factory in screen_factories().items():
            self.add_mode(mode, factory)
            self.available_modes.add(mode)
        self.switch_mode(self.start_mode)
        self._say_config_ignored()

    def _say_config_ignored(self) -> None:
        """Tells the operator, once, that the store's recommender.json is ignored (a key it
        does not know, a typo in its JSON): the shipped weights and shop rules serve instead,
        which only the log said, as `edgerec recommend` says it on standard error."""
        from edgerec.recommend.engine import ignored_config

        ignored = ignored_config(self.services.store)
        if ignored is not None:
            said = ignored[0].upper() + ignored[1:]
            self.notify(f"{said}. Fix the file, or remove it.", severity="warning", timeout=30)

    @guarded("switching screens")
    def action_go(self, mode: str) -> None:
        if mode not in self.available_modes:
            self.notify(f"The {mode} screen is not in this build yet.", severity="warning")
            return
        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
        self.switch_mode(mode)

    @guarded("showing the help")
    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        seen: dict[str, str] = {}
        active = self.screen.active_bindings.items()
        # The screen's and the app's own keys first, then the focused widget's (cursor keys).
        ordered = sorted(active, key=lambda pair: not isinstance(pair[1].node, (Screen, App)))
        screen_keys = {entry.key for entry in SCREENS}  # listed below, with what each screen is for
        for key, binding_info in ordered:
            binding = binding_info.binding
            if binding.description and binding.action != "help" and key not in screen_keys:
                seen.setdefault(key_label(binding.key_display or key), binding.description)
        for entry in SCREENS:
            seen.setdefault(entry.key.upper(), f"{entry.title}: {entry.help}")
        seen.setdefault("ctrl+t", "Switch between light and dark theme")
        seen.setdefault("ctrl+p", "Command palette: screens, theme, quit")
        seen.setdefault("ctrl+q", "Quit")
        title = getattr(self.screen, "MODE", "") or "this screen"
        self.push_screen(HelpScreen(title, list(seen.items())))

    async def action_quit(self) -> None:
        """Quits at once, saying what goes on after the screen has closed: the workers are
        cancelled, so a blend being tuned is not saved and an import stops after the step under
        way, but forgetting a customer is finished first. The Live session, started and not
        ended, is ended first, as the kiosk's quit ends its shopper's; while another program
        holds the store the screen closes all the same, and the end is recorded as it exits; one
        the store refused is said as it exits."""
        running = {worker.group for worker in self.workers if worker.is_running}
        notes = [note for group, note in QUIT_NOTES.items() if group in running]
        for screen in self._session_screens():
            if not await screen.end_on_quit():
                notes.append(QUIT_BUSY)
                self.quit_writers.append(screen)
            elif screen.lost_on_quit is not None:  # a store read-only, gone, or its file deleted
                notes.append(QUIT_LOST.format(screen.lost_on_quit))
        self.exit(message=Text("\n".join(notes)) if notes else None)

    def _session_screens(self) -> list[SessionWriter]:
        """The screens that record a shopper's session (Live), in the modes opened so far."""
        found: list[SessionWriter] = []
        for mode in sorted(self.available_modes):
            try:
                found += [
                    screen for screen in self.get_screen_stack(mode) if isinstance(screen, SessionWriter)
                ]
            except KeyError:  # a mode not opened yet has no screens
                continue
        return found

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for entry in SCREENS:
            yield SystemCommand(
                f"Go to {entry.title} ({entry.key.upper()})",
                entry.help,
                partial(self.action_go, entry.mode),
            )
        yield SystemCommand("Toggle light/dark theme", "ctrl+t", self.action_toggle_theme)
        yield SystemCommand("Key bindings", "The help screen (?)", self.action_help)
