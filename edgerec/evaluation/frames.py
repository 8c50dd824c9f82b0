"""Turns the interactions/catalogue DataFrames of the data contract into model inputs."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from edgerec.models.data import EVENT_TYPES, Interactions, ItemFeatures, event_code
from edgerec.models.features import ItemContent, hash_items

#: Events that say something about an item the user wants (targets and inputs).
TARGET_EVENTS: tuple[str, ...] = tuple(e for e in EVENT_TYPES if e != "removed_from_cart")


def encode(
    interactions: pd.DataFrame, catalogue: pd.DataFrame | None = None
) -> tuple[Interactions, ItemFeatures | None]:
    """Encode item events against a vocabulary of catalogue items plus any item seen in the log.

    Rows without an item, and events that are not positive item events (searches, removals from
    the cart), are dropped. A catalogue row whose `listed` is false (an item the store knows only
    from interactions) gives the item's content but does not list it.
    """
    df = interactions[interactions["event_type"].isin(TARGET_EVENTS) & interactions["item_id"].notna()]
    df = df.sort_values("position", kind="stable")
    cat_ids: list[str] = []
    listed_ids: set[str] = set()
    if catalogue is not None and "item_id" in catalogue:
        cat_ids = [str(i) for i in catalogue["item_id"].tolist()]
        flags = catalogue["listed"].fillna(True) if "listed" in catalogue else [True] * len(cat_ids)
        listed_ids = {i for i, flag in zip(cat_ids, flags, strict=True) if flag}
    log_ids = pd.unique(df["item_id"].astype(str))
    item_ids = tuple(dict.fromkeys([*cat_ids, *log_ids]))
    item_index = pd.Index(item_ids)
    user_ids = tuple(pd.unique(df["user_id"].astype(str)))
    user_index = pd.Index(user_ids)
    stores = df["store_id"] if "store_id" in df else pd.Series([None] * len(df), index=df.index)
    store_codes = pd.Series(stores.astype(object).where(stores.notna(), None)).map(
        {s: i + 1 for i, s in enumerate(pd.unique(stores.dropna().astype(str)))}
    )
    data = Interactions(
        item_ids=item_ids,
        user_ids=user_ids,
        user=user_index.get_indexer(df["user_id"].astype(str)),
        item=item_index.get_indexer(df["item_id"].astype(str)),
        event=df["event_type"].map(event_code).to_numpy(),
        time=df["occurred_at"].to_numpy(dtype=np.int64),
        position=df["position"].to_numpy(dtype=np.int64),
        store=store_codes.fillna(0).to_numpy(dtype=np.int64),
        listed=np.array([i in listed_ids for i in item_ids], dtype=bool),
    )
    return data, features_of(catalogue, item_ids)


def _clean(v: Any) -> Any:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return v


def features_of(catalogue: pd.DataFrame | None, item_ids: tuple[str, ...]) -> ItemFeatures | None:
    """Hashed content features aligned with item_ids, or None when the catalogue has no content."""
    if catalogue is None or len(catalogue) == 0:
        return None
    fields = ("title", "category", "brand", "price", "description", "attributes")
    present = [f for f in fields if f in catalogue and catalogue[f].notna().any()]
    if not present:
        return None
    rows = catalogue.drop_duplicates("item_id").assign(item_id=lambda d: d["item_id"].astype(str))
    rows = rows.set_index("item_id").reindex(list(item_ids))
    contents = []
    for rec in rows[present].to_dict("records"):
        vals = {k: _clean(v) for k, v in rec.items()}
        if vals.get("price") is not None:
            vals["price"] = float(vals["price"])
        attrs = vals.get("attributes")
        vals["attributes"] = dict(attrs) if isinstance(attrs, dict) else None
        for k in ("title", "category", "brand", "description"):
            if vals.get(k) is not None:
                vals[k] = str(vals[k])
        contents.append(ItemContent(**vals))
    feats = hash_items(contents)
    return feats if feats.has_content().any() else None
