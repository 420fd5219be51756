"""The domain page itself (Streamlit's AppTest on the real app) against the oracle, on generated
bureaus: the ranking chart's bars, its labels for units with no figure and its grey bars for the
units behind are the oracle's figures, states and bottom.  A page run costs seconds, so fewer
bureaus than the other faces (test_faces.py runs 200 each through the same figures layer)."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from dashboard.domain.catalog import catalog
from dashboard.output.style import LAGGARD
from tests.oracle import oracle
from tests.oracle.strategies import RANKED, BureauStore, bureaus
from tests.support.apptest import assert_clean, figures, forget, open_app

PAGE_EXAMPLES = 25
STATE_WORDS = {"missing": "未报送", "blank": "已报送·未填写", "na": "不适用", "not_asked": "本期无此项"}
NO_BASE_WORDS = {"branches": "无下属支部", "members_total": "党员数为0"}  # reported, but a rate has nothing to divide by
EVERY_QUARTER = [c for c in RANKED if catalog()[c].quarters == "all"]  # ranked in the quarter shown


@st.composite
def page_views(draw):
    bureau = draw(bureaus())
    code = draw(st.sampled_from(EVERY_QUARTER))
    ind = catalog()[code]
    measure = draw(st.sampled_from(["rate", "raw"])) if ind.rate_per else "raw"
    return bureau, code, measure


@settings(max_examples=PAGE_EXAMPLES, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(view=page_views())
def test_the_domain_page_ranks_as_the_oracle(view, tmp_path_factory, monkeypatch):
    bureau, code, measure = view
    quarter = bureau.quarters[-1]
    path = tmp_path_factory.mktemp("page") / "bureau.duckdb"
    bs = BureauStore(path)
    try:
        store = bs.load(bureau)
        raw = oracle.Raw.of(store)
        units = list(raw.tree(quarter).children.get("G", ()))
        expected = oracle.ranking(store, units, [quarter], code, measure if measure == "rate" else None)
        store.checkpoint()
    finally:
        bs.close()
    note(f"{code} {measure} {quarter}\n{expected.to_string()}")
    domain = catalog()[code].domain
    monkeypatch.setenv("DANGJIAN_DB", str(path))
    try:
        at = open_app(domain, unit=["G"], period=[quarter, quarter], gran="quarter",
                      **{f"{domain}_ind": code, f"{domain}_measure": measure})
        assert_clean(at)
        chart = figures(at).get(f"{domain}_ranking")
    finally:
        forget()
    with_value = expected[expected["value"].notna()]
    if chart is None:  # the page says there is nothing to rank in the quarter
        assert with_value.empty, "the page drew no ranking but the oracle has figures"
        return
    bar = chart["data"][0]
    shown = {c[2]: (x, txt, color) for x, txt, color, c in zip(bar["x"], bar["text"], bar["marker"]["color"],
                                                                   bar["customdata"])}
    assert set(shown) == set(expected["unit_code"])
    for e in expected.itertuples(index=False):
        x, txt, color = shown[e.unit_code]
        if math.isnan(e.value):
            if e.state in ("reported", "partial"):
                assert measure == "rate", (e.unit_code, e.state)
                assert txt == NO_BASE_WORDS[catalog()[code].rate_per], (e.unit_code, txt, e.state)
            else:
                assert txt == STATE_WORDS[e.state], (e.unit_code, txt, e.state)
            assert color == LAGGARD, e.unit_code
        else:
            assert x == pytest.approx(e.value, rel=1e-9, abs=1e-12), (e.unit_code, x, e.value)
            assert (color == LAGGARD) == bool(e.behind), (e.unit_code, color, e.behind)
