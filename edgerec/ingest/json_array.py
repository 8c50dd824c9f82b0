"""Reading a JSON array of objects (`[{...}, {...}]`, as pandas' `to_json(orient="records")` and
many exports write it) one element at a time, so that memory does not grow with the file.

Each element is one record, with the line it starts on and its text. An element that is not
an object is a problem of its own. A syntax error, bytes that are not text, or an element
longer than a line may be (MAX_LINE_BYTES) leave no safe place to resume, so the rest of the
file is one rejected record that says so. Arrays one after another (exports joined with `cat`)
are read in turn; other text after an array is one rejected record too, never dropped unseen.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from edgerec.ingest.streams import open_bytes
from edgerec.ingest.text import MAX_LINE_BYTES, RAW_KEEP, encoding_problem, json_loads
from edgerec.ingest.validate import Problem

_BLOCK = 1 << 20
_SPACE = " \t\r\n"
_START = re.compile("[\ufeff \t\r\n]*")
_BETWEEN = re.compile("[ \t\r\n,]*")
Records = tuple[list[int], list[str], list[Any], list[Problem]]


def json_layout(path: str | Path) -> str:
    """How a JSON file is laid out, from its first line that is not blank (after a byte-order
    mark): "array", one JSON array (a "[" that goes on, or a whole array on one line with
    nothing after it); "document", another JSON value over several lines (`{"events": [`, or
    `jq .`'s objects); else "lines", JSON lines (whose first record may be an array: `[1, 2]`)."""
    with open_bytes(path) as file:
        first = file.readline(MAX_LINE_BYTES).removeprefix(codecs.BOM_UTF8)
        while first.strip() == b"" and first:
            first = file.readline(MAX_LINE_BYTES)
        text = first.decode("utf-8", "replace").lstrip("\ufeff" + _SPACE).rstrip()
        if text.startswith("{"):
            return "document" if text.endswith(("{", "[", ",")) else "lines"
        if not text.startswith("["):
            return "lines"
        try:
            json_loads(text)
        except ValueError:
            return "array"  # "[" or "[{...}," opens an array that goes on
        return "lines" if file.read(4096).strip() else "array"


def starts_array(path: str | Path) -> bool:
    """Whether the file is one JSON array (see `json_layout`)."""
    return json_layout(path) == "array"


def array_records(path: str | Path, chunk_rows: int, encoding: str = "utf-8") -> Iterator[Records]:
    """(lines, raws, objects, problems) per chunk of `chunk_rows` elements of a JSON array."""
    reader = _Elements(path, encoding)
    chunk: Records = ([], [], [], [])
    for line, raw, obj, problem in reader:
        for column, value in zip(chunk, (line, raw, obj, problem), strict=True):
            column.append(value)
        if len(chunk[0]) >= chunk_rows:
            yield chunk
            chunk = ([], [], [], [])
    if chunk[0]:
        yield chunk


class _Elements:
    """The array's elements as (line, raw text, object or None, problem)."""

    def __init__(self, path: str | Path, encoding: str) -> None:
        self.path, self.encoding = path, encoding
        self.carry = b""  # the start of a character the last block cut in two
        self.undecoded = b""
        self.text = ""
        self.at = 0  # where reading goes on in `text`
        self.line = 1  # the line `at` is on
        self.ended = False  # the whole file is in `text`
        self.decode_error: UnicodeDecodeError | None = None

    def __iter__(self) -> Iterator[tuple[int, str, Any, Problem]]:
        parse = json.JSONDecoder().raw_decode
        with open_bytes(self.path) as self.file:
            if not self._skip(_START) or self.text[self.at] != "[":
                return
            self._advance(self.at + 1)
            while self._skip(_BETWEEN):
                if self.text[self.at] == "]":
                    self._advance(self.at + 1)
                    if not self._skip(_START):
                        return
                    if self.text[self.at] != "[":
                        yield self._rest(
                            "text after the end of the array (arrays one after another are read)"
                        )
                        return
                    self._advance(self.at + 1)  # another array after it: files joined with `cat`
                    continue
                try:
                    obj, end = parse(self.text, self.at)
                    if end == len(self.text) and not self.ended:
                        raise ValueError("the element may go on in the next block")
                except (ValueError, RecursionError) as exc:  # no JSON, or nested past the parser's depth
                    if len(self.text) - self.at <= MAX_LINE_BYTES and self._more():
                        continue
                    yield self._rest(f"{str(exc)[:160]} (the rest of the array cannot be read)")
                    return
                start, raw = self.line, self.text[self.at : end]
                self._advance(end)
                problem = None if isinstance(obj, dict) else ("bad_json", "an element must be a JSON object")
                yield start, raw[:RAW_KEEP], obj if problem is None else None, problem
            if self.decode_error is not None:
                yield self._rest("")

    def _skip(self, chars: re.Pattern[str]) -> bool:
        """Moves past blank space (and commas), reading on as needed; False at the end."""
        while True:
            self._advance(chars.match(self.text, self.at).end())  # type: ignore[union-attr]
            if self.at < len(self.text):
                return True
            if not self._more():
                return False

    def _advance(self, to: int) -> None:
        self.line += self.text.count("\n", self.at, to)
        self.at = to

    def _more(self) -> bool:
        """Reads the next block onto the text; False when there is no more to read."""
        if self.ended:
            return False
        block = self.file.read(_BLOCK)
        data, self.carry = self.carry + block, b""
        try:
            decoded = data.decode(self.encoding)
        except UnicodeDecodeError as exc:
            decoded = data[: exc.start].decode(self.encoding)
            if block and exc.end == len(data):
                self.carry = data[exc.start :]  # a character cut by the block's end
            else:  # nothing after it can be read as text
                self.decode_error, self.undecoded = exc, data[exc.start :][:RAW_KEEP]
                block = b""
        self.text = self.text[self.at :] + decoded
        self.at = 0
        self.ended = not block
        return not self.ended or bool(decoded)

    def _rest(self, why: str) -> tuple[int, str, Any, Problem]:
        """The rest of the file as one rejected record: bytes that are not text, or `why`."""
        raw = self.text[self.at : self.at + RAW_KEEP]
        if self.decode_error is not None:
            problem: Problem = ("invalid_encoding", encoding_problem(self.encoding, self.decode_error))
            raw += self.undecoded.decode(self.encoding, "replace")
        else:
            problem = ("bad_json", why)
        return self.line, raw[:RAW_KEEP].strip(), None, problem
