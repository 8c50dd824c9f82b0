"""The `edgerec` command with random option values, good and bad, on a real database file: it
always ends with exit status 0, 1 or 2 and a message, never with a traceback."""

from __future__ import annotations

import math
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import edgerec
from edgerec.cli import main
from edgerec.domain import AddedToCart, ItemListed, ItemViewed, Purchased

# Commands that run until stopped, open a full-screen app, or record a whole demo shop.
NOT_FUZZED = {("tui",), ("kiosk",), ("demo",)}
ENDLESS_OPTIONS = {"follow"}  # `train --follow` runs until stopped (`events tail` is skipped too)
T0 = datetime(2024, 5, 1, 9, tzinfo=UTC)
NOT_UTF8_NAME = "caf\udce9.csv"  # a file name whose bytes are not UTF-8, as Python spells it


def _commands(
    group: click.Group, prefix: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    for name, command in sorted(group.commands.items()):
        path = (*prefix, name)
        if isinstance(command, click.Group):
            yield from _commands(command, path)
        elif path not in NOT_FUZZED:
            yield path, command


COMMANDS = list(_commands(main))
TEXT = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        [
            "",
            " ",
            "u1",
            "a",
            "s1",
            "-1",
            "--",
            "=",
            "x=y",
            "user=a",
            "click=item_viewed",
            "💥",
            "caf\udce9",  # the byte 0xE9 (Latin-1 é) from a terminal that is not UTF-8
            "'; DROP TABLE events;--",
        ]
    ),
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli-fuzz")
    with edgerec.open(folder / "shop.db") as store:
        store.record_many(
            [
                ItemListed(occurred_at=T0, item_id="a", title="Mug", category="kitchen", price=3.0, stock=5),
                ItemListed(occurred_at=T0, item_id="b", title="Vase", category="home", price=9.0, stock=0),
                ItemViewed(occurred_at=T0, user_id="u1", item_id="a", session_id="s1"),
                AddedToCart(
                    occurred_at=T0 + timedelta(minutes=1), user_id="u1", item_id="a", session_id="s1"
                ),
                Purchased(occurred_at=T0 + timedelta(minutes=2), user_id="u1", item_id="a", session_id="s1"),
                ItemViewed(occurred_at=T0 + timedelta(minutes=3), user_id="u2", item_id="b", session_id="s2"),
            ]
        )
    clicks = "user_id,item_id,type,timestamp\nu3,a,view,1714554000\n"
    (folder / "clicks.csv").write_text(clicks)
    (folder / NOT_UTF8_NAME).write_text(clicks)
    (folder / "rules.toml").write_text('promote = ["a"]\n')
    return folder


def _value(draw: st.DrawFn, param: click.Parameter, folder: Path) -> list[str]:
    """The command-line words for one parameter: a fitting value or a wrong one."""
    kind = param.type
    if isinstance(kind, click.Choice):
        value = draw(st.one_of(st.sampled_from([str(c) for c in kind.choices]), TEXT))
    elif isinstance(kind, click.Path):
        value = draw(
            st.sampled_from(
                [
                    str(folder / "clicks.csv"),
                    str(folder / NOT_UTF8_NAME),
                    str(folder / "rules.toml"),
                    str(folder / "shop.db"),
                    str(folder),
                    str(folder / "missing" / "out.jsonl"),
                    str(folder / "out.parquet"),
                    "",
                ]
            )
        )
    elif isinstance(kind, (click.types.IntParamType, click.IntRange)):
        value = str(draw(st.one_of(st.integers(-5, 200), st.integers(-(10**20), 10**20))))
    elif isinstance(kind, (click.types.FloatParamType, click.FloatRange)):
        number = draw(st.one_of(st.floats(-10, 1e4), st.sampled_from([math.inf, -math.inf, math.nan, 0.0])))
        value = str(number)
    else:
        value = draw(TEXT)
    return [value]


@st.composite
def command_lines(draw: st.DrawFn, folder: Path) -> list[str]:
    path, command = draw(st.sampled_from(COMMANDS))
    words = list(path)
    for param in command.params:
        if isinstance(param, click.Argument):
            if path == ("events",) and param.name == "mode":
                words.append(draw(st.sampled_from(["list", "nonsense"])))  # `tail` never ends
            else:
                words += _value(draw, param, folder)
            continue
        assert isinstance(param, click.Option)
        if param.name in ENDLESS_OPTIONS or not draw(st.booleans()):
            continue
        flag = param.opts[-1]
        if param.is_flag:
            words.append(flag)
        else:
            for _ in range(draw(st.integers(1, 2)) if param.multiple else 1):
                words += [flag, *_value(draw, param, folder)]
    return words


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_any_command_line_ends_with_a_status_and_no_traceback(template: Path, data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for file in template.iterdir():
            shutil.copy(file, folder / file.name)
        database = data.draw(
            st.sampled_from(["shop.db", "shop.db", "shop.db", ".", "clicks.csv", "nosuch://x"])
        )
        if "://" not in database:
            database = str(folder / database)
        args = data.draw(command_lines(folder), label="args")
        result = CliRunner().invoke(main, ["--db", database, *args])
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            args,
            result.output,
            result.exc_info,
        )
        assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.output)
        assert "Traceback" not in result.output, (args, result.output)
