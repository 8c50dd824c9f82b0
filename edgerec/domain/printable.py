"""Text from a file or the log, made safe to show on a terminal."""

from __future__ import annotations

import json
import re

# Control characters, C1 (U+0080-U+009F) too: a terminal takes them for its escape sequences,
# and a line feed inside a title breaks the line a table or a panel draws.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """`text` with each control character written as JSON writes it (\\u001b, \\n), so that
    what an imported file holds cannot drive the operator's terminal or break its layout."""
    return _CONTROL.sub(lambda found: json.dumps(found.group())[1:-1], text)
