"""Deterministic demo data for the demo city water bureau, 2022Q1-2024Q4.

Figures follow the scale of the real work summaries in shared/seeds: a committee of
ten branches has about 213 members and admits a handful of probationary members a
year; about 90% of branches rate four stars or more; discipline cases run in the tens;
the 2023 flood (2023Q3) brings temporary branches and commando teams.  A few units lag
and a few returns are missing, so rankings and completeness mean something.

Every demo return goes through `Store.submit` like a real one, marked as demo, so
`Store.clear_demo()` removes all of it in one step.  The demo's people (data/demo_users.csv: a
few reporters, among them those of the two units missing in 2024Q4, and a leader, each with an
address under the reserved .example domain) are added with it, so reminders have someone to
reach; `clear_demo_users` removes them.
"""

from __future__ import annotations

import contextlib
import random
from dataclasses import dataclass, field
from datetime import timedelta

import pandas as pd

from . import i18n
from .db import DEMO_USER, Store
from .domain import periods
from .domain.audit import words
from .domain.catalog import Catalog, catalog
from .domain.tree import BRANCH_LEVELS, Tree, read_tree
from .ingest.layout import layout

FIRST_QUARTER = "2022Q1"
LAST_QUARTER = "2024Q4"
FLOOD_QUARTER = "2023Q3"
DEFAULT_SEED = 2024
# Laggards: these reporting units hold fewer meetings, rate lower and show up at the bottom.
LAGGARDS = frozenset({"SW08", "SW09"})
# Returns that never came in (reporting unit, quarter): completeness has gaps to show.
MISSING_RETURNS = frozenset({("SW09", "2024Q4"), ("SW08", "2024Q4"), ("SW11", "2023Q2"), ("SW12", "2024Q3")})


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


def _more_values(cat: Catalog, level: str, q: str, rng: random.Random) -> dict[str, float]:
    """A committee's figures of the domains off the overview, for any such domain of data/ (none is
    named here): small counts, a few hundred to a few thousand 元; a share's numerator never above
    its denominator.  Drawn from their own generator, so the five domains' figures stay as they were."""
    if level in BRANCH_LEVELS:  # committees on their own rows, every quarter (a rate per quarter reported)
        return {}
    off = {d.code for d in cat.domains if not d.on_overview}
    v: dict[str, float] = {}
    for ind in cat.stored:
        if ind.domain in off and ind.reported_by(level) and ind.in_quarter(q) and not ind.total_allowed:
            v[ind.code] = (round(rng.uniform(200, 3000), 2) if ind.value_type == "money"
                           else rng.randint(0, max(1, min(int(ind.max or 1), 12))))
    for share in cat.indicators:
        if share.formula_op == "ratio" and all(a in v for a in share.formula_args):
            num, den = share.formula_args
            v[den] = max(v[den], 1)  # a share of something: a demo ranking never divides by 0
            v[num] = min(v[num], v[den])
    return v


def demo_returns(tree: Tree, seed: int = DEFAULT_SEED, cat: Catalog | None = None):
    """Yield (reporting unit, quarter, facts DataFrame, submitted_at) for every demo return."""
    cat = cat or catalog()
    rng = random.Random(seed)
    more = random.Random(seed * 7919 + 1)  # the other domains' own draws: the five's stay as they were
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
                rows.extend((u.code, k, float(v)) for k, v in _more_values(cat, u.level, q, more).items())
            if (rep.code, q) in MISSING_RETURNS:
                continue  # drawn anyway so that the other units' figures do not depend on the gaps
            delay = rng.choice([3, 5, 8, 10, 12, 14, 18, 25] if lag else [2, 4, 6, 8, 10, 12, 13, 16])
            submitted_at = periods.quarter_end(q) + timedelta(days=delay, hours=rng.randint(8, 17))
            yield rep.code, q, pd.DataFrame(rows, columns=["unit_code", "indicator_code", "value"]), submitted_at


DEMO_USERS = "demo_users.csv"  # in settings.data_dir


def demo_users(tree: Tree) -> list:
    """(row, entry) of every demo user (data/demo_users.csv, read as `users import` reads a file)."""
    from .ingest.userfile import read_users
    from .settings import current as settings

    path = settings().data_dir / DEMO_USERS
    entries, problems = read_users(tree, path.read_bytes(), path.name)
    if problems:
        raise ValueError(f"{path}: {problems}")
    return entries


def demo_logins(store: Store) -> tuple[str, ...]:
    """The logins of the demo's users (data/demo_users.csv): what clearing the demo removes."""
    return tuple(e.login for _, e in demo_users(store.tree()))


class NotTheDemoTree(ValueError):
    """The database holds an organisation of its own: the demo's units are not in it."""


def load_demo(store: Store, seed: int = DEFAULT_SEED) -> int:
    """Replace any demo data with a fresh deterministic set; returns the number of returns loaded.

    A database with no organisation gets the demo bureau's (data/org_tree.csv) first; one with an
    organisation of its own is refused (demo figures would land on real units).
    Recorded in the audit trail as `demo.load` (many transactions: the entry follows them, and
    says `failed` if one of them does)."""
    demo_tree = read_tree()
    if not store.has_tree():
        store.load_tree(demo_tree)
    elif {u.code for u in store.tree().units} != {u.code for u in demo_tree.units}:
        raise NotTheDemoTree(i18n.both("demo_not_demo_tree"))
    n = replaced = 0
    missing: list = []
    try:
        replaced = store.clear_demo(audit=False)
        tree = store.tree()
        for rep, q, facts, submitted_at in demo_returns(tree, seed, store.catalog):
            # each value where the return's template puts it, as if read from the filled workbook
            cells = layout(store.catalog, tree, rep, q).cells()
            where = [cells.get(k, (None, None)) for k in zip(facts["unit_code"], facts["indicator_code"])]
            facts = facts.assign(sheet=[w[0] for w in where], cell=[w[1] for w in where])
            store.submit(rep, q, facts, user=DEMO_USER, file_name="演示数据 demo", is_demo=True,
                         template_version="demo", refresh=False, submitted_at=submitted_at)
            n += 1
        store.rebuild_rollup()
        missing = [(n, e) for n, e in demo_users(tree) if store.user(e.login) is None]  # never one of the bureau's
        if missing:
            store.put_users(missing, action="user.import", target=DEMO_USERS, audit=False)
    except Exception as exc:
        with contextlib.suppress(Exception):  # the disk that stopped the load may refuse this too
            store.audit("demo.load", store.path.name, "failed", words(seed=seed, returns=n, reason=type(exc).__name__))
        raise
    store.audit("demo.load", store.path.name, "ok", words(seed=seed, returns=n, replaced=replaced or None,
                                                          users=len(missing) or None))
    return n
