"""Month names of the main shop languages, for dates that pandas reads in English only."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta, timezone, tzinfo

from dateutil import parser

# Each month in French, German, Spanish, Italian, Dutch and Portuguese: the full name and the
# usual abbreviations, with and without accents ('févr', 'fevr', 'März', 'Maerz', 'Mrz').
_NAMES = (
    "janvier janv januar jänner jaenner janner jän enero ene gennaio gen januari janeiro",
    "février fevrier févr fevr fév fev februar feber febrero febbraio februari fevereiro",
    "mars märz maerz marz mär mrz marzo maart mrt março marco",
    "avril avr abril abr aprile",
    "mai mayo maggio mag mei maio",
    "juin juni junio giugno giu junho",
    "juillet juil juli julio luglio lug julho",
    "août aout aoû aou agosto ago augustus",
    "septembre sept setiembre settembre set setembro",
    "octobre oktober okt octubre ottobre ott outubro out",
    "novembre noviembre novembro",
    "décembre decembre déc dezember dez diciembre dic dicembre dezembro",
)


class _Names(parser.parserinfo):
    """dateutil's English names with those above, and the words those languages write around a
    day: '1er mars', '15. März', '3 de mayo del 2025'."""

    MONTHS = [
        (*english, *names.split()) for english, names in zip(parser.parserinfo.MONTHS, _NAMES, strict=True)
    ]
    JUMP = [*parser.parserinfo.JUMP, "er", "de", "del", "º", "°"]


_INFO = _Names()
# The words that say a date is written in one of those languages: a month name English does not
# share, or the particle Spanish and Portuguese write around the month ('5 de jun. de 2025').
_FOREIGN = (
    frozenset(word for names in _NAMES for word in names.split())
    - {name.lower() for english in parser.parserinfo.MONTHS for name in english}
) | {"de", "del"}
_WORD = re.compile(r"[^\W\d_]+")
# What a date leaves out, as pandas fills it in: 'mars 2025' is the 1st, as 'Mar 2025' is.
_DEFAULT = datetime(1, 1, 1)


def read(value: object, dayfirst: bool) -> datetime | None:
    """A date or time that names its month in one of those languages ('1 mars 2025', '15. März
    2025 14:30', '3 de mayo de 2025'), or None.

    >>> read("1er févr. 2025 14:30", True), read("3 de mayo de 2025", True)
    (datetime.datetime(2025, 2, 1, 14, 30), datetime.datetime(2025, 5, 3, 0, 0))
    >>> read("15. MÄRZ 2025", True), read("3 days ago", True), read("Jul 30 2017", True)
    (datetime.datetime(2025, 3, 15, 0, 0), None, None)
    >>> read("3 abr 2025", True), read("5 de jun. de 2025", True), read("1 mars 2025 14:30 CST", True)
    (datetime.datetime(2025, 4, 3, 0, 0), datetime.datetime(2025, 6, 5, 0, 0), None)
    >>> read("1 mars 2025 14:30 +0100", True)
    datetime.datetime(2025, 3, 1, 14, 30, tzinfo=datetime.timezone(datetime.timedelta(seconds=3600)))
    """
    if not isinstance(value, str):
        return None
    text = unicodedata.normalize("NFC", value)
    if not any(word in _FOREIGN for word in _WORD.findall(text.lower())):
        return None  # English, or no date: as pandas reads it
    try:
        return parser.parse(text, parserinfo=_INFO, dayfirst=dayfirst, default=_DEFAULT, tzinfos=_zone)
    except (ValueError, OverflowError):
        return None


def _zone(name: str | None, offset: int | None) -> tzinfo | None:
    """The zone a time gives: its offset (UTC's for 'UTC' or 'Z'), or none written. A name alone
    is refused: the abbreviations that name one offset were read before (CET is +0100 by then),
    and dateutil would drop any other without a word ('CST', which names several zones, 'MEZ')."""
    if offset is not None:
        return timezone(timedelta(seconds=offset))
    if name is None:
        return None
    raise ValueError(f"{name} names no one offset from UTC")
