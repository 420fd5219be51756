"""A database of hostile names: a small tree, two quarters of figures for every return,
loaded under a given user and file name (the injection tests, fast and in the browser)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from dashboard.db import Store
from dashboard.domain.catalog import catalog
from dashboard.domain.tree import Tree, Unit
from dashboard.ingest.layout import layout
from tests.support.returns import known_value

QUARTERS = ("2024Q1", "2024Q2")


def tree_of(units, *, check_entries: bool = True) -> Tree:
    """A tree of (code, name_zh, name_en, level, parent) rows, in that order."""
    rows = [Unit(c, zh, en, lvl, p, None, None, i) for i, (c, zh, en, lvl, p) in enumerate(units, 1)]
    if check_entries:
        return Tree(rows)
    with pytest.MonkeyPatch.context() as mp:  # as a database from before the code and name rules holds it
        mp.setattr(Tree, "_check_entries", lambda self: [], raising=False)
        return Tree(rows)


def load_tree(store: Store, units, *, past_the_rules: bool = False) -> None:
    """Load the tree; past_the_rules loads it as a database from before the code and name rules could."""
    if not past_the_rules:
        store.load_tree(tree_of(units))
        return
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Tree, "_check_entries", lambda self: [], raising=False)
        store.load_tree(tree_of(units, check_entries=False))


def build_db(path: Path, units, *, user: str, file_name: str, past_the_rules: bool = False) -> Path:
    """The tree and two quarters of known figures for every return, bulk-loaded by `user` from `file_name`."""
    cat = catalog()
    with Store(path) as store:
        load_tree(store, units, past_the_rules=past_the_rules)
        tree = store.tree()
        subs, facts = [], []
        for rep in tree.reporting_units:
            for q in QUARTERS:
                subs.append({"unit_code": rep.code, "quarter": q, "submitted_at": datetime(2024, 7, 1)})
                lay = layout(cat, tree, rep.code, q)
                for sheet in lay.sheets:
                    for ind in sheet.indicators:
                        for i, u in enumerate(lay.units):
                            if ind.reported_by(u.level):
                                facts.append({"reporting_unit": rep.code, "unit_code": u.code, "quarter": q,
                                              "indicator_code": ind.code, "value": float(known_value(ind, i))})
        store.bulk_load(pd.DataFrame(subs), pd.DataFrame(facts), user=user, file_name=file_name)
        store.checkpoint()
    return path
