"""The figures section of a 工作总结 (`python -m dashboard summary`): the seeds' figures of 机关党委,
entered as a year of returns through the template (tests/test_seed_figures.py's corpus), come out in
the seeds' own words; every figure in the paragraphs and the appendix is the figures layer's (the
explorer's and the export's rows); a figure whose returns are not all in says how many units it covers."""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest
from docx import Document

from dashboard import cli, summary
from dashboard.db import Store
from dashboard.domain import figures, periods
from dashboard.domain.catalog import catalog
from dashboard.domain.phrases import phrases
from dashboard.output import summary as out
from dashboard.output import briefing as briefing_out
from dashboard.output.briefing import chinese_punctuation
from tests.test_seed_figures import seed_db  # noqa: F401 - the fixture, shared


@pytest.fixture(scope="module")
def seed_path(seed_db):  # noqa: F811 - the imported fixture
    """机关党委 (JG) and 局党组 (SW) entering the seeds' figures for 2024 (tests/test_seed_figures.py)."""
    return seed_db[0]


@pytest.fixture(scope="module")
def demo_db(demo_db_file, tmp_path_factory):
    path = tmp_path_factory.mktemp("summary_demo") / "demo.duckdb"
    shutil.copy(demo_db_file, path)
    return path


def paragraphs(path) -> list[str]:
    return [p.text for p in Document(str(path)).paragraphs if p.text]


def appendix(path) -> list[list[str]]:
    (table,) = Document(str(path)).tables
    return [[c.text for c in row.cells] for row in table.rows]


def test_the_seeds_figures_of_机关党委_read_as_the_seeds_write_them(seed_path, tmp_path, capsys):
    target = tmp_path / "s.docx"
    assert cli.main(["summary", "--db", str(seed_path), "--unit", "JG", "--period", "2024", "--out", str(target)]) == 0
    assert "已生成工作总结数据部分：机关党委 2024" in capsys.readouterr().out
    text = paragraphs(target)
    assert text[0].split("\n") == ["机关党委2024年度", "党建工作总结（数据部分）"]  # a pyramid, broken by hand
    members = next(p for p in text if p.startswith("发展党员方面"))
    for said in ("发展党员4名（接收预备党员）", "预备党员转正5名", "截至年底，共有213名党员", "培养入党积极分子22名"):
        assert said in members, (said, members)
    assert members.startswith("发展党员方面，全年")
    study = next(p for p in text if p.startswith("学习教育方面"))
    assert "全年召开党委会9次" in study and "组织204人参加理论知识测试" in study  # people in a year: the peak
    stars = next(p for p in text if p.startswith("星级支部方面"))
    assert "2024年第一季度评定" in stars and "四星级以上支部9个" in stars and "四星级以上支部占90.0%" in stars
    assert not any("未计入" in p for p in text)  # every return due came in


def test_the_party_group_says_its_own_meeting_and_money_in_wan_yuan(seed_path, tmp_path):
    target = tmp_path / "sw.docx"
    assert cli.main(["summary", "--db", str(seed_path), "--unit", "SW", "--period", "2024", "--out", str(target)]) == 0
    text = paragraphs(target)
    flood = next(p for p in text if p.startswith("防汛动员方面"))
    assert "捐款34.1万元" in flood and "组建党员突击队10支" in flood and "成立临时党支部2个" in flood
    discipline = next(p for p in text if p.startswith("纪律执纪方面"))
    assert "运用监督执纪“四种形态”60人次" in discipline
    assert "召开党组（党委）会议9次" in next(p for p in text if p.startswith("学习教育方面"))


@pytest.mark.parametrize("domain", [d.code for d in catalog().domains])
def test_every_figure_is_the_figures_layers(demo_db, tmp_path, domain):
    """Per domain: the appendix's figure of each indicator is figures.table's (what the explorer and the
    export show for SW in 2024), its state when there is none, and each figure the paragraph states
    is written with that same value."""
    target = tmp_path / "demo.docx"
    assert cli.main(["summary", "--db", str(demo_db), "--unit", "SW", "--period", "2024", "--out", str(target)]) == 0
    with Store(demo_db) as store:
        src = figures.Source.of_store(store)
        cat = src.catalog
        table = figures.table(src, ["SW"], "2024Q1", "2024Q4", "year", [i.code for i in cat.of_domain(domain)])
    name = cat.domain(domain).name_zh
    rows = {r[1]: r for r in appendix(target)[1:] if r[0] == name}
    said = next((p for p in paragraphs(target) if p.startswith(f"{name}方面")), "")
    assert len(rows) == len(table)
    for r in table.itertuples():
        ind = cat[r.indicator_code]
        row = rows[chinese_punctuation(ind.name_zh)]
        if pd.isna(r.value):
            assert row[2] == figures.state_text(r.state)
            continue
        shown = out.number(r.value, ind, "zh")
        assert row[2] == shown and row[6] == r.coverage, ind.code
        if r.value and ind.code in phrases():
            assert phrases()[ind.code]["zh"].split("{value}")[0].replace("{body}", "") in said, ind.code
            assert shown in said, (ind.code, shown, said)


def test_incomplete_coverage_is_said_in_the_paragraph(demo_db):
    """The demo misses two returns in 2024Q4: each paragraph of that quarter says how many units its
    figures cover, and the appendix gives each figure's units."""
    with Store(demo_db) as store:
        s = summary.gather(store, "SW", "2024Q4")
    paras = out.sentences(s)
    assert paras and all("（以上数据：13个单位中11个已报送，未报送的单位未计入。）" in text for _, text in paras)
    members = next(f for _, _, found in s.domains for f in found if f.indicator.code == "members_total")
    assert (members.units_due, members.units_in, members.value) == (13, 11, 1272)


def test_a_year_with_a_missing_quarter_counts_units_that_sent_every_return(demo_db):
    """Over a year, the flows stand on four quarters (10 of 13 units sent all four) and the levels
    at its end on 2024Q4 alone (11 of 13): the paragraph says both."""
    with Store(demo_db) as store:
        s = summary.gather(store, "SW", "2024")
    paras = dict(out.sentences(s))
    assert paras["学习教育"].endswith("（以上数据：13个单位中10个报齐各季度报表；13个单位中11个已报送，未报送的单位未计入。）")


def test_phrases_name_catalog_indicators_with_their_value():
    cat = catalog()
    for code, said in phrases().items():
        assert code in cat and "{value}" in said["zh"] and "{value}" in said["en"]
        assert not re.search(r"[(),:;]", said["zh"]), code  # full-width in Chinese text


def test_an_unknown_unit_or_period_is_refused(demo_db, tmp_path, capsys):
    base = ["summary", "--db", str(demo_db), "--out", str(tmp_path / "x.docx")]
    assert cli.main([*base, "--unit", "NOPE", "--period", "2024"]) == cli.EXIT_USAGE
    assert "未知单位 NOPE" in capsys.readouterr().err
    with pytest.raises(SystemExit) as caught:
        cli.main([*base, "--unit", "SW", "--period", "2024H3"])
    assert caught.value.code == cli.EXIT_USAGE
    assert not (tmp_path / "x.docx").exists()
    assert periods.report_label("2024H2") == "2024年下半年"


@pytest.mark.skipif(shutil.which("pdftoppm") is None or briefing_out.soffice_path() is None,
                    reason="LibreOffice and poppler-utils are installed by `make test` (make office-deps)")
def test_the_summary_renders(seed_path, tmp_path):
    """Through LibreOffice to PDF and PNGs under artifacts/briefing/ (looked at by a person)."""
    import subprocess

    from dashboard.settings import ROOT

    with Store(seed_path) as store:
        data = out.document(summary.gather(store, "JG", "2024"))
    pdf = briefing_out.to_pdf(data)
    folder = ROOT / "artifacts" / "briefing"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("总结-*.png"):
        old.unlink()
    (folder / "总结.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "80", "-png", str(folder / "总结.pdf"), str(folder / "总结")], check=True,
                   timeout=300)
    text = subprocess.run(["pdftotext", str(folder / "总结.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = re.sub(r"\s+", "", text)
    assert "截至年底，共有213名党员" in flat and "附表：各项数字的来源" in flat
