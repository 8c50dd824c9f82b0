"""Column converters from file text to typed values: numbers, epoch times, dates (to UTC).

Each converter takes one column of a chunk (strings, None for a missing field) and returns the
typed values plus a problem per row, so that one bad cell quarantines its row only.
"""

from __future__ import annotations

import calendar
import math
import re
import unicodedata
import warnings
from collections.abc import Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from edgerec.domain.zones import zone
from edgerec.ingest import months
from edgerec.ingest.validate import Problem

# Beyond this many seconds from 1970 a value is certainly not a real event time (year ~5000).
_MAX_ABS_SECONDS = 1e11
UNITS = {"s": 1_000_000, "ms": 1_000, "us": 1, "ns": 0.001}


def check_timezone(name: object) -> str:
    """The zone that times written without an offset are in (a name from the time zone
    database, or a fixed offset such as +02:00), checked up front: pandas fails on a name such
    as "UTC+2" only when it converts, and every row without an offset would be quarantined."""
    zone(name)
    return str(name)


# What shops write in a price, stock or quantity cell for no value: read as an empty cell (the
# item listed, the sale kept, without it), not a bad number that quarantined the row.
NO_VALUE = frozenset({"n/a", "na", "-", "--", "\u2014", "\u2013", "null", "none"})


def no_placeholders(cells: Sequence[Any], placeholders: frozenset[str] = NO_VALUE) -> list[Any]:
    """`cells`, each placeholder for no value (`NO_VALUE`) as None."""
    return [None if isinstance(c, str) and c.strip().lower() in placeholders else c for c in cells]


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def blank_to_none(values: Sequence[Any]) -> list[Any]:
    return [None if is_blank(v) else v for v in values]


def ints(values: Sequence[Any], name: str) -> tuple[list[int | None], list[Problem]]:
    """Integer cells; '3' and '3.0' are 3, '3.5' is a problem, '' is None."""
    out: list[int | None] = []
    problems: list[Problem] = []
    for value in values:
        if is_blank(value):
            out.append(None)
            problems.append(None)
            continue
        try:
            if isinstance(value, bool | float | Decimal):
                raise ValueError  # 2.5 is not an integer, nor is True; 2.0 is, below
            number = int(value)
        except (TypeError, ValueError):
            try:
                real = math.nan if isinstance(value, bool) else float(value)
            except (TypeError, ValueError):
                real = math.nan
            if math.isfinite(real) and real.is_integer():
                number = int(real)
            else:
                out.append(None)
                problems.append((f"invalid_{name}", f"{name}: {str(value)[:40]!r} is not an integer"))
                continue
        out.append(number)
        problems.append(None)
    return out, problems


# A count that groups its thousands ('1,200', '1.200', '1 200', "1'200", '1’200', with a
# no-break, narrow no-break or thin space too), one mark throughout, as a price reads one. No
# group of thousands follows a lone 0: '0,500' is a decimal comma, not five hundred.
_THOUSANDS = re.compile(r"[-+]?(?!0+[^0-9])[0-9]{1,3}([,.' \u00a0\u202f\u2009\u2019])[0-9]{3}(?:\1[0-9]{3})*")


def ungrouped(text: str, dots: bool = True) -> str | None:
    """A count that groups its thousands, its marks dropped; None for text that is no such
    count, or groups them with a dot where `dots` may not (a column whose dots mark decimals).

    >>> ungrouped("1.200.000"), ungrouped("1’200"), ungrouped("1.5"), ungrouped("1.200", dots=False)
    ('1200000', '1200', None, None)
    >>> ungrouped("12,000"), ungrouped("0,500"), ungrouped("0 500")
    ('12000', None, None)
    """
    grouped = _THOUSANDS.fullmatch(text.strip())
    if grouped is None or (grouped[1] == "." and not dots):
        return None
    return re.sub(r"[^-+0-9]", "", grouped[0])


def floats(values: Sequence[Any], name: str) -> tuple[list[float | None], list[Problem]]:
    """Number cells; a decimal comma ('4,5', as a European spreadsheet writes it) is read too."""
    out: list[float | None] = []
    problems: list[Problem] = []
    for value in values:
        if is_blank(value):
            out.append(None)
            problems.append(None)
            continue
        try:
            number = float(value)
        except ValueError:
            number = _decimal_comma(value)
        except TypeError:
            number = None
        if number is None:
            out.append(None)
            problems.append((f"invalid_{name}", f"{name}: {str(value)[:40]!r} is not a number"))
            continue
        out.append(number)
        problems.append(None)
    return out, problems


def _decimal_comma(value: Any) -> float | None:
    """'4,5' as 4.5; None for anything else, '1,000' included (a thousand, by the prices' rule:
    a number's value is never guessed)."""
    text = value.strip() if isinstance(value, str) else ""
    if "." in text or _decimal_mark(text) != ",":
        return None
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return None


def prices(values: Sequence[Any], name: str) -> tuple[list[float | None], list[Problem]]:
    """Prices as shops write them: '12.99', '$1,299.00', '1.299,00 €', '12,99', 'USD 12.00',
    "CHF 1'299.50", '1 299,50', 'Free' or 'Free To Play' (0; '' is None). With both a comma and
    a dot, the last one marks the decimals. A comma alone marks them unless three digits follow
    it ('1,299' is 1299); a dot alone always does ('1.299' is 1.299, as in any number), but in a
    whole amount ('1.299,- €') and before three digits in a currency without cents ('Rp 125.000',
    '45.000 ₫', '12.990 Ft') it groups thousands."""
    out: list[float | None] = []
    problems: list[Problem] = []
    for value in values:
        number = None if is_blank(value) else parse_price(value)
        if number is None and not is_blank(value):
            problems.append((f"invalid_{name}", f"{name}: {str(value)[:40]!r} is not a price"))
        else:
            problems.append(None)
        out.append(number)
    return out, problems


# Steam's prices of nothing: 'Free', 'Free To Play', 'Free Demo', 'Free Movie', 'Play for Free!',
# 'Install Now'. Not any 'Free ...': 'Free shipping' is no price.
_FREE = re.compile(
    r"free(?:[ -]to[ -](?:play|use|try)| demo| mod| movie)?|play for free!?|(?:install|play) now",
    re.IGNORECASE,
)
# Digits are ASCII's only ([0-9], not \d): other scripts' are turned into them first (`_ascii`).
# What groups thousands besides a comma or a dot: a space (no-break, narrow no-break, thin too)
# or an apostrophe ("1'299", '1’299').
_GROUPS = "' \u00a0\u202f\u2009\u2019"
_MONEY = re.compile(
    rf"(?P<before>[^0-9]*?)(?P<sign>[-+]?)(?P<number>[0-9][0-9.,{_GROUPS}]*|[.,][0-9]+)(?P<after>[^0-9]*)"
)
# A whole amount's ending: '99:-' (Sweden), '12,-' (Germany), 'CHF 12.-', with an en or em dash
# as typography writes it too ('CHF 12.–', '1.299,— €').
_WHOLE_ENDING = re.compile(r"(?<=[0-9])[.,:][-\u2013\u2014](?=[^0-9]*$)")
# Whole units: plain digits, groups of three (1,299,000 / 1.299.000 / 1 299 000 / 1'299'000 /
# 1’299’000, with a space, a no-break, narrow no-break or thin space) after anything but a lone
# 0, or India's lakh grouping (1,23,456).
_WHOLE = re.compile(
    r"[0-9]*|(?!0+[^0-9])[0-9]{1,3}(?:([,." + _GROUPS + r"])[0-9]{3})(?:\1[0-9]{3})*"
    r"|[0-9]{1,2}(?:,[0-9]{2})+,[0-9]{3}"
)
_FRACTION = re.compile(r"[0-9]+")
# The full-width and Arabic marks that come with those scripts' digits ('１，２００円', '١٢٫٥٠').
_ASCII_MARKS = str.maketrans({"\uff0c": ",", "\uff0e": ".", "\uff07": "'", "\u066c": ",", "\u066b": "."})


def _ascii(text: str) -> str:
    """`text` with the digits of any script ('１２００円', '٢٥ ر.س') as ASCII's, so that a price
    is read in its own digits, not as the ASCII digits left once the others are dropped."""
    if text.isascii():
        return text
    digits = "".join(str(d) if (d := unicodedata.decimal(c, None)) is not None else c for c in text)
    return digits.translate(_ASCII_MARKS)


def parse_price(value: Any) -> float | None:
    """One price as `prices` reads it; None for what is not a price."""
    if not isinstance(value, str):
        try:
            return None if isinstance(value, bool) else float(value)  # True is no price
        except (TypeError, ValueError):
            return None
    text = value.strip()
    try:
        return float(text)  # the common case: a plain number
    except ValueError:
        pass
    if _FREE.fullmatch(text):  # an app store's or a download shop's price of nothing
        return 0.0
    text, whole_amount = _WHOLE_ENDING.subn("", _ascii(text))
    match = _MONEY.fullmatch(text)
    if match is None or not (
        _currency(match["before"], before=True) and _currency(match["after"], before=False)
    ):
        return None
    number = match["number"].rstrip(" \u00a0\u202f\u2009")
    # Once the amount says it is whole ('1.299,-'), each mark left groups thousands.
    no_minor = _no_minor_unit(match["before"]) or _no_minor_unit(match["after"])
    decimal = None if whole_amount else _decimal_mark(number, no_minor_unit=no_minor)
    whole, fraction = number.rsplit(decimal, 1) if decimal else (number, "")
    if not _WHOLE.fullmatch(whole) or (decimal and not _FRACTION.fullmatch(fraction)):
        return None
    amount = float(f"{match['sign']}{re.sub(r'[^0-9]', '', whole) or '0'}.{fraction or '0'}")
    return amount / 100 if (match["before"] + match["after"]).strip() == _CENTS else amount


def _decimal_mark(number: str, *, no_minor_unit: bool = False) -> str | None:
    """The decimal separator of a price's digits, or None when it has none; in a currency with
    `no_minor_unit` a lone mark before exactly three digits groups thousands ('Rp 125.000')."""
    marks = [c for c in number if c in ".,"]
    if not marks:
        return None
    last = marks[-1]
    if len(set(marks)) == 2:
        return last  # '1,299.00', '1.299,00': the last one marks the decimals
    if len(marks) > 1:
        return None  # '1,299,000': only thousands
    # A comma before exactly three digits groups thousands ('1,299'), but not after zeros alone
    # ('0,500' and '00,500' are a half); otherwise a lone mark is the decimal one ('12,99',
    # '12.5', and '1.299' as any number reads it).
    whole, fraction = number.rsplit(last, 1)
    thousands = (last == "," or no_minor_unit) and len(fraction) == 3 and whole.lstrip("-+").strip("0") != ""
    return None if thousands else last


# ISO 4217's codes in use. A code is taken in capitals ('TRY 5'), or in lower case unless it is
# also an English word ('12 eur' is a price, 'Top 5' and 'All 3' are not).
_CURRENCY_CODES = frozenset({
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BHD",
    "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHE", "CHF",
    "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD",
    "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD",
    "HNL", "HRK", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS",
    "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL",
    "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN",
    "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PLN", "PYG", "QAR", "RON", "RSD", "RUB",
    "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SLL", "SOS", "SRD", "SSP", "STN", "SVC",
    "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "USN",
    "UYI", "UYU", "UYW", "UZS", "VED", "VES", "VND", "VUV", "WST", "XAF", "XCD", "XOF", "XPF", "YER", "ZAR",
    "ZMW", "ZWL", "PKR", "XCG", "ZWG", "RMB", "NIS",
})  # fmt: skip
_CODES_THAT_ARE_WORDS = frozenset(
    {"ALL", "BOB", "CAD", "CUP", "GEL", "MAD", "MOP", "PEN", "RUB", "SOS", "TOP", "TRY"}
)
# Local spellings and signs written in letters, in any case: 'kr.', 'zł', 'Kč', 'Rs.', 'руб.',
# '5 euro', '1,200円', 'KSh 500', '1000 FCFA', 'S/ 25.90', 'GH¢ 20'.
_CURRENCY_WORDS = frozenset({
    "kr", "zł", "zl", "kč", "kn", "ft", "lei", "lev", "lv", "лв", "rs", "re", "fr", "sfr", "frw",
    "din", "дин", "ден", "tl", "rp", "rm", "dh", "dhs", "руб", "р", "грн", "тг", "сом", "yen", "won",
    "euro", "円", "元", "圓", "원", "ريال", "ر.س", "د.إ", "שח", "ש״ח", "บาท", "ብር", "đ", "vnđ", "s/", "bs",
    "gs", "tk", "sh", "ksh", "ush", "tsh", "fcfa", "cfa", "kz", "mt", "le", "ll", "mk", "zk", "ar", "af",
    "br", "sr", "qr", "yr", "kd", "bd", "ro", "jd", "da", "dt", "nt", "ntd", "ks", "rf", "nu",
})  # fmt: skip
# One Latin letter is a currency only before the amount: 'R 100' (rand), 'N 1,200' (naira),
# 'K 50', 'Q 50', 'L 50', 'P 50', 'E 50', 'G 50'; after it, '5 K' may be a thousand, '5 L'
# litres; and 'x2' is no price.
_CURRENCY_LETTERS = frozenset("rnkqlpeg")
_CENTS = "\u00a2"  # '50¢' is half a dollar ('GH¢ 20' is 20 cedis)
# The currencies without a minor unit (ISO 4217's exponent 0), and those whose cents are never
# written though ISO lists two (the rupiah, forint, Colombian peso, rial, kip, kyat, som and
# Tanzanian shilling): yen, won, dong, rupiah, Chile's and Iceland's, guaraní, the CFA francs,
# ... Signs and words shared with a currency that has cents ('¥' with the yuan, 'kr' with the
# Swedish krona, '$' with the US dollar) are not among them, but 'JP¥', 'CLP$' and 'COL$' are.
_NO_MINOR_UNIT = frozenset({
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV",
    "XAF", "XOF", "XPF", "IDR", "HUF", "COP", "IRR", "LAK", "MMK", "UZS", "TZS",
    "RP", "Đ", "VNĐ", "₫", "円", "YEN", "₩", "원", "WON", "₲", "GS", "USH", "FCFA", "CFA", "FRW",
    "FT", "₭", "KS", "TSH", "JP¥", "CLP$", "COL$",
})  # fmt: skip


def _no_minor_unit(text: str) -> bool:
    """Whether `text`, a currency beside a price, names one without a minor unit."""
    return text.strip().rstrip(".").strip().upper() in _NO_MINOR_UNIT


def _currency(text: str, *, before: bool) -> bool:
    """Nothing, or a currency sign or code `before` or after a price: '$', '€', 'USD', 'kr.',
    'R$', 'zł'. Any other word is no currency: '10 kg', 'Only 5 left' and 'Sold 12' are no
    prices."""
    mark = text.strip().rstrip(".").strip()
    signs = sum(unicodedata.category(c) == "Sc" for c in mark)
    if signs == len(mark):
        return True  # nothing, or signs alone
    joined = "".join(mark.split())
    if signs and len(joined) <= 4 and all(c.isalpha() or unicodedata.category(c) == "Sc" for c in joined):
        return True  # a dollar or pound of a country: 'R$', 'US$', 'US $', 'GH₵', '$U', '£E'
    code = mark.upper()
    if code in _CURRENCY_CODES and (mark.isupper() or code not in _CODES_THAT_ARE_WORDS):
        return True
    word = mark.lower()
    return word in _CURRENCY_WORDS or (before and word in _CURRENCY_LETTERS)


def epoch_micros(values: Sequence[Any], unit: str = "s") -> tuple[list[int | None], list[Problem]]:
    """Unix epoch times (seconds by default, fractions allowed) to integer microseconds UTC."""
    scale = UNITS[unit]
    n = len(values)
    try:  # fast path: every cell an integer (numpy would cut a float's fraction off)
        whole = np.array(values, dtype=np.int64) if n else np.zeros(0, np.int64)
        fractions = any(isinstance(v, float) and not v.is_integer() for v in values)
        if scale >= 1 and not fractions and np.abs(whole).max(initial=0) < _MAX_ABS_SECONDS * 1e6 / scale:
            return (whole * int(scale)).tolist(), [None] * n
    except (TypeError, ValueError, OverflowError):
        pass
    numbers = pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce").to_numpy(dtype=np.float64)
    out: list[int | None] = []
    problems: list[Problem] = []
    limit = _MAX_ABS_SECONDS * 1e6 / scale
    for raw, number in zip(values, numbers, strict=True):
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            out.append(None)
            problems.append(("missing_occurred_at", "occurred_at: is required"))
        elif not math.isfinite(number):
            out.append(None)
            problems.append(("bad_timestamp", f"occurred_at: {str(raw)[:40]!r} is not a time"))
        else:
            # Absurd magnitudes are clamped so the range check names them (future / too old).
            clamped = max(-limit, min(limit, number))
            out.append(int(round(clamped * scale)))
            problems.append(None)
    return out, problems


def datetime_micros(
    values: Sequence[Any],
    source_timezone: str = "UTC",
    *,
    dayfirst: bool | None = None,
    fmt: str | None = None,
) -> tuple[list[int | None], list[Problem]]:
    """Date/time text to microseconds UTC; times without an offset are in `source_timezone`.

    `fmt` (a strftime format) reads every value one way. Without it, ISO 8601 is tried first,
    then the layout the other values share (12/1/2010 8:26, 30.07.2017, Jul 30 2017, ...),
    then each value on its own, then with its month named in French, German, Spanish, Italian,
    Dutch or Portuguese (1er mars 2025, 15. März 2025, 3 de mayo de 2025). `dayfirst` settles
    dates that read both ways (01/05/2024); None: day first with dots or dashes, month first
    with slashes. A time of day with no date is not a time: pandas would give it today's date.
    """
    series = pd.Series(list(values), dtype=object)
    out: list[int | None] = [None] * len(series)
    problems: list[Problem] = [None] * len(series)
    if not len(series):
        return out, problems
    if dayfirst is None:
        dayfirst = _day_first(values)
    parsed = _parse_times(series, source_timezone, dayfirst, fmt)
    for i, (raw, micros) in enumerate(zip(values, parsed, strict=True)):
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            problems[i] = ("missing_occurred_at", "occurred_at: is required")
        elif micros is None:
            hint = f" in the layout {fmt} given" if fmt else _zone_hint(raw) or _year_hint(raw, dayfirst)
            problems[i] = ("bad_timestamp", f"occurred_at: {str(raw)[:40]!r} is not a time{hint}")
        elif is_time_of_day(raw):
            problems[i] = (
                "bad_timestamp",
                f"occurred_at: {raw[:40]!r} is a time of day without a date "
                "(name the date column: --map timestamp=COLUMN)",
            )
        else:
            out[i] = micros
    _name_clock_changes(series, problems, source_timezone, dayfirst, fmt)
    return out, problems


def dates_alone(
    values: Sequence[Any], stamps: Sequence[int | None], source_timezone: str = "UTC"
) -> list[bool] | None:
    """Which of the times `stamps`, read from the text `values` (not as epoch times), are a
    date with no time of day ('2024-03-01', '20240301', a `date`): the text names no hour and
    was read as the day's first instant (a real 00:00:00 is written as one). None where none is.

    >>> dates_alone(["2018-09-20", "2018-09-20 10:00", "20180920", "1 Sep 2018 10am"],
    ...             [1537401600000000, 1537437600000000, 1537401600000000, 1535796000000000])
    [True, False, True, False]
    """
    days = [
        i
        for i, (value, at) in enumerate(zip(values, stamps, strict=True))
        if at is not None and _no_clock(value)
    ]
    if not days:
        return None
    read = pd.to_datetime(np.array([stamps[i] for i in days], dtype=np.int64), unit="us", utc=True)
    # The day's first instant as a date alone is read (`_localized`): midnight, or where the
    # clocks skip midnight, the first time after it.
    local_days = read.tz_convert(source_timezone).tz_localize(None).normalize()
    first = np.ones(len(days), dtype=bool)
    starts = local_days.tz_localize(source_timezone, ambiguous=first, nonexistent="shift_forward")
    alone = [False] * len(values)
    for i, start in zip(days, (read == starts).tolist(), strict=True):
        alone[i] = start
    return alone if any(alone) else None


def _no_clock(value: Any) -> bool:
    """Whether a time cell's text names no time of day: no hours and minutes, and as one number
    a date (YYYYMMDD, 8 digits), not YYYYMMDDHHMM."""
    if isinstance(value, str):
        text = value.strip()
        return ":" not in text and (len(text) == 8 or not text.isdigit())
    if isinstance(value, date):
        return not isinstance(value, datetime)
    return isinstance(value, int) and not isinstance(value, bool) and len(str(value)) == 8


# A time of day, with its zone where it names one ("10:15:32 PST", "10:15 +01:00", "10:15Z").
_TIME_OF_DAY = re.compile(
    r"\s*\d{1,2}:\d{2}(:\d{2}([.,]\d+)?)?\s*([AaPp]\.?[Mm]\.?)?\s*(Z|[A-Z]{2,5}|[+-]\d{2}:?\d{2})?\s*"
)
_NUMERIC_DATE = re.compile(r"\s*(\d{1,2})[/.-](\d{1,2})[/.-]\d{2,4}\b")


def is_time_of_day(value: Any) -> bool:
    """Whether a cell holds a time of day and no date: '10:00', '8:26:30 PM', a `time`."""
    return isinstance(value, time) or (isinstance(value, str) and _TIME_OF_DAY.fullmatch(value) is not None)


def _day_first(values: Sequence[Any]) -> bool:
    """Whether dates such as 01.05.2024 in `values` are day first: as their days past the 12th
    say, else as where such dates are written: day first with dots or dashes, not slashes."""
    order = day_order(values)
    if order != "either":
        return order == "day"  # "none": no such date to settle
    first = next(found for v in values if isinstance(v, str) and (found := _NUMERIC_DATE.match(v)))
    return first[0].lstrip()[len(first[1])] in ".-"


def day_order_note(values: Sequence[Any]) -> str | None:
    """What the import says of dates such as 03/04/2025 where every date in the file reads both
    ways: which way they were read (as `_day_first` does, by their marks) and how to say the
    other. None where each is the same date either way (05/05/2025: a day's sales on the 5th of
    May), which no reading changes."""
    found = next(
        (
            found
            for v in values
            if isinstance(v, str) and (found := _NUMERIC_DATE.match(v)) and int(found[1]) != int(found[2])
        ),
        None,
    )
    if found is None:
        return None
    day_first = _day_first(values)
    day, month = (found[1], found[2]) if day_first else (found[2], found[1])
    read, other = ("day", "month") if day_first else ("month", "day")
    flag = f"day_first={str(not day_first).lower()}"
    return (
        f"Dates such as {found[0].strip()!r} were read {read} first, as {int(day)} "
        f"{calendar.month_name[int(month)]}: no date in the file has a day past the 12th to tell. "
        f"If the file writes the {other} first, give {flag} (--map {flag} on the command line), in "
        "every import of such files."
    )


def day_order(values: Sequence[Any]) -> str:
    """How `values` write dates such as 05/01/2024: "day" first or "month" first, where some
    value has a day past the 12th; "either" where every one reads both ways; "none" where no
    value is a date of that kind."""
    matched = False
    for value in values:
        found = _NUMERIC_DATE.match(value) if isinstance(value, str) else None
        if found is None:
            continue
        matched = True
        first, second = int(found[1]), int(found[2])
        if first > 12 >= second:
            return "day"
        if second > 12 >= first:
            return "month"
    return "either" if matched else "none"


def _name_clock_changes(
    series: pd.Series, problems: list[Problem], tz: str, dayfirst: bool, fmt: str | None
) -> None:
    """A local time that the clocks skip (spring) or pass twice (autumn) is a time, just not
    one instant: say so, rather than "is not a time"."""
    if tz == "UTC":
        return
    failed = [i for i, p in enumerate(problems) if p is not None and p[0] == "bad_timestamp"]
    if not failed:
        return
    as_utc = _parse_times(series.iloc[failed], "UTC", dayfirst, fmt)
    for i, micros in zip(failed, as_utc, strict=True):
        if micros is not None:
            problems[i] = (
                "ambiguous_local_time",
                f"occurred_at: {str(series.iloc[i])[:40]!r} is skipped or repeated by a clock change in "
                f"{tz}: write it with its offset from UTC",
            )


# Zone abbreviations that name one offset from UTC, as logs and exports write them ("Fri Mar 01
# 10:00:00 PST 2024", "2024-03-01 10:00 CET"). CST (US Central, or China) and IST (India,
# Ireland or Israel) name several and stay unread.
_ZONE_ABBREVIATIONS = {
    "GMT": "+0000", "WET": "+0000", "WEST": "+0100", "BST": "+0100", "CET": "+0100", "CEST": "+0200",
    "MET": "+0100", "MEST": "+0200", "EET": "+0200", "EEST": "+0300", "MSK": "+0300", "HKT": "+0800",
    "SGT": "+0800", "AWST": "+0800", "JST": "+0900", "KST": "+0900", "ACST": "+0930", "ACDT": "+1030",
    "AEST": "+1000", "AEDT": "+1100", "NZST": "+1200", "NZDT": "+1300", "HST": "-1000",
    "AKST": "-0900", "AKDT": "-0800", "PST": "-0800", "PDT": "-0700", "MST": "-0700", "MDT": "-0600",
    "CDT": "-0500", "EST": "-0500", "EDT": "-0400",
}  # fmt: skip
_ABBREVIATION = re.compile(r"(?<=\s)(" + "|".join(_ZONE_ABBREVIATIONS) + r")(?=\s|$)")


_SEVERAL_ZONES = {"CST": "US Central or China", "IST": "India, Ireland or Israel"}


def _zone_hint(value: Any) -> str:
    """Why a time with an abbreviation that names several zones is not read."""
    words = set(str(value).split())
    named = next((name for name in _SEVERAL_ZONES if name in words), None)
    if named is None:
        return ""
    return f" ({named} names more than one zone, {_SEVERAL_ZONES[named]}: write the time's offset from UTC)"


def _year_hint(value: Any, dayfirst: bool) -> str:
    """Why a value that reads as a date, guessing, is not one: it names no year ('15 March'),
    or a year it is not read in ('3-5 May 2025')."""
    stamp = _guessed(value, dayfirst)
    unplaced = None if stamp is None else _unplaced(value, stamp.year)
    return f" ({unplaced})" if unplaced else ""


def _guessed(value: Any, dayfirst: bool) -> Any:
    """`value` as pandas reads it on its own, or with a foreign month name; None where neither
    reads it. No year is checked: this says what the guess would be."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        try:
            stamp = pd.to_datetime(value, errors="coerce", dayfirst=dayfirst)
        except (ValueError, TypeError, OverflowError):
            stamp = pd.NaT
    return months.read(value, dayfirst) if stamp is pd.NaT else stamp


_DIGITS = re.compile(r"[0-9]+")


def _unplaced(value: Any, year: int) -> str | None:
    """Why a date that dateutil read in `year` from the text `value`, guessing (pandas' reading
    of one value, `months.read`), is not the date the text names, or None where it is: the year
    read is one the text writes ('Jul 30 17', '20250503', '1 mai 2025'). dateutil finds a place
    for every number: '3-5 May 2025', a range of days, is 2003-05-05 20:25, and '15 March'
    (no year) is in year 1.

    >>> _unplaced("15 March", 1), _unplaced("3 May 25 1430", 2025), _unplaced("20250503", 2025)
    ('it names no year', None, None)
    >>> _unplaced("150625 14:30", 2025), _unplaced("311299", 1999), _unplaced("150625-160625", 2025)
    (None, None, 'it names no year')
    >>> _unplaced("3-5 May 2025", 2003)
    'its numbers are no one date: a range of days, or a number with no place in a date'
    """
    if not isinstance(value, str) or is_time_of_day(value):
        return None  # a time of day is refused as one
    runs = _DIGITS.findall(value)
    if any(len(run) >= 4 and str(year) in run for run in runs):
        return None
    if any(len(run) == 4 and run[:2] in ("19", "20") for run in runs):
        return "its numbers are no one date: a range of days, or a number with no place in a date"
    short = f"{year % 100:02d}"
    if short in [run for run in runs if len(run) == 2] or (not runs and year != 1):
        return None  # a year of two digits, or 'now' and 'today'
    long_runs = [run for run in runs if len(run) >= 4]
    if len(long_runs) == 1 and len(long_runs[0]) == 6 and short in (long_runs[0][:2], long_runs[0][-2:]):
        return None  # DDMMYY or YYMMDD: '150625 14:30' (not '150625-160625', a range of days)
    return "it names no year"


def _with_offsets(value: Any) -> Any:
    """A time written with a zone abbreviation, with its offset instead."""
    if not isinstance(value, str):
        return value
    return _ABBREVIATION.sub(lambda found: _ZONE_ABBREVIATIONS[found.group(1)], value)


def _parse_times(series: pd.Series, tz: str, dayfirst: bool, fmt: str | None) -> list[int | None]:
    if fmt is not None:
        return _parse_as(series, tz, fmt, dayfirst)
    result = _parse_as(series, tz, "ISO8601", dayfirst)
    if None not in result:  # the usual case: no row to look at again
        return result
    failed = [
        i
        for i, (micros, raw) in enumerate(zip(result, series, strict=True))
        if micros is None and not is_blank(raw)
    ]
    if not failed:
        return result
    rest = series.iloc[failed].map(_with_offsets)
    layout = _shared_layout(rest, dayfirst)
    again = _parse_as(rest, tz, layout, dayfirst) if layout else [None] * len(rest)
    lone = [j for j, micros in enumerate(again) if micros is None]
    for j, micros in zip(lone, _parse_each(rest.iloc[lone], tz, dayfirst), strict=True):
        again[j] = micros
    for j, micros in enumerate(again):  # last, so that no date read in English reads otherwise
        stamp = months.read(rest.iloc[j], dayfirst) if micros is None else None
        if stamp is not None and _unplaced(rest.iloc[j], stamp.year) is None:
            again[j] = _to_micros(pd.Series([pd.Timestamp(stamp)]), tz)[0]
    for i, micros in zip(failed, again, strict=True):
        result[i] = micros
    return result


def _parse_as(series: pd.Series, tz: str, fmt: str, dayfirst: bool) -> list[int | None]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return _to_micros(pd.to_datetime(series, errors="coerce", format=fmt), tz)
    except (ValueError, TypeError, OverflowError):
        return _parse_each(series, tz, dayfirst)  # mixed offsets: one cell at a time


# A date written year first (ISO 8601's 2026-11-02) is never year, day, month, day first or not.
_YEAR_FIRST = re.compile(r"\s*\d{4}[-/.]\d{1,2}[-/.]\d{1,2}")


def _parse_each(series: pd.Series, tz: str, dayfirst: bool) -> list[int | None]:
    result: list[int | None] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for value in series:
            first = dayfirst and not (isinstance(value, str) and _YEAR_FIRST.match(value))
            try:
                stamp = pd.to_datetime(value, errors="coerce", dayfirst=first)
                read = stamp is not pd.NaT and _unplaced(value, stamp.year) is None
                result.append(_to_micros(pd.Series([stamp]), tz)[0] if read else None)
            except (ValueError, TypeError, OverflowError):
                result.append(None)
    return result


def _shared_layout(values: pd.Series, dayfirst: bool) -> str | None:
    """The strftime layout that reads the most of `values` (a sample), or None; where both
    readings of a date such as 01.05.2024 fit every value, `dayfirst` settles it."""
    from pandas.tseries.api import guess_datetime_format

    spread = values.iloc[:: max(1, len(values) // 2000)]  # a day past the 12th settles the order
    sample = pd.Series([v.strip() for v in spread if isinstance(v, str)], dtype=object)
    layouts: dict[str, bool] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pandas warns of the day-first reading tried
        for value in sample.iloc[:5]:
            for first in (dayfirst, not dayfirst):
                layout = guess_datetime_format(value, dayfirst=first)
                if layout and "%" in layout:
                    layouts.setdefault(layout, first)
        if not layouts:
            return None
        read = {layout: _count_read(sample, layout) for layout in layouts}
    best = max(read.values())
    if not best:
        return None
    tied = [layout for layout in layouts if read[layout] == best]
    return next((layout for layout in tied if layouts[layout] == dayfirst), tied[0])


def _count_read(sample: pd.Series, layout: str) -> int:
    """How many of `sample` `layout` reads; 0 where pandas refuses them all at once (zone
    names such as UTC and CET side by side): each value is then read on its own."""
    try:
        return int(pd.to_datetime(sample, format=layout, errors="coerce").notna().sum())
    except (ValueError, TypeError, OverflowError):
        return 0


def _localized(stamps: pd.Series, tz: str) -> pd.Series:
    """Local times in `tz`; one the clocks skip or pass twice is NaT (named by the caller),
    except midnight, a date alone: on a day whose clocks change at midnight (Cairo's, Santiago's
    summer time) it is the day's first instant."""
    localized = stamps.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    midnight = localized.isna() & stamps.notna() & (stamps == stamps.dt.normalize())
    if midnight.any():
        days = stamps[midnight]
        first = np.ones(len(days), dtype=bool)  # passed twice: the first time
        localized[midnight] = days.dt.tz_localize(tz, ambiguous=first, nonexistent="shift_forward")
    return localized


def _to_micros(stamps: pd.Series, tz: str) -> list[int | None]:
    if not isinstance(stamps.dtype, pd.DatetimeTZDtype):
        if stamps.dtype == object:  # mixed offsets: normalise each to UTC
            stamps = pd.to_datetime(stamps, utc=True, errors="coerce")
        else:
            stamps = _localized(stamps, tz)
    array = stamps.dt.tz_convert("UTC").dt.tz_localize(None).dt.as_unit("us").to_numpy()
    missing = np.isnat(array)
    values = array.view("int64").tolist()
    return [None if gone else v for v, gone in zip(values, missing.tolist(), strict=True)]
