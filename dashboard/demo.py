"""Deterministic demo data for the demo city water bureau, 2022Q1-2024Q4.

Figures follow the scale of the real work summaries in shared/seeds: a committee of
ten branches has about 213 members and admits a handful of probationary members a
year; about 90% of branches rate four stars or more; discipline cases run in the tens;
the 2023 flood (2023Q3) brings temporary branches and commando teams.  A few units lag
and a few returns are missing, so rankings and completeness mean something.

Every demo return goes through `Store.submit` like a real one, marked as demo, so
`Store.clear_demo()` removes all of it in one step.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pandas as pd

from . import periods
from .catalog import BRANCH_LEVELS, Tree
from .store import DEMO_USER, Store

FIRST_QUARTER = "2022Q1"
LAST_QUARTER = "2024Q4"
FLOOD_QUARTER = "2023Q3"
DEFAULT_SEED = 2024
# Laggards: these reporting units hold fewer meetings, rate lower and show up at the bottom.
LAGGARDS = frozenset({"SW08", "SW09"})
# Returns that never came in (reporting unit, quarter): completeness has gaps to show.
MISSING_RETURNS = frozenset({("SW09", "2024Q4"), ("SW08", "2024Q4"), ("SW11", "2023Q2"), ("SW12", "2024Q3")})
DEADLINE_DAYS = 15  # a return is due this many days after its quarter ends


def quarter_end(q: str) -> datetime:
    y, n = periods.parse_quarter(q)
    first_of_next = datetime(y + (n == 4), 1 if n == 4 else 3 * n + 1, 1)
    return first_of_next - timedelta(days=1)


@dataclass
class BranchState:
    """Stocks a branch carries from quarter to quarter, so the stages stay consistent."""

    members: int
    probationary: int
    activists: int
    registered: int
    history: list[int] = field(default_factory=list)


def _branch_states(tree: Tree, rng: random.Random) -> dict[str, BranchState]:
    states = {}
    for u in tree.units:
        if u.level == "branch":
            members = max(6, int(rng.gauss(21, 7)))
            states[u.code] = BranchState(
                members=members,
                probationary=rng.choice([0, 0, 1, 1, 2]),
                activists=rng.choice([1, 2, 2, 3]),
                registered=members + rng.randint(0, 2),
            )
    return states


def _branch_values(code: str, q: str, st: BranchState, lag: bool, rng: random.Random) -> dict[str, float]:
    year, n = periods.parse_quarter(q)
    v: dict[str, float] = {}
    v["branch_general_meetings"] = 0 if (lag and rng.random() < 0.35) else 1
    v["branch_committee_meetings"] = rng.choice([2, 3] if lag else [3, 3, 3, 4])
    v["party_group_meetings"] = rng.randint(2, 4) if lag else rng.randint(3, 6)
    v["party_lectures"] = rng.choice([0, 1] if lag else [1, 1, 2])
    v["special_party_lectures"] = rng.choice([0, 0, 1])
    v["theme_party_days"] = rng.choice([1, 2, 2, 3] if lag else [3, 3, 3, 4])
    v["special_education"] = rng.randint(1, 4) if lag else rng.randint(3, 10)
    if n in (2, 4):
        v["theory_test_takers"] = int(st.members * rng.uniform(0.8 if lag else 0.9, 1.0))
    theme_year = year == 2023 and n >= 2  # the 2023 theme education: research visits surge
    v["research_visits"] = rng.randint(5, 15) if theme_year else rng.randint(0, 3)
    v["research_problems"] = int(v["research_visits"] * rng.uniform(0.4, 0.8))

    # member development: application -> activist -> candidate -> probationary -> full
    new_apps = rng.choice([0, 0, 1, 1, 2, 3])
    new_activists = min(new_apps, rng.choice([0, 0, 1, 1]))
    admitted = 1 if rng.random() < 0.12 else 0
    new_candidates = admitted + (1 if rng.random() < 0.06 else 0)
    start_prob = st.probationary
    # a member admitted four quarters ago is due to convert; never more than were probationary
    due = st.history[-4] if len(st.history) >= 4 else (1 if start_prob and rng.random() < 0.25 else 0)
    converted = min(due, start_prob)
    extended = 1 if (converted and rng.random() < 0.08) else 0
    converted -= extended
    leaving = 1 if rng.random() < 0.05 else 0
    st.history.append(admitted)
    st.probationary = start_prob + admitted - converted  # an extended probation stays probationary
    st.members = max(5, st.members + admitted - leaving)
    dropped = 1 if (st.activists and rng.random() < 0.2) else 0  # activists who lapse
    st.activists = max(0, st.activists + new_activists - new_candidates - dropped)
    st.registered = max(st.registered, st.members + rng.randint(0, 1))
    v.update(
        new_applications=new_apps, new_activists=new_activists, activists=st.activists,
        new_candidates=new_candidates, admitted_probationary=admitted, probationary=st.probationary,
        converted_full=converted, extended_probation=extended, members_total=st.members,
    )
    v["dues_payers"] = st.members - (1 if rng.random() < 0.1 else 0)
    v["dues_collected"] = round(v["dues_payers"] * rng.uniform(45, 95), 2)
    v["xxqg_registered"] = st.registered
    v["xxqg_active"] = int(st.registered * rng.uniform(0.6, 0.85) if lag else st.registered * rng.uniform(0.82, 0.98))

    if n == 1:  # star ratings for the year before are set in Q1
        if lag:
            stars = rng.choice([2, 3, 3, 4])
        else:
            stars = rng.choices([3, 4, 5], weights=[4, 50, 46])[0]
        v["star_rating"] = stars
        v["fortress_index"] = round(min(120, 40 + stars * 11 + rng.uniform(-5, 8)), 1)

    flood = q == FLOOD_QUARTER
    if n == 3:
        v["members_deployed"] = rng.randint(8, 25) if flood else rng.randint(0, 5)
        v["duty_person_days"] = rng.randint(150, 400) if flood else rng.randint(10, 60)
        v["max_consecutive_days"] = rng.randint(15, 45) if flood else rng.randint(2, 10)
        v["flood_donations"] = round(rng.uniform(500, 3000), 2) if flood else 0
    return v


def _committee_values(code: str, level: str, q: str, lag: bool, rng: random.Random, flood_plan: dict) -> dict[str, float]:
    year, n = periods.parse_quarter(q)
    top = level == "party_group"
    v: dict[str, float] = {
        "central_group_study": rng.randint(3, 5) if level != "general_branch" else rng.randint(2, 3),
        "committee_meetings": rng.randint(2, 4),
        "special_party_lectures": rng.choice([0, 1]),
        "theme_party_days": rng.choice([0, 1]),
        "special_education": rng.randint(1, 3),
        "warning_education": rng.choice([1, 1, 2]),
        "weak_branches": (1 if lag else 0),
        "branch_elections": rng.choice([0, 0, 0, 1, 2]),
    }
    received = rng.randint(0, 2) if not top else rng.randint(1, 3)
    v["clues_received"] = received
    v["clues_disposed"] = max(0, received - rng.choice([0, 0, 1]))
    v["form1_cases"] = rng.randint(0, 2)
    v["form2_cases"] = rng.choice([0, 0, 0, 1])
    v["form3_cases"] = 1 if rng.random() < 0.05 else 0
    v["form4_cases"] = 1 if rng.random() < 0.02 else 0
    v["reminder_talks"] = rng.randint(2, 8)
    v["inaction_cadres"] = rng.choice([0, 0, 1, 1, 2])
    v["circulars"] = rng.choice([0, 0, 1])
    v["integrity_risks"] = rng.randint(5, 12) if (year == 2023 and n == 2) else rng.randint(0, 2)
    if top:
        v["units_interviewed"] = 2 if n == 1 else 0  # the two lowest-ranked units are interviewed
    if n == 3:
        plan = flood_plan.get(code, {}) if q == FLOOD_QUARTER else {}
        v["temp_branches"] = plan.get("temp_branches", 0)
        v["commando_teams"] = plan.get("commando_teams", 0 if q == FLOOD_QUARTER else rng.choice([0, 0, 1]))
        v["youth_teams"] = plan.get("youth_teams", 0)
        v["retirees_joined"] = plan.get("retirees_joined", 0)
        v["volunteer_events"] = plan.get("volunteer_events", rng.randint(0, 2))
        v["members_deployed"] = plan.get("members_deployed", rng.randint(0, 10))
        v["duty_person_days"] = plan.get("duty_person_days", rng.randint(20, 90))
        v["max_consecutive_days"] = plan.get("max_consecutive_days", rng.randint(2, 10))
    if q == "2023Q4":
        v["flood_honors_people"] = flood_plan.get(code, {}).get("honors_people", 0)
        v["flood_honors_groups"] = flood_plan.get(code, {}).get("honors_groups", 0)
    return v


# The 2023 flood as the seeds tell it: 2 temporary branches, 10 commando teams,
# 15 youth teams, 31 retired veterans, 60 volunteer events, 8 people and 6 groups honoured.
FLOOD_PLAN = {
    "SW": {"commando_teams": 1, "youth_teams": 3, "volunteer_events": 12, "members_deployed": 40,
           "duty_person_days": 600, "max_consecutive_days": 38, "honors_people": 2, "honors_groups": 1},
    "SW01": {"commando_teams": 1, "youth_teams": 2, "volunteer_events": 8, "members_deployed": 60,
             "duty_person_days": 900, "max_consecutive_days": 30, "honors_people": 1, "honors_groups": 1},
    "SW02": {"commando_teams": 2, "youth_teams": 3, "volunteer_events": 10, "members_deployed": 120,
             "duty_person_days": 1500, "max_consecutive_days": 35, "honors_people": 1, "honors_groups": 1},
    "SW03": {"temp_branches": 1, "commando_teams": 2, "youth_teams": 3, "volunteer_events": 9,
             "members_deployed": 180, "duty_person_days": 2600, "max_consecutive_days": 42,
             "honors_people": 2, "honors_groups": 1},
    "SW05": {"temp_branches": 1, "commando_teams": 2, "youth_teams": 2, "volunteer_events": 7,
             "members_deployed": 150, "duty_person_days": 2200, "max_consecutive_days": 45,
             "honors_people": 1, "honors_groups": 1},
    "SW06": {"commando_teams": 1, "youth_teams": 1, "volunteer_events": 8, "members_deployed": 90,
             "duty_person_days": 1100, "max_consecutive_days": 28, "honors_people": 1, "honors_groups": 1},
    "SW07": {"commando_teams": 1, "youth_teams": 1, "volunteer_events": 6, "members_deployed": 70,
             "duty_person_days": 800, "max_consecutive_days": 25},
    "SW10": {"retirees_joined": 31},
}


def demo_returns(tree: Tree, seed: int = DEFAULT_SEED):
    """Yield (reporting unit, quarter, facts DataFrame, submitted_at) for every demo return."""
    rng = random.Random(seed)
    states = _branch_states(tree, rng)
    for q in periods.quarter_range(FIRST_QUARTER, LAST_QUARTER):
        for rep in tree.reporting_units:
            lag = rep.code in LAGGARDS
            rows = []
            for u in tree.return_units(rep.code, q):
                if u.level == "branch":
                    values = _branch_values(u.code, q, states[u.code], lag, rng)
                elif u.level == "temp_branch":
                    values = {"branch_general_meetings": 1, "theme_party_days": 2,
                              "members_deployed": rng.randint(30, 60), "duty_person_days": rng.randint(600, 1200),
                              "max_consecutive_days": rng.randint(30, 45), "frontline_admissions": 1 if u.code == "SW03T1" else 0}
                else:
                    values = _committee_values(u.code, u.level, q, lag, rng, FLOOD_PLAN)
                rows.extend((u.code, k, float(v)) for k, v in values.items())
            if (rep.code, q) in MISSING_RETURNS:
                continue  # drawn anyway so that the other units' figures do not depend on the gaps
            delay = rng.choice([3, 5, 8, 10, 12, 14, 18, 25] if lag else [2, 4, 6, 8, 10, 12, 13, 16])
            submitted_at = quarter_end(q) + timedelta(days=delay, hours=rng.randint(8, 17))
            yield rep.code, q, pd.DataFrame(rows, columns=["unit_code", "indicator_code", "value"]), submitted_at


def load_demo(store: Store, seed: int = DEFAULT_SEED) -> int:
    """Replace any demo data with a fresh deterministic set; returns the number of returns loaded."""
    store.clear_demo()
    tree = store.tree()
    n = 0
    for rep, q, facts, submitted_at in demo_returns(tree, seed):
        store.submit(rep, q, facts, user=DEMO_USER, file_name="演示数据 demo", is_demo=True,
                     template_version="demo", refresh=False, submitted_at=submitted_at)
        n += 1
    store.rebuild_rollup()
    return n


# --- provincial scale, for benchmarks ------------------------------------------------------
#
# A provincial water-resources department's Party group over 16 city bureaus (each a party
# group of its own, so each city bureau and each committee directly under it files a return),
# committees, general branches and branches: about 20,000 units in five levels.  Facts are
# drawn with numpy, a whole level and quarter at a time, and go into the database through
# `Store.bulk_load` (one transaction, one roll-up rebuild) -- never through Excel.

PROVINCE_CITIES = 16
PROVINCE_FIRST_QUARTER = FIRST_QUARTER
PROVINCE_LAST_QUARTER = LAST_QUARTER
BENCH_USER = "基准测试 bench"


def province_tree(n_target: int = 20_000, cities: int = PROVINCE_CITIES, seed: int = DEFAULT_SEED) -> Tree:
    """Five levels: province party group → city bureaus (party groups) → committees →
    general branches → branches.  Committees are added round-robin over the cities until
    the tree holds about `n_target` units; codes are hierarchical (P, P01, P01C01,
    P01C01G1, P01C01G1B01) and `sort_order` is depth-first, so a subtree is contiguous."""
    import numpy as np

    from .catalog import Unit

    rng = np.random.default_rng(seed)
    cities = max(1, min(cities, max(1, n_target // 40)))
    shapes: list[list[list[int]]] = [[] for _ in range(cities)]  # city -> committee -> branches per general branch
    total = 1 + cities
    i = 0
    while total < n_target:
        general = int(rng.integers(2, 6))
        branches = [int(b) for b in rng.integers(4, 11, size=general)]
        shapes[i % cities].append(branches)
        total += 1 + general + sum(branches)
        i += 1
    units: list[Unit] = []

    def add(code, zh, en, level, parent):
        units.append(Unit(code, zh, en, level, parent, None, None, len(units) + 1))

    add("P", "省水利厅党组", "Provincial Water Resources Department Party Group", "party_group", None)
    for c, committees in enumerate(shapes, 1):
        city = f"P{c:02d}"
        add(city, f"第{c}市水务局党组", f"City {c} Water Bureau Party Group", "party_group", "P")
        for k, general in enumerate(committees, 1):
            com = f"{city}C{k:02d}"
            add(com, f"第{c}市第{k}党委", f"City {c} Committee {k}", "committee", city)
            for g, n_branches in enumerate(general, 1):
                gb = f"{com}G{g}"
                add(gb, f"第{c}市第{k}党委第{g}党总支", f"City {c} Committee {k} General Branch {g}",
                    "general_branch", com)
                for b in range(1, n_branches + 1):
                    add(f"{gb}B{b:02d}", f"第{c}市第{k}党委第{g}总支第{b}支部",
                        f"City {c} Committee {k} GB {g} Branch {b}", "branch", gb)
    return Tree(units)


def _branch_columns(n: int, q: str, base: dict, rng) -> dict[str, "np.ndarray"]:
    """One quarter's figures for n branches, keeping the cross-checks of a real return
    (active <= registered, payers <= members, conversions <= probationary ...)."""
    import numpy as np

    year, k = periods.parse_quarter(q)
    members = base["members"] + rng.integers(0, 2, n)
    probationary = np.minimum(base["probationary"], members)
    v = {
        "branch_general_meetings": rng.choice([0, 1, 1, 1, 1, 1, 2], n),
        "branch_committee_meetings": rng.choice([2, 3, 3, 3, 4], n),
        "party_group_meetings": rng.integers(2, 7, n),
        "party_lectures": rng.choice([0, 1, 1, 2], n),
        "special_party_lectures": rng.choice([0, 0, 1], n),
        "theme_party_days": rng.choice([1, 2, 3, 3, 3, 4], n),
        "special_education": rng.integers(1, 11, n),
        "research_visits": rng.integers(0, 16 if year == 2023 else 4, n),
        "new_applications": rng.choice([0, 0, 1, 1, 2, 3], n),
        "new_activists": rng.choice([0, 0, 0, 1], n),
        "activists": base["activists"],
        "new_candidates": rng.choice([0, 0, 0, 0, 1], n),
        "admitted_probationary": (rng.random(n) < 0.12).astype(int),
        "probationary": probationary,
        "converted_full": np.minimum(probationary, (rng.random(n) < 0.2).astype(int)),
        "extended_probation": np.zeros(n, dtype=int),
        "members_total": members,
        "dues_payers": members - (rng.random(n) < 0.1),
        "xxqg_registered": members + 1,
    }
    v["research_problems"] = (v["research_visits"] * rng.uniform(0.4, 0.8, n)).astype(int)
    v["dues_collected"] = np.round(v["dues_payers"] * rng.uniform(45, 95, n), 2)
    v["xxqg_active"] = (v["xxqg_registered"] * rng.uniform(0.6, 0.98, n)).astype(int)
    if k in (2, 4):
        v["theory_test_takers"] = (members * rng.uniform(0.8, 1.0, n)).astype(int)
    if k == 1:
        stars = rng.choice([2, 3, 4, 4, 4, 5, 5, 5], n)
        v["star_rating"] = stars
        v["fortress_index"] = np.round(np.clip(40 + stars * 11 + rng.uniform(-5, 8, n), 0, 120), 1)
    if k == 3:
        flood = q == FLOOD_QUARTER
        v["members_deployed"] = rng.integers(8, 26, n) if flood else rng.integers(0, 6, n)
        v["duty_person_days"] = rng.integers(150, 401, n) if flood else rng.integers(10, 61, n)
        v["max_consecutive_days"] = rng.integers(15, 46, n) if flood else rng.integers(2, 11, n)
        v["flood_donations"] = np.round(rng.uniform(500, 3000, n), 2) if flood else np.zeros(n)
    return v


def _committee_columns(n: int, q: str, rng) -> dict[str, "np.ndarray"]:
    import numpy as np

    year, k = periods.parse_quarter(q)
    received = rng.integers(0, 3, n)
    v = {
        "central_group_study": rng.integers(2, 6, n),
        "committee_meetings": rng.integers(2, 5, n),
        "special_party_lectures": rng.choice([0, 1], n),
        "theme_party_days": rng.choice([0, 1], n),
        "special_education": rng.integers(1, 4, n),
        "warning_education": rng.choice([1, 1, 2], n),
        "weak_branches": (rng.random(n) < 0.05).astype(int),
        "branch_elections": rng.choice([0, 0, 0, 1, 2], n),
        "clues_received": received,
        "clues_disposed": np.maximum(0, received - rng.choice([0, 0, 1], n)),
        "form1_cases": rng.integers(0, 3, n),
        "form2_cases": rng.choice([0, 0, 0, 1], n),
        "form3_cases": (rng.random(n) < 0.05).astype(int),
        "form4_cases": (rng.random(n) < 0.02).astype(int),
        "reminder_talks": rng.integers(2, 9, n),
        "inaction_cadres": rng.choice([0, 0, 1, 1, 2], n),
        "circulars": rng.choice([0, 0, 1], n),
        "integrity_risks": rng.integers(5, 13, n) if (year == 2023 and k == 2) else rng.integers(0, 3, n),
    }
    if k == 3:
        flood = q == FLOOD_QUARTER
        v["temp_branches"] = (rng.random(n) < (0.2 if flood else 0.0)).astype(int)
        v["commando_teams"] = rng.integers(0, 3, n) if flood else rng.choice([0, 0, 1], n)
        v["youth_teams"] = rng.integers(0, 3, n) if flood else np.zeros(n, dtype=int)
        v["retirees_joined"] = rng.integers(0, 20, n) if flood else np.zeros(n, dtype=int)
        v["volunteer_events"] = rng.integers(0, 10, n)
        v["members_deployed"] = rng.integers(0, 11, n)
        v["duty_person_days"] = rng.integers(20, 91, n)
        v["max_consecutive_days"] = rng.integers(2, 11, n)
    return v


def province_returns(tree: Tree, first: str = PROVINCE_FIRST_QUARTER, last: str = PROVINCE_LAST_QUARTER,
                     seed: int = DEFAULT_SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every return of every reporting unit and quarter, drawn vectorised.

    Returns (submissions, facts): submissions has one row per reporting unit × quarter
    (unit_code, quarter, submitted_at); facts has reporting_unit, unit_code, quarter,
    indicator_code, value (in no particular order: `Store.bulk_load` sorts them).
    """
    import numpy as np

    from .catalog import catalog as the_catalog

    cat = the_catalog()
    rng = np.random.default_rng(seed)
    # the reporting unit that files each unit's row, computed once top-down
    reporter: dict[str, str] = {}
    for u in tree.units:  # parents come before children in depth-first sort order
        reporter[u.code] = u.code if tree.is_reporting(u.code) else reporter[u.parent_code]
    branch_codes = np.array([u.code for u in tree.units if u.level in BRANCH_LEVELS], dtype=object)
    committee_codes = np.array([u.code for u in tree.units if u.level not in BRANCH_LEVELS], dtype=object)
    nb = len(branch_codes)
    base = {
        "members": np.maximum(6, rng.normal(21, 7, nb)).astype(int),
        "probationary": rng.choice([0, 0, 1, 1, 2], nb),
        "activists": rng.choice([1, 2, 2, 3], nb),
    }
    known = set(cat.by_code)
    frames = []
    quarters = periods.quarter_range(first, last)
    for q in quarters:
        for codes, columns in ((branch_codes, _branch_columns(nb, q, base, rng)),
                               (committee_codes, _committee_columns(len(committee_codes), q, rng))):
            for code, values in columns.items():
                if code not in known or not cat[code].in_quarter(q):
                    continue
                frames.append(pd.DataFrame({"unit_code": codes, "quarter": q, "indicator_code": code,
                                            "value": np.asarray(values, dtype="float64")}))
    facts = pd.concat(frames, ignore_index=True)
    order = {u.code: u.sort_order for u in tree.units}
    facts["reporting_unit"] = facts["unit_code"].map(reporter)
    subs = []
    for q in quarters:
        due = quarter_end(q) + timedelta(days=DEADLINE_DAYS)
        for u in tree.reporting_units:
            subs.append((u.code, q, due - timedelta(days=1 + order[u.code] % 10)))
    submissions = pd.DataFrame(subs, columns=["unit_code", "quarter", "submitted_at"])
    return submissions, facts[["reporting_unit", "unit_code", "quarter", "indicator_code", "value"]]


def load_province(store: Store, n_target: int = 20_000, seed: int = DEFAULT_SEED,
                  first: str = PROVINCE_FIRST_QUARTER, last: str = PROVINCE_LAST_QUARTER) -> dict[str, int]:
    """Replace the tree with a provincial one and bulk-load all its returns (marked as demo)."""
    tree = province_tree(n_target, seed=seed)
    store.load_tree(tree)
    submissions, facts = province_returns(tree, first, last, seed)
    store.bulk_load(submissions, facts, user=BENCH_USER, is_demo=True, file_name="基准测试 bench")
    return {"units": len(tree.units), "returns": len(submissions), "facts": len(facts)}
