"""Import: pick a file and a format, preview how its rows map to events, import with progress."""

from __future__ import annotations

import re
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, DataTable, Input, Label, ProgressBar, Select, Static
from textual.worker import Worker, WorkerState, get_current_worker

from edgerec.ui.clock import clock_time, zone_name
from edgerec.ui.errors import describe, guarded, logged
from edgerec.ui.screens.base import ConsoleScreen
from edgerec.ui.widgets.footer import KeyFooter
from edgerec.ui.widgets.nav import NavBar

AUTO = "auto"
ACTION = "action:"  # `action:viewed=item_viewed` on the columns line: the command's --action
PREVIEW_ROWS = 8
# Progress messages at most this often: a fast import calls back far more often than a
# screen can usefully repaint.
PROGRESS_EVERY_S = 0.05


@dataclass(frozen=True, slots=True)
class Preview:
    format: str
    description: str
    columns: list[str]
    rows: list[list[Any]]
    problems: list[str]


class ImportProgress(Message):
    def __init__(self, done: int, total: int | None) -> None:
        super().__init__()
        self.done, self.total = done, total


class ImportFinished(Message):
    def __init__(self, report: dict[str, Any] | None, error: BaseException | None) -> None:
        super().__init__()
        self.report, self.error = report, error


class ImportStopped(Exception):
    """The console quit during an import: it stops after the step under way."""


# The importer's messages name the command's options; this screen takes the encoding and the
# mapping on its columns line, and the format in its list.
# Options given one after another (`--map header=false --map user=0`, `--map type=rating
# --action 0=item_viewed --action 1=rated`) are one columns line.
# 'say which event it is: --action viewed=item_viewed, or purchased': a value quoted for the
# shell ('Add To Cart=item_viewed', 'timestamp_unit=%d/%m/%Y %H:%M') is typed so there too.
_OPTION = r"(?:--map (?:'[^']*+'|[^\s)]++)|--action (?:'[^']*'|[^\s)]*[^\s),]))"
_SCREEN_FORMS: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    # A report's note names the option both ways: 'give day_first=true (--map day_first=true on
    # the command line)'.
    (re.compile(r" \(--map [^\s)]++ on the command line\)"), " on the columns line"),
    (re.compile(r"--encoding(?: ([\w-]++))?"), r"--map encoding=\1"),
    (
        re.compile(rf"{_OPTION}(?: {_OPTION})*+(?! on the command line)"),
        lambda found: (
            found.group().replace("--map ", "").replace("--action ", ACTION) + " on the columns line"
        ),
    ),
    (re.compile(r"--format ([a-z][\w-]*+)"), r"\1 chosen in the format list"),
)


def in_screen_words(text: str) -> str:
    """An importer's message with the command's options put as this screen takes them."""
    for pattern, form in _SCREEN_FORMS:
        text = pattern.sub(form, text)
    return text


def on_screen(error: BaseException) -> BaseException:
    """The importer's refusal of a file, in this screen's words (the same error otherwise)."""
    from edgerec.ingest.errors import FormatError

    if isinstance(error, FormatError) and (text := in_screen_words(str(error))) != str(error):
        return FormatError(text)
    return error


def ingest_module() -> Any | None:
    try:
        import edgerec.ingest as ingest
    except ImportError:
        return None
    return ingest if hasattr(ingest, "import_file") else None


def check_file(path: Path) -> None:
    """Refuses a path that is not a file to import, saying what it is instead."""
    from edgerec.ingest.streams import check_regular_file

    if path.is_dir():
        raise ValueError(f"{path} is a folder: choose a file in it")
    check_regular_file(path)  # a device or a pipe
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")


def parse_columns(typed: str) -> dict[str, Any] | None:
    """The column mapping typed as KEY=VALUE words (quotes keep a value's spaces), or None; an
    `action:VALUE=TYPE` word says what the file's own action VALUE means, as `--action` does."""
    from edgerec.ingest.formats import parse_pairs

    try:
        words = shlex.split(typed)
    except ValueError as exc:  # an unclosed quote
        raise ValueError(f"columns: {exc}") from None
    mapping: dict[str, Any] = parse_pairs(w for w in words if not w.startswith(ACTION))
    actions = parse_pairs(w.removeprefix(ACTION) for w in words if w.startswith(ACTION))
    if actions:
        mapping["actions"] = actions
    return mapping or None


@dataclass(frozen=True)
class FileOptions:
    """How to read the file, typed on the columns line beside the mapping: `encoding=cp1252`,
    `timezone=Europe/Berlin` (the zone of times written without an offset)."""

    encoding: str | None = None
    timezone: str = "UTC"

    @classmethod
    def taken_from(cls, typed: dict[str, Any]) -> FileOptions:
        """The options among the typed pairs, removed from them; ValueError for a bad one."""
        from edgerec.ingest.convert import check_timezone
        from edgerec.ingest.streams import line_encoding

        options = cls(typed.pop("encoding", None), typed.pop("timezone", "UTC"))
        line_encoding(options.encoding)
        check_timezone(options.timezone)
        return options


def preview_file(
    path: Path,
    format_name: str | None,
    mapping: dict[str, Any] | None = None,
    options: FileOptions = FileOptions(),
) -> Preview:
    """The detected (or named) format and its first rows as the events they become."""
    try:
        return _preview(path, format_name, mapping, options)
    except Exception as error:
        said = on_screen(error)
        if said is error:
            raise
        raise said from error


def _preview(
    path: Path, format_name: str | None, mapping: dict[str, Any] | None, options: FileOptions
) -> Preview:
    ingest = ingest_module()
    if ingest is None:
        raise RuntimeError("this build has no importer (edgerec.ingest)")
    check_file(path)
    ingest.formats.check_mapping(format_name, mapping)
    # No line to tell the format by: the import's, and no rows (or the import's refusal).
    if ingest.streams.holds_no_data(path, format_name):
        fmt = ingest.FORMATS[format_name] if format_name else ingest.formats.format_by_name(path, mapping)
        return Preview(fmt.name, fmt.description, [], [], ["the file is empty: it holds no rows to import"])
    ingest.streams.check_encoding(path, options.encoding)
    encoding = ingest.streams.line_encoding(options.encoding)
    fmt = (
        ingest.formats.named_format(format_name, path, mapping=mapping, encoding=encoding)
        if format_name
        else ingest.detect_format(path, mapping=mapping, encoding=encoding)
    )
    batches = fmt.reader(
        path,
        chunk_rows=PREVIEW_ROWS,
        mapping_=mapping,
        source_timezone=options.timezone,
        encoding=encoding,
    )
    batch = next(iter(batches), None)
    if batch is None:
        return Preview(fmt.name, fmt.description, [], [], [])
    columns = [c for c, values in batch.columns.items() if any(v is not None for v in values[:PREVIEW_ROWS])]
    rows = [[batch.columns[c][i] for c in columns] for i in range(min(len(batch), PREVIEW_ROWS))]
    problems = [
        f"line {batch.lines[i]}: {in_screen_words(p[1])}"
        for i, p in enumerate(batch.problems[:PREVIEW_ROWS])
        if p
    ]
    return Preview(fmt.name, fmt.description, columns, rows, problems)


class ImportScreen(ConsoleScreen):
    MODE = "import"
    # Escape leaves the path and columns boxes for the preview, where ? and the footer's keys act.
    LIST = "#import-preview-table"
    BINDINGS = [
        Binding("ctrl+r", "preview", "Preview"),
        Binding("ctrl+g", "run_import", "Import"),
    ]

    # Rows per import step, each one write: the console's live session and kiosks on this store
    # wait for a step to commit before they record (at most 0.74 s for 10,000 rows here, 2.8 s
    # for the command's 50,000, which imports 9 % faster). The progress bar moves once a step.
    chunk_rows = 10_000

    def __init__(self) -> None:
        super().__init__()
        self.running = False
        self.report: dict[str, Any] | None = None
        self.progress_updates = 0

    def compose(self) -> ComposeResult:
        ingest = ingest_module()
        names = list(ingest.FORMATS) if ingest else []
        yield NavBar(self.MODE)
        with Vertical(id="import-body"):
            with Horizontal(id="import-form"):
                yield Input(
                    placeholder="path to a file (CSV, JSON, Parquet, Excel, dataset files)",
                    id="import-path",
                    compact=True,
                )
                yield Select(
                    [(n, n) for n in names], prompt="detect format", id="import-format", compact=True
                )
            yield Input(
                placeholder="columns not found by name, and how to read the file (optional): "
                "user=visitorid type=event timestamp_unit=ms encoding=cp1252 timezone=Europe/Berlin",
                id="import-map",
                compact=True,
            )
            with Horizontal(id="import-buttons"):
                yield Button("Preview (ctrl+r)", id="import-preview", compact=True)
                yield Button("Import (ctrl+g)", id="import-run", variant="primary", compact=True)
                yield ProgressBar(id="import-progress", show_eta=True)
            yield Static(
                Text(
                    "Type a path, then preview to see how the rows map to events."
                    if ingest
                    else "This build has no importer (edgerec.ingest).",
                    style="dim",
                ),
                id="import-status",
            )
            yield Label("Preview: the first rows as events", classes="pane-title")
            yield DataTable(id="import-preview-table", zebra_stripes=True)
            yield Label("Report", classes="pane-title")
            yield DataTable(id="import-report", zebra_stripes=True, show_header=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#import-report", DataTable).add_columns("what", "value")
        self.query_one("#import-progress", ProgressBar).display = False
        self.query_one("#import-path", Input).focus()

    def _chosen(self) -> tuple[Path, str | None, dict[str, Any] | None, FileOptions]:
        typed = self.query_one("#import-path", Input).value.strip()
        if not typed:
            raise ValueError("Type the path of a file to import first.")
        path = _unquoted(Path(typed).expanduser())
        fmt = self.query_one("#import-format", Select).value
        mapping = parse_columns(self.query_one("#import-map", Input).value) or {}
        options = FileOptions.taken_from(mapping)
        return path, fmt if isinstance(fmt, str) else None, mapping or None, options

    @on(Button.Pressed, "#import-preview")
    @on(Input.Submitted, "#import-path")
    @on(Input.Submitted, "#import-map")
    @guarded("previewing the file")
    def action_preview(self) -> None:
        try:
            path, fmt, mapping, options = self._chosen()
        except Exception as error:
            self._failed("Preview", error)
            raise
        self.load("preview", lambda: preview_file(path, fmt, mapping, options))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Textual calls the Loader's handler too (it reports the error as a notification).
        if event.worker.name == "preview" and event.state == WorkerState.ERROR and event.worker.error:
            self._failed("Preview", event.worker.error)

    def _failed(self, doing: str, error: BaseException) -> None:
        """Says why on the status line, and clears the rows and report of the file before: they
        would describe a file other than the one typed."""
        text, _ = describe(error)
        self.report = None
        self.query_one("#import-preview-table", DataTable).clear(columns=True)
        self.query_one("#import-report", DataTable).clear()
        self.query_one("#import-status", Static).update(Text(f"{doing} failed: {text}", style="red"))

    def show_preview(self, preview: Preview) -> None:
        table = self.query_one("#import-preview-table", DataTable)
        table.clear(columns=True)
        zone = self.services.zone
        # The event's time on the shop's clock, as everywhere in the console: a raw count of
        # microseconds could not tell whether the file's unit or zone was read right. Each time
        # has its own offset: under a header naming the zone as it is today ("CET" in winter),
        # a summer row read an hour wrong. The header names both of the zone's clocks, for a
        # narrow terminal whose edge cuts the offset.
        timed = {i for i, c in enumerate(preview.columns) if c == "occurred_at"}
        table.add_columns(
            *(f"{c} ({zone_name(zone)})" if i in timed else c for i, c in enumerate(preview.columns))
        )
        for row in preview.rows:
            cells = (
                ""
                if v is None
                else clock_time(v, zone, offset=True)
                if i in timed and isinstance(v, int | float)
                else str(v)
                for i, v in enumerate(row)
            )
            table.add_row(*(Text(c, overflow="ellipsis", no_wrap=True) for c in cells))
        status = Text.assemble(("Format ", "dim"), (preview.format, "bold"), f": {preview.description}")
        if preview.problems:
            status.append("\n" + "; ".join(preview.problems[:3]), style="yellow")
        self.query_one("#import-status", Static).update(status)

    @on(Button.Pressed, "#import-run")
    @guarded("starting the import")
    def action_run_import(self) -> None:
        if self.running:
            self.notify("An import is already running.", severity="warning")
            return
        ingest = ingest_module()
        if ingest is None:
            self.notify("This build has no importer (edgerec.ingest).", severity="warning")
            return
        try:
            path, fmt, mapping, options = self._chosen()
            check_file(path)
            ingest.formats.check_mapping(fmt, mapping)  # refused before anything is read
        except Exception as error:
            self._failed("Import", error)
            raise
        self.running = True
        self.report = None
        self.progress_updates = 0
        bar = self.query_one("#import-progress", ProgressBar)
        bar.display = True
        bar.update(total=None, progress=0)
        self.query_one("#import-status", Static).update(Text(f"Importing {path.name}…"))
        self._import(path, fmt, mapping, options)

    @work(thread=True, exclusive=True, group="import", exit_on_error=False)
    def _import(
        self, path: Path, fmt: str | None, mapping: dict[str, Any] | None, options: FileOptions
    ) -> None:
        ingest = ingest_module()
        assert ingest is not None
        last = 0.0
        worker = get_current_worker()  # cancelled when the console quits

        def progress(done: int, total: int | None) -> None:
            nonlocal last
            if worker.is_cancelled:  # between steps: each step is written whole or not at all
                raise ImportStopped(
                    f"the console quit after {done:,} rows of {path}; importing it again finishes it"
                )
            now = time.monotonic()
            if now - last >= PROGRESS_EVERY_S or done == 0 or (total is not None and done >= total):
                last = now
                self.post_message(ImportProgress(done, total))

        told = False

        def waiting() -> None:  # another import into the store runs: this one waits its turn
            nonlocal told
            if worker.is_cancelled:
                raise ImportStopped(f"the console quit while {path} waited for another import to finish")
            if not told:
                told = True
                status = self.query_one("#import-status", Static)
                self.app.call_from_thread(
                    status.update,
                    Text(
                        f"Waiting for another import, or a forget, on this store to finish; then {path.name}…"
                    ),
                )

        try:
            report = ingest.import_file(
                self.store,
                path,
                format=fmt,
                mapping=mapping,
                encoding=options.encoding,
                source_timezone=options.timezone,
                progress=progress,
                chunk_rows=self.chunk_rows,
                waiting=waiting,
            )
            self.post_message(ImportFinished(report.to_dict(), None))
        except Exception as error:  # noqa: BLE001 - reported on the screen
            logged(error, f"importing {path}")
            self.post_message(ImportFinished(None, on_screen(error)))

    def on_import_progress(self, message: ImportProgress) -> None:
        self.progress_updates += 1
        bar = self.query_one("#import-progress", ProgressBar)
        bar.update(total=message.total, progress=message.done)

    def on_import_finished(self, message: ImportFinished) -> None:
        self.running = False
        status = self.query_one("#import-status", Static)
        bar = self.query_one("#import-progress", ProgressBar)
        if message.error is not None:
            bar.display = False  # it would go on animating as an import under way
            text, severity = describe(message.error)
            self._failed("Import", message.error)
            self.notify(text, title="Import failed", severity=severity)
            return
        report = message.report or {}
        self.report = report
        rows = int(report.get("rows_read", 0))
        bar.update(total=max(rows, 1), progress=max(rows, 1))
        table = self.query_one("#import-report", DataTable)
        table.clear()
        for key, value in report.items():
            shown = (
                ", ".join(f"{k} {v:,}" for k, v in value.items())
                if isinstance(value, dict)
                else " ".join(value)
                if isinstance(value, list)  # the notes: sentences
                else (f"{value:,}" if isinstance(value, int) else str(value))
            )
            table.add_row(Text(key.replace("_", " "), style="bold"), Text(shown or "none"))
        said = Text(
            f"Imported {report.get('source', '')}: {report.get('appended', 0):,} new events, "
            f"{report.get('quarantined', 0):,} quarantined."
            + ("" if report.get("rows_read") else " The file holds no rows.")
            + (
                " Some lines are not UTF-8 text: if the file is in another encoding, add "
                "encoding=cp1252 (or its own) to the columns line and import it again."
                if report.get("quarantined_by_reason", {}).get("invalid_encoding")
                else ""
            )
        )
        # How the file was read where it was a guess (dates that read both ways): here, where it
        # is read, not only in the report's last row, cut at the terminal's edge.
        for note in report.get("notes", []):
            said.append("\n" + in_screen_words(note), style="yellow")
        status.update(said)


def _unquoted(path: Path) -> Path:
    """A path pasted in quotes, as a terminal or a file manager writes one with spaces in it
    ('/home/shop/March sales.csv'), is the file inside them, unless the quotes are its name's."""
    text = str(path)
    if len(text) > 2 and text[0] == text[-1] and text[0] in "'\"" and not path.exists():
        return Path(text[1:-1]).expanduser()
    return path
