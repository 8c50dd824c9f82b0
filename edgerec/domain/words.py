"""The words of a search, as the recommender and the console's item lists both match them."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

WORD = re.compile(r"\w+")
_POSSESSIVE = re.compile(r"(?<=\w)['\u2019]s\b")
# Neither a letter, a digit nor a space: a separator, unless it is a combining mark (the vowel
# signs of Devanagari or Thai, an accent that has no precomposed letter), which is `\W` to `re`.
_OTHER = re.compile(r"[^\w\s]")
# Scripts written without spaces between words: Thai, Lao, Myanmar, Khmer, Hiragana, Katakana
# (full and half width) and the Han ideographs. A query's run of them matches anywhere in one.
_UNSPACED = (
    "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u19e0-\u19ff\u3005-\u3007\u3040-\u30ff"
    "\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f"
)
_UNSPACED_RUN = re.compile(f"[{_UNSPACED}]+|[^{_UNSPACED}]+")
_UNSPACED_LETTER = re.compile(f"[{_UNSPACED}]")
# The accents NFKD splits off the letters of Latin, Greek and Cyrillic (é, ü, ά, ё); other
# scripts' marks are their letters' vowels and are kept.
ACCENTS = "".join(map(chr, range(0x300, 0x370)))  # U+0300-U+036F
_ACCENT_RUN = re.compile(f"[{ACCENTS}]+")
# The letters whose stroke NFKD does not split off (Polish ł, Danish and Norwegian ø, Vietnamese
# and Croatian đ), as a keyboard without them types them.
STROKED = {"ł": "l", "ø": "o", "đ": "d"}
# The joined letters NFKD leaves whole (French œ, Danish and Norwegian æ), as two letters.
LIGATURES = {"œ": "oe", "æ": "ae"}
_UNSTROKED = str.maketrans({**STROKED, **LIGATURES})


def caseless(text: str) -> str:
    """`text` composed (NFC, so that macOS's decomposed "Müsli" is the typed one) and case
    folded, Turkish İ and ı being i ("İstanbul".lower() is "i" and a dot, then "stanbul").

    >>> caseless("STRASSE") == caseless("Straße"), caseless("İÇECEK") == caseless("içecek")
    (True, True)
    """
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFC", text).replace("İ", "i")
    return unicodedata.normalize("NFC", text.casefold().replace("ı", "i"))


def folded(word: str) -> str:
    """A caseless word without the accents of Latin, Greek and Cyrillic letters, as a keyboard
    without them types it ("müsli" is "musli", "мёд" "мед", "masło" "maslo", "œuf" "oeuf");
    an ASCII word is itself.

    >>> folded(caseless("Crème")), folded(caseless("Γιαούρτι")), folded("चावल") == "चावल"
    ('creme', 'γιαουρτι', True)
    >>> folded(caseless("Łosoś")), folded(caseless("Smør")), folded(caseless("Đông"))
    ('losos', 'smor', 'dong')
    >>> folded(caseless("Œufs")), folded(caseless("Æbleskiver"))
    ('oeufs', 'aebleskiver')
    """
    if word.isascii():
        return word
    return unicodedata.normalize("NFC", _ACCENT_RUN.sub("", unicodedata.normalize("NFKD", word))).translate(
        _UNSTROKED
    )


def _space_unless_mark(match: re.Match[str]) -> str:
    return match[0] if unicodedata.category(match[0]).startswith("M") else " "


def words_of(text: str, case: Callable[[str], str] = caseless) -> list[str]:
    """The caseless words of `text` (or as `case` makes them): runs of letters, digits and
    combining marks; a run of a script written without spaces, inside a word, is a word of its own.

    >>> words_of("Men's T-shirt"), words_of("बासमती चावल"), words_of("iPhone用ケース")
    (['men', 's', 't', 'shirt'], ['बासमती', 'चावल'], ['iphone', '用ケース'])
    """
    text = case(text)
    if text.isascii():
        return WORD.findall(text)
    out = []
    for word in _OTHER.sub(_space_unless_mark, text).split():
        out.extend(_UNSPACED_RUN.findall(word) if _UNSPACED_LETTER.search(word) else (word,))
    return out


def unspaced(word: str) -> bool:
    """Whether `word` is a run of a script written without spaces (matched anywhere in a run)."""
    return _UNSPACED_LETTER.match(word) is not None


def pieces(word: str) -> list[str]:
    """What an unspaced run is indexed and searched by: its pairs of characters, and its last
    character alone (so that each character starts one).

    >>> pieces("有机绿茶")
    ['有机', '机绿', '绿茶', '茶']
    """
    return [word[i : i + 2] for i in range(len(word) - 1)] + [word[-1:]]


def indexed(words: Iterable[str]) -> list[str]:
    """The words a text is indexed by: a run of a script written without spaces by its pieces.

    >>> indexed(["green", "绿茶"])
    ['green', '绿茶', '茶']
    """
    out: list[str] = []
    for word in words:
        out.extend(pieces(word) if unspaced(word) else (word,))
    return out


def search_words(query: str, case: Callable[[str], str] = caseless) -> tuple[str, ...]:
    """The distinct caseless words of a query (or as `case` makes them), in order, a possessive's
    "s" dropped ("men's" is "men", not "men" and an "s" that every other possessive has).

    >>> search_words("Red  shoes, red! glass")
    ('red', 'shoes', 'glass')
    >>> search_words("Men's t-shirt")
    ('men', 't', 'shirt')
    """
    return tuple(dict.fromkeys(words_of(_POSSESSIVE.sub("", unicodedata.normalize("NFC", query)), case)))


def singular(word: str) -> str:
    """An English plural's "s" dropped ("shoes" also finds "Shoe rack"); a search matches it as
    a whole word only, so that "reis" (German rice) does not find "Reiniger" through "rei"."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word
