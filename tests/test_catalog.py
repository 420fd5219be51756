"""The catalog and the tree: their own rules, and that every seed figure has a home."""

from __future__ import annotations

import re
import shutil

import pytest

from dashboard.catalog import CatalogError, read_catalog, read_tree, catalog, COMMITTEE_LEVELS, BRANCH_LEVELS

DOMAINS = {"study", "members", "stars", "discipline", "flood"}


def test_catalog_covers_the_five_domains_with_40_to_60_indicators():
    cat = catalog()
    assert {d.code for d in cat.domains} == DOMAINS
    assert {d.name_zh for d in cat.domains} == {"学习教育", "发展党员", "星级支部", "纪律执纪", "防汛动员"}
    assert 40 <= len(cat.indicators) <= 60
    for d in DOMAINS:
        assert len(cat.of_domain(d)) >= 6, d


def test_every_indicator_has_domain_unit_and_rules():
    cat = catalog()
    for i in cat.indicators:
        assert i.domain in DOMAINS
        assert i.unit_zh in {"次", "人", "个", "件", "人次", "支", "天", "元", "星", "分", "%", "人·天"}, i.code
        assert i.name_zh and i.name_en and i.unit_en
        if i.is_stored:
            assert i.time_agg in {"sum", "last", "max"} and i.unit_agg in {"sum", "max", "mean"}
            assert i.min is not None and i.max is not None and i.min <= i.max
        else:
            assert i.time_agg == i.unit_agg == "derived"


def test_every_rate_is_derived_from_two_stored_counts():
    cat = catalog()
    rates = [i for i in cat.indicators if i.value_type == "rate" or i.unit_zh == "%"]
    assert {r.code for r in rates} >= {"xxqg_rate", "branches_4star_share"}
    for r in rates:
        assert r.formula_op == "ratio" and len(r.formula_args) == 2, r.code
        for part in r.formula_args:
            p = cat[part]
            assert p.is_stored or p.formula_op in ("count", "count_high"), (r.code, part)
            assert p.value_type == "count"


def test_money_stars_and_flows_follow_the_domain_rules():
    cat = catalog()
    assert cat["dues_collected"].value_type == "money" and cat["dues_collected"].unit_zh == "元"
    assert (cat["star_rating"].min, cat["star_rating"].max) == (1, 5)
    assert cat["star_rating"].quarters == "Q1"  # set once a year, in Q1
    assert cat["theme_party_days"].kind == "flow"
    assert cat["members_total"].kind == "stock"
    assert cat["max_consecutive_days"].unit_agg == "max"
    assert cat["four_forms_total"].formula_args == ("form1_cases", "form2_cases", "form3_cases", "form4_cases")
    # central-group study is for committees and party groups only
    assert not cat["central_group_study"].reported_by("branch")
    assert cat["central_group_study"].reported_by("party_group")


# Each figure the seeds quote, with the indicator that holds it.
SEED_FIGURES = {
    "十个党支部213名党员": "members_total",
    "组织204名党员开展了党员理论知识测试": "theory_test_takers",
    "对4个基层党支部委员会进行了补选": "branch_elections",
    "培养入党积极分子22名": "activists",
    "接收预备党员4名": "admitted_probationary",
    "党员转正5名": "converted_full",
    "四星级以上党支部9个占总数的90": "branches_4star_share",
    "召开党风廉政警示教育6次": "warning_education",
    "召开机关党委会9次": "committee_meetings",
    "政治理论学习11次": "special_education",
    "专题党课学习1次": "special_party_lectures",
    "主题党日1678场": "theme_party_days",
    "专题教育3056次": "special_education",
    "大调研大走访671次": "research_visits",
    "发现问题421个": "research_problems",
    "排名靠后的2个单位进行约谈": "units_interviewed",
    "第一种形态”55人次": "form1_cases",
    "运用“四种形态”处理处分60人次": "four_forms_total",
    "办理问题线索60件": "clues_disposed",
    "处理不担当不作为干部24人次": "inaction_cadres",
    "廉政风险点96个": "integrity_risks",
    "建立2个临时党支部": "temp_branches",
    "10支党员突击队": "commando_teams",
    "组建15支青年突击队": "youth_teams",
    "31名退休老同志": "retirees_joined",
    "1名同志在抗洪一线正式加入党组织": "frontline_admissions",
    "青年志愿服务活动60场次": "volunteer_events",
    "我局8名同志": "flood_honors_people",
    "6个集体被评为": "flood_honors_groups",
    "累计缴纳党费2086元": "dues_collected",
    "本支部应缴党费党员11名": "dues_payers",
    "累计捐款1150元": "flood_donations",
    "主题党日活动2次": "theme_party_days",
}


# Figures that one branch or committee reports in one return (seeds 002 and 003).
ONE_UNIT_FIGURES = {"十个党支部213名党员", "培养入党积极分子22名", "接收预备党员4名", "党员转正5名",
                    "召开党风廉政警示教育6次", "召开机关党委会9次", "累计缴纳党费2086元",
                    "本支部应缴党费党员11名", "累计捐款1150元", "主题党日活动2次", "专题党课学习1次"}


def test_every_party_building_figure_in_the_seeds_has_an_indicator(seeds_text):
    cat = catalog()
    flat = re.sub(r"\s+", "", seeds_text)
    for phrase, code in SEED_FIGURES.items():
        assert re.sub(r"\s+", "", phrase) in flat, f"seed phrase not found: {phrase}"
        assert code in cat, code
        # a figure one unit reports fits the indicator's per-return bounds (bureau-wide
        # annual totals such as 主题党日1678场 are sums of many returns, so not checked)
        ind = cat[code]
        if phrase in ONE_UNIT_FIGURES and ind.is_stored:
            number = float(re.findall(r"\d+", phrase)[-1]) if not phrase.startswith("十个") else 213
            assert ind.min <= number <= ind.max, (phrase, code)


@pytest.fixture(scope="module")
def seeds_text():
    from pathlib import Path

    seeds = Path(__file__).resolve().parents[2] / "shared" / "seeds"
    if not seeds.is_dir():
        pytest.skip("shared/seeds is not beside this checkout")
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(seeds.glob("*.txt")))


def test_a_broken_catalog_is_refused_with_every_problem(tmp_path):
    src = catalog().indicators
    bad = tmp_path / "catalog.csv"
    text = (read_catalog.__globals__["CATALOG_CSV"]).read_text(encoding="utf-8")
    text = text.replace("ratio(xxqg_active,xxqg_registered)", "ratio(xxqg_active,no_such_thing)")
    text = text.replace(",branch_general_meetings,study,", ",branch_general_meetings,nowhere,", 1)
    text = text.replace("star_rating,stars,支部星级,Branch star rating,星,stars,stars,last,mean,,1,5",
                        "star_rating,stars,支部星级,Branch star rating,星,stars,stars,last,mean,,1,7")
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError) as err:
        read_catalog(bad)
    message = str(err.value)
    assert "no_such_thing" in message
    assert "stars are 1-5" in message
    assert len(src) > 0


def test_a_stored_rate_is_refused(tmp_path):
    text = (read_catalog.__globals__["CATALOG_CSV"]).read_text(encoding="utf-8")
    text += "stored_rate,study,某率,Some rate,%,%,rate,last,sum,,0,100,,all,all,999,,\n"
    bad = tmp_path / "catalog.csv"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError, match="rates are never stored"):
        read_catalog(bad)


def test_demo_tree_is_a_realistic_bureau():
    tree = read_tree()
    levels = [u.level for u in tree.units]
    assert tree.root.level == "party_group" and tree.root.name_zh == "市水务局党组"
    committees = [u for u in tree.kids(tree.root.code) if u.level in COMMITTEE_LEVELS]
    branches = [u for u in tree.units if u.level == "branch"]
    assert 10 <= len(committees) <= 14
    assert 60 <= len(branches) <= 90
    assert levels.count("temp_branch") == 2
    temp = [u for u in tree.units if u.level == "temp_branch"]
    assert all(u.active_in("2023Q3") and not u.active_in("2023Q4") for u in temp)
    names = {u.name_zh for u in committees}
    assert {"机关党委", "供水集团党委", "排水管理中心党委", "水库管理处党委", "离退休干部党委"} <= names


def test_every_unit_belongs_to_exactly_one_return():
    tree = read_tree()
    seen: dict[str, str] = {}
    for rep in tree.reporting_units:
        for u in tree.return_units(rep.code):
            assert u.code not in seen, f"{u.code} in returns of {seen.get(u.code)} and {rep.code}"
            seen[u.code] = rep.code
    assert set(seen) == set(tree.by_code)
    # a branch's figures come from branches, a committee's from committees
    assert all(u.level in BRANCH_LEVELS | COMMITTEE_LEVELS for u in tree.units)


def test_a_tree_with_a_dangling_parent_is_refused(tmp_path):
    from dashboard.catalog import ORG_TREE_CSV

    bad = tmp_path / "tree.csv"
    shutil.copy(ORG_TREE_CSV, bad)
    with open(bad, "a", encoding="utf-8") as f:
        f.write("ZZ01,孤儿党支部,Orphan Branch,branch,ZZ,,,999\n")
    with pytest.raises(CatalogError, match="parent ZZ not in tree"):
        read_tree(bad)
