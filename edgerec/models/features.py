"""Hashed content tokens for items (category path, brand, price bucket, words, attributes)."""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from edgerec.domain.words import folded, indexed, words_of
from edgerec.models.data import ItemFeatures


@dataclass(frozen=True)
class ItemContent:
    """What the catalogue says about one item; every field may be missing."""

    title: str | None = None
    category: str | None = None
    brand: str | None = None
    price: float | None = None
    description: str | None = None
    attributes: Mapping[str, str] | None = None


def _h(token: str, n_buckets: int) -> int:
    # crc32 is stable across processes (Python's hash() is salted), so saved models stay valid.
    return 1 + zlib.crc32(token.encode("utf-8")) % (n_buckets - 1)


def tokens_of(item: ItemContent, *, max_words: int = 24) -> list[str]:
    """Readable tokens for an item, before hashing."""
    out: list[str] = []
    if item.category:
        parts = [p.strip().lower() for p in re.split(r"[/>|]", item.category) if p.strip()]
        for depth in range(len(parts)):
            out.append("cat:" + "/".join(parts[: depth + 1]))
        out += ["catleaf:" + p for p in parts]
    if item.brand:
        out.append("brand:" + item.brand.strip().lower())
    if item.price is not None and not math.isnan(item.price) and item.price >= 0:
        out.append(f"price:{int(round(2 * math.log2(1 + item.price)))}")
    for name, text in (("title", item.title), ("desc", item.description)):
        if text:
            words = _words(text)[:max_words]
            out += [f"{name}:{w}" for w in words if len(w) > 1]
    if item.attributes:
        for k, v in sorted(item.attributes.items()):
            out.append(f"attr:{k}={v}".lower())
    return list(dict.fromkeys(out))


def _words(text: str) -> list[str]:
    """A title's or description's words as search reads them, without accents ("Crème" is
    "creme", as a catalogue without them spells it); a run of a script written without spaces
    ("有机绿茶") is its pairs of characters, which similar titles share."""
    return indexed(folded(word) for word in words_of(text))


def hash_items(items: Sequence[ItemContent], *, n_buckets: int = 1 << 16) -> ItemFeatures:
    """ItemFeatures with each item's tokens hashed into 1..n_buckets-1 (0 is padding)."""
    lists = [sorted({_h(t, n_buckets) for t in tokens_of(it)}) for it in items]
    return ItemFeatures.from_token_lists(lists, n_buckets)
