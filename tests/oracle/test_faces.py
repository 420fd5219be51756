"""Every face that ranks or exports a figure, compared with the oracle on generated bureaus
(tests/oracle/strategies.py) loaded into a real store: the figures layer's ranking
(dashboard/domain/figures.py), the 通报's domain rankings (dashboard/briefing.py gather) and the
export (dashboard/output/export.py).  Each test runs EXAMPLES generated bureaus, each comparing
several indicators; a failure prints the bureau and every cell that differs."""

from __future__ import annotations

import math
import os
from unittest import mock

import pandas as pd
import plotly.graph_objects as go
import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from tests.oracle import oracle
from tests.oracle.strategies import RANKED, bureaus

EXAMPLES = 200
# No shrinking unless ORACLE_SHRINK=1: a failing bureau prints compactly as found, and shrinking one
# through a store and the 通报 takes minutes (tests/oracle/test_known_cases.py holds small ones).
PHASES = list(Phase) if os.environ.get("ORACLE_SHRINK") else [Phase.explicit, Phase.reuse, Phase.generate]
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, phases=PHASES,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])
COMPARED = ["group", "state", "done", "total", "raw", "value", "rank", "tied", "behind"]
# Figures are exact: no rounding anywhere (a product value may differ from the oracle's by the
# floating point of another order of additions only).
REL = 1e-9


def same(a, b) -> bool:
    if isinstance(a, (float, int)) and isinstance(b, (float, int)) and not isinstance(a, bool):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=REL, abs_tol=1e-12)
    if pd.isna(a) or pd.isna(b):
        return bool(pd.isna(a) and pd.isna(b))
    return a == b


def differences(expected: pd.DataFrame, got: pd.DataFrame, what: str, columns=COMPARED) -> list[str]:
    """Every cell in which `got` (a face's frame, one row per unit) differs from the oracle's."""
    out = []
    got = got.set_index("unit_code")
    missing = [u for u in expected["unit_code"] if u not in got.index]
    if missing or len(got) != len(expected):
        out.append(f"{what}: units {sorted(got.index)} != {expected['unit_code'].tolist()}")
    for e in expected.itertuples(index=False):
        if e.unit_code not in got.index:
            continue
        g = got.loc[e.unit_code]
        for col in columns:
            want, have = getattr(e, col), g[col]
            if col in ("raw", "value") and not pd.isna(have):
                have = float(have)
            if not same(want, have):
                out.append(f"{what} {e.unit_code} {col}: product {have!r}, oracle {want!r}")
    return out


def period_of(quarters: list[str]) -> str:
    return quarters[0] if len(quarters) == 1 else quarters[0][:4]


def kids_of(raw: oracle.Raw, unit: str, quarters: list[str]) -> list[str]:
    """The units under `unit` in the trees of the quarters (the units a one-unit selection ranks)."""
    seen = []
    for q in quarters:
        seen += [c for c in raw.tree(q).children.get(unit, ()) if c not in seen]
    return seen


@st.composite
def selections(draw):
    """A bureau, 2–3 indicators each with a measure, a period (the whole span, as a year, or its
    last quarter) and which units to rank (the party group's children, or every unit under it)."""
    b = draw(bureaus())
    picks = draw(st.lists(st.sampled_from(RANKED), min_size=2, max_size=3, unique=True))
    measures = [draw(st.sampled_from([None, "rate"])) if oracle.CATALOG[c].rate_per else None for c in picks]
    quarters = b.quarters if draw(st.booleans()) else b.quarters[-1:]
    everyone = draw(st.booleans())
    return b, list(zip(picks, measures)), quarters, everyone


@SETTINGS
@given(sel=selections())
def test_figures_ranking_is_the_oracles(bureau_store, sel):
    figures = pytest.importorskip("dashboard.domain.figures")
    b, picks, quarters, everyone = sel
    store = bureau_store.load(b)
    raw = oracle.Raw.of(store)
    units = [u for u in b.units() if u != "G"] if everyone else kids_of(raw, "G", quarters)
    src = figures.Source.of_store(store)
    bad = []
    for code, measure in picks:
        expected = oracle.ranking(raw, units, quarters, code, measure)
        got = figures.ranking(src, units, quarters, period_of(quarters), code, measure=measure or "raw").frame
        bad += differences(expected, got, f"{code} {measure or 'raw'} {quarters}")
    note(f"units {units}")
    assert not bad, "\n".join(bad)


@SETTINGS
@given(b=bureaus())
def test_briefing_rankings_are_the_oracles(bureau_store, b):
    figures = pytest.importorskip("dashboard.domain.figures")
    from dashboard import briefing

    store = bureau_store.load(b)
    raw = oracle.Raw.of(store)
    # the bar charts are drawing only (a third of gather's time), never a figure compared here
    with mock.patch("dashboard.output.charts.ranking_bar", side_effect=lambda *a, **k: go.Figure()):
        got = briefing.gather(store, "G", b.quarters[-1])
    bad = []
    for part in got.domains:
        ref = part.period
        units = kids_of(raw, "G", [ref])
        measure = "rate" if part.measure == "rate" else None
        expected = oracle.ranking(raw, units, [ref], part.indicator.code, measure)
        bad += differences(expected, part.ranking, f"通报 {part.code} {part.indicator.code} {part.measure} {ref}")
        named = sorted(u for g in part.bottom for u in g["units"])
        want = sorted(expected.loc[expected["behind"], "unit_code"])
        if named != want:
            bad.append(f"通报 {part.code} bottom: product {named}, oracle {want}")
    assert figures is not None
    assert not bad, "\n".join(bad)


@SETTINGS
@given(b=bureaus(), whole=st.booleans())
def test_export_is_the_oracles(bureau_store, b, whole):
    """The long export of the bureau over its span (as one year, or its last quarter): each unit's
    figure where the oracle has one, none where it has none, its state in words, and no row where
    the figure is not asked of the unit (不适用) or the period (本期无此项)."""
    from dashboard.domain.figures import state_text
    from dashboard.output.export import export_frame

    store = bureau_store.load(b)
    raw = oracle.Raw.of(store)
    quarters = b.quarters if whole else b.quarters[-1:]
    gran = "year" if whole else "quarter"
    long = export_frame(store, unit="G", first=quarters[0], last=quarters[-1], granularity=gran, layout="long")
    units = [u for u in b.units()]
    bad = []
    for code in RANKED:
        expected = oracle.ranking(raw, units, quarters, code)
        mine = long[long["indicator_code"] == code].set_index("unit_code")
        for e in expected.itertuples(index=False):
            where = f"export {code} {gran} {quarters[-1]} {e.unit_code} ({e.state})"
            if e.state in ("na", "not_asked"):
                if e.unit_code in mine.index:
                    bad.append(f"{where}: a row, {mine.loc[e.unit_code, 'state']}")
                continue
            if e.unit_code not in mine.index:
                bad.append(f"{where}: no row")
                continue
            want = e.raw if e.state in ("reported", "partial") else math.nan
            have = mine.loc[e.unit_code, "value"]
            have = math.nan if pd.isna(have) else float(have)
            if not same(want, have):
                bad.append(f"{where}: product {have!r}, oracle {want!r}")
            if mine.loc[e.unit_code, "state"] != state_text(e.state):
                bad.append(f"{where}: product state {mine.loc[e.unit_code, 'state']}, oracle {state_text(e.state)}")
    assert not bad, "\n".join(bad)
