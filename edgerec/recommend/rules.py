"""Shop rules from a small file: promoted items, categories or brands, and never-show lists.

    # rules.toml
    exclude_items = ["sku-9"]
    exclude_categories = ["Tobacco"]   # and every category under it ("Tobacco/Cigars")

    [[promote]]
    item_id = "sku-1"
    boost = 0.3          # score x (1 + boost)

    [[promote]]
    category = "Shoes"
    boost = 0.1

The same keys work in JSON. Rules apply to served lists only, never in evaluation. Category
and brand names match in any case. An item several rules match takes the largest boost (on a
tie, its own item rule's), and its "Promoted by the shop" names that rule; one item, category
or brand in two promote rules is refused. A promoted item that no source suggests (new,
untouched) comes first among the items that fill a list when the sources run dry.

A shop keeps its rules beside its store (`edgerec rules set FILE` puts a checked copy there):
every recommender opened on the store serves by them, and a running one (the console, the
kiosk) picks up a change on its next refresh (`RulesFile`).
"""

from __future__ import annotations

import logging
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edgerec.domain import number_id
from edgerec.domain.events import text_flaw
from edgerec.recommend.catalogue import Catalogue, brand_key, category_path, is_under
from edgerec.recommend.config import hand_written_json

_log = logging.getLogger(__name__)
_PROMOTE_KEYS = ("item_id", "category", "brand")


class RulesError(ValueError):
    """A rules file that cannot be read or is not valid rules; the message names the file."""


# The keys of a rules file (TOML or JSON).
RULE_KEYS = frozenset({"promote", "exclude_items", "exclude_categories"})


@dataclass(frozen=True, slots=True)
class RuleSet:
    promote_items: Mapping[str, float] = field(default_factory=dict)
    promote_categories: Mapping[str, float] = field(default_factory=dict)
    promote_brands: Mapping[str, float] = field(default_factory=dict)
    exclude_items: frozenset[str] = frozenset()
    exclude_categories: frozenset[str] = frozenset()

    @property
    def empty(self) -> bool:
        return not (
            self.promote_items
            or self.promote_categories
            or self.promote_brands
            or self.exclude_items
            or self.exclude_categories
        )

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> RuleSet:
        """Rules from parsed TOML or JSON; ValueError names the first thing wrong."""
        if not isinstance(data, Mapping):
            raise ValueError("the rules must be a table of keys (promote, exclude_items, exclude_categories)")
        unknown = sorted(set(data) - RULE_KEYS)
        if unknown:
            raise ValueError(f"unknown rule keys: {', '.join(map(repr, unknown))}")
        targets: dict[str, dict[str, float]] = {key: {} for key in _PROMOTE_KEYS}
        # A second rule for what an earlier one names would replace it without a word.
        earlier: dict[tuple[str, object], tuple[int, str, float]] = {}
        for number, rule in enumerate(_list_of(data, "promote"), start=1):
            named = [key for key in _PROMOTE_KEYS if key in rule] if isinstance(rule, Mapping) else []
            if len(named) != 1 or set(rule) - {*_PROMOTE_KEYS, "boost"} or "boost" not in rule:
                raise ValueError(
                    f"promote rule {number}: give exactly one of item_id, category, brand, and a boost"
                )
            boost = rule["boost"]
            if isinstance(boost, bool) or not isinstance(boost, int | float) or not -1.0 < boost <= 100.0:
                raise ValueError(f"promote rule {number}: boost must be a number in (-1, 100], not {boost!r}")
            key = named[0]
            name = _name(rule[key], f"promote rule {number}: {key}")
            same = (key, _matched_as(key, name))
            if same in earlier:
                first, spelt, before = earlier[same]
                spelling = "" if spelt == name else f" (as {spelt!r})"
                raise ValueError(
                    f"promote rule {number}: {key} {name!r} is named by rule {first} too{spelling},"
                    f" with boost {before:g} there and {boost:g} here; keep one rule for it"
                )
            earlier[same] = (number, name, float(boost))
            targets[key][name] = float(boost)
        return cls(
            promote_items=targets["item_id"],
            promote_categories=targets["category"],
            promote_brands=targets["brand"],
            exclude_items=frozenset(_name(v, "exclude_items") for v in _list_of(data, "exclude_items")),
            exclude_categories=frozenset(
                _name(v, "exclude_categories") for v in _list_of(data, "exclude_categories")
            ),
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> RuleSet:
        """Rules from a TOML file, or JSON when its name ends in .json (any case); RulesError (with the path
        and the problem) for a file that cannot be read or is not a valid rules file."""
        try:
            # utf-8-sig: Notepad's "UTF-8" starts the file with a byte-order mark, which TOML and
            # JSON parsers refuse as a stray character.
            text = Path(path).read_text(encoding="utf-8-sig")
            data = hand_written_json(text) if Path(path).suffix.lower() == ".json" else tomllib.loads(text)
            return cls.from_mapping(data)
        except (OSError, UnicodeDecodeError, ValueError) as exc:  # JSON and TOML errors are ValueErrors
            raise RulesError(f"rules file {path}: {exc}") from exc

    def excluded(self, catalogue: Catalogue, indices: np.ndarray) -> np.ndarray:
        mask = np.zeros(len(indices), dtype=bool)
        if self.exclude_items:
            banned = [catalogue.index[i] for i in self.exclude_items if i in catalogue.index]
            mask |= np.isin(indices, banned)
        if self.exclude_categories:
            codes = np.concatenate([catalogue.categories_under(c) for c in self.exclude_categories])
            mask |= catalogue.in_categories(indices, codes)
        return mask

    def hides(self, item_id: str, category: str | None) -> bool:
        """Whether the never-show lists name this item, or its category or one above it, as
        `excluded` matches them but without a catalogue: for an item already on screen.

        >>> rules = RuleSet(exclude_items=frozenset({"sku-9"}), exclude_categories=frozenset({"Tobacco"}))
        >>> rules.hides("sku-9", None), rules.hides("sku-1", "tobacco > Cigars"), rules.hides("sku-1", "Toys")
        (True, True, False)
        """
        if item_id in self.exclude_items:
            return True
        return any(is_under(category or "", category_path(name)) for name in self.exclude_categories)

    def unmatched(self, catalogue: Catalogue) -> list[str]:
        """What the rules name that nothing in the catalogue matches now, as "category 'Tobaco'":
        a typo, or an item not listed yet (rules may be set before an import)."""
        found = [
            f"item {name!r}"
            for name in sorted({*self.exclude_items, *self.promote_items})
            if name not in catalogue.index
        ]
        found += [
            f"category {name!r}"
            for name in sorted({*self.exclude_categories, *self.promote_categories})
            if not len(catalogue.categories_under(name))
        ]
        found += [
            f"brand {name!r}" for name in sorted(self.promote_brands) if catalogue.brand_group(name) < 0
        ]
        return found

    def boosts(self, catalogue: Catalogue, indices: np.ndarray) -> np.ndarray:
        """Multiplicative boost per candidate (0 for none); the largest matching rule wins, and
        a negative one (a demotion) counts too."""
        return self._deciding(catalogue, indices)[0]

    def reason(self, catalogue: Catalogue, index: int) -> tuple[str, str] | None:
        """The (attribute, value) of the rule that promotes this item, if any: the one whose
        boost `boosts` gives it, never another rule it matches (a demotion of its category)."""
        boost, rule = self._deciding(catalogue, np.array([index]))
        if rule[0] < 0 or boost[0] <= 0:
            return None
        attribute, name, _ = self._promotions()[rule[0]]
        return attribute, name

    def _promotions(self) -> list[tuple[str, str, float]]:
        """Every promote rule as (attribute, name, boost), the item's own first: on a tie in
        boost the first rule is the one that applies."""
        return [
            (attribute, name, boost)
            for attribute, table in (
                ("item_id", self.promote_items),
                ("category", self.promote_categories),
                ("brand", self.promote_brands),
            )
            for name, boost in table.items()
        ]

    def _deciding(self, catalogue: Catalogue, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per candidate, its boost (0 for none) and the number of the rule in `_promotions`
        that sets it (-1 for none): the one place that decides which rule applies."""
        boost = np.full(len(indices), -np.inf)
        rule = np.full(len(indices), -1)
        for number, (attribute, name, value) in enumerate(self._promotions()):
            if attribute == "item_id":
                index = catalogue.index.get(name)
                hit = indices == index if index is not None else np.zeros(len(indices), dtype=bool)
            elif attribute == "category":
                hit = catalogue.in_categories(indices, catalogue.categories_under(name))
            else:  # one lookup of the brand's group, not a look at each of the catalogue's brands
                group = catalogue.brand_group(name)
                brands = catalogue.groups("brand", catalogue.brand[indices])
                hit = brands == group if group >= 0 else np.zeros(len(indices), dtype=bool)
            hit &= value > boost
            boost[hit] = value
            rule[hit] = number
        boost[rule < 0] = 0.0
        return boost, rule


def _matched_as(key: str, name: str) -> object:
    """What a promote rule's name is matched by: an item id as it is, a category by its levels
    in any case ("toys > lego" is "Toys/Lego"), a brand in any case, spaces around ignored (and
    either in any Unicode form: one typed decomposed is the same)."""
    if key == "category":
        return category_path(name)
    return brand_key(name) if key == "brand" else name


NO_RULES = RuleSet()


class RulesFile:
    """A store's rules file, read again when it changes; no file means no rules.

    `load` raises RulesError for a file that is not valid rules. A change that is not valid
    while the shop is serving keeps the rules it had, with an error in the log: a mistake in an
    edit must neither stop the kiosk nor drop its never-show lists.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.rules = NO_RULES
        self._stamp: tuple[int, int] | None = None

    def load(self) -> RuleSet:
        stamp = self._current_stamp()
        self.rules = NO_RULES if stamp is None else RuleSet.load(self.path)  # type: ignore[arg-type]
        self._stamp = stamp
        return self.rules

    def current(self) -> RuleSet:
        """The rules, read again if the file changed since they were read."""
        if self.path is None or self._current_stamp() == self._stamp:
            return self.rules
        try:
            return self.load()
        except RulesError as exc:
            self._stamp = self._current_stamp()  # reported once per change, not on every request
            _log.error("%s; keeping the rules read before", exc)
            return self.rules

    def _current_stamp(self) -> tuple[int, int] | None:
        if self.path is None:
            return None
        try:
            status = os.stat(self.path)
        except FileNotFoundError:
            return None
        return status.st_mtime_ns, status.st_size


def _list_of(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise ValueError(f"{key} must be a list, not {type(value).__name__}")
    return value


def _name(value: Any, where: str) -> str:
    """An item id, category or brand as a rule names it: text, or a whole number read as the
    importers read a numeric id (`number_id`: 42, 42.0 and 4.2e1 are "42"). A list, a blank name,
    text no event may hold (a NUL, a lone surrogate) or another number (1.5, nan) would match
    nothing, so the file is refused instead."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, int) or value.is_integer():
            return number_id(value)
        raise ValueError(
            f"{where}: {value!r} is a number, not text; give each name as a non-empty string, quoted"
            f' like "{value!r}" (a whole number, 42 or 42.0, is read as "42")'
        )
    if isinstance(value, str) and value.strip():
        if flaw := text_flaw(value):  # nothing stored can hold it, nor a kept copy write it
            raise ValueError(f"{where}: {value!r} {flaw}, so it can name no item, category or brand")
        return value
    raise ValueError(f'{where}: {value!r} names nothing; give each as a non-empty string, like "sku-9"')
