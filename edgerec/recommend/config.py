"""The recommender's typed configuration: blend weights, shop policy, diversity; JSON on disk."""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any

from edgerec.recommend.embeddings import EmbeddingSource
from edgerec.recommend.shop_time import LOCAL, check_zone
from edgerec.recommend.sources import builtin_sources

DEFAULT_CONFIG_RESOURCE = "default_config.json"


@dataclass(frozen=True, slots=True)
class Policy:
    """Shop rules that apply to every list; off in evaluation so they cannot hide the answer."""

    exclude_in_cart: bool = True
    exclude_purchased: bool = True
    # Seconds after a purchase before the item may be suggested again; None means never.
    repurchase_after_s: float | None = None
    exclude_unavailable: bool = True  # delisted, or stock == 0
    max_category_share: float | None = 0.5  # of the top-k; None turns the cap off
    mmr_lambda: float | None = 0.85  # relevance vs. novelty in the re-rank; None turns it off
    apply_boosts: bool = True  # the rules file's promotions (and demotions)
    apply_exclusions: bool = True  # the rules file's never-show lists, whatever apply_boosts says

    def __post_init__(self) -> None:
        for name in (
            "exclude_in_cart",
            "exclude_purchased",
            "exclude_unavailable",
            "apply_boosts",
            "apply_exclusions",
        ):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"policy {name} must be true or false, not {getattr(self, name)!r}")
        for name, low, high in (("max_category_share", 0.0, 1.0), ("mmr_lambda", 0.0, 1.0)):
            value = getattr(self, name)
            if value is not None and not (_is_number(value) and low <= value <= high):
                raise ValueError(
                    f"policy {name} must be between {low:g} and {high:g}, or null; not {value!r}"
                )
        after = self.repurchase_after_s
        if after is not None and not (_is_number(after) and 0 <= after < math.inf):
            raise ValueError(f"policy repurchase_after_s must be a number of seconds, or null; not {after!r}")

    @classmethod
    def evaluation(cls) -> Policy:
        """No rule or re-rank that could hide the held-out item: what metrics are computed with."""
        return cls(
            exclude_in_cart=False,
            exclude_purchased=False,
            exclude_unavailable=False,
            max_category_share=None,
            mmr_lambda=None,
            apply_boosts=False,
            apply_exclusions=False,
        )


@dataclass(frozen=True, slots=True)
class RecommenderConfig:
    """Weights of every score feature (`source.feature`) plus sizes and policy.

    The shipped weights are the output of `edgerec.recommend.tune.tune_weights`; `tuned_on`
    says which data produced them.
    """

    weights: dict[str, float] = field(default_factory=dict)
    policy: Policy = field(default_factory=Policy)
    history_items: int = 200  # per user, kept in memory, most recent first
    candidates_per_source: int = 100
    anchors: int = 5  # recent session items whose neighbours are candidates
    neighbours_per_item: int = 200  # co-occurrence neighbours loaded per item
    # most popular items whose neighbours are loaded at start (their lists are the long ones)
    preload_neighbours: int = 2_000
    # most recently active customers (and their last sessions) loaded at start, so that a
    # returning customer's first request does not wait for the database; for at most
    # preload_seconds (customers with long histories take longer each)
    preload_users: int = 2_000
    preload_seconds: float = 0.5
    # customers (and as many sessions) held in memory; the least recently active beyond it are
    # dropped and loaded from the store again when they return, so a kiosk that runs for months
    # does not grow with every visitor
    customers_in_memory: int = 10_000
    # the shop's time zone, for "popular this hour": "local" (this machine's), or a name such as
    # Europe/Berlin
    timezone: str = LOCAL
    # the newest log events replayed for kiosk/hour/day popularity, and before them those back to
    # a week before the newest (500,000 at most: `engine.WARMUP_MOST_EVENTS`); 0 replays none
    context_warmup_events: int = 50_000
    tuned_on: str = "untuned"

    def __post_init__(self) -> None:
        check_zone(self.timezone)
        if not isinstance(self.weights, dict):
            raise ValueError(
                f"weights must be an object of feature names and numbers, not {self.weights!r:.80}"
            )
        if not isinstance(self.policy, Policy):
            raise ValueError(f"policy must be an object of shop rules, not {self.policy!r:.80}")
        for name, least in _COUNTS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ValueError(f"{name} must be a whole number from {least} up, not {value!r:.80}")
        seconds = self.preload_seconds
        if not (_is_number(seconds) and 0 <= seconds < math.inf):
            raise ValueError(f"preload_seconds must be a number of seconds, not {seconds!r:.80}")
        if not isinstance(self.tuned_on, str):
            raise ValueError(f"tuned_on must be text, not {self.tuned_on!r:.80}")
        for name, weight in self.weights.items():  # 1e999 ranked every item as infinity
            if not _is_number(weight) or not math.isfinite(weight) or weight < 0:
                raise ValueError(f"weight {name}={weight!r}: give a number from 0 up")

    def with_weights(self, weights: dict[str, float], tuned_on: str | None = None) -> RecommenderConfig:
        return replace(self, weights=dict(weights), tuned_on=tuned_on or self.tuned_on)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any], *, base: RecommenderConfig | None = None) -> RecommenderConfig:
        """The shipped configuration (or `base`) with the values `data` gives: a key, shop rule
        or weight it leaves out keeps the base's. Names it does not know are refused."""
        base = cls.default() if base is None else base
        if not isinstance(data, dict):
            raise ValueError(f"a recommender config is a JSON object, not {data!r:.80}")
        data = _without_hour_offset(data)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise UnknownKeys(unknown)
        values = dict(data)
        if "policy" in values:
            policy = values["policy"]
            if not isinstance(policy, dict):
                raise ValueError(f"policy must be an object of shop rules, not {policy!r:.80}")
            unknown = sorted(set(policy) - {f.name for f in fields(Policy)})
            if unknown:
                raise UnknownKeys(unknown, section="policy")
            values["policy"] = replace(base.policy, **policy)
        if "weights" in values:
            weights = values["weights"]
            if not isinstance(weights, dict):
                raise ValueError(
                    f"weights must be an object of feature names and numbers, not {weights!r:.80}"
                )
            unknown = sorted(set(map(str, weights)) - set(WEIGHT_NAMES))
            if unknown:
                raise ValueError(
                    f"unknown weights: {', '.join(unknown)}; known: {', '.join(sorted(WEIGHT_NAMES))}"
                )
            values["weights"] = base.weights | {str(k): v for k, v in weights.items()}
        return replace(base, **values)

    def to_text(self) -> str:
        return json.dumps(self.to_json(), indent=2, sort_keys=True) + "\n"

    def save(self, path: str | os.PathLike[str]) -> None:
        Path(path).write_text(self.to_text())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> RecommenderConfig:
        # utf-8-sig: a file edited in Notepad starts with a byte-order mark, which JSON refuses
        # (the shipped configuration was served instead, its policy in place of the shop's).
        return cls.from_json(hand_written_json(Path(path).read_text(encoding="utf-8-sig")))

    @classmethod
    def default(cls) -> RecommenderConfig:
        """The shipped configuration (tuned weights), or equal weights if the file is missing."""
        try:
            text = resources.files(__package__).joinpath(DEFAULT_CONFIG_RESOURCE).read_text()
        except FileNotFoundError:
            return cls()
        return cls.from_json(json.loads(text), base=cls())


class UnknownKeys(ValueError):
    """Keys a configuration does not know, at its top level or under "policy" (`section`)."""

    def __init__(self, keys: list[str], section: str | None = None) -> None:
        self.keys, self.section = keys, section
        super().__init__(f"unknown {section or 'recommender config'} keys: {', '.join(keys)}")


# The score features a configuration's weights may name: the built-in sources' and the model's.
WEIGHT_NAMES = tuple(name for source in (*builtin_sources(), EmbeddingSource) for name in source.features)

# The sizes a configuration holds, and the least each may be.
_COUNTS = {
    "history_items": 1,
    "candidates_per_source": 1,
    "anchors": 1,
    "neighbours_per_item": 1,
    "preload_neighbours": 0,
    "preload_users": 0,
    "customers_in_memory": 1,
    "context_warmup_events": 0,
}


def hand_written_json(text: str) -> Any:
    """JSON a shop wrote by hand (its rules file, its recommender.json), a key given twice in one
    object refused by name: the parser keeps the last without a word (a second "exclude_items"
    drops the first list), where a TOML file is refused.

    >>> hand_written_json('{"exclude_items": ["a"], "exclude_items": ["b"]}')
    Traceback (most recent call last):
    ValueError: key 'exclude_items' is given twice in one object: merge them into one, or keep one
    """

    def refuse_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for key, value in pairs:
            if key in data:
                raise ValueError(
                    f"key {key!r} is given twice in one object: merge them into one, or keep one"
                )
            data[key] = value
        return data

    return json.loads(text, object_pairs_hook=refuse_repeats)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _without_hour_offset(data: dict[str, Any]) -> dict[str, Any]:
    """A configuration saved before time zones had `hour_offset_h` (0, UTC, unless changed):
    a whole-hour offset becomes the fixed zone it names; 0 leaves the shop's own zone."""
    if "hour_offset_h" not in data:
        return data
    values = dict(data)
    offset = int(values.pop("hour_offset_h") or 0)
    if offset:
        values.setdefault("timezone", f"Etc/GMT{-offset:+d}")  # Etc/GMT-2 is two hours ahead of UTC
    return values
