"""The return template as a reporter opens it: sheets, rows, columns, locked and unlocked cells."""

from __future__ import annotations

import pytest

from dashboard.cli import main
from dashboard.domain.catalog import catalog
from dashboard.ingest import TEMPLATE_VERSION, build_template
from dashboard.ingest.layout import GUIDE_SHEET, META_SHEET
from tests.support.returns import demo_tree_store, domain_sheets, load


@pytest.fixture(scope="module")
def sw01_q1(tmp_path_factory):
    """The template of the bureau offices Party committee (SW01) for 2024Q1, opened."""

    with demo_tree_store(tmp_path_factory.mktemp("tpl") / "t.duckdb") as store:
        return load(build_template(store, "SW01", "2024Q1"))


def test_sheets_are_the_guide_the_five_domains_and_a_hidden_info_sheet(sw01_q1):
    assert sw01_q1.sheetnames[:6] == [GUIDE_SHEET, "学习教育", "发展党员", "星级支部", "纪律执纪", "防汛动员"]
    # then every other domain of data/domains.csv (主题教育, 巡察整改 …), in its order: no code names them
    assert sw01_q1.sheetnames == [GUIDE_SHEET, *(d.name_zh for d in catalog().domains), META_SHEET]
    meta = sw01_q1[META_SHEET]
    assert meta.sheet_state == "hidden"
    info = {r[0].value: r[1].value for r in meta.iter_rows()}
    assert (info["template_version"], info["reporting_unit"], info["period"]) == (TEMPLATE_VERSION, "SW01", "2024Q1")
    assert all(ws.sheet_state == "visible" for ws in sw01_q1.worksheets[:-1])


def test_one_row_per_unit_of_the_return_code_in_a_name_in_b(sw01_q1):
    ws = sw01_q1["学习教育"]
    rows = [(r[0].value, r[1].value) for r in ws.iter_rows(min_row=3)]
    assert rows[0] == ("SW01", "机关党委")
    assert rows[1] == ("SW0101", "办公室党支部")
    assert len(rows) == 11  # the committee and its ten branches
    for ws in domain_sheets(sw01_q1):
        assert [r[0].value for r in ws.iter_rows(min_row=3)] == [code for code, _ in rows]


def test_headings_carry_the_chinese_name_and_unit_with_the_code_beneath(sw01_q1):
    ws = sw01_q1["学习教育"]
    heads = {c.value: h.value for h, c in zip(ws[1], ws[2])}
    assert heads["branch_general_meetings"] == "支部党员大会（次）"
    assert heads["xxqg_registered"] == "学习强国注册人数（人）"
    assert sw01_q1["发展党员"]["A2"].value == "unit_code"
    money = {c.value: h.value for h, c in zip(sw01_q1["发展党员"][1], sw01_q1["发展党员"][2])}
    assert money["dues_collected"] == "党费收缴额（元）"
    assert "xxqg_rate" not in heads  # rates are derived, never typed


def test_input_cells_are_unlocked_with_validation_everything_else_locked(sw01_q1):
    ws = sw01_q1["学习教育"]
    assert ws.protection.sheet is True
    assert ws.freeze_panes == "C3"
    codes = [c.value for c in ws[2]]
    committee_row, branch_row = ws[3], ws[4]  # SW01, then its first branch SW0101
    meetings = codes.index("branch_general_meetings")
    central = codes.index("central_group_study")
    assert branch_row[meetings].protection.locked is False
    assert committee_row[meetings].protection.locked is True  # a committee holds no branch meeting
    assert branch_row[central].protection.locked is True
    assert committee_row[central].protection.locked is False
    assert ws["A3"].protection.locked is True and ws["C1"].protection.locked is True
    validations = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    cell = branch_row[meetings].coordinate
    dv = next(dv for ref, dv in validations.items() if cell in ref.split())
    assert (dv.type, dv.operator, dv.formula1, dv.formula2) == ("whole", "between", "0", "20")


def test_a_committee_may_enter_its_total_of_members_in_a_cell_of_its_own(sw01_q1):
    from tests.support.returns import is_total_cell

    ws = sw01_q1["发展党员"]
    codes = [c.value for c in ws[2]]
    members = codes.index("members_total")
    committee_row, branch_row = ws[3], ws[4]
    assert committee_row[members].protection.locked is False and is_total_cell(committee_row[members])
    assert branch_row[members].protection.locked is False and not is_total_cell(branch_row[members])
    guide = {r[1]: r[5] for r in sw01_q1["填报说明"].iter_rows(values_only=True) if r and len(r) > 5}
    assert "只掌握合计数" in guide["党员总数(含预备)"]


def test_money_takes_decimals_and_stars_are_a_list(sw01_q1):
    members, stars = sw01_q1["发展党员"], sw01_q1["星级支部"]
    kinds = {}
    for ws in (members, stars):
        for dv in ws.data_validations.dataValidation:
            kinds.setdefault(dv.type, dv)
    assert kinds["decimal"].formula2 == "10000000"
    assert kinds["list"].formula1 == '"1,2,3,4,5"'
    dues = next(c for c in members[2] if c.value == "dues_collected").column_letter
    assert members[f"{dues}4"].number_format == "0.00"


def test_the_guide_says_what_to_fill_the_rules_and_whom_to_ask(sw01_q1):
    guide = sw01_q1[GUIDE_SHEET]
    text = "\n".join(str(c.value) for row in guide.iter_rows() for c in row if c.value is not None)
    assert guide["B4"].value == "2024Q1"
    for phrase in ("只填数字", "四种形态", "预备党员转正", "50余", "警告", "联系", "支部党员大会",
                   "branch_general_meetings", "元"):
        assert phrase in text, phrase


@pytest.mark.parametrize("unit, quarter, has_stars", [
    ("SW12", "2024Q1", True),   # a branch filing its own return rates itself in Q1 ...
    ("SW12", "2024Q3", False),  # ... and has nothing on the star sheet in other quarters
    ("SW01", "2024Q3", True),   # committees report lagging branches and elections every quarter
])
def test_the_star_sheet_appears_in_q1_and_whenever_the_catalog_says_so(empty_store, unit, quarter, has_stars):
    wb = load(build_template(empty_store, unit, quarter))
    assert ("星级支部" in wb.sheetnames) is has_stars
    if unit == "SW01":
        codes = [c.value for c in wb["星级支部"][2]]
        assert "star_rating" not in codes and "weak_branches" in codes


def test_a_temporary_branch_has_a_row_only_in_its_quarters(empty_store):
    def units(q):
        return [r[0].value for r in load(build_template(empty_store, "SW03", q))["学习教育"].iter_rows(min_row=3)]

    assert "SW03T1" in units("2023Q3")
    assert "SW03T1" not in units("2024Q3")


def test_cli_writes_the_template_and_refuses_a_unit_that_does_not_report(empty_store, tmp_path, capsys):
    db = str(empty_store.path)
    empty_store.close()
    out = tmp_path / "SW02_2024Q3.xlsx"
    assert main(["template", "--db", db, "--unit", "SW02", "--period", "2024q3", "--out", str(out)]) == 0
    assert load(out.read_bytes())[META_SHEET]["B3"].value == "2024Q3"
    other = ["--period", "2024Q3", "--out", str(tmp_path / "x.xlsx")]
    assert main(["template", "--db", db, "--unit", "SW0201", *other]) == 2
    err = capsys.readouterr().err
    assert "SW0201" in err and "SW02" in err and "does not file its own return" in err
    assert main(["template", "--db", db, "--unit", "NOPE", *other]) == 2
    assert not (tmp_path / "x.xlsx").exists()
