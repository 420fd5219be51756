"""The app under Streamlit's AppTest, on a private copy of the demo database.

Every page runs without an exception or an error box; every chart has a title and named
axes; and every chart's numbers equal its named query's for the same filters (each figure
records its query and parameters in layout.meta; the test reruns that query on the store and
also checks the parameters are the ones the filters ask for).  Then the flows a person
does: the shared filters from a link, the language switch, an empty selection, finding the
unit with the fewest 主题党日 last quarter, uploading a return, restoring a version.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from dashboard.domain.filters import values_params

from dashboard.app import registry
from dashboard.app.views import compare
from dashboard.i18n import t
from dashboard.demo import load_demo
from dashboard.domain import analysis, periods
from dashboard.domain.catalog import catalog
from dashboard.ingest import build_template
from dashboard.output import export
from dashboard.settings import DATA_DIR
from tests.conftest import new_location
from tests.support.apptest import DOMAINS, PAGES, app_store, assert_clean, figures, forget, goto, open_app, run_meta
from tests.support.figures import iv, submission_rows
from tests.support.returns import fill, set_value

KIND_OF_KEY = {"compliance": "compliance", "funnel": "funnel", "heatmap": "star_heatmap",
               "distribution": "star_distribution", "stacked": "stacked", "season": "season_panels"}


@pytest.fixture
def app_db(request, backend, tmp_path, monkeypatch) -> Path | str:
    """A private copy of the demo database, which the app opens through $DANGJIAN_DB: a file, or
    (backend postgres) a database on the test server, its originals under tmp_path."""
    if backend == "postgres":
        where = new_location(request, tmp_path, monkeypatch, "app", "demo")
    else:
        where = tmp_path / "app.duckdb"
        shutil.copy(request.getfixturevalue("demo_db_file"), where)
    monkeypatch.setenv("DANGJIAN_DB", str(where))
    yield where
    forget()


def close(a, b) -> bool:
    return a == pytest.approx(b, rel=1e-9, abs=1e-9)


# --- every page -----------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_clean_and_every_chart_is_titled(app_db, page):
    at = open_app(page)
    assert_clean(at)
    assert at.title, "each page has a title"
    spec = next(p for p in registry.pages(catalog()) if p.url_path == page)
    expected = (catalog().domain(spec.domain).name_zh if spec.domain else
                t("screen_overview_title") if page == "screen" else t(spec.title_key))  # the projector opens on its first slide
    assert expected in at.title[0].value, (page, at.title[0].value)  # apptest.goto reached this very page
    said = [w.value for w in at.warning] + [m.value for m in at.markdown]  # the projector says it in its footer
    assert any("演示数据" in text for text in said), "the demo banner shows while demo data is loaded"
    for key, fig in figures(at).items():
        layout = fig["layout"]
        assert layout["title"]["text"], key
        assert layout["meta"]["query"], key
        axes = [v.get("title", {}).get("text") for k, v in layout.items() if k.startswith(("xaxis", "yaxis"))]
        subplot_titles = [a["text"] for a in layout.get("annotations", [])]
        assert any(axes) or subplot_titles, f"{key}: no axis names"
        for trace in fig["data"]:
            if trace["type"] != "heatmap" or "%{z" in trace.get("hovertemplate", ""):
                assert "hovertemplate" in trace, key


def test_expected_charts_are_on_each_domain_page(app_db):
    expected = {
        "study": {"study_ranking", "study_trend", "study_compliance"},
        "members": {"members_ranking", "members_trend", "members_funnel"},
        "stars": {"stars_ranking", "stars_trend", "stars_heatmap", "stars_distribution"},
        "discipline": {"discipline_ranking", "discipline_trend", "discipline_stacked"},
        "flood": {"flood_ranking", "flood_trend", "flood_season"},
    }
    at = open_app()
    for page, keys in expected.items():
        goto(at, page).run()
        assert_clean(at)
        assert set(figures(at)) == keys, page
        labels = {b.proto.label for b in at.get("download_button")}
        assert {"下载 CSV", "下载 Excel"} <= labels


# --- each chart's numbers are its query's -----------------------------------------------------


UNRANKED = ("未报送", "不适用", "已报送·未填写", "本期无此项")


def expected_ranked(store, meta: dict, tree) -> dict[str, float]:
    """Each unit's ranked figure worked out from the named query alone: a flow over the period's
    quarters, a stock at the period's last quarter only; a rate divides by the members at that
    quarter (per 100) or the branches the tree holds then, and a flow's by the quarters the unit
    has figures in."""
    params, period = meta["params"], meta["period"]
    ind = store.catalog[params["indicators"][0]]
    quarters = [q for q, p in zip(params["quarters"], params["periods"]) if p == period]
    asked = [q for q in quarters if ind.quarters == "all" or q.endswith(ind.quarters)]
    stock = ind.time_agg == "last" or (ind.formula_op is not None and ind.kind != "flow"
                                       and all(store.catalog[a].time_agg == "last" for a in ind.formula_args))

    def per_quarter(code: str, q: str):
        got = store.query("indicator_values", **values_params(params["units"], q, q, "quarter", [code]))
        return dict(zip(got["unit_name_zh"], got["value"]))

    if stock or ind.formula_op in ("count", "count_high"):
        raw = per_quarter(ind.code, asked[-1])
    else:
        q = run_meta(store, {"layout": {"meta": {**meta, "own": None}}})
        q = q[q["period"] == period]
        raw = dict(zip(q["unit_name_zh"], q["value"]))
    if meta.get("measure") != "rate":
        return raw
    then = store.tree_at(asked[-1])
    names = {then[c].name_zh: c for c in params["units"] if c in then}
    if ind.rate_per == "members_total":
        members = per_quarter("members_total", asked[-1])
        den = {n: members[n] / 100 for n in raw if members.get(n)}
    else:
        den = {n: sum(1 for u in then.subtree(names[n]) if u.level in ("branch", "temp_branch")) for n in raw}
    flow = ind.time_agg == "sum" or ind.formula_op == "sum"
    with_figures = [per_quarter(ind.code, q) for q in asked] if flow else []
    out = {}
    for n, v in raw.items():
        n_q = sum(1 for got in with_figures if n in got) if flow else 1
        if den.get(n) and n_q:
            out[n] = v / den[n] / n_q
    return out


def check_ranking(store, fig, tree):
    """The bars are the figures worked out from the query (expected_ranked), ranked best first
    within each level group; a unit with no bar is labelled with its state (未报送 …)."""
    meta = fig["layout"]["meta"]
    expected = expected_ranked(store, meta, tree)
    bar = fig["data"][0]
    shown = {y: x for y, x, txt in zip(bar["y"], bar["x"], bar["text"]) if txt not in UNRANKED}
    assert shown.keys() <= expected.keys()
    assert all(close(shown[k], expected[k]) for k in shown), {k: (shown[k], expected[k]) for k in shown}
    for name in expected.keys() - shown.keys():  # a figure held back is said why
        assert dict(zip(bar["y"], bar["text"]))[name] in UNRANKED, name
    missing = [y for y, txt in zip(bar["y"], bar["text"]) if txt in UNRANKED]
    assert set(missing) >= {tree[c].name_zh for c in meta["params"]["units"]} - set(expected)
    lower = store.catalog[meta["params"]["indicators"][0]].lower_is_better
    groups: dict[str, list] = {}
    for x, txt, custom in zip(bar["x"], bar["text"], bar["customdata"]):
        if txt not in UNRANKED:
            groups.setdefault(custom[4], []).append(x)
    assert all(v == sorted(v, reverse=not lower) for v in groups.values()), "best first within each level, as ranked"


def check_trend(store, fig):
    q = run_meta(store, fig)
    for trace in fig["data"]:
        part = q[q["unit_name_zh"] == trace["name"]]
        assert trace["x"] == part["period"].tolist()
        assert all(close(a, b) for a, b in zip(trace["y"], part["value"]))
    assert len(fig["data"]) == q["unit_code"].nunique()


def check_special(store, key, fig):
    q = run_meta(store, fig)
    data = fig["data"]
    domain, suffix = key.split("_", 1)
    kind = KIND_OF_KEY[suffix]
    spec = catalog().chart(domain, kind)
    if kind == "compliance":
        rules = catalog().compliance_rules
        summary = analysis.compliance_shares(q, rules)
        assert len(data) == len(rules) + 1  # one series a rule, and all of them met
        for trace, code in zip(data, [*(r.left[0] for r in rules), "all_ok"]):
            assert trace["x"] == summary["group_name_zh"].tolist()
            assert all(close(a, b) for a, b in zip(trace["y"], summary[code]))
    elif kind == "funnel":
        stages = analysis.pipeline(q, spec.indicators)
        for trace, (_, part) in zip(data, stages.groupby("unit_code", sort=False)):
            assert trace["x"] == part.sort_values("stage")["value"].tolist()
    elif kind == "star_heatmap":
        pivot = q.pivot_table(index=["unit_order", "unit_name_zh"], columns="period", values="value")
        assert data[0]["y"] == pivot.index.get_level_values(1).tolist()
        assert data[0]["x"] == [str(c) for c in pivot.columns]
        for row_shown, row in zip(data[0]["z"], pivot.to_numpy()):
            assert all(close(a, b) if a is not None else pd.isna(b) for a, b in zip(row_shown, row))
    elif kind == "star_distribution":
        for trace in data:
            stars = int(trace["name"][0])
            want = q[q["stars"] == stars].set_index("group_name_zh")["n_branches"]
            got = dict(zip(trace["y"], trace["x"]))
            assert all(got[k] == (want.get(k, 0)) for k in got)
        assert sum(sum(t["x"]) for t in data) == q["n_branches"].sum()
    elif kind == "stacked":
        sums = q.groupby(["unit_name_zh", "indicator_code"])["value"].sum()
        for trace, code in zip(data, spec.indicators):
            for unit, x in zip(trace["y"], trace["x"]):
                assert close(x, sums.get((unit, code), 0))
    elif kind == "season_panels":
        for trace in data:
            part = q[q["indicator_code"] == trace["meta"]].set_index("unit_name_zh")["value"]
            for unit, x in zip(trace["y"], trace["x"]):
                assert (x is None and unit not in part) or close(x, part[unit])
    else:
        raise AssertionError(f"no check for {key}")


@pytest.mark.parametrize("query", [{}, {"unit": ["SW05"], "gran": "half", "period": ["2023Q1", "2024Q2"]},
                                   {"unit": ["SW08", "SW09", "SW01"], "gran": "year"}])
def test_domain_charts_show_exactly_their_queries_numbers(app_db, query):
    at = open_app(**query)
    store = app_store(app_db)
    tree = store.tree()
    units = query.get("unit", ["SW"])
    first, last = query.get("period", ["2022Q1", "2024Q4"])
    quarters = periods.quarter_range(first, last)
    for page in DOMAINS:
        goto(at, page).run()
        assert_clean(at)
        for key, fig in figures(at).items():
            params = fig["layout"]["meta"]["params"]
            if "granularity" in params and key not in ("stars_heatmap", "flood_season"):
                assert params["granularity"] == query.get("gran", "quarter"), key
            if key.endswith("_ranking"):
                assert params["units"] == analysis.scope_units(tree, units, quarters), key
                assert (params["from"], params["to"]) == (first, last)
                check_ranking(store, fig, tree)
            elif key.endswith("_trend"):
                assert params["units"] == sorted(units, key=lambda c: tree[c].sort_order)
                check_trend(store, fig)
            else:
                check_special(store, key, fig)


def test_submission_matrix_is_the_status_query(app_db):
    at = open_app("submissions")
    assert_clean(at)
    fig = figures(at)["submissions_matrix"]
    q = run_meta(app_store(app_db), fig)
    trace = fig["data"][0]
    cells = {(u, qq): c for u, row in zip(trace["y"], trace["customdata"]) for qq, c in zip(trace["x"], row)}
    for r in q.itertuples():
        assert cells[(r.unit_name_zh, r.quarter)] == r.status + ("+demo" if r.is_demo else "")
    assert cells[("节约用水办公室党总支", "2024Q4")] == "missing"


def test_overview_figures_equal_the_query(app_db):
    at = open_app()
    assert_clean(at)
    metrics = {m.label: m.value for m in at.metric}
    store = app_store(app_db)
    q = iv(store, units=["SW"], indicators=["theme_party_days"], granularity="quarter",
                    scope="subtree", **{"from": "2024Q4", "to": "2024Q4"})
    assert metrics["主题党日（次）"] == f"{q['value'].iloc[0]:,.0f}"
    assert any("已报送 11/13" in p.proto.text for p in at.get("progress"))


# --- what a person does -------------------------------------------------------------------------


def test_a_link_opens_the_same_view(app_db):
    at = open_app("study", unit=["SW05"], gran="half", period=["2023Q1", "2024Q2"], lang="en")
    assert_clean(at)
    assert at.sidebar.multiselect(key="unit").value == ["SW05"]
    assert at.title[0].value == "Study & education"
    ranking = figures(at)["study_ranking"]
    assert ranking["layout"]["meta"]["params"]["granularity"] == "half"
    assert "SW05G1" in ranking["layout"]["meta"]["params"]["units"]
    assert ranking["layout"]["meta"]["period"] == "2024H1"
    assert at.query_params["unit"] == "SW05" or at.query_params["unit"] == ["SW05"]


def test_language_switch_changes_every_label(app_db):
    at = open_app()
    at.sidebar.segmented_control(key="lang").set_value("en").run()
    assert_clean(at)
    assert at.title[0].value == "Overview"
    goto(at, "study").run()
    fig = figures(at)["study_ranking"]
    assert fig["layout"]["title"]["text"].startswith("Theme Party days")
    assert "Water Supply Group Party Committee" in fig["data"][0]["y"]
    assert at.sidebar.segmented_control(key="lang").value == "en"


def test_an_empty_unit_selection_is_a_friendly_message(app_db):
    at = open_app()
    at.sidebar.multiselect(key="unit").set_value([]).run()
    for page in ["overview", "study", "flood", "explorer", "submissions"]:
        goto(at, page).run()
        assert_clean(at)
        assert any("至少一个单位" in i.value for i in at.info), page


def test_the_unit_with_fewest_theme_party_days_last_quarter_and_its_export(app_db):
    at = open_app("study")
    fig = figures(at)["study_ranking"]
    assert fig["layout"]["meta"]["period"] == "2024Q4"
    bar = fig["data"][0]
    ranked = [(y, x) for y, x, txt in zip(bar["y"], bar["x"], bar["text"]) if txt != "未报送"]
    assert ranked[-1][0] == "水利工程质量监督站党支部"
    assert {y for y, txt in zip(bar["y"], bar["text"]) if txt == "未报送"} == {"节约用水办公室党总支", "水政监察支队党总支"}
    at.selectbox(key="study_rank_period").set_value("2024Q3").run()
    bar = figures(at)["study_ranking"]["data"][0]
    ranked = [y for y, txt in zip(bar["y"], bar["text"]) if txt != "未报送"]
    assert ranked[-2:] == ["水政监察支队党总支", "节约用水办公室党总支"]  # the laggards SW09, SW08 in 2024Q3
    assert at.get("download_button")[0].proto.label == "下载 CSV"
    assert "study_ranking" in at.get("download_button")[0].proto.id


def test_an_upload_loads_at_once_and_records_the_uploader(app_db):
    store = app_store(app_db)
    data, typed = fill(build_template(store, "SW12", "2024Q3"))
    at = open_app("upload")
    assert_clean(at)
    at.text_input(key="upload_user").set_value("李四")
    at.get("file_uploader")[0].set_value(("SW12_2024Q3.xlsx", data, "application/octet-stream"))
    at.run()
    at.button(key="upload_submit").click().run()
    assert_clean(at)
    assert any("已导入" in s.value for s in at.success)
    row = submission_rows(store, unit_code="SW12", quarter="2024Q3", status="active")
    assert row[["submitted_by", "file_name"]].values.tolist() == [["李四", "SW12_2024Q3.xlsx"]]
    goto(at, "study").run()
    at.selectbox(key="study_rank_period").set_value("2024Q3").run()
    bar = figures(at)["study_ranking"]["data"][0]
    shown = dict(zip(bar["y"], bar["x"]))
    assert shown["水利工程质量监督站党支部"] == typed[("SW12", "theme_party_days")]


def test_a_bad_return_gets_the_problem_list_and_the_marked_workbook(app_db):
    store = app_store(app_db)
    data, _ = fill(build_template(store, "SW12", "2024Q3"))
    bad, where = set_value(data, "学习教育", "SW12", "theme_party_days", -3)
    before = len(store.table("submissions"))
    at = open_app("upload")
    at.text_input(key="upload_user").set_value("王五")
    at.get("file_uploader")[0].set_value([("bad.xlsx", bad, "application/octet-stream")])
    at.run()
    at.button(key="upload_submit").click().run()
    assert not at.exception
    assert any("未导入任何数据" in e.value for e in at.error)
    problems = at.dataframe[1].value  # after the per-file summary
    assert any(str(v).endswith(where) for v in problems.iloc[:, 1])
    assert any(b.proto.label.startswith("下载标注问题的报表") for b in at.get("download_button"))
    assert len(store.table("submissions")) == before


def test_restoring_an_earlier_version(app_db):
    store = app_store(app_db)
    first = int(submission_rows(store, unit_code="SW12", quarter="2024Q2", status="active")["id"].item())
    facts = store.table("facts")
    facts = facts.loc[facts["submission_id"] == first, ["unit_code", "indicator_code", "value"]].copy()
    facts["value"] = facts["value"] + 1
    second = store.submit("SW12", "2024Q2", facts, user="赵六", file_name="again.xlsx", sha256="y" * 64).submission_id
    at = open_app("submissions")
    at.selectbox(key="subs_unit").set_value("SW12").run()
    at.selectbox(key="subs_quarter").set_value("2024Q2").run()
    assert at.selectbox(key="subs_restore_id").value == first
    at.button(key="subs_restore").click().run()
    assert_clean(at)
    assert any(str(first) in s.value for s in at.success)
    active = submission_rows(store, unit_code="SW12", quarter="2024Q2", status="active")["id"].item()
    assert active == first and second != first


def test_explorer_exports_exactly_the_table_shown(app_db):
    at = open_app("explorer", unit=["SW08"])
    at.toggle(key="explorer_children").set_value(True).run()
    at.selectbox(key="explorer_sort").set_value(at.selectbox(key="explorer_sort").options[4]).run()
    assert_clean(at)
    table = at.dataframe[0].value
    assert set(table.iloc[:, 0]) == {"SW08", "SW0801", "SW0802", "SW0803"}
    col = table.columns[3]
    assert table[col].tolist() == table.sort_values(col, kind="stable", na_position="last")[col].tolist()


# --- every table exports; compare's charts; a domain added as data ------------------------------


def test_every_table_on_every_page_exports_to_csv_and_excel(app_db):
    """Whatever a table holds (missing values as NA, None or NaN, counts, text, dates), its CSV and
    its Excel open with a row for each row shown, and every figure in the same cell."""
    at = open_app()
    seen = 0
    for page in PAGES:
        goto(at, page).run()
        assert_clean(at)
        for frame in [d.value for d in at.dataframe] + [tb.value.reset_index() for tb in at.table]:
            xlsx = openpyxl.load_workbook(io.BytesIO(export.to_xlsx_bytes(frame))).active
            rows = list(xlsx.iter_rows(values_only=True))
            assert len(rows) == len(frame) + 1, page
            text = list(csv.reader(io.StringIO(export.to_csv_bytes(frame).decode("utf-8-sig"))))
            assert len(text) == len(frame) + 1, page
            for col, name in enumerate(frame.columns):
                if pd.api.types.is_numeric_dtype(frame[name]):
                    for r, v in enumerate(frame[name]):
                        got = rows[r + 1][col]
                        assert (got is None) if pd.isna(v) else close(got, float(v)), (page, name)
            seen += 1
    assert seen >= 20


def test_compare_charts_show_exactly_their_queries_numbers(app_db):
    at = open_app("compare", unit=["SW01", "SW02", "SW08"], gran="year")
    assert_clean(at)
    first = figures(at)
    # one row of small multiples at first, one trace per panel; the toggles under them draw the rest
    assert [len(first[k]["data"]) for k in ("compare_chart", "profile_trend")] == [compare.FIRST_PANELS] * 2
    for key in ("compare_chart_all", "profile_trend_all"):
        assert at.toggle(key=key).label.startswith("显示其余")
        at.toggle(key=key).set_value(True)
    at.run()
    assert_clean(at)
    store = app_store(app_db)
    cat = catalog()
    fig = figures(at)["compare_chart"]
    assert len(fig["data"]) > compare.FIRST_PANELS and fig["data"][:3] == first["compare_chart"]["data"]
    meta = fig["layout"]["meta"]["params"]
    assert meta["units"] == ["SW01", "SW02", "SW08"] and meta["granularity"] == "year"
    names = {store.tree()[c].name_zh: c for c in meta["units"]}
    checked = 0
    for trace in fig["data"]:
        ind = cat[trace["meta"]]
        ref = analysis.reference_quarter(ind.quarters, meta["last"])
        first, last = analysis.comparison_windows(ref, "year")["current"]
        q = iv(store, units=meta["units"], indicators=[ind.code], granularity="year", **{"from": first, "to": last})
        want = dict(zip(q["unit_code"], q["value"]))
        for x, y in zip(trace["x"], trace["y"]):
            assert close(y, want[names[x]]), (ind.code, x)
            checked += 1
    assert checked >= 10
    profile = figures(at)["profile_trend"]
    assert len(profile["data"]) > compare.FIRST_PANELS
    q = run_meta(store, profile)
    for trace in profile["data"]:
        part = q[q["indicator_code"] == trace["meta"]]
        assert trace["x"] == part["period"].tolist()
        assert all(close(a, b) for a, b in zip(trace["y"], part["value"]))


def test_a_units_profile_draws_the_figures_layers_points_a_partial_year_hollow(app_db):
    """SW08 sent no 2024Q4 return.  Its profile's small trends are the figures layer's, as the
    domain pages' trend: no 2024 党员总数 at all (never its Q3 58, a drop that is a missing return),
    2024's flows drawn as a hollow point with the coverage in the hover; its cards say the coverage."""
    from dashboard.domain import figures as figures_layer

    at = open_app("compare", unit=["SW08"], gran="year", profile_unit=["SW08"])
    at.toggle(key="profile_trend_all").set_value(True)
    at.run()
    assert_clean(at)
    store = app_store(app_db)
    profile = figures(at)["profile_trend"]
    meta = profile["layout"]["meta"]["params"]
    want = figures_layer.table(figures_layer.Source.of_store(store), ["SW08"], meta["from"], meta["to"], "year",
                               meta["indicators"])
    want = want[want["value"].notna()]
    seen = set()
    for trace in profile["data"]:
        part = want[want["indicator_code"] == trace["meta"]]
        assert trace["x"] == part["period"].tolist(), trace["meta"]
        assert all(close(a, b) for a, b in zip(trace["y"], part["value"]))
        for period, symbol, hover in zip(trace["x"], trace["marker"]["symbol"], trace["customdata"]):
            state = part.loc[part["period"] == period, "state"].iloc[0]
            assert (symbol == "circle-open") == (state != "reported"), (trace["meta"], period, state)
            seen.add((trace["meta"], period, symbol))
            if state != "reported":
                assert "不完整" in hover[0] or "未" in hover[0], hover
    assert ("members_total", "2024") not in {(c, p) for c, p, _ in seen}  # no stock without its year's end
    assert any(p == "2024" and sym == "circle-open" for _, p, sym in seen)  # 2024's flows: hollow
    captions = [c.value for c in at.caption]
    assert any("已报送" in c for c in captions), captions  # a card says what its figure covers


def test_a_domain_added_as_data_gets_a_working_page(tmp_path, monkeypatch):
    """A new row of domains.csv and two indicators in catalog.csv, in a copy of data/: its page is
    in the navigation with a ranking and a trend of the figures loaded, and the overview and the
    explorer carry it — no Python touched."""
    data_dir = tmp_path / "data"
    shutil.copytree(DATA_DIR, data_dir)
    with open(data_dir / "domains.csv", "a", encoding="utf-8") as f:
        f.write("culture,廉洁文化,Integrity culture,local_library,30,1\n")  # on the overview
    with open(data_dir / "catalog.csv", "a", encoding="utf-8") as f:
        f.write("culture_events,culture,廉洁文化活动,Integrity-culture events,次,events,count,sum,sum,,0,100,,all,all,"
                "3001,1,\n")
        f.write("culture_readers,culture,廉洁读本发放,Integrity readers handed out,本,copies,count,sum,sum,,0,5000,,"
                "all,all,3002,,\n")
    monkeypatch.setenv("DANGJIAN_DATA_DIR", str(data_dir))
    db = tmp_path / "culture.duckdb"
    monkeypatch.setenv("DANGJIAN_DB", str(db))
    try:
        store = app_store(db)  # the app's own store: the demo bureau, then two returns of the new domain
        load_demo(store)
        assert "culture_events" in store.catalog
        for rep, n in (("SW01", 5), ("SW02", 2)):
            units = [u.code for u in store.tree().return_units(rep)]
            facts = [(u, "culture_events", n + i % 3) for i, u in enumerate(units)]
            facts += [(units[0], "culture_readers", 40 * n)]
            store.submit(rep, "2025Q1", facts, user="测试")
        at = open_app("culture")
        assert_clean(at)
        assert at.title[0].value == "廉洁文化"
        shown = figures(at)
        assert {"culture_ranking", "culture_trend"} <= set(shown)
        check_ranking(store, shown["culture_ranking"], store.tree())
        check_trend(store, shown["culture_trend"])
        ranking = shown["culture_ranking"]["data"][0]
        assert dict(zip(ranking["y"], ranking["x"]))["机关党委"] == sum(
            5 + i % 3 for i, _ in enumerate(store.tree().return_units("SW01")))
        goto(at, "overview").run()
        assert_clean(at)
        assert any(m.label == "廉洁文化活动（次）" for m in at.metric)
        goto(at, "explorer").run()
        assert_clean(at)
        assert "廉洁文化 · 廉洁文化活动（次）" in at.multiselect(key="explorer_indicators").options
    finally:
        forget()


def test_an_empty_database_opens_on_a_guide_and_one_click_loads_the_demo(tmp_path, monkeypatch):
    db = tmp_path / "new.duckdb"
    monkeypatch.setenv("DANGJIAN_DB", str(db))
    try:
        at = open_app()
        assert_clean(at)
        assert at.title[0].value == "欢迎使用党建指标看板"
        # the guide offers the 组织架构 import on the page, not shell commands; no figures
        assert "在下方上传" in at.markdown[0].value and "python -m" not in at.markdown[0].value and not at.metric
        assert at.button(key="org_check").disabled  # nothing to check before a file is chosen
        store = app_store(db)
        assert not store.has_tree() and not store.has_submissions()  # nothing loaded by opening
        at.button(key="first_load_demo").click().run()
        assert_clean(at)
        assert store.has_demo() and len(store.tree().units) == 83
        assert at.metric and any("演示数据" in w.value for w in at.warning)
        assert any("已载入演示数据" in tst.value for tst in at.toast)
        at = open_app()  # a second visitor: the overview, and no "loaded" toast for them
        assert_clean(at)
        assert at.metric and not at.toast
    finally:
        forget()


def test_a_tree_imported_through_another_instance_shows_on_the_next_run(pg_server, pg_templates, tmp_path,
                                                                        monkeypatch):
    """Two instances on one PostgreSQL: a unit renamed by a tree import made through another store
    (another app instance, a command) is named anew in this app's sidebar and charts on its next
    run, with no restart."""
    from dataclasses import replace

    from dashboard.db import Store
    from dashboard.domain.tree import Tree

    monkeypatch.setenv("DANGJIAN_PG_FOLDER", str(tmp_path))
    url = pg_server.create("app_other_instance", template=pg_templates["demo"])
    monkeypatch.setenv("DANGJIAN_DB", url)
    try:
        at = open_app("study")
        assert_clean(at)
        names = {o.strip("\u3000") for o in at.multiselect(key="unit").options}  # indented by level
        assert "机关党委" in names and "改名后的机关党委" not in names
        with Store(url) as other:
            other.load_tree(Tree([replace(u, name_zh="改名后的机关党委") if u.code == "SW01" else u
                                  for u in other.tree().units]))
        at.run()
        assert_clean(at)
        assert "改名后的机关党委" in {o.strip("\u3000") for o in at.multiselect(key="unit").options}
        assert "改名后的机关党委" in figures(at)["study_ranking"]["data"][0]["y"]
    finally:
        forget()
        pg_server.drop("app_other_instance")


def test_the_flood_quarter_is_one_of_the_selection(app_db):
    """A 2023 selection shows 2023's flood quarter, never the latest in the database (2024Q3)."""
    at = open_app("flood", unit=["SW"], period=["2023Q1", "2023Q4"])
    assert_clean(at)
    assert at.selectbox(key="flood_season_quarter").value == "2023Q3"
    assert set(at.selectbox(key="flood_season_quarter").options) <= {f"2023年第{n}季度" for n in range(1, 5)}


def test_two_sessions_with_different_roles_and_languages_see_each_their_own(app_db):
    """An administrator reading Chinese and a reporter of SW02 reading English, side by side in one
    process (as two browsers on one server): each sees the pages and figures of their own role,
    scope and language, before and after the other runs — the pages offered are kept per session."""
    from dashboard.app import identity, widgets

    admin = open_app()
    reporter = open_app()
    # the role before the language: AppTest loses a segmented control's new value once its label
    # has changed language (a browser keeps it: switched by hand in Chromium)
    reporter.sidebar.segmented_control(key=identity.ROLE_KEY).set_value("reporter").run()
    reporter.sidebar.selectbox(key=identity.UNIT_KEY).set_value("SW02").run()
    reporter.sidebar.segmented_control(key="lang").set_value("en").run()
    admin.run()  # the administrator's run comes after the reporter's
    assert_clean(admin)
    assert_clean(reporter)
    assert admin.title[0].value == "总览" and reporter.title[0].value == "Overview"
    assert "users" in admin.session_state[widgets.NAV_PAGES]
    assert "users" not in reporter.session_state[widgets.NAV_PAGES]  # not the administrator's pages
    admin_cards = {m.label: m.value for m in admin.metric}
    reporter_cards = {m.label: m.value for m in reporter.metric}
    store = app_store(app_db)
    whole = iv(store, units=["SW"], indicators=["theme_party_days"], **{"from": "2024Q4", "to": "2024Q4"})
    mine = iv(store, units=["SW02"], indicators=["theme_party_days"], **{"from": "2024Q4", "to": "2024Q4"})
    assert admin_cards["主题党日（次）"] == f"{whole['value'].iloc[0]:,.0f}"
    assert reporter_cards["Theme Party days (events)"] == f"{mine['value'].iloc[0]:,.0f}"
    assert whole["value"].iloc[0] != mine["value"].iloc[0]
    reporter.run()  # and again after the administrator's
    assert {m.label: m.value for m in reporter.metric} == reporter_cards
    assert "users" not in reporter.session_state[widgets.NAV_PAGES]


def test_the_users_unit_picker_offers_the_tree_around_the_pick_and_adds_with_it(app_db):
    """Not every unit at once (20,015 at a province): the top and its children; a unit picked
    offers its own children next, and the person added gets the unit picked."""
    at = open_app("users")
    assert_clean(at)
    tree = app_store(app_db).tree()
    root = tree.root.code
    picker = at.selectbox(key="users_unit")
    offered = [label.rsplit("（", 1)[1].rstrip("）") for label in picker.options]
    assert offered == [root] + [k.code for k in tree.kids(root)]
    assert len(offered) < len(tree.units)
    city = next(k.code for k in tree.kids(root) if tree.kids(k.code))
    picker.set_value(city).run()
    picker = at.selectbox(key="users_unit")
    offered = [label.rsplit("（", 1)[1].rstrip("）") for label in picker.options]
    committee = tree.kids(city)[0].code
    assert city in offered and {k.code for k in tree.kids(city)} <= set(offered)  # its children now
    assert picker.options[offered.index(committee)].startswith("\u3000" * tree.depth(committee))  # the tree's indent
    picker.set_value(committee).run()
    at.text_input(key="users_login").input("leader@example.org")
    at.text_input(key="users_user_name").input("王书记")
    at.selectbox(key="users_role").set_value("leader")
    next(b for b in at.button if b.label == t("users_add_button")).click().run()
    assert_clean(at)
    added = app_store(app_db).user("leader@example.org")
    assert added is not None and added.unit == committee and added.role == "leader"
