"""The parts: popularity top set, context popularity, configuration file, tuning, and the source
protocol."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edgerec.recommend import (
    CandidateSource,
    Evidence,
    Policy,
    Recommender,
    RecommenderConfig,
    Request,
    SourceResult,
)
from edgerec.recommend.catalogue import TopSet
from edgerec.recommend.sources import builtin_sources
from edgerec.recommend.state import ContextPopularity
from edgerec.recommend.tune import FeatureLog, evaluate, tune_weights
from tests.recommend.conftest import at, catalogue_events


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.floats(0.1, 5.0)), max_size=300), st.integers(1, 6))
def test_top_set_is_exact_under_increases(bumps, size) -> None:
    top, values = TopSet(size), {}
    for item, step in bumps:
        values[item] = values.get(item, 0.0) + step
        top.bump(item, values[item])
    truth = sorted(values.values(), reverse=True)[:size]
    got = [values[i] for i in top.ranked()[:size]]
    assert got == truth


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 40), st.sampled_from([0.5, 1.0, 2.0])), max_size=300),
    st.integers(1, 6),
)
def test_top_set_order_is_a_stable_sort_of_its_members(bumps, size) -> None:
    """Kept in order as values change, it ranks exactly as sorting its members would, ties
    included (in the order members joined), so suggestions never depend on when it sorted."""
    top, values = TopSet(size), {}
    for item, step in bumps:
        values[item] = values.get(item, 0.0) + step
        top.bump(item, values[item])
        assert top.ranked() == sorted(top.members, key=top.members.__getitem__, reverse=True)


def _context_state(context: ContextPopularity) -> dict[str, object]:
    """Everything a ContextPopularity holds, floats as their exact text, dicts in their order."""
    return {
        "values": repr([(key, list(values.items())) for key, values in context.values.items()]),
        "weights": repr([(key, list(weights.items())) for key, weights in context.weights.items()]),
        "tops": repr(
            [
                (key, list(t.members.items()), t.threshold, t.ranked(), list(t._joined.items()), t._joins)
                for key, t in context.tops.items()
            ]
        ),
        "days": [
            (store, d.weeks.shape, d.weeks.tobytes(), d.store.tobytes(), d.first_at.tobytes())
            for store, d in context.days.items()
        ],
    }


_DAY_S = 86_400
_SPRING_FORWARD = 1_774_746_000  # 2026-03-29 01:00 UTC: Berlin's clocks go forward an hour


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["K1", "K2", "", None]),
            st.one_of(st.integers(0, 40), st.integers(1_000, 5_000)),  # the day counts grow past 1024
            st.sampled_from([1.0, 2.0, 3.0, 5.0, 0.1]),
            st.integers(_SPRING_FORWARD - 9 * _DAY_S, _SPRING_FORWARD + 9 * _DAY_S),
        ),
        max_size=400,
    ),
    st.lists(st.integers(0, 400), max_size=4),
    st.integers(1, 4),
)
def test_context_popularity_adds_a_block_of_events_as_one_at_a_time(log, cuts, top_size) -> None:
    """A restarted recommender's warm-up adds the log's events in blocks (`add_many`), a live
    one each as it comes (`add`): every value, weight, hour's list and day count comes out the
    same to the last bit, whatever the stores (none, or blank), items, weights (one not a whole
    number) and times (out of order, across a change to summer time), and where blocks end."""
    one, many = (ContextPopularity("Europe/Berlin", top_size=top_size) for _ in range(2))
    events = [(store, item, weight, seconds * 1_000_000 + 123) for store, item, weight, seconds in log]
    for event in events:
        one.add(*event)
    ends = sorted({0, len(events), *(min(cut, len(events)) for cut in cuts)})
    for start, end in zip(ends, ends[1:], strict=False):
        many.add_many(*zip(*events[start:end], strict=True))
    assert _context_state(many) == _context_state(one)


def test_config_round_trip_and_shipped_defaults(tmp_path) -> None:
    config = RecommenderConfig.default()
    assert config.tuned_on != "untuned" and config.weights
    path = tmp_path / "config.json"
    config.save(path)
    assert RecommenderConfig.load(path) == config


def test_a_partial_configuration_is_the_shipped_one_with_its_changes(tmp_path) -> None:
    """What a hand-written recommender.json left out took the dataclass's defaults, not the
    shipped values, and a weight it gave dropped the other shipped weights: it scored otherwise
    than the shipped configuration changed only where the file said."""
    from dataclasses import replace

    shipped = RecommenderConfig.default()
    path = tmp_path / "recommender.json"
    path.write_text("{}")
    assert RecommenderConfig.load(path) == shipped
    path.write_text('{"weights": {"history.recency": 5}, "policy": {"mmr_lambda": 0.5}, "anchors": 3}')
    assert RecommenderConfig.load(path) == replace(
        shipped,
        weights=shipped.weights | {"history.recency": 5},
        policy=replace(shipped.policy, mmr_lambda=0.5),
        anchors=3,
    )


def test_a_store_s_configuration_ignored_for_a_key_says_where_that_key_belongs(tmp_path) -> None:
    """A shop rule (exclude_categories), a policy key or a weight put at the wrong level of the
    store's recommender.json had it ignored, saying only that the key was unknown: the shop
    was left to guess that it belonged in the rules file, or under "policy"."""
    import edgerec
    from edgerec.recommend.engine import ignored_config, shop_config_path, shop_rules_path

    with edgerec.open(tmp_path / "shop.db") as store:
        path, rules = shop_config_path(store), shop_rules_path(store)
        assert path is not None
        path.parent.mkdir()
        path.write_text(
            '{"exclude_categories": ["Tobacco"], "mmr_lambda": 0.5, "history.recency": 2, "colour": 1}'
        )
        assert ignored_config(store) == (
            f"ignoring {path} (unknown recommender config keys: colour, exclude_categories, history.recency,"
            f" mmr_lambda; exclude_categories is a shop rule, for the rules file {rules} that `edgerec rules"
            ' set` writes; history.recency is a weight: it goes under "weights"; mmr_lambda goes under'
            ' "policy"); using the shipped configuration'
        )
        path.write_text('{"policy": {"timezone": "UTC", "promote": [], "mmr_lambda": 0.5}}')
        said = ignored_config(store)
        assert said is not None and said.startswith(
            f"ignoring {path} (unknown policy keys: promote, timezone; promote is a shop rule, for the rules"
            f" file {rules} that `edgerec rules set` writes; timezone goes at the top level, not under"
            ' "policy")'
        )


def test_a_key_given_twice_in_a_store_s_configuration_is_refused_by_name(tmp_path) -> None:
    """A key written twice in recommender.json, at the top level or under "policy", was settled
    by the JSON parser's last-one-wins without a word: a shop that set max_category_share twice
    was served one of its two values. The file is ignored as for any other fault in it, the
    key and the file named (the console's warning and `edgerec recommend`'s standard error)."""
    import edgerec
    from edgerec.recommend.engine import ignored_config, shop_config_path

    with edgerec.open(tmp_path / "shop.db") as store:
        path = shop_config_path(store)
        assert path is not None
        path.parent.mkdir()
        path.write_text('{"policy": {"max_category_share": 0.2, "mmr_lambda": 0.5, "max_category_share": 1}}')
        assert ignored_config(store) == (
            f"ignoring {path} (key 'max_category_share' is given twice in one object: merge them into"
            " one, or keep one); using the shipped configuration"
        )
        path.write_text('{"anchors": 3, "policy": {}, "anchors": 5}')
        said = ignored_config(store)
        assert said is not None and said.startswith(f"ignoring {path} (key 'anchors' is given twice")


def test_a_hand_edited_weight_that_is_no_number_from_0_up_is_refused(tmp_path) -> None:
    """A weight of 1e999 (infinity) scored every item Infinity, and --json printed NaN."""
    path = tmp_path / "recommender.json"
    for weight in ("1e999", "-0.5", "NaN"):
        path.write_text(f'{{"weights": {{"history.recency": {weight}}}}}')
        with pytest.raises(ValueError, match="weight history.recency=.*give a number from 0 up"):
            RecommenderConfig.load(path)


def test_a_misspelt_weight_is_refused_naming_the_known_ones(tmp_path) -> None:
    """A weight that names no feature (`history.recncy`) was dropped without a word, while an
    unknown key or shop rule was refused."""
    from edgerec.recommend.config import WEIGHT_NAMES

    assert sorted(WEIGHT_NAMES) == sorted(Recommender(None).names)  # every feature it scores by
    path = tmp_path / "recommender.json"
    path.write_text('{"weights": {"history.recncy": 5, "history.intent": 0.5}}')
    with pytest.raises(ValueError, match=r"unknown weights: history\.recncy; known: .*history\.recency"):
        RecommenderConfig.load(path)


def test_a_list_length_or_a_policy_out_of_range_is_refused_by_name() -> None:
    rec = Recommender(None)
    for event in catalogue_events(5):
        rec.observe(event)
    for k in (0, -1, 2.5):  # -1 gave every item but the last
        with pytest.raises(ValueError, match="k must be a whole number"):
            rec.recommend("u", k=k, now=at(1))  # type: ignore[arg-type]
    for user, error in ((12, TypeError), (None, TypeError), ("", ValueError), (" ", ValueError)):
        with pytest.raises(error, match="user_id is"):
            rec.recommend(user, k=3, now=at(1))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="session_id is an id as text"):
        rec.recommend("u", session_id=7, k=3, now=at(1))  # type: ignore[arg-type]
    for category in (5, ["cat1", 2], {"cat1": 1}):  # "expected string", "unhashable type: 'list'"
        with pytest.raises(TypeError, match="category is a category's name as text"):
            rec.recommend("u", category=category, k=3, now=at(1))  # type: ignore[arg-type]
    for now in ("2026-01-01", 1.5e15):  # "invalid literal for int()", or a float taken as is
        with pytest.raises(TypeError, match="now must be a timezone-aware datetime or microseconds"):
            rec.recommend("u", k=3, now=now)  # type: ignore[arg-type]
    for field, value in (("max_category_share", 1.5), ("mmr_lambda", -0.1), ("repurchase_after_s", -5)):
        with pytest.raises(ValueError, match=f"policy {field} must be"):
            Policy(**{field: value})


def test_tuning_finds_the_informative_feature() -> None:
    rng = np.random.default_rng(0)
    log = FeatureLog(("good", "noise"))
    for _ in range(200):
        features = rng.random((30, 2))
        target = int(rng.integers(30))
        features[target, 0] = max(features[target, 0], 0.97)
        log.add(features, target)
    log.requests = 200
    weights, objective = tune_weights([log], {"good": 0.01, "noise": 1.0})
    assert weights["good"] > weights["noise"]
    assert objective > evaluate(log, np.array([0.01, 1.0]))[0]


class ConstantSource:
    """A stand-in for a model-backed source: scores every listed item by a fixed vector."""

    name = "model"
    features = ("model.score",)
    default_weights = {"model.score": 100.0}

    def candidates(self, request: Request, limit: int) -> SourceResult:
        n = len(request.catalogue)
        scores = np.zeros(n)
        if "i7" in request.catalogue.index:
            scores[request.catalogue.index["i7"]] = 1.0
        return SourceResult(np.arange(n), {"model.score": scores})

    def explain(self, request: Request, item: int) -> list[Evidence]:
        return [
            Evidence(
                self.name,
                "Your taste profile",
                item_id=request.catalogue.ids[item],
                attribute=("model", "constant"),
            )
        ]


def test_a_model_source_plugs_in_without_other_changes() -> None:
    source = ConstantSource()
    assert isinstance(source, CandidateSource)
    rec = Recommender(None, sources=[*builtin_sources(), source])
    for e in catalogue_events(10):
        rec.observe(e)
    top = rec.recommend("anyone", k=3, now=at(1))[0]
    assert top.item_id == "i7" and top.sources["model"] > 0.9
    assert "Your taste profile" in top.reasons


def test_freeze_keeps_crowd_signals_but_follows_the_customer() -> None:
    from edgerec.domain import ItemViewed

    rec = Recommender(None)
    for event in catalogue_events(10):
        rec.observe(event)
    for user, items in (("a", ("i1", "i2")), ("b", ("i1", "i2"))):
        for minute, item in enumerate(items):
            rec.observe(ItemViewed(user_id=user, item_id=item, occurred_at=at(minute)))
    rec.freeze()
    cat = rec.catalogue
    popularity = cat.popularity.copy()
    neighbours = {k: dict(v) for k, v in rec.state.neighbours.counts.items()}
    rec.observe(ItemViewed(user_id="c", item_id="i3", occurred_at=at(5)))
    rec.observe(ItemViewed(user_id="c", item_id="i1", occurred_at=at(6)))
    assert np.array_equal(cat.popularity, popularity)
    assert {k: dict(v) for k, v in rec.state.neighbours.counts.items()} == neighbours
    assert rec.state.users["c"].recent(2) == [cat.index["i1"], cat.index["i3"]]
    assert rec.model is not None and rec.model.frozen
