"""The catalog (data/catalog.csv, domains.csv, domain_charts.csv, rules.csv): its own rules, the
rules a return is checked against, and that every seed figure has a home."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from dashboard.domain.catalog import CHART_KINDS, CatalogError, catalog, read_catalog
from dashboard.settings import DATA_DIR

SEED_EXCERPTS = Path(__file__).resolve().parent / "data" / "seeds" / "excerpts.txt"

DOMAINS = {"study", "members", "stars", "discipline", "flood"}  # on the overview
# What a bureau's work summary reports besides (issue 20): each a page, a template sheet, an export, a
# 通报 section and a projector slide of its own, off the overview unless leadership puts it there.
MORE_DOMAINS = {"theme_edu": "主题教育", "inspection": "巡察整改", "org_life": "组织生活", "volunteer": "志愿服务与双报到",
                "for_people": "为民办实事", "brand": "党建品牌与模范机关", "training": "党务培训", "honors": "表彰激励",
                "retirees": "离退休党员", "conduct": "作风建设与监督", "political": "政治建设", "cadres": "干部队伍"}


def test_catalog_covers_the_five_domains_on_the_overview_and_the_rest_of_a_bureaus_work():
    cat = catalog()
    assert {d.code for d in cat.overview_domains} == DOMAINS
    assert {d.name_zh for d in cat.overview_domains} == {"学习教育", "发展党员", "星级支部", "纪律执纪", "防汛动员"}
    assert {d.code: d.name_zh for d in cat.domains if not d.on_overview} == MORE_DOMAINS
    assert 40 <= sum(len(cat.of_domain(d)) for d in DOMAINS) <= 60
    for d in DOMAINS:
        assert len(cat.of_domain(d)) >= 6, d
    for d in MORE_DOMAINS:
        assert len(cat.of_domain(d)) >= 2, d
        assert cat[cat.headline(d)].domain == d
    assert {i.domain for i in cat.headlines} == DOMAINS  # the overview's cards do not grow with the catalog


def test_every_indicator_has_domain_unit_and_rules():
    cat = catalog()
    for i in cat.indicators:
        assert i.domain in DOMAINS | set(MORE_DOMAINS)
        assert i.unit_zh in {"次", "人", "个", "件", "人次", "支", "天", "元", "星", "分", "%", "人·天", "项", "条", "名",
                             "场次", "轮", "篇", "期", "本"}, i.code
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
            assert p.is_stored or p.formula_op in ("count", "count_high", "branches"), (r.code, part)
            assert p.value_type == "count"


def test_money_stars_and_flows_follow_the_domain_rules():
    cat = catalog()
    assert cat["dues_collected"].value_type == "money" and cat["dues_collected"].unit_zh == "元"
    assert (cat["star_rating"].min, cat["star_rating"].max) == (1, 5)
    assert cat["star_rating"].quarters == "Q1"  # set once a year, in Q1
    assert cat["theme_party_days"].kind == "flow"
    assert cat["members_total"].kind == "stock"
    assert cat["max_consecutive_days"].unit_agg == "max"
    # the forms, and the total a unit enters when it knows no split (rules.csv total_of): never both
    assert cat["four_forms_total"].formula_args == ("form1_cases", "form2_cases", "form3_cases", "form4_cases",
                                                    "four_forms_entered")
    assert [(r.left, r.right) for r in cat.totals_of] == [
        (("four_forms_entered",), ("form1_cases", "form2_cases", "form3_cases", "form4_cases"))]
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
    "青年志愿服务活动60场次": "volunteer_activities",
    "我局8名同志": "flood_honors_people",
    "6个集体被评为": "flood_honors_groups",
    "累计缴纳党费2086元": "dues_collected",
    "本支部应缴党费党员11名": "dues_payers",
    "累计捐款1150元": "charity_donations",
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
    """The seeds' sentences that quote these figures (tests/data/seeds/excerpts.txt, copied from
    shared/seeds so the test runs on a clean clone)."""
    return SEED_EXCERPTS.read_text(encoding="utf-8")


def test_the_seed_excerpts_are_the_seeds_own_words():
    """Where shared/seeds is beside the checkout, every excerpt is found in it word for word."""
    seeds = Path(__file__).resolve().parents[2] / "shared" / "seeds"
    if not seeds.is_dir():
        pytest.skip("shared/seeds is not beside this checkout (the excerpts stand in for it)")
    flat = re.sub(r"\s+", "", "".join(p.read_text(encoding="utf-8") for p in seeds.glob("*.txt")))
    for line in SEED_EXCERPTS.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            assert line in flat, line[:40]


def _data_copy(tmp_path) -> Path:
    data_dir = tmp_path / "data"
    shutil.copytree(DATA_DIR, data_dir)
    return data_dir


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_broken_catalog_is_refused_with_every_problem(tmp_path):
    data_dir = _data_copy(tmp_path)
    csv = data_dir / "catalog.csv"
    _edit(csv, "ratio(xxqg_active,xxqg_registered)", "ratio(xxqg_active,no_such_thing)")
    _edit(csv, "\nbranch_general_meetings,study,", "\nbranch_general_meetings,nowhere,")
    _edit(csv, "star_rating,stars,支部星级,Branch star rating,星,stars,stars,last,mean,,1,5",
          "star_rating,stars,支部星级,Branch star rating,星,stars,stars,last,mean,,1,7")
    with pytest.raises(CatalogError) as err:
        read_catalog(data_dir)
    message = str(err.value)
    assert "no_such_thing" in message
    assert "stars are 1-5" in message
    assert "unknown domain 'nowhere'" in message


def test_a_stored_rate_is_refused(tmp_path):
    data_dir = _data_copy(tmp_path)
    with open(data_dir / "catalog.csv", "a", encoding="utf-8") as f:
        f.write("stored_rate,study,某率,Some rate,%,%,rate,last,sum,,0,100,,all,all,999,,\n")
    with pytest.raises(CatalogError, match="rates are never stored"):
        read_catalog(data_dir)


def test_a_rule_on_a_derived_figure_is_refused_because_it_could_never_fire(tmp_path):
    """branches_4star is counted from the branches' ratings: a rule on it would never run."""
    data_dir = _data_copy(tmp_path)
    with open(data_dir / "rules.csv", "a", encoding="utf-8") as f:
        f.write("four_star,at_most,branches_4star,,,,1,,val_rule_branch_count,四星,four stars,30\n")
    with pytest.raises(CatalogError, match="branches_4star is derived, so the rule could never fire"):
        read_catalog(data_dir)


def test_a_chart_of_an_unknown_kind_or_indicator_is_refused(tmp_path):
    data_dir = _data_copy(tmp_path)
    with open(data_dir / "domain_charts.csv", "a", encoding="utf-8") as f:
        f.write("study,pie,no_such_thing,饼,Pie,,,9\n")
    with pytest.raises(CatalogError) as err:
        read_catalog(data_dir)
    assert "unknown chart kind" in str(err.value) and "no_such_thing" in str(err.value)


def test_the_rules_are_the_branch_work_rules_and_the_cross_checks():
    """三会一课 includes 党课 (支部工作条例): four compliance rules; every rule names stored figures."""
    cat = catalog()
    assert {(r.left[0], r.minimum) for r in cat.compliance_rules} == {
        ("branch_general_meetings", 1), ("branch_committee_meetings", 3), ("theme_party_days", 3),
        ("party_lectures", 1)}
    assert {r.code for r in cat.cross_field_rules} >= {"conversions", "active_registered", "payers_members",
                                                       "probationary_members", "disposed", "weak_branches"}
    for r in cat.rules:
        assert all(cat[c].is_stored for c in r.indicators), r.code


def test_every_domain_chart_is_of_a_known_kind_over_its_domain():
    cat = catalog()
    for c in cat.charts:
        assert c.chart in CHART_KINDS
        assert all(cat[i].domain == c.domain for i in c.indicators), c
    assert [c.chart for c in cat.charts_of("stars")] == ["star_heatmap", "star_distribution"]
