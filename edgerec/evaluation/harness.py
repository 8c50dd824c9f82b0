"""evaluate(): split, train every requested model with early stopping, rank the whole catalogue."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import torch

from edgerec.evaluation import split as splits
from edgerec.evaluation.defaults import (
    COLD_MODELS,
    DEFAULT_MODELS,
    NOT_BLENDED,
    DataStats,
    check_models,
    make_model,
    tuning_grid,
)
from edgerec.evaluation.frames import encode
from edgerec.evaluation.headroom import available_bytes
from edgerec.evaluation.metrics import METRIC_KEYS, MetricAccumulator, mask_scores
from edgerec.models.base import Recommender, config_to_dict
from edgerec.models.data import Interactions, ItemFeatures

PROTOCOLS: tuple[str, ...] = ("leave-last-out", "temporal", "cold-items")
Log = Callable[[str], None]


@dataclass(frozen=True)
class Settings:
    """How an evaluation runs (everything but the data and the model list)."""

    protocol: str = "leave-last-out"
    include_seen: bool = False
    tune: bool = False
    seed: int = 0
    device: str | None = "cpu"
    valid_cases: int = 4000
    blend_cases: int = 20000
    batch_size: int = 512
    fold_in_validation: bool = True


@dataclass
class Outcome:
    """What evaluate_encoded returns: the JSON-able report plus fitted models and curves."""

    report: dict[str, Any]
    models: dict[str, Recommender] = field(default_factory=dict)
    curves: dict[str, list[dict[str, float]]] = field(default_factory=dict)


def make_split(data: Interactions, protocol: str, *, seed: int = 0) -> splits.Split:
    if protocol == "leave-last-out":
        return splits.leave_last_out(data)
    if protocol == "temporal":
        return splits.temporal(data)
    if protocol == "cold-items":
        return splits.cold_items(data, seed=seed)
    raise ValueError(f"unknown protocol {protocol!r}; known: {', '.join(PROTOCOLS)}")


def known_items_only(sp: splits.Split, data: Interactions, *, fold_in: bool) -> splits.Split:
    """The split with each case ranked among the items a model can know of when it meets it.

    Those are the items a catalogue lists and those of the rows trained on before (the training
    rows for validation; for the test, the validation rows too when they are folded in). An item
    only the log names is otherwise known only from later rows: for a Taobao file, the items of
    test rows alone, which would single out the very targets. A target no model can know of is
    a miss for every model. The cold-items test keeps its own candidates, the hidden items, which
    it ranks as new catalogue items on purpose.
    """
    listed = data.listed if data.listed is not None else np.ones(data.n_items, dtype=bool)
    trained = listed | (np.bincount(sp.train.item, minlength=data.n_items) > 0)
    folded = trained | (np.bincount(sp.valid_rows.item, minlength=data.n_items) > 0) if fold_in else trained

    def among(cases: splits.Cases, known: np.ndarray) -> splits.Cases:
        if cases.candidates is not None or known.all():
            return cases
        return replace(cases, candidates=np.flatnonzero(known))

    return replace(sp, valid=among(sp.valid, trained), test=among(sp.test, folded))


def case_masks(cases: splits.Cases, lo: int, hi: int, include_seen: bool) -> list[list[int]]:
    if include_seen:
        return [[] for _ in range(lo, hi)]
    return [np.unique(h.items).tolist() for h in cases.histories[lo:hi]]


def targets_seen(cases: splits.Cases) -> int:
    """How many cases' targets are among the items of their own history: with seen items
    excluded from the ranking (the default), misses for every model."""
    return sum(
        bool(np.isin(target, history.items))
        for history, target in zip(cases.histories, cases.targets, strict=True)
    )


def rank_cases(
    model: Recommender, cases: splits.Cases, *, include_seen: bool, batch_size: int = 512
) -> dict[str, float]:
    """Full-ranking metrics of model on cases (restricted to cases.candidates when set: coverage
    is then the share of those candidates that some list shows)."""
    acc = MetricAccumulator(
        model.n_items, rankable=None if cases.candidates is None else len(cases.candidates)
    )
    allowed = None
    if cases.candidates is not None:
        allowed = torch.zeros(model.n_items, dtype=torch.bool)
        allowed[torch.as_tensor(cases.candidates)] = True
    for lo in range(0, len(cases), batch_size):
        hi = min(lo + batch_size, len(cases))
        s = model.score(cases.histories[lo:hi])
        s = mask_scores(s, case_masks(cases, lo, hi, include_seen))
        if allowed is not None:
            s[:, ~allowed] = -torch.inf
        acc.add(s, torch.as_tensor(cases.targets[lo:hi]))
    return acc.result()


def subsample(cases: splits.Cases, n: int, seed: int) -> splits.Cases:
    if len(cases) <= n:
        return cases
    idx = np.sort(np.random.default_rng(seed).choice(len(cases), size=n, replace=False))
    return splits.Cases(
        [cases.histories[i] for i in idx], cases.targets[idx], cases.users[idx], cases.candidates
    )


def too_big(model: Recommender, data: Interactions) -> str | None:
    """Why model is not fitted on data, where that would take more memory than there is."""
    need = model.memory_needed(data)
    if need is None:
        return None
    on_gpu = model.device.type == "cuda"
    free = torch.cuda.mem_get_info(model.device)[0] if on_gpu else available_bytes()
    if need.bytes <= free:
        return None
    return (
        f"{need.what} would take {need.bytes / 2**30:.1f} GiB of memory, and {free / 2**30:.1f} GiB is free"
    )


def evaluate(
    interactions: pd.DataFrame,
    catalogue: pd.DataFrame | None,
    protocol: str = "leave-last-out",
    models: Sequence[str] | None = None,
    include_seen: bool = False,
    tune: bool = False,
    seed: int = 0,
    *,
    dataset: str = "dataset",
    device: str | None = "cpu",
    log: Log | None = None,
) -> dict[str, Any]:
    """Evaluate models on the contract DataFrames; returns the JSON report of ``edgerec eval``."""
    data, features = encode(interactions, catalogue)
    settings = Settings(protocol=protocol, include_seen=include_seen, tune=tune, seed=seed, device=device)
    return evaluate_encoded(data, features, models=models, settings=settings, dataset=dataset, log=log).report


class TooLittleData(ValueError):
    """The split leaves no validation or no test cases."""


# What gives a protocol's cases, for the message when there are none.
_CASES = {
    "leave-last-out": "only customers with at least three interactions give cases",
    "temporal": "only customers active both before and within the log's last fifth give cases",
    "cold-items": "cases are customers' touches of a hidden tenth of the items after earlier"
    " touches, and validation needs customers with at least three other interactions",
}


def evaluate_encoded(
    data: Interactions,
    features: ItemFeatures | None,
    *,
    models: Sequence[str] | None = None,
    settings: Settings = Settings(),
    dataset: str = "dataset",
    log: Log | None = None,
) -> Outcome:
    say = log or (lambda _msg: None)
    sp = make_split(data, settings.protocol, seed=settings.seed)
    sp = known_items_only(sp, data, fold_in=settings.fold_in_validation)
    if not len(sp.valid) or not len(sp.test):
        raise TooLittleData(
            f"{dataset}: too little data to evaluate: the {settings.protocol} split leaves "
            f"{len(sp.valid)} validation and {len(sp.test)} test cases ({_CASES[settings.protocol]})"
        )
    if models is None:
        models = COLD_MODELS if settings.protocol == "cold-items" else DEFAULT_MODELS
    check_models(list(models))
    if features is None and {"content", "hybrid"} & set(models):
        say(
            f"{dataset}: no item attributes (title, category, brand, price, ...): the content "
            "model has only item ids to go by, and on new items ranks as popularity does"
        )
    stats = DataStats.of(sp.train)
    valid = subsample(sp.valid, settings.valid_cases, settings.seed)
    say(f"{dataset}: {stats}; {len(sp.valid)} validation / {len(sp.test)} test cases")

    clock = time.perf_counter()

    def validator(m: Recommender) -> float:
        v = rank_cases(m, valid, include_seen=settings.include_seen, batch_size=settings.batch_size)[
            "ndcg@10"
        ]
        step = len(m.history_log) + 1
        say(f"    {m.kind} step {step}: valid ndcg@10={v:.4f} ({time.perf_counter() - clock:.0f}s)")
        return v

    fitted: dict[str, Recommender] = {}
    fit_s: dict[str, float] = {}
    skipped: dict[str, str] = {}
    outcome = Outcome(report={})
    # The most rows a model is fitted on: validation's are folded in before the test.
    most_rows = sp.train.concat(sp.valid_rows) if settings.fold_in_validation else sp.train
    for name in models:
        if name == "blend":
            continue
        t0 = time.perf_counter()
        model = make_model(name, stats, device=settings.device)
        if reason := too_big(model, most_rows):
            skipped[name] = reason
            say(f"  skipped {name}: {reason}")
            continue
        candidates = [model] + (tuning_grid(name, model) if settings.tune else [])
        best, best_v = model, -1.0
        for cand in candidates:
            torch.manual_seed(settings.seed)
            cand.fit(sp.train, features=features, validate=validator, seed=settings.seed)
            v = validator(cand) if len(candidates) > 1 else 0.0
            if v > best_v:
                best, best_v = cand, v
        fitted[name] = best
        fit_s[name] = time.perf_counter() - t0
        outcome.curves[name] = list(best.history_log)
        say(f"  fitted {name} in {fit_s[name]:.1f}s")
    members = {n: m for n, m in fitted.items() if n not in NOT_BLENDED}
    if "blend" in models and not members:
        skipped["blend"] = f"every model it mixes was skipped ({', '.join(skipped)})"
        say(f"  skipped blend: {skipped['blend']}")
    elif "blend" in models:
        from edgerec.evaluation.blending import tune_blend

        t0 = time.perf_counter()
        # More cases than early stopping uses: blend weights are where validation noise costs most.
        blend_valid = subsample(sp.valid, settings.blend_cases, settings.seed)
        excl = case_masks(blend_valid, 0, len(blend_valid), settings.include_seen)
        blend, single, tied = tune_blend(members, blend_valid, excl)
        fitted["blend"] = blend
        fit_s["blend"] = time.perf_counter() - t0  # its members' seconds are added once folded in
        outcome.curves["blend"] = []  # tuned on validation, not trained in steps: no curve to draw
        say(f"  validation ndcg@10: {', '.join(f'{n}={v:.4f}' for n, v in single.items())}")
        if tied:
            mrr = ", ".join(f"{n}={v:.4f}" for n, v in tied.items())
            say(
                f"  validation ndcg@10 ({len(blend_valid)} cases) cannot tell {', '.join(tied)} apart:"
                f" the blend starts from the best on MRR ({mrr})"
            )
        say(f"  blend weights: {', '.join(f'{n}={w:.2f}' for n, w in blend.weights_by_name().items())}")
    models = [name for name in models if name in fitted]
    if settings.fold_in_validation and len(sp.valid_rows):
        # Every member first: the blend scores with its members as they are when it is tested.
        for name in models:
            if name != "blend":
                t0 = time.perf_counter()
                fitted[name].partial_fit(sp.valid_rows, seed=settings.seed)
                fit_s[name] += time.perf_counter() - t0
    if "blend" in fitted:
        # The training of the models it was tuned on, folding in included, is the blend's too.
        fit_s["blend"] += sum(fit_s[n] for n in fitted if n not in (*NOT_BLENDED, "blend"))
    report_models: dict[str, dict[str, float]] = {}
    for name in models:
        model = fitted[name]
        res = rank_cases(model, sp.test, include_seen=settings.include_seen, batch_size=settings.batch_size)
        res["fit_s"] = round(fit_s[name], 2)
        report_models[name] = {k: float(res[k]) for k in METRIC_KEYS}
        say(f"  {name:14s} " + " ".join(f"{k}={res[k]:.4f}" for k in METRIC_KEYS))
    outcome.report = {
        "dataset": dataset,
        "protocol": settings.protocol,
        # what else makes two reports comparable: the settings, and how many cases each counts
        "include_seen": settings.include_seen,
        "tuned": settings.tune,
        "seed": settings.seed,
        "validation_cases": len(sp.valid),
        "test_cases": len(sp.test),
        # with seen items excluded, the cases no model can hit (a view, then a cart, then a buy)
        "test_targets_seen": targets_seen(sp.test),
        "models": report_models,
        # what each model was run with: with --tune, the settings validation chose
        "settings": {name: config_to_dict(fitted[name].config) for name in models},
        # the models left out, and why: those that would take more memory than there is
        "skipped": skipped,
    }
    if "blend" in fitted:
        outcome.report["blend_weights"] = fitted["blend"].weights_by_name()  # type: ignore[attr-defined]
    outcome.models = fitted
    return outcome
