"""Text from a file or the log, made safe to show on a terminal."""

from __future__ import annotations

import functools
import itertools
import json
import re
import unicodedata

# Control characters, C1 (U+0080-U+009F) too: a terminal takes them for its escape sequences,
# and a line feed inside a title breaks the line a table or a panel draws.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Characters a terminal draws as nothing: separators, controls and format characters (a zero-
# width space, a word joiner), marks with no letter to sit on, and the blank letters and symbols.
_UNSEEN_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Mn", "Me"})
_BLANK = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def printable(text: str) -> str:
    """`text` with each control character written as JSON writes it (\\u001b, \\n), so that
    what an imported file holds cannot drive the operator's terminal or break its layout."""
    return _CONTROL.sub(lambda found: json.dumps(found.group())[1:-1], text)


def _unseen(c: str) -> bool:
    return c in _BLANK or unicodedata.category(c) in _UNSEEN_CATEGORIES


@functools.cache
def unseen_characters() -> str:
    """Every character `shown_text` takes for one that shows nothing (NUL and surrogates
    aside: no stored text holds them), for a database's `trim` to find the titles it names by
    their id; made once, on first use.

    >>> all(c in unseen_characters() for c in " \u200b\u2060\u0301\u3000"), "a" in unseen_characters()
    (True, False)
    """
    # Planes 0, 1 and 14 hold them all (2 and 3 are ideographs, 15 and 16 private use).
    points = itertools.chain(range(1, 0xD800), range(0xE000, 0x20000), range(0xE0000, 0xF0000))
    return "".join(c for c in map(chr, points) if _unseen(c))


def shown_text(text: str | None) -> str | None:
    """`text` without the spaces around it, or None where no character of it would show (a
    title of spaces or zero-width spaces alone), so that it is named otherwise (by its id).

    >>> shown_text("  Hat "), shown_text("\\u200b\\u2060"), shown_text(None)
    ('Hat', None, None)
    """
    if not text or all(map(_unseen, text)):
        return None
    return text.strip()


# The word that names an item with no title, before its id.
UNTITLED_ITEM = "item"


def item_name(title: str | None, item_id: str) -> str:
    """How lists, reasons and notices name an item: its title, or where none shows (a log of
    clicks names its items by id alone) "item" and its id, as `edgerec recommend` does.

    >>> item_name(" Hat ", "h1"), item_name(None, "2333346"), item_name("\\u200b", "z")
    ('Hat', 'item 2333346', 'item z')
    """
    return shown_text(title) or f"{UNTITLED_ITEM} {item_id}"
