"""What the validator says about what reporters really type, and about broken returns.

The corpus below is generated here from a correctly filled template: each case breaks one
thing, goes through `python -m dashboard import`, and must come back with exit code 1, the
expected message naming its cell, and a database unchanged in every row of every table.
"""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from datetime import date

import pytest

from dashboard.domain import periods
from dashboard.domain.catalog import catalog, read_catalog
from dashboard.ingest import build_template, import_return
from dashboard.ingest.validate import read_cell
from dashboard.settings import DATA_DIR
from tests.support.returns import (
    REPORTER,
    cell_of,
    edit,
    fill,
    import_by_cli,
    load,
    save,
    set_value,
)

# --- one cell -----------------------------------------------------------------------------------

CAT = catalog()


@pytest.mark.parametrize("raw, code, value, keys", [
    (12, "party_lectures", 12, []),
    (12.0, "party_lectures", 12, []),
    ("", "party_lectures", None, []),
    ("   ", "party_lectures", None, []),
    ("12", "party_lectures", 12, ["val_text_number"]),
    ("１２", "party_lectures", 12, ["val_fullwidth"]),
    ("5次", "party_lectures", 5, ["val_suffix"]),
    ("12 人", "members_total", 12, ["val_suffix"]),
    ("1,234.5", "dues_collected", 1234.5, ["val_text_number"]),
    ("X", "party_lectures", None, ["val_placeholder"]),
    ("—", "party_lectures", None, ["val_placeholder"]),
    ("无", "party_lectures", None, ["val_placeholder"]),
    ("30余", "members_total", 30, ["val_approx"]),
    ("约5", "party_lectures", 5, ["val_approx"]),
    ("10多", "party_lectures", 10, ["val_approx"]),
    ("5左右", "party_lectures", 5, ["val_approx"]),
    ("50余次", "theme_party_days", 50, ["val_approx"]),
    ("30余天", "max_consecutive_days", 30, ["val_approx"]),
    ("约4", "star_rating", None, ["val_approx_kind"]),
    ("超过50", "party_lectures", None, ["val_bound"]),
    ("50以上", "party_lectures", None, ["val_bound"]),
    ("5~8", "party_lectures", None, ["val_bound"]),
    ("60场次", "volunteer_events", 60, ["val_suffix"]),
    ("60场", "volunteer_events", 60, ["val_suffix"]),
    ("1名", "frontline_admissions", 1, ["val_suffix"]),
    ("60人次", "form1_cases", 60, ["val_suffix"]),
    ("10支", "commando_teams", 10, ["val_suffix"]),
    ("5人", "party_lectures", None, ["val_not_number"]),
    ("90%", "xxqg_active", None, ["val_percent"]),
    ("五", "party_lectures", None, ["val_not_number"]),
    ("5万元", "dues_collected", 50000, ["val_wan"]),
    ("34.1万", "flood_donations", 341000, ["val_wan"]),
    ("34万元", "flood_donations", 340000, ["val_wan"]),
    ("34万余元", "flood_donations", 340000, ["val_approx"]),
    ("300余万元", "flood_donations", 3000000, ["val_approx"]),
    ("约3万元", "flood_donations", 30000, ["val_approx"]),
    ("34万", "members_total", None, ["val_not_number"]),
    (-1, "party_lectures", None, ["val_negative"]),
    (2.5, "party_lectures", None, ["val_not_whole"]),
    (21, "branch_general_meetings", None, ["val_out_of_range"]),
    (6, "star_rating", None, ["val_stars"]),
    (4.5, "star_rating", None, ["val_stars"]),
    (0, "star_rating", None, ["val_stars"]),
    ("5星", "star_rating", 5, ["val_suffix"]),
    (88.5, "fortress_index", 88.5, []),
    (1234.567, "dues_collected", 1234.57, ["val_money_rounded"]),
    (True, "party_lectures", None, ["val_bool"]),
    (date(2024, 3, 1), "party_lectures", None, ["val_date"]),
    (float("nan"), "party_lectures", None, ["val_not_number"]),
])
def test_a_cell_is_read_or_refused_as_the_guide_says(raw, code, value, keys):
    got, notes = read_cell(raw, CAT[code])
    assert got == (pytest.approx(value) if value is not None else None)
    assert [k for k, _, _ in notes] == keys
    if value is None and keys and keys[0] != "val_placeholder":
        assert notes[0][1] == "error"
    elif keys:
        assert notes[0][1] == "warning"


# --- the corpus of bad workbooks --------------------------------------------------------------



def _cell(sheet, unit, code, value):
    def make(data):
        data, where = set_value(data, sheet, unit, code, value)
        return data, f"{sheet}!{where}"
    return make


def _edit(change, where):
    def make(data):
        return edit(data, change), where
    return make


def _set(sheet, cell, value):
    def change(wb):
        wb[sheet][cell] = value
    return change


def _unit_code(old, new):
    def make(data):
        wb = load(data)
        row = next(r[0] for r in wb["学习教育"].iter_rows(min_row=3) if r[0].value == old)
        row.value = new
        return save(wb), f"学习教育!A{row.row}"
    return make


def _delete_column(sheet, code):
    def make(data):
        wb = load(data)
        ws = wb[sheet]
        ws.delete_cols(next(c.column for c in ws[2] if c.value == code))
        return save(wb), sheet
    return make


def _rename_code(sheet, code, new):
    """Edit a code in row 2; the missing column is reported on the sheet, a duplicate at its cell."""
    def make(data):
        wb = load(data)
        cell = next(c for c in wb[sheet][2] if c.value == code)
        cell.value = new
        return save(wb), (f"{sheet}!{cell.coordinate}" if new in CAT else sheet)
    return make


def _merge(data):
    wb = load(data)
    a = cell_of(wb, "学习教育", "SW0101", "party_group_meetings")
    b = cell_of(wb, "学习教育", "SW0101", "party_lectures")
    wb["学习教育"].merge_cells(f"{a}:{b}")
    return save(wb), f"学习教育!{a}"


def _far_away(data):
    def change(wb):
        wb["学习教育"]["C5000"] = 1
    return edit(data, change), "学习教育"


def _blank_unit(data):
    wb = load(data)
    row = next(r for r in wb["学习教育"].iter_rows(min_row=3) if r[0].value == "SW0105")
    row[0].value = None
    return save(wb), f"学习教育!A{row[0].row}"


def _empty(data):
    wb = load(data)  # every figure cleared: the template as downloaded
    for ws in wb.worksheets[1:-1]:
        for row in ws.iter_rows(min_row=3, min_col=3):
            for c in row:
                c.value = None
    return save(wb), ""


# A year after the real today's quarter: in the future whenever the suite runs.
FUTURE = periods.shift(periods.quarter_of(date.today()), 4)

# (id, how to break the good file, message that must be printed)
CORPUS = [
    ("more than", _cell("学习教育", "SW0101", "branch_general_meetings", "超过3"), "不是一个数字"),
    ("a range", _cell("学习教育", "SW0102", "party_group_meetings", "5~8"), "is not a figure"),
    ("words", _cell("学习教育", "SW0103", "party_lectures", "已完成"), "不是数字"),
    ("percentage", _cell("学习教育", "SW0104", "xxqg_active", "90%"), "不要填百分比"),
    ("negative", _cell("发展党员", "SW0101", "new_applications", -3), "不能为负数"),
    ("decimal count", _cell("发展党员", "SW0102", "new_activists", 2.5), "应为整数"),
    ("out of range", _cell("学习教育", "SW0105", "branch_general_meetings", 999), "超出允许范围"),
    ("star 6", _cell("星级支部", "SW0101", "star_rating", 6), "星级只能是 1 到 5"),
    ("star 4.5", _cell("星级支部", "SW0102", "star_rating", 4.5), "星级只能是 1 到 5"),
    ("boolean", _cell("学习教育", "SW0106", "party_lectures", True), "TRUE/FALSE"),
    ("date", _cell("学习教育", "SW0107", "party_lectures", date(2025, 3, 1)), "日期"),
    ("unit not in tree", _unit_code("SW0105", "SW0199"), "SW0199 不在组织树中"),
    ("unit of another return", _unit_code("SW0105", "SW0201"), "不属于 SW01 的报表（它由 SW02 报送）"),
    ("unit twice", _unit_code("SW0105", "SW0104"), "出现了两行"),
    ("figures without a unit code", _blank_unit, "A 列没有单位代码"),
    ("quarter changed", _edit(_set("填报说明", "B4", "2024Q4"), "填报说明!B4"), "报送季度被改成了「2024Q4」"),
    ("quarter in the future",
     _edit(lambda wb: (_set("_模板信息", "B3", FUTURE)(wb), _set("填报说明", "B4", FUTURE)(wb)), "_模板信息!B3"),
     "尚未开始"),
    ("unknown template version", _edit(_set("_模板信息", "B1", "DJ-1999.9"), "_模板信息!B1"), "未知的模板版本 DJ-1999.9"),
    ("retired template version", _edit(_set("_模板信息", "B1", "DJ-2024.1"), "_模板信息!B1"), "已停用"),
    ("info sheet deleted", _edit(lambda wb: wb.remove(wb["_模板信息"]), "_模板信息"), "缺少隐藏工作表"),
    ("not a reporting unit", _edit(_set("_模板信息", "B2", "SW0101"), "_模板信息!B2"), "不单独报送"),
    ("sheet deleted", _edit(lambda wb: wb.remove(wb["纪律执纪"]), "纪律执纪"), "缺少工作表「纪律执纪」"),
    ("sheet renamed", _edit(lambda wb: setattr(wb["纪律执纪"], "title", "纪律执纪 (2)"), "纪律执纪 (2)"),
     "似乎是被改名的「纪律执纪」"),
    ("column deleted", _delete_column("学习教育", "xxqg_active"), "缺少指标列 xxqg_active"),
    ("column code edited", _rename_code("学习教育", "xxqg_active", "xxqg_act"), "缺少指标列 xxqg_active"),
    ("column twice", _rename_code("学习教育", "xxqg_active", "xxqg_registered"), "出现在多列"),
    ("merged cells", _merge, "合并单元格"),
    ("formula without a result", _cell("学习教育", "SW0108", "party_lectures", "=1+1"), "没有计算结果"),
    ("typed far outside the table", _far_away, "数据范围过大"),
    ("nothing filled", _empty, "没有任何数据"),
    ("conversions exceed probationary at the start", _cell("发展党员", "SW0101", "converted_full", 50), "季初"),
    ("active above registered", _cell("学习教育", "SW0102", "xxqg_active", 999), "超过了注册人数"),
    ("payers above members", _cell("发展党员", "SW0103", "dues_payers", 999), "超过了党员总数"),
    ("probationary above members", _cell("发展党员", "SW0104", "probationary", 400), "预备党员 400 人超过了党员总数"),
    ("disposed above received and carried", _cell("纪律执纪", "SW01", "clues_disposed", 300), "上期结转 1 件"),
    ("lagging branches above branches", _cell("星级支部", "SW01", "weak_branches", 11), "所辖党支部数 10 个"),
]


@pytest.mark.parametrize("case, make, message", CORPUS, ids=[c[0] for c in CORPUS])
def test_a_bad_return_is_refused_with_its_cell_and_changes_nothing(case, make, message, good, history, tmp_path,
                                                                   capsys):
    data, where = make(good)
    code, printed, unchanged = import_by_cli(history, tmp_path, data, "SW01_2025Q1.xlsx", capsys)
    assert code == 1, printed
    line = next((ln for ln in printed.splitlines() if message in ln), None)
    assert line is not None, printed
    assert line.startswith("SW01_2025Q1.xlsx")
    if where:
        assert f" · {where}" in line
    assert " | " in line and re.search(r"[A-Za-z]{4,}", line.split(" | ")[-1])  # the English after it
    assert unchanged


def test_every_problem_is_reported_not_only_the_first(good, history, tmp_path, capsys):
    data, a = set_value(good, "学习教育", "SW0101", "party_lectures", "30余")
    data, b = set_value(data, "发展党员", "SW0102", "new_activists", -1)
    data, c = set_value(data, "星级支部", "SW0103", "star_rating", 9)
    code, printed, unchanged = import_by_cli(history, tmp_path, data, "three.xlsx", capsys)
    assert code == 1 and unchanged
    for where in (f"学习教育!{a}", f"发展党员!{b}", f"星级支部!{c}"):
        assert where in printed
    assert "错误 3 处" in printed


# --- accepted, with warnings --------------------------------------------------------------------


def test_a_compliance_shortfall_is_a_warning_never_a_refusal(good, history, tmp_path, capsys):
    data, where = set_value(good, "学习教育", "SW0106", "branch_general_meetings", 0)
    code, printed, unchanged = import_by_cli(history, tmp_path, data, "ok.xlsx", capsys)
    assert code == 0 and not unchanged
    line = next(ln for ln in printed.splitlines() if f"学习教育!{where}" in ln)
    assert "警告 warning" in line and "支部党员大会 0 次" in line


def test_a_blank_meeting_count_is_said_as_blank_not_as_zero_held(good, history, tmp_path, capsys):
    """A branch that entered its other 三会一课 figures and left 支委会 blank: the count takes it as none
    held (as the study page does), and the warning says the cell is blank — never 「支委会 0 次」 beside
    an empty cell."""
    data, where = set_value(good, "学习教育", "SW0106", "branch_committee_meetings", None)
    code, printed, _ = import_by_cli(history, tmp_path, data, "blank.xlsx", capsys)
    assert code == 0
    line = next(ln for ln in printed.splitlines() if f"学习教育!{where}" in ln)
    assert "警告 warning" in line and "「支委会」未填写" in line and "支委会 0 次" not in line


def test_a_reordered_column_still_loads_by_its_code(history):
    from dashboard.db import Store

    with Store(history) as store:
        data, typed = fill(build_template(store, REPORTER, "2025Q1"))
        wb = load(data)
        ws = wb["学习教育"]
        first, last = 3, ws.max_column  # swap the first and last indicator columns
        for row in ws.iter_rows():
            row[first - 1].value, row[last - 1].value = row[last - 1].value, row[first - 1].value
        outcome = import_return(store, save(wb), "swapped.xlsx", user="tester", dry_run=True)
    assert outcome.status == "valid", [p.line() for p in outcome.errors]
    assert outcome.n_values == len(typed)
    assert outcome.warnings == []


def test_extra_sheets_and_columns_are_warnings_and_ignored(good, history):
    from dashboard.db import Store

    def change(wb):
        wb.create_sheet("备注")["A1"] = "本季度工作很多"
        ws = wb["学习教育"]
        ws.cell(2, ws.max_column + 1, "remarks")
        ws.cell(4, ws.max_column, "已完成")

    with Store(history) as store:
        outcome = import_return(store, edit(good, change), "extra.xlsx", user="tester", dry_run=True)
    assert outcome.status == "valid"
    messages = {p.where: p.message_zh for p in outcome.warnings}
    assert "多出的工作表「备注」" in messages["备注"]
    assert any("多出的列" in m for w, m in messages.items() if w.startswith("学习教育!"))


def test_another_quarters_template_with_its_quarter_edited_is_refused_naming_the_quarter_and_column(
        good, history, tmp_path, capsys):
    """A 2025Q1 return whose quarter was edited to 2024Q4 in the guide and the hidden sheet would
    have superseded the real 2024Q4 return, its star ratings dropped with a warning: refused, each
    Q1-only column named with its quarter, the database (the real 2024Q4 return) unchanged."""
    data = edit(good, lambda wb: (_set("_模板信息", "B3", "2024Q4")(wb), _set("填报说明", "B4", "2024Q4")(wb)))
    code, printed, unchanged = import_by_cli(history, tmp_path, data, "SW01_2024Q4.xlsx", capsys)
    assert code == 1 and unchanged, printed
    wb = load(good)
    for column in ("star_rating", "fortress_index"):
        where = next(c.coordinate for c in wb["星级支部"][2] if c.value == column)
        line = next(ln for ln in printed.splitlines() if f"星级支部!{where}" in ln)
        assert f"第 2 行为「{column}」的列" in line and "属于每年第 1 季度的模板，不属于 2024Q4 的报表" in line
        assert "错误 error" in line and "Q1 of each year" in line


def test_a_figure_in_a_column_sheet_or_cell_the_template_does_not_have_is_refused_never_ignored(good, history):
    from dashboard.db import Store

    def column(wb):
        ws = wb["学习教育"]
        ws.cell(2, ws.max_column + 1, "remarks")
        ws.cell(5, ws.max_column, "12次")

    def sheet(wb):
        ws = wb.create_sheet("补充")
        ws.append(["单位", "志愿服务"])
        ws.append(["SW0101", 60])

    with Store(history) as store:
        for change, where, message in (
                (column, "学习教育!", "多出的列（第 2 行为「remarks」）不属于模板，但其中填了数字「12次」"),
                (sheet, "补充!B2", "多出的工作表「补充」不属于模板，但其中填了数字「60」"),
                (_set("学习教育", cell_of(load(good), "学习教育", "SW01", "branch_general_meetings"), 4),
                 f"学习教育!{cell_of(load(good), '学习教育', 'SW01', 'branch_general_meetings')}",
                 "该单位不填报此指标（灰色单元格），却填了 4")):
            outcome = import_return(store, edit(good, change), "extra.xlsx", user="tester", dry_run=True)
            assert outcome.status == "rejected"
            [error] = outcome.errors
            assert error.where.startswith(where) and message in error.message_zh, error.line()
        zero = _set("学习教育", cell_of(load(good), "学习教育", "SW01", "branch_general_meetings"), 0)
        outcome = import_return(store, edit(good, zero), "zero.xlsx", user="tester", dry_run=True)
        assert outcome.status == "valid" and any("此值已忽略" in p.message_zh for p in outcome.warnings)


def _with_cached_formula(data: bytes, sheet_part: str, ref: str, formula: str) -> bytes:
    """Rewrite one cell of a sheet as Excel saves a formula: <f> with its cached <v>."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == sheet_part:
                body, n = re.subn(rf'<c r="{ref}"([^>]*)><v>([^<]*)</v></c>'.encode(),
                                  rf'<c r="{ref}"\1><f>{formula}</f><v>\2</v></c>'.encode(), body)
                assert n == 1
            dst.writestr(info, body)
    return out.getvalue()


def test_a_formula_with_a_result_is_read_with_a_warning(good, history):
    from dashboard.db import Store

    wb = load(good)
    where = cell_of(wb, "学习教育", "SW0102", "party_group_meetings")
    typed = wb["学习教育"][where].value
    sheet_part = f"xl/worksheets/sheet{wb.sheetnames.index('学习教育') + 1}.xml"
    data = _with_cached_formula(good, sheet_part, where, "1+1")
    with Store(history) as store:
        outcome = import_return(store, data, "formula.xlsx", user="tester", dry_run=True)
    assert outcome.status == "valid"
    [warning] = outcome.warnings
    assert warning.where == f"学习教育!{where}" and f"计算结果 {typed}" in warning.message_zh


def test_a_rule_added_in_data_is_checked_without_code(empty_store, tmp_path):
    """The four forms never exceed their total once data/ stores the total and has the rule:
    a copy of data/ with four_forms_total stored for committees and one line in rules.csv."""
    data_dir = tmp_path / "data"
    shutil.copytree(DATA_DIR, data_dir)
    catalog_csv = data_dir / "catalog.csv"
    lines = catalog_csv.read_text(encoding="utf-8").splitlines()
    lines = [re.sub(r'^(four_forms_total,discipline,[^,]*,[^,]*,[^,]*,[^,]*,count),derived,derived,"[^"]*",,,,all,',
                    r"\1,sum,sum,,0,1000,,committee,", ln) for ln in lines]
    catalog_csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with open(data_dir / "rules.csv", "a", encoding="utf-8") as f:
        f.write("forms_total,at_most,form1_cases;form2_cases;form3_cases;form4_cases,four_forms_total,,,,,"
                "val_rule_forms_total,四种形态各项之和不超过合计,the four forms never exceed their total,20\n")
    empty_store.catalog = read_catalog(data_dir)
    assert empty_store.catalog["four_forms_total"].is_stored
    data, typed = fill(build_template(empty_store, "SW01", "2024Q3"))
    forms = sum(typed[("SW01", f"form{k}_cases")] for k in range(1, 5))
    data, _ = set_value(data, "纪律执纪", "SW01", "four_forms_total", forms - 1)
    outcome = import_return(empty_store, data, "forms.xlsx", user="tester")
    assert outcome.status == "rejected"
    [error] = outcome.errors
    wb = load(data)
    assert error.where == f"纪律执纪!{cell_of(wb, '纪律执纪', 'SW01', 'form1_cases')}"
    assert error.message_zh == f"四种形态各项之和 {forms} 超过了合计 {forms - 1}。"
    assert (error.expected_zh, error.expected_en) == (f"不大于 {forms - 1}（四种形态合计）",
                                                      f"at most {forms - 1} (Four forms total)")
    data, _ = set_value(data, "纪律执纪", "SW01", "four_forms_total", forms)
    assert import_return(empty_store, data, "forms.xlsx", user="tester").status == "loaded"


def test_a_quarter_after_today_is_refused_whatever_the_real_date(good, history):
    """"Today" is given, not read from the clock: a 2025Q1 return is refused as not yet begun on
    a day in 2024 and accepted on a day in 2025."""
    from dashboard.db import Store
    from dashboard.ingest.validate import validate

    with Store(history) as store:
        early, _ = validate(store, good, "SW01_2025Q1.xlsx", today=date(2024, 12, 31))
        assert any("尚未开始" in p.message_zh for p in early.items if p.is_error)
        on_time, _ = validate(store, good, "SW01_2025Q1.xlsx", today=date(2025, 4, 1))
        assert on_time.errors == 0


def test_wan_is_read_with_a_warning_that_shows_the_yuan():
    _, notes = read_cell("34.1万", CAT["flood_donations"])
    from dashboard import i18n
    assert "341,000.00 元" in i18n.t(notes[0][0], **notes[0][2])


def test_the_previous_template_version_is_accepted_for_a_year_and_says_what_changed(good, history):
    from dashboard.db import Store
    from dashboard.ingest.layout import PREVIOUS_TEMPLATE_VERSIONS, TEMPLATE_VERSION
    from dashboard.ingest.validate import validate

    assert PREVIOUS_TEMPLATE_VERSIONS and TEMPLATE_VERSION not in PREVIOUS_TEMPLATE_VERSIONS
    for old, until in PREVIOUS_TEMPLATE_VERSIONS.items():
        data = edit(good, _set("_模板信息", "B1", old))
        with Store(history) as store:
            within, _ = validate(store, data, "SW01_2025Q1.xlsx", today=until)
            assert within.errors == 0
            note = next(p for p in within.items if "上一版" in p.message_zh)
            assert until.isoformat() in note.message_zh and "主题教育" in note.message_zh and not note.is_error
            after, _ = validate(store, data, "SW01_2025Q1.xlsx", today=date(until.year + 1, 1, 1))
            assert any("已停用" in p.message_zh for p in after.items if p.is_error)


def test_a_return_on_the_template_before_the_new_domains_loads_without_their_sheets(good, history):
    """A DJ-2026.1 return (downloaded before 主题教育 … were added) has none of their sheets nor the four
    forms total column: it loads, each missing sheet and column a warning, never an error."""
    from dashboard.db import Store

    def old_layout(wb):
        wb["_模板信息"]["B1"] = "DJ-2026.1"
        for name in [n for n in wb.sheetnames if n not in ("填报说明", "_模板信息", "学习教育", "发展党员", "星级支部",
                                                            "纪律执纪", "防汛动员")]:
            wb.remove(wb[name])
        ws = wb["纪律执纪"]
        ws.delete_cols(next(c.column for c in ws[2] if c.value == "four_forms_entered"))

    with Store(history) as store:
        outcome = import_return(store, edit(good, old_layout), "old.xlsx", user="tester", dry_run=True)
    assert outcome.status == "valid", [p.line() for p in outcome.errors]
    said = [p.message_zh for p in outcome.warnings]
    assert any("模板版本 DJ-2026.1 还没有工作表「主题教育」" in m for m in said)
    assert any("还没有指标列 four_forms_entered" in m for m in said)


def test_leads_disposed_with_no_earlier_quarter_on_record_are_only_a_warning(empty_store):
    data, _ = fill(build_template(empty_store, "SW01", "2024Q3"))
    data, where = set_value(data, "纪律执纪", "SW01", "clues_disposed", 50)
    outcome = import_return(empty_store, data, "first.xlsx", user="tester")
    assert outcome.status == "loaded"
    assert [(p.where, p.severity) for p in outcome.problems] == [(f"纪律执纪!{where}", "warning")]
