"""Text from a file or the log, made safe to show on a terminal."""

from __future__ import annotations

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


def shown_text(text: str | None) -> str | None:
    """`text` without the spaces around it, or None where no character of it would show (a
    title of spaces or zero-width spaces alone), so that it is named otherwise (by its id).

    >>> shown_text("  Hat "), shown_text("\\u200b\\u2060"), shown_text(None)
    ('Hat', None, None)
    """
    if not text or all(c in _BLANK or unicodedata.category(c) in _UNSEEN_CATEGORIES for c in text):
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
