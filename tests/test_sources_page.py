"""The 来源 panel under AppTest: opened from a headline card, the parts it lists add up to the card's
figure and name the missing returns; a link names a figure to open; a reporter of SW02 asking for
SW01's figure through a link is refused in words and the refusal is in the audit trail."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dashboard.app import identity
from dashboard.app.views import sources
from tests.support.apptest import APP, TIMEOUT, app_store, assert_clean, forget

MISSING_IN_DEMO = {"节约用水办公室党总支", "水政监察支队党总支"}


@pytest.fixture
def app_db(demo_db_file, tmp_path, monkeypatch) -> Path:
    path = tmp_path / "app.duckdb"
    shutil.copy(demo_db_file, path)
    monkeypatch.setenv("DANGJIAN_DB", str(path))
    monkeypatch.delenv("DANGJIAN_AUTH", raising=False)
    yield path
    forget()


def _app(**query):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for k, v in query.items():
        at.query_params[k] = v
    return at


def _dialog(at):
    """The open dialog's elements: AppTest keeps a dialog in its tree's third block ("event"), which
    its element lists do not search, and a table with no selection has no key to find it by."""
    return at._tree.children[2]


def _panel_parts(at):
    """The parts table of the open panel (its first table): {unit name: (value, state, counted, where)}."""
    frame = _dialog(at).get("dataframe")[0].value
    cols = list(frame.columns)
    return {r[cols.index("单位")]: (r[cols.index("数值")], r[cols.index("状态")], r[cols.index("计入合计")],
                                   r[cols.index("工作表!单元格")]) for r in frame.itertuples(index=False)}


def test_the_members_card_opens_the_units_that_add_up_to_1272(app_db):
    at = _app(unit="SW", period=["2022Q1", "2024Q4"])
    at.run()
    assert_clean(at)
    card = next(m for m in at.metric if m.label.startswith("党员总数"))
    assert card.value == "1,272"
    at.button(key="source_SW_members_total").click().run()
    assert_clean(at)
    parts = _panel_parts(at)
    counted = {name: p for name, p in parts.items() if p[2] == "是"}
    assert sum(float(str(p[0]).replace(",", "")) for p in counted.values()) == 1272
    assert {name for name, p in parts.items() if p[1] == "未报送"} == MISSING_IN_DEMO
    assert all(p[3].startswith("发展党员!C") for p in counted.values())
    said = [m.value for m in _dialog(at).get("markdown")]
    sums = [m for m in said if "= **1,272**" in m]
    assert sums and sums[0].count("+") == len(counted) - 1
    assert any("未计入" in m and "节约用水办公室党总支（未报送）" in m for m in said)


def test_a_link_to_a_figures_sources_is_refused_outside_the_scope_and_recorded(app_db):
    at = _app(unit="SW02", period=["2022Q1", "2024Q4"], source="members_total:SW01:2024Q4")
    at.session_state[identity.ROLE_KEY] = "reporter"
    at.session_state[identity.UNIT_KEY] = "SW02"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    refused = [e.value for e in _dialog(at).get("error")]
    assert len(refused) == 1 and "无权查看：SW01" in refused[0] and "SW02" in refused[0], refused
    audit = app_store(app_db).table("audit")
    rows = audit[audit["action"] == "source.view"]
    assert len(rows) == 1 and rows.iloc[0]["outcome"] == "rejected" and "SW01" in rows.iloc[0]["target"]
    # the same link for the reporter's own committee opens
    at2 = _app(unit="SW02", period=["2022Q1", "2024Q4"], source="members_total:SW02:2024Q4")
    at2.session_state[identity.ROLE_KEY] = "reporter"
    at2.session_state[identity.UNIT_KEY] = "SW02"
    at2.run()
    assert_clean(at2)
    assert "供水集团党委" in " ".join(m.value for m in _dialog(at2).get("markdown"))
    assert sources.OPEN in at2.session_state

