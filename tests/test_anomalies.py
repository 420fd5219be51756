"""Figures to verify: each planted anomaly of a small bureau is flagged with its reason in Chinese,
a bureau without anomalies has none, a mark 「已核实」 keeps who and when (and is audited), and the
list is on the overview, on a domain page and in the `anomalies` export.

Tree:  G 党组 -> C1 党委 (B1..B4), C2 党委 (D1..D4), C3 党委 (E1..E3); C1, C2, C3 each file a
return for themselves and their branches, ten quarters 2022Q1..2024Q2.
"""

from __future__ import annotations

import csv
import io
import shutil

import pytest

from dashboard.cli import main
from dashboard.db import Store
from dashboard.domain import anomalies, periods
from dashboard.domain.acting import acting
from dashboard.ingest import tree_file

HEAD = "code,name_zh,name_en,level,parent_code,reporting,valid_from,valid_to,sort_order,merged_into\n"
BRANCHES = {"C1": ["B1", "B2", "B3", "B4"], "C2": ["D1", "D2", "D3", "D4"], "C3": ["E1", "E2", "E3"]}
QUARTERS = periods.quarter_range("2022Q1", "2024Q2")
FIRST, LAST = "2023Q3", "2024Q2"  # the quarters checked


def tree_rows() -> list[str]:
    rows, n = ["G,测试党组,Test Group,party_group,,,,,1,"], 1
    for c, kids in BRANCHES.items():
        n += 1
        rows.append(f"{c},{c}党委,Committee {c},committee,G,,,,{n},")
        for k in kids:
            n += 1
            rows.append(f"{k},{k}支部,Branch {k},branch,{c},,,,{n},")
    return rows


def clean_return(committee: str, qi: int) -> list[tuple[str, str, float]]:
    """An ordinary quarter: theme days alternate 3 and 4, members stay put, no admissions."""
    facts = [(committee, "committee_meetings", 3 + qi % 2)]
    for i, b in enumerate(BRANCHES[committee]):
        j = sum(len(v) for k, v in BRANCHES.items() if k < committee) + i
        facts += [(b, "theme_party_days", 3 + (qi + j) % 2), (b, "branch_general_meetings", 1),
                  (b, "members_total", 30 + j), (b, "admitted_probationary", 0)]
    return facts


def build(path, plant: bool) -> Store:
    store = Store(path)
    reading = tree_file.read((HEAD + "\n".join(tree_rows()) + "\n").encode(), "tree.csv")
    store.load_tree(tree_file.plan(reading, None, store.unit_last_figures(), "2022Q1"))
    sent: dict[tuple[str, str], list] = {}
    for qi, q in enumerate(QUARTERS):
        for c in BRANCHES:
            facts = clean_return(c, qi)
            if plant:
                facts = planted(c, q, facts)
                if (c, q) == ("C2", "2024Q2"):
                    facts = sent[(c, "2024Q1")]  # 3. the previous quarter's return sent again
            sent[(c, q)] = facts
            store.submit(c, q, facts, user="t")
    return store


def planted(c: str, q: str, facts: list) -> list:
    out = []
    for unit, code, v in facts:
        if (unit, code, q) == ("B1", "theme_party_days", "2024Q1"):
            v = 20  # 1. a sharp change against its own history (3 or 4 every quarter before)
        if unit == "B2" and code == "members_total" and q >= "2024Q1":
            v = 21  # 2. members fall from 31 to 21 with nobody leaving on record
        if unit == "D1" and code == "members_total":
            v = 300  # 5. ten times its peers, every quarter
        if c == "C3" and q == "2024Q2":
            v = 0  # 4. an all-zero return
        out.append((unit, code, v))
    return out


EXPECTED = {  # (kind, unit, quarter, indicator)
    ("sharp_change", "B1", "2024Q1", "theme_party_days"),
    ("stock_flow", "B2", "2024Q1", "members_total"),
    ("same_as_previous", "C2", "2024Q2", ""),
    ("all_zero", "C3", "2024Q2", ""),
    ("level_outlier", "D1", "2024Q2", "members_total"),
}


def found(store: Store, unit: str = "G") -> "anomalies.pd.DataFrame":
    facts = store.query("anomaly_facts", units=[unit], **{"from": anomalies.fetch_range(FIRST), "to": LAST})
    return anomalies.find(facts, store.catalog, FIRST, LAST, store.anomaly_checks())


@pytest.fixture(scope="module")
def planted_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("anomalies") / "planted.duckdb"
    build(path, plant=True).close()
    return path


@pytest.fixture
def planted_store(planted_db, tmp_path):
    path = tmp_path / "planted.duckdb"
    shutil.copy(planted_db, path)
    store = Store(path)
    yield store
    store.close()


def test_a_bureau_without_anomalies_has_none(tmp_path):
    store = build(tmp_path / "clean.duckdb", plant=False)
    try:
        assert found(store).empty
    finally:
        store.close()


def test_each_planted_anomaly_is_flagged_with_its_reason_and_nothing_else(planted_store):
    got = found(planted_store)
    keys = set(zip(got["kind"], got["unit_code"], got["quarter"], got["indicator_code"]))
    assert EXPECTED <= keys
    # whatever else is flagged is the same planted figure seen another way (B1's 20 theme days
    # are also far from its peers; D1's 300 in every quarter; the zero return's branches)
    planted_cells = {("B1", "2024Q1"), ("B2", "2024Q1"), ("C2", "2024Q2"), ("C3", "2024Q2"),
                     *(("D1", q) for q in periods.quarter_range(FIRST, LAST)),
                     *((e, "2024Q2") for e in BRANCHES["C3"])}
    assert {(u, q) for _, u, q, _ in keys} <= planted_cells, keys - EXPECTED
    reasons = dict(zip(zip(got["kind"], got["unit_code"], got["quarter"]), got["reason_zh"]))
    assert "20 次" in reasons[("sharp_change", "B1", "2024Q1")] and "中位数" in reasons[("sharp_change", "B1", "2024Q1")]
    assert "由上季度末 31 变为 21 人" in reasons[("stock_flow", "B2", "2024Q1")]
    assert "与上季度（2024Q1）完全相同" in reasons[("same_as_previous", "C2", "2024Q2")]
    assert "全部为 0" in reasons[("all_zero", "C3", "2024Q2")]
    assert "同级党支部" in reasons[("level_outlier", "D1", "2024Q2")]


def test_a_mark_keeps_who_and_when_is_audited_and_never_changes_a_figure(planted_store):
    before = planted_store.table("facts")
    with acting("王五", "app"):
        planted_store.verify_anomaly("stock_flow", "B2", "2024Q1", "members_total", "两人调出，已核实")
    got = found(planted_store)
    row = got[(got["kind"] == "stock_flow") & (got["unit_code"] == "B2")].iloc[0]
    assert row["verified_by"] == "王五" and row["verified_at"] is not None
    assert got[got["verified_by"].notna()].shape[0] == 1
    audit = planted_store.table("audit")
    last = audit.iloc[-1]
    assert (last["action"], last["actor"], last["via"]) == ("anomaly.verify", "王五", "app")
    assert "B2 2024Q1 members_total stock_flow" == last["target"]
    assert planted_store.table("facts").equals(before)
    shown = anomalies.for_people(got, planted_store.tree(), planted_store.catalog)
    assert shown["状态"].str.startswith("已核实（王五，").sum() == 1
    assert (shown["状态"] == "待核实").sum() == len(got) - 1


def test_the_anomalies_command_exports_the_list_and_marks_one(planted_store, tmp_path, capsys):
    path = planted_store.path
    planted_store.close()
    out = tmp_path / "anomalies.csv"
    assert main(["anomalies", "--db", str(path), "--from", FIRST, "--to", LAST, "--out", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert {(r["kind"], r["单位代码"], r["季度"], r["indicator_code"]) for r in rows} >= EXPECTED
    assert all(r["原因"] and r["状态"] == "待核实" for r in rows)
    assert main(["anomalies", "verify", "--db", str(path), "--kind", "all_zero", "--unit", "C3",
                 "--quarter", "2024Q2", "--user", "赵六"]) == 0
    capsys.readouterr()
    assert main(["anomalies", "--db", str(path), "--from", FIRST, "--to", LAST, "--domain", "members"]) == 0
    printed = capsys.readouterr().out
    assert "members_total" in printed and "all_zero" not in printed  # a whole return is on the overview only
    assert main(["anomalies", "--db", str(path), "--from", "2024Q2", "--to", "2024Q2"]) == 0
    line = next(ln for ln in capsys.readouterr().out.splitlines() if "all_zero" in ln)
    assert "已核实（赵六，" in line
    assert main(["anomalies", "verify", "--db", str(path), "--kind", "nonsense", "--unit", "C3",
                 "--quarter", "2024Q2"]) == 2


def test_the_list_is_on_the_overview_and_a_domain_page_and_a_mark_is_made_there(planted_store, monkeypatch):
    from tests.support.apptest import forget, goto, open_app

    path = planted_store.path
    planted_store.close()
    monkeypatch.setenv("DANGJIAN_DB", str(path))
    try:
        at = open_app(unit=["G"], period=[FIRST, LAST])
        assert any(s.value == "待核实的数据" for s in at.subheader)
        table = max((d.value for d in at.dataframe if "原因" in d.value.columns), key=len)  # the full list
        assert {"B1", "B2", "C2", "C3", "D1"} <= set(table["单位代码"])
        goto(at, "members").run()
        table = max((d.value for d in at.dataframe if "原因" in d.value.columns), key=len)  # the full list
        assert set(table["指标"]) == {"党员总数(含预备)"}
        assert "C3" not in set(table["单位代码"]) or (table["单位代码"] == "C3").sum() == 0
        at.text_input(key="anomalies_members_who").input("钱七")
        at.get("form_submit_button")[-1].click().run()
        table = max((d.value for d in at.dataframe if "原因" in d.value.columns), key=len)  # the full list
        assert (table["状态"].str.startswith("已核实（钱七，")).sum() == 1
    finally:
        forget()
    with Store(path) as store:
        assert store.table("audit").iloc[-1]["actor"] == "钱七"


def test_a_large_selection_is_checked_when_asked_and_then_on_every_page(planted_store, monkeypatch):
    """Above anomaly_scan_max_units units the pages do not check on opening (a province takes a
    minute): they say why and offer the check; once asked, the same selection is checked on every page."""
    from tests.support.apptest import forget, goto, open_app

    path = planted_store.path
    planted_store.close()
    monkeypatch.setenv("DANGJIAN_DB", str(path))
    monkeypatch.setenv("DANGJIAN_ANOMALY_SCAN_MAX_UNITS", "3")
    try:
        at = open_app(unit=["G"], period=[FIRST, LAST])
        assert any(s.value == "待核实的数据" for s in at.subheader)
        assert not [d for d in at.dataframe if "原因" in d.value.columns]
        assert any("不在打开页面时自动进行" in c.value for c in at.caption)
        at.button(key="anomalies_scan_overview").click().run()
        table = max((d.value for d in at.dataframe if "原因" in d.value.columns), key=len)  # the full list
        assert {"B1", "B2", "C2", "C3", "D1"} <= set(table["单位代码"])
        assert not any("不在打开页面时自动进行" in c.value for c in at.caption)  # the offer is gone
        goto(at, "members").run()
        table = max((d.value for d in at.dataframe if "原因" in d.value.columns), key=len)  # the full list
        assert set(table["指标"]) == {"党员总数(含预备)"}
        assert not any("不在打开页面时自动进行" in c.value for c in at.caption)
    finally:
        forget()
