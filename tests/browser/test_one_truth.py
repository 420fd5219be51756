"""One truth on every face: for the demo's 2024年第4季度 and the whole bureau, the overview's bottom
list, each domain page's default ranking, the quarterly 通报 and the projector name the same units as
behind (排名靠后) — the same ties, nobody for a discipline count or a size, nobody meeting the
三会一课 rule — and 水利工程质量监督站党支部 (SW12, a branch: discipline is asked of committees only)
reads 不适用 on 纪律执纪 on each of them.  Read as a person reads them: the downloaded tables, the
charts' own data, the downloaded Word file, the slides."""

from __future__ import annotations

import re

import pandas as pd
from docx import Document

from dashboard.domain.catalog import catalog
from dashboard.output.style import LAGGARD
from tests.browser.conftest import page_url, wait_for_app
from tests.browser.test_exports import open_every_table
from tests.browser.test_screen import NEXT_SLIDE_JS
from tests.browser.test_upload_export import download
from tests.test_briefing import section

QUERY = "unit=SW&period=2024Q4&period=2024Q4"
SW12 = "水利工程质量监督站党支部"
STATES = {"未报送", "不适用", "已报送·未填写", "本期无此项"}
# what the demo holds (worked out in tests/test_figures.py): 接收预备党员 per 100 members, five
# committees at 0; the four-star share of 2024Q1 (the rating's quarter), 节约用水办公室 0% and 水政监察
# 25%; every committee meets the 主题党日 rule; 四种形态 names nobody; no 突击队 figure in Q4
EXPECTED = {
    "学习教育": set(),
    "发展党员": {"水文水资源中心党总支", "水库管理处党委", "工程建设管理中心党委", "离退休干部党委", "水利勘测设计院党委"},
    "星级支部": {"节约用水办公室党总支", "水政监察支队党总支"},
    "纪律执纪": set(),
    "防汛动员": set(),
}


def grey_bars(page, scope: str) -> tuple[set[str], dict[str, str]]:
    """The units a ranking chart greys as behind (a grey bar with a figure), and every bar's label;
    none where the page says there is nothing to rank (no 突击队 figure in Q4)."""
    chart = page.locator(f"{scope} .js-plotly-plot")
    if not chart.count():
        return set(), {}
    data = chart.first.evaluate(
        "gd => ({y: gd.data[0].y, text: gd.data[0].text, color: gd.data[0].marker.color})")
    labels = dict(zip(data["y"], data["text"]))
    grey = {y for y, txt, c in zip(data["y"], data["text"], data["color"]) if c == LAGGARD and txt not in STATES}
    return grey, labels


def test_the_four_faces_name_the_same_units(page, app_server, tmp_path):
    cat = catalog()
    names = {d.code: d.name("zh") for d in cat.domains}
    page.set_viewport_size({"width": 1440, "height": 1000})

    # 1. the overview's bottom list, downloaded as a person would
    page.goto(page_url(app_server, "overview", QUERY))
    wait_for_app(page)
    open_every_table(page)
    bottom_csv = tmp_path / "bottom.csv"
    download(page, "overview_bottom_csv").save_as(bottom_csv)
    bottom = pd.read_csv(bottom_csv, encoding="utf-8-sig", keep_default_na=False)
    overview: dict[str, set[str]] = {n: set() for n in names.values()}
    for r in bottom.itertuples(index=False):
        if re.fullmatch(r"\d+/\d+", str(r[bottom.columns.get_loc("排名")])):
            overview[r[bottom.columns.get_loc("领域")]] |= set(str(r[bottom.columns.get_loc("单位")]).split("、"))
    briefing_file = tmp_path / "brief.docx"
    button = page.locator(".st-key-overview_briefing").get_by_role("button", name="下载2024年第四季度通报（Word）")
    with page.expect_download(timeout=240_000) as info:  # charts drawn in Chromium on the click
        button.click()
    info.value.save_as(briefing_file)
    doc = Document(str(briefing_file))

    # 2. each domain page's default ranking: its grey bars
    pages, page_labels = {}, {}
    for code, name in names.items():
        page.goto(page_url(app_server, code, QUERY))
        wait_for_app(page)
        pages[name], page_labels[name] = grey_bars(page, f".st-key-{code}_ranking")
        page.screenshot(path=str(tmp_path / f"{code}.png"))

    # 3. the 通报: each domain's table (名次, 层级 where committees and branches are ranked apart,
    # 单位, the figure) and its 排名靠后 sentence
    briefs, brief_rows = {}, {}
    for name in names.values():
        part = section(doc, name, "Heading 2")
        tables = [c for k, _, c in part if k == "table"]
        table = tables[0] if tables else [["名次", "单位", ""]]
        grouped = "层级" in table[0]
        rows = {r[-2]: {"rank": r[0], "group": r[1] if grouped else "", "value": r[-1]} for r in table[1:]}
        brief_rows[name] = rows
        said = " ".join(c for k, _, c in part if k == "p")
        m = re.search(r"排名靠后的是：([^。]+)。", said)
        named: set[str] = set()
        if m:
            for item in m[1].split("、"):
                group, _, item = item.rpartition("中") if "中" in item and grouped else ("", "", item)
                tie = re.fullmatch(r"(\d+)个单位并列为([\d.,]+).*", item)
                if tie:  # a tie counted, not named: the units of the table at that figure, in that group
                    at = {u for u, r in rows.items() if r["value"] == tie[2] and r["group"] == group}
                    assert len(at) == int(tie[1]), (name, item, at)
                    named |= at
                else:
                    named |= {u for u in rows if item.startswith(u)}
        briefs[name] = named

    # 4. the projector: each domain slide's grey bars
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(page_url(app_server, "screen", QUERY + "&rotate=5"))
    wait_for_app(page)
    screen, screen_labels = {}, {}
    title = page.locator(".st-key-screen_slide h1").inner_text().strip()
    seen: list[str] = []
    while title not in seen:
        seen.append(title)
        domain = next((n for n in names.values() if title.startswith(n)), None)
        if domain:
            screen[domain], screen_labels[domain] = grey_bars(page, ".st-key-screen_slide")
            page.screenshot(path=str(tmp_path / f"screen_{len(seen)}.png"))
        title = page.wait_for_function(NEXT_SLIDE_JS, arg=title, timeout=120_000).json_value()

    for name, want in EXPECTED.items():
        got = {"overview": overview[name], "page": pages[name], "通报": briefs[name], "projector": screen[name]}
        assert all(v == want for v in got.values()), (name, got)
    discipline = names["discipline"]
    assert page_labels[discipline][SW12] == screen_labels[discipline][SW12] == "不适用"
    assert brief_rows[discipline][SW12]["value"] == "不适用" and brief_rows[discipline][SW12]["rank"] == "—"
    said = " ".join(c for k, _, c in section(doc, discipline, "Heading 2") if k == "p")
    assert "不据以点名" in said and "排名靠后的是" not in said


def test_a_branch_reads_not_applicable_on_discipline_in_its_card_and_export(page, app_server, tmp_path):
    """SW12's own overview: its 四种形态合计 card says 不适用, not 0 and not 未报送."""
    page.goto(page_url(app_server, "overview", "unit=SW12&period=2024Q4&period=2024Q4"))
    wait_for_app(page)
    card = page.locator("[data-testid='stMetric']").filter(has_text="四种形态合计")
    assert card.locator("[data-testid='stMetricValue']").inner_text().strip() == "不适用"
