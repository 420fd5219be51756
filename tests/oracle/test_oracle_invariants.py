"""The oracle on generated bureaus loaded into a real store: what must hold of any answer of it —
the states partition the units, a figure exists exactly for the states that have one, ranks and
ties agree with the values, coverage counts the returns due, and a 合计 is never smaller than its
parts (each unit's sum is its own figure plus its children's)."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.oracle import oracle
from tests.oracle.strategies import RANKED, RATED, bureaus

EXAMPLES = 200
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])
STATES = {"reported", "partial", "blank", "missing", "na", "not_asked"}


def check_frame(frame, units, code):
    ind = oracle.CATALOG[code]
    assert frame["unit_code"].tolist() == list(units)
    assert set(frame["state"]) <= STATES
    have = frame["value"].notna()
    assert frame.loc[have, "state"].isin(["reported", "partial"]).all()
    assert (frame["rank"].notna() == have).all()
    assert (frame["done"] <= frame["total"]).all()
    assert ((frame["state"] == "missing") | (frame["done"] > 0) | frame["state"].isin(["na", "not_asked"])).all()
    assert ((frame["state"] == "reported") <= (frame["done"] == frame["total"])).all()
    assert ((frame["state"] == "partial") <= (frame["done"] < frame["total"])).all()
    for _, part in frame[have].groupby("group"):
        counts = part["value"].value_counts()
        assert (part["tied"] == part["value"].map(counts)).all()
        assert part["rank"].min() == 1
        best = part["value"].min() if ind.rank == "lower_better" else part["value"].max()
        assert (part.loc[part["rank"] == 1, "value"] == best).all()
        if ind.rank == "none" or len(part) <= 2:
            assert not part["behind"].any()
    assert not frame.loc[~have, "behind"].any()


@SETTINGS
@given(b=bureaus(), picks=st.lists(st.sampled_from(RANKED), min_size=2, max_size=4, unique=True),
       rate=st.sampled_from(RATED))
def test_oracle_invariants(bureau_store, b, picks, rate):
    store = bureau_store.load(b)
    raw = oracle.Raw.of(store)
    units = b.units()
    for code in picks:
        check_frame(oracle.ranking(raw, units, b.quarters, code), units, code)
    check_frame(oracle.ranking(raw, units, b.quarters, rate, "rate"), units, rate)
    last = b.quarters[-1]
    tree = raw.tree(last)
    root = oracle.ranking(raw, ["G"], [last], "theme_party_days").iloc[0]
    assert root["total"] == sum(1 for u in tree.level if tree.is_reporting(u))
    assert root["done"] == sum(1 for u in tree.level if tree.is_reporting(u) and (u, last) in raw.returns_in)
    # a 合计 is its own figure plus its children's, so never smaller than a part (one quarter, its tree)
    for code in ("theme_party_days", "duty_person_days", "form1_cases", "admitted_probationary", "members_total"):
        in_tree = list(tree.level)
        got = oracle.ranking(raw, in_tree, [last], code).set_index("unit_code")["raw"]
        own = raw.facts.get((last, code), {})
        for u in in_tree:
            if math.isnan(got[u]):
                continue
            kids = [k for k in tree.children.get(u, ()) if not math.isnan(got[k])]
            if oracle.CATALOG[code].levels == "branch_or_total" and u in own:
                assert got[u] == own[u]  # its own total stands for its subtree
                continue
            assert got[u] == own.get(u, 0.0) + sum(got[k] for k in kids)
            assert all(got[u] >= got[k] for k in kids)
