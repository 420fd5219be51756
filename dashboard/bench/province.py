"""Provincial-scale data for the benchmark: a five-level tree of about 20,000 units and 12
quarters of every catalog indicator, drawn with numpy a whole level and quarter at a time and
loaded through `Store.bulk_load` (one transaction, one roll-up rebuild) -- never through Excel.

A provincial water-resources department's Party group over 16 city bureaus (each a party
group of its own, so each city bureau and each committee directly under it files a return),
committees, general branches and branches.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from dashboard.db import Store
from dashboard.demo import DEFAULT_SEED, FIRST_QUARTER, FLOOD_QUARTER, LAST_QUARTER
from dashboard.domain import periods
from dashboard.domain.catalog import catalog
from dashboard.domain.tree import BRANCH_LEVELS, Tree, Unit
from dashboard.settings import current as settings

PROVINCE_CITIES = 16
PROVINCE_FIRST_QUARTER = FIRST_QUARTER
PROVINCE_LAST_QUARTER = LAST_QUARTER
BENCH_USER = "基准测试 bench"


def province_tree(n_target: int = 20_000, cities: int = PROVINCE_CITIES, seed: int = DEFAULT_SEED) -> Tree:
    """Five levels: province party group → city bureaus (party groups) → committees →
    general branches → branches.  Committees are added round-robin over the cities until
    the tree holds about `n_target` units; codes are hierarchical (P, P01, P01C01,
    P01C01G1, P01C01G1B01) and `sort_order` is depth-first, so a subtree is contiguous."""
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


def _branch_columns(n: int, q: str, base: dict, rng) -> dict[str, np.ndarray]:
    """One quarter's figures for n branches, keeping the cross-checks of a real return
    (active <= registered, payers <= members, conversions <= probationary ...)."""

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


def _committee_columns(n: int, q: str, rng) -> dict[str, np.ndarray]:

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
    cat = catalog()
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
        due = periods.quarter_end(q) + timedelta(days=settings().deadline_days)
        for u in tree.reporting_units:
            subs.append((u.code, q, due - timedelta(days=1 + order[u.code] % 10)))
    submissions = pd.DataFrame(subs, columns=["unit_code", "quarter", "submitted_at"])
    return submissions, facts[["reporting_unit", "unit_code", "quarter", "indicator_code", "value"]]


def quarter_span(n_quarters: int, last: str = PROVINCE_LAST_QUARTER) -> tuple[str, str]:
    """The first and last quarter of `n_quarters` quarters ending with `last` (12: the
    benchmark's three years; 40: ten years of returns, as the growth run loads)."""
    if n_quarters < 1:
        raise ValueError("at least one quarter")
    year, k = periods.parse_quarter(last)
    index = year * 4 + (k - 1) - (n_quarters - 1)
    return f"{index // 4}Q{index % 4 + 1}", last


def load_province(store: Store, n_target: int = 20_000, seed: int = DEFAULT_SEED,
                  first: str = PROVINCE_FIRST_QUARTER, last: str = PROVINCE_LAST_QUARTER) -> dict[str, int]:
    """Replace the tree with a provincial one and bulk-load all its returns (marked as demo)."""
    tree = province_tree(n_target, seed=seed)
    store.load_tree(tree)
    submissions, facts = province_returns(tree, first, last, seed)
    store.bulk_load(submissions, facts, user=BENCH_USER, is_demo=True, file_name="基准测试 bench")
    return {"units": len(tree.units), "returns": len(submissions), "facts": len(facts)}
