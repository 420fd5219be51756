"""Figures as bureaus write them: 「34万余元」 entered for 防汛捐款 is loaded as 340,000 元 marked
approximate, and the export, the 通报 and the flood page say 「34万余元」; a total that includes it
is marked too, a figure beside it is not."""

from __future__ import annotations

import shutil

import pytest

from dashboard.db import Store
from dashboard.ingest import build_template, import_return
from dashboard.output.export import export_frame
from tests.support.returns import fill, set_value

QUARTER = "2024Q3"


@pytest.fixture(scope="module")
def approx_db(tmp_path_factory, demo_db_file):
    """The demo with the bureau's own 2024Q3 return filed again, its donations typed 「34万余元」."""
    path = tmp_path_factory.mktemp("approx") / "approx.duckdb"
    shutil.copy(demo_db_file, path)
    with Store(path) as store:
        data, _ = fill(build_template(store, "SW", QUARTER))
        data, _ = set_value(data, "防汛动员", "SW", "flood_donations", "34万余元")
        data, _ = set_value(data, "学习教育", "SW", "special_education", 3056)  # a bureau's own row holds thousands
        outcome = import_return(store, data, "SW_2024Q3.xlsx", user="报送人")
        assert outcome.status == "loaded", [p.line() for p in outcome.errors]
        store.checkpoint()
    return path, outcome


def test_an_approximate_figure_loads_with_a_warning_that_says_how_it_is_stored_and_shown(approx_db):
    path, outcome = approx_db
    [warning] = [p for p in outcome.warnings if p.indicator_code == "flood_donations"]
    assert "约数「34万余元」按 340,000.00 元 入库并标为约数" in warning.message_zh
    assert "显示为「34万余元」" in warning.message_zh
    with Store(path) as store:
        own = store.query("indicator_values", units=["SW"], **{"from": QUARTER, "to": QUARTER}, indicators=[
            "flood_donations"], scope="own", granularity="quarter", quarters=[QUARTER], periods=[QUARTER],
            several=False)
        assert own["value"].tolist() == [340000]


def test_the_export_says_the_figure_as_written_and_marks_the_total_that_includes_it(approx_db):
    path, _ = approx_db
    with Store(path) as store:
        rows = export_frame(store, unit="SW", first="2024Q1", last="2024Q4", granularity="year", domain="flood")
        wide = export_frame(store, unit="SW", first="2024Q1", last="2024Q4", granularity="year", domain="flood",
                            layout="wide")
        own = export_frame(store, unit="SW", first="2024Q1", last="2024Q4", granularity="year", domain="flood",
                           scope="own")
    donations = rows[rows["indicator_code"] == "flood_donations"].set_index("unit_code")
    # the bureau's year: its own 34万余 and its units' (none in the demo's 2024): marked, as written
    assert donations.loc["SW", "value"] == 340000 and donations.loc["SW", "shown"] == "34万余元"
    assert donations.loc["SW01", "shown"] == ""  # a committee without one: exact, no mark
    assert wide.set_index("单位代码").loc["SW", "防汛捐款(元)"] == "34万余元"
    assert wide.set_index("单位代码").loc["SW01", "防汛捐款(元)"] == 0
    mine = own[own["indicator_code"] == "flood_donations"].set_index("unit_code")
    assert mine.loc["SW", "shown"] == "34万余元" and mine.loc["SW01", "shown"] == ""


def test_the_briefing_says_34_wan_odd_yuan(approx_db, tmp_path):
    import docx

    from dashboard.cli import main

    path, _ = approx_db
    out = tmp_path / "brief.docx"
    assert main(["briefing", "--db", str(path), "--unit", "SW", "--period", QUARTER, "--out", str(out)]) == 0
    text = "\n".join(p.text for p in docx.Document(str(out)).paragraphs)
    assert "防汛捐款34万余元" in text


def test_the_flood_page_shows_34_wan_odd_yuan(approx_db, monkeypatch):
    from tests.support.apptest import assert_clean, figures, forget, goto, open_app

    path, _ = approx_db
    monkeypatch.setenv("DANGJIAN_DB", str(path))
    try:
        at = open_app(unit=["SW"], period=[QUARTER, QUARTER], gran="quarter")
        goto(at, "flood").run()
        at.selectbox(key="flood_ind").set_value("flood_donations").run()
        at.radio(key="flood_measure").set_value("raw").run()
        assert_clean(at)
        trend = figures(at)["flood_trend"]["data"][0]  # the bureau's quarter: its subtree's donations
        assert trend["y"] == [340000] and trend["customdata"][0][2] == "34万余"
        assert "%{customdata[2]} 元" in trend["hovertemplate"]  # hover: 「2024Q3：34万余 元」
        tables = [df.value for df in at.dataframe]
        assert any("按约数" in tb.columns and tb["按约数"].tolist() == ["34万余元"] for tb in tables)
        goto(at, "explorer").run()  # the explorer's long table: the figure as written beside the number
        at.radio(key="explorer_layout").set_value("long").run()
        assert_clean(at)
        table = at.dataframe[0].value
        mine = table[(table["单位代码"] == "SW") & (table["指标代码"] == "flood_donations")]
        assert mine["按约数"].tolist() == ["34万余元"] and mine["数值"].tolist() == [340000]
    finally:
        forget()


# --- a total without its parts: 四种形态 60 人次, no form given ------------------------------------

HEAD = "code,name_zh,name_en,level,parent_code,reporting,valid_from,valid_to,sort_order,merged_into\n"
TREE = "SW,市水务局党组,Water Bureau Party Group,party_group,,,,,1,\nJG,机关党委,Offices Committee,committee,SW,,,,2,\n" \
       "JG01,第一党支部,Branch 1,branch,JG,,,,3,\n"


@pytest.fixture(scope="module")
def forms_db(tmp_path_factory):
    from dashboard.ingest import tree_file

    path = tmp_path_factory.mktemp("forms") / "forms.duckdb"
    with Store(path) as store:
        reading = tree_file.read((HEAD + TREE).encode(), "tree.csv")
        store.load_tree(tree_file.plan(reading, None, store.unit_last_figures(), "2023Q1"))
    return path


def _forms_return(store, entered, forms=()):
    data = build_template(store, "SW", "2023Q4")
    data, where = set_value(data, "纪律执纪", "SW", "four_forms_entered", entered)
    for k, n in forms:
        data, _ = set_value(data, "纪律执纪", "SW", f"form{k}_cases", n)
    return data, where


def test_a_total_entered_with_forms_that_disagree_is_an_error_at_its_cell(forms_db):
    with Store(forms_db) as store:
        data, where = _forms_return(store, "60人次", [(1, 55), (2, 3)])
        outcome = import_return(store, data, "SW_2023Q4.xlsx", user="报送人", dry_run=True)
        [error] = outcome.errors
        assert error.where == f"纪律执纪!{where}" and "四种形态合计 60 人次与所填 2 种形态之和 58 人次不一致" in error.message_zh
        data, _ = _forms_return(store, 60, [(1, 55), (2, 5)])  # they agree: the forms stand for it, never twice
        outcome = import_return(store, data, "SW_2023Q4.xlsx", user="报送人", dry_run=True)
        assert outcome.status == "valid" and any("与各形态之和一致" in p.message_zh for p in outcome.warnings)


def test_four_forms_60_with_no_split_loads_and_the_discipline_page_shows_60_with_the_forms_blank(forms_db,
                                                                                                   monkeypatch):
    from tests.support.apptest import assert_clean, figures, forget, goto, open_app

    with Store(forms_db) as store:
        data, _ = _forms_return(store, "60人次")
        outcome = import_return(store, data, "SW_2023Q4.xlsx", user="报送人")
        assert outcome.status == "loaded", [p.line() for p in outcome.errors]
        store.checkpoint()
    monkeypatch.setenv("DANGJIAN_DB", str(forms_db))
    try:
        at = open_app(unit=["SW", "JG"], period=["2023Q1", "2023Q4"], gran="year")
        goto(at, "discipline").run()
        at.radio(key="discipline_measure").set_value("raw").run()  # no members entered: no rate per 100
        assert_clean(at)
        bar = figures(at)["discipline_ranking"]["data"][0]
        assert at.selectbox(key="discipline_ind").value == "four_forms_total"
        assert dict(zip(bar["y"], bar["text"])) == {"市水务局党组": "60", "机关党委": "未报送"}
        for k in range(1, 5):
            at.selectbox(key="discipline_ind").set_value(f"form{k}_cases").run()
            bar = figures(at)["discipline_ranking"]["data"][0]
            assert dict(zip(bar["y"], bar["text"]))["市水务局党组"] == "已报送·未填写"
    finally:
        forget()
