"""Drill to the source (figures.sources): a figure's parts add up to it, each value is found again
in the workbook cell it names, the original file downloads to those whose scope holds its unit,
and everything outside the scope is refused and recorded."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from dashboard.cli import main
from dashboard.domain import figures
from dashboard.domain.access import AccessDenied, Principal
from dashboard.ingest import TEMPLATE_VERSION, build_template, import_return
from tests.support.figures import active_value
from tests.support.returns import fill, load

MISSING_IN_DEMO = {"节约用水办公室党总支", "水政监察支队党总支"}


def test_members_1272_drills_to_the_units_that_add_up_to_it_and_names_the_two_missing(demo_store):
    d = figures.sources(figures.Source.of_store(demo_store), "members_total", "SW", ["2024Q4"], "2024Q4")
    assert d.figure == 1272 and d.adds_up
    counted = d.parts[d.parts["counted"]]
    assert counted["value"].sum() == d.total == 1272
    # the returns in: ten committees' figures, and the party group's own return with no total of its own
    assert len(counted) == 10
    own = d.parts[d.parts["own"]].iloc[0]
    assert own["state"] == figures.BLANK and not own["counted"] and own["note"]
    missing = d.parts[d.parts["state"] == figures.MISSING]
    assert set(missing["unit_name"]) == MISSING_IN_DEMO and missing["value"].isna().all()
    assert d.coverage.startswith("11/13")
    # each value behind the figure: its return, sheet and cell; they add up to the figure too
    assert d.cells["value"].sum() == 1272
    assert d.cells["cell"].notna().all() and (d.cells["sheet"] == "发展党员").all()
    assert set(d.cells["part"]) == set(counted["unit_code"])
    for r in d.cells.itertuples():
        assert active_value(demo_store, r.unit_code, "members_total", "2024Q4") == r.value
    for r in counted.itertuples():
        assert r.files and r.reporters and r.submitted_at and r.template_versions
        assert r.where.startswith("发展党员!C")
    sw01 = counted.set_index("unit_code").loc["SW01"]
    assert sw01["where"] == "发展党员!C4:C13" and sw01["value"] == 218


def test_a_part_drills_again_and_a_flow_over_a_year_names_each_quarters_cells(demo_store):
    src = figures.Source.of_store(demo_store)
    year = figures.sources(src, "theme_party_days", "SW01", ["2024Q1", "2024Q2", "2024Q3", "2024Q4"], "2024")
    assert year.figure == year.total == year.cells["value"].sum()
    assert year.parts["counted"].all()  # the committee's own row and its ten branches all reported
    assert year.parts.iloc[0]["where"].startswith("2024Q1 学习教育!")
    assert set(year.cells["quarter"]) == {"2024Q1", "2024Q2", "2024Q3", "2024Q4"}


def test_a_value_read_from_a_workbook_is_found_again_at_the_cell_it_names(demo_store, tmp_path):
    store = demo_store
    data, _typed = fill(build_template(store, "SW02", "2024Q4"))
    outcome = import_return(store, data, "供水集团_2024Q4.xlsx", user="李娜")
    assert outcome.status == "loaded", outcome.problems
    d = figures.sources(figures.Source.of_store(store), "members_total", "SW02", ["2024Q4"], "2024Q4")
    wb = load(data)
    assert len(d.cells) and d.figure == d.cells["value"].sum()
    for r in d.cells.itertuples():
        assert wb[r.sheet][r.cell].value == r.value, r.where
        assert r.file_name == "供水集团_2024Q4.xlsx" and r.submitted_by == "李娜" and r.has_original
        assert r.template_version == TEMPLATE_VERSION
    # the original downloads, byte for byte, and the download is recorded
    sid = int(d.cells["submission_id"].iloc[0])
    leader = Principal("boss", "B", "leader", "SW")
    name, got = store.original_of(sid, leader)
    assert (name, got) == ("供水集团_2024Q4.xlsx", data)
    audit = store.table("audit")
    last = audit[audit["action"] == "source.download"].iloc[-1]
    assert last["outcome"] == "ok" and last["target"] == str(sid)


def test_a_reporter_of_sw02_is_refused_sw01s_sources_and_file_and_the_refusal_is_recorded(demo_store):
    store = demo_store
    data, _ = fill(build_template(store, "SW01", "2024Q4"))
    sid = import_return(store, data, "机关党委.xlsx", user="x").submission_id
    reporter = Principal("r02", "R", "reporter", "SW02")

    def scoped(name, **params):
        return store.query(name, reporter, **params)
    src = figures.Source(scoped, figures.Source.of_store(store).inputs, store.history(), store.catalog, store.tree())
    with pytest.raises(AccessDenied) as refused:
        figures.sources(src, "members_total", "SW01", ["2024Q4"], "2024Q4")
    assert "SW01" in refused.value.text("zh")
    with pytest.raises(AccessDenied):
        store.original_of(sid, reporter)
    audit = store.table("audit")
    last = audit[audit["action"] == "source.download"].iloc[-1]
    assert last["outcome"] == "rejected" and last["target"] == str(sid)
    # their own unit drills
    own = figures.sources(src, "members_total", "SW02", ["2024Q4"], "2024Q4")
    assert own.figure == own.total


def test_values_imported_before_positions_were_kept_say_so(demo_store):
    store = demo_store
    store.submit("SW12", "2024Q4", [("SW12", "members_total", 30.0)], user="old")  # no sheet, no cell
    d = figures.sources(figures.Source.of_store(store), "members_total", "SW12", ["2024Q4"], "2024Q4")
    assert d.figure == 30
    assert d.parts.iloc[0]["where"] == "位置未记录"
    assert (d.cells["where"] == "位置未记录").all()


def test_cell_ranges_name_runs_of_a_column():
    cells = pd.DataFrame({"quarter": ["2024Q4"] * 5, "sheet": ["发展党员"] * 4 + [None],
                          "cell": ["C4", "C5", "C6", "C9", None]})
    assert figures.cell_ranges(cells) == "发展党员!C4:C6,C9、位置未记录"


@pytest.mark.duckdb_only  # the command line opens the file by its path
def test_export_with_source_carries_each_figures_returns_and_cells(demo_store, tmp_path):
    out = tmp_path / "with_source.csv"
    assert main(["export", "--db", str(demo_store.path), "--unit", "SW", "--from", "2024Q4", "--to", "2024Q4",
                 "--with-source", "--out", str(out)]) == 0
    with open(out, encoding="utf-8-sig", newline="") as f:
        rows = {(r["unit_code"], r["indicator_code"]): r for r in csv.DictReader(f)}
    total = rows[("SW", "members_total")]
    assert float(total["value"]) == 1272
    assert total["source_cells"].startswith("SW01 发展党员!C4:C13；SW02 发展党员!C4:C11")
    sw01 = rows[("SW01", "members_total")]
    assert sw01["source_cells"] == "发展党员!C4:C13" and sw01["source_files"] and sw01["source_submitted_at"]
    assert rows[("SW08", "members_total")]["source_cells"] == ""  # 未报送: nothing behind it
    assert main(["export", "--db", str(demo_store.path), "--layout", "wide", "--with-source",
                 "--out", str(tmp_path / "w.csv")]) != 0


def test_the_circulars_annex_names_where_each_headline_figure_was_read(demo_store):
    import io

    from docx import Document

    from dashboard import briefing
    from dashboard.output import briefing as briefing_doc

    data = briefing_doc.document(briefing.gather(demo_store, "SW", "2024Q4"))
    annex = Document(io.BytesIO(data)).tables[-1]
    rows = {r.cells[0].text: [c.text for c in r.cells] for r in annex.rows}
    assert rows["指标"] == ["指标", "数值", "期间", "报表与单元格", "最近报送时间"]
    members = rows["党员总数（含预备）"]  # full-width in the Chinese document
    assert members[1] == "1,272 人" and members[2] == "2024Q4"
    assert members[3].startswith("SW01 发展党员!C4:C13；SW02 发展党员!C4:C11")
