"""Hypothesis strategies for small bureaus, loaded into a real DuckDB store (issue 18).

A `Bureau` is a tree history (a party group, 2–5 committees or general branches under it, 0–4
branches each, sometimes a general branch inside a committee (now and then filing a return of its
own: 单独报送 是), a committee filing none (单独报送 否), a branch directly under the party group, a temporary branch standing only
some quarters, a branch moved to another committee at a quarter, two branches merged into a new
one), 1–4 quarters of 2024, the returns of each reporting unit with some quarters absent, some
returns carrying nothing, cells left blank, and values for indicators of all five domains — each
figure entered only by a level the catalog asks it of (a grey cell's figure is never loaded), and
branch_or_total figures sometimes entered by a committee on its own row as its subtree's total.

Values are small whole numbers (0–4), so ties are common; money has fen.

Loading goes through the store's real bulk path (`Store.bulk_load`: submissions, facts, then the
whole roll-up rebuilt, as the demo and the benchmarks load), never a hand-written table: the
figures the faces read are the product's own roll-up.  One store serves every example of a test
(`BureauStore`): each example clears the previous bureau's returns (they are loaded as demo data,
so `clear_demo` removes them in one step), loads its tree, then its returns (~60 ms an example,
against ~170 ms for a new database file).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
from hypothesis import strategies as st

from dashboard.domain.tree import History, Unit

from .oracle import CATALOG, BRANCH_LEVELS, COMMITTEE_LEVELS

YEAR = 2024
# The stored indicators the bureaus report: every domain, every rule over time (sum, last, max,
# Q1 only) and over units (sum, max, mean), every `levels` (branch, committee, all, branch_or_total).
STORED = (
    "theme_party_days", "branch_general_meetings", "party_lectures", "central_group_study", "theory_test_takers",
    "xxqg_registered", "xxqg_active",
    "members_total", "admitted_probationary", "dues_collected", "activists",
    "star_rating", "fortress_index", "weak_branches",
    "form1_cases", "form2_cases", "form3_cases", "form4_cases", "warning_education",
    "commando_teams", "max_consecutive_days", "duty_person_days", "retirees_joined",
)
DERIVED = ("xxqg_rate", "four_forms_total", "branches_rated", "branches_4star", "branches_in_tree",
           "branches_4star_share")
RANKED = STORED + DERIVED
RATED = tuple(c for c in RANKED if CATALOG[c].rate_per)


def quarter(n: int) -> str:
    return f"{YEAR}Q{n}"


@dataclass
class Bureau:
    versions: list[Unit]
    quarters: list[str]
    submissions: pd.DataFrame  # unit_code, quarter, submitted_at
    facts: pd.DataFrame  # reporting_unit, unit_code, quarter, indicator_code, value
    note: str = ""

    @property
    def history(self) -> History:
        return History(self.versions)

    def units(self) -> list[str]:
        """Every code of the bureau, in the order of the versions."""
        return list(dict.fromkeys(v.code for v in sorted(self.versions, key=lambda v: v.sort_order)))

    def _repr_pretty_(self, p, cycle) -> None:  # hypothesis prints a failing example with this
        p.text(repr(self))

    def __repr__(self) -> str:
        vs = "; ".join(f"{v.code}:{v.level}<{v.parent_code}>[{v.active_from or ''}..{v.active_to or ''}]"
                       f"{'' if v.reporting is None else ' reporting=' + str(v.reporting)}"
                       for v in self.versions)
        subs = sorted(zip(self.submissions["unit_code"], self.submissions["quarter"]))
        facts = " ".join(f"{u}/{q[-2:]}/{c}={v:g}" for u, q, c, v in sorted(
            zip(self.facts["unit_code"], self.facts["quarter"], self.facts["indicator_code"], self.facts["value"])))
        return (f"Bureau(quarters={self.quarters}, versions=[{vs}], returns={subs}, "
                f"{'note=' + self.note + ', ' if self.note else ''}facts=[{facts}])")


def _v(code, level, parent, order, first=None, last=None, merged_into=None, reporting=None) -> Unit:
    return Unit(code, f"单位{code}", f"Unit {code}", level, parent, first, last, order, reporting, merged_into)


@st.composite
def bureaus(draw, max_committees: int = 5) -> Bureau:
    start = draw(st.integers(1, 2))
    n_q = draw(st.integers(1, 4 - start + 1))
    quarters = [quarter(i) for i in range(start, start + n_q)]
    versions: list[Unit] = [_v("G", "party_group", None, 1)]
    order = 2
    n_c = draw(st.integers(2, max_committees))
    branches: dict[str, list[str]] = {}
    committees = []
    for i in range(1, n_c + 1):
        code = f"C{i}"
        level = draw(st.sampled_from(["committee", "committee", "general_branch"]))
        # 单独报送 否: rarely, a unit directly under the party group files no return of its own
        reporting = False if draw(st.integers(0, 9)) == 0 else None
        versions.append(_v(code, level, "G", order, reporting=reporting))
        order += 1
        committees.append(code)
        branches[code] = []
        for j in range(1, draw(st.integers(0, 4)) + 1):
            b = f"{code}B{j}"
            versions.append(_v(b, "branch", code, order))
            order += 1
            branches[code].append(b)
        if level == "committee" and draw(st.integers(0, 3)) == 0:  # a general branch inside a committee
            g = f"{code}G"
            # 单独报送 是: sometimes it files a return of its own, carrying its branches
            versions.append(_v(g, "general_branch", code, order, reporting=draw(st.sampled_from([None, True]))))
            order += 1
            for j in range(1, draw(st.integers(1, 2)) + 1):
                versions.append(_v(f"{g}B{j}", "branch", g, order))
                order += 1
    if draw(st.integers(0, 3)) == 0:  # a branch directly under the party group (it files its own return)
        versions.append(_v("GB", "branch", "G", order))
        order += 1
    notes = []
    if draw(st.booleans()):  # a temporary branch standing only some of the quarters
        host = draw(st.sampled_from(committees))
        a = draw(st.integers(0, n_q - 1))
        b = draw(st.integers(a, n_q - 1))
        versions.append(_v(f"{host}T", "temp_branch", host, order, quarters[a], quarters[b]))
        order += 1
        notes.append(f"temp {host}T {quarters[a]}..{quarters[b]}")
    if n_q > 1:
        movable = [(c, b) for c, bs in branches.items() for b in bs]
        if movable and draw(st.booleans()):  # a branch moves to another committee
            src, b = draw(st.sampled_from(movable))
            dst = draw(st.sampled_from([c for c in committees if c != src]))
            at = draw(st.integers(1, n_q - 1))
            old = next(v for v in versions if v.code == b)
            versions.remove(old)
            versions.append(_v(b, "branch", src, old.sort_order, None, quarters[at - 1]))
            versions.append(_v(b, "branch", dst, old.sort_order, quarters[at], None))
            branches[src].remove(b)
            notes.append(f"{b} moves {src}->{dst} at {quarters[at]}")
        pairs = [(c, bs) for c, bs in branches.items() if len(bs) >= 2]
        if pairs and draw(st.booleans()):  # two branches merge into a new one
            host, bs = draw(st.sampled_from(pairs))
            at = draw(st.integers(1, n_q - 1))
            new = f"{host}M"
            for b in bs[:2]:
                old = next(v for v in versions if v.code == b and v.active_to is None and v.active_from is None)
                versions.remove(old)
                versions.append(_v(b, "branch", host, old.sort_order, None, quarters[at - 1], merged_into=new))
            versions.append(_v(new, "branch", host, order, quarters[at], None))
            order += 1
            notes.append(f"{bs[0]}+{bs[1]} merge into {new} at {quarters[at]}")
    history = History(versions)

    seed = draw(st.integers(0, 2**32 - 1))
    p_missing = draw(st.sampled_from([0.0, 0.15, 0.3]))
    p_blank = draw(st.sampled_from([0.0, 0.2, 0.5]))
    p_total = draw(st.sampled_from([0.0, 0.3]))  # a committee enters a branch_or_total figure as its total
    rng = random.Random(seed)
    subs, facts = [], []
    for q in quarters:
        tree = history.at(q)
        for rep in tree.reporting_units:
            if rng.random() < p_missing:
                continue  # this return never came in
            # submitted on time or late: both count as in
            subs.append((rep.code, q, datetime(YEAR, 3 * int(q[-1]), 28) + timedelta(days=rng.randint(5, 40))))
            if rng.random() < 0.08:
                continue  # a return in, every cell blank
            for u in tree.return_units(rep.code, q):
                for code in STORED:
                    ind = CATALOG[code]
                    if not (ind.quarters == "all" or q.endswith(ind.quarters)):
                        continue
                    if not _asks(ind.levels, u.level):
                        continue
                    if ind.levels == "branch_or_total" and u.level in COMMITTEE_LEVELS and rng.random() >= p_total:
                        continue  # a committee's own row of a total it leaves to its units
                    if rng.random() < p_blank:
                        continue
                    facts.append((rep.code, u.code, q, code, _value(code, rng)))
    submissions = pd.DataFrame(subs, columns=["unit_code", "quarter", "submitted_at"])
    frame = pd.DataFrame(facts, columns=["reporting_unit", "unit_code", "quarter", "indicator_code", "value"])
    return Bureau(versions, quarters, submissions, frame, ", ".join(notes))


def _asks(levels: str, level: str) -> bool:
    if levels in ("all", "branch_or_total"):
        return True
    return level in (BRANCH_LEVELS if levels == "branch" else COMMITTEE_LEVELS)


def _value(code: str, rng: random.Random) -> float:
    ind = CATALOG[code]
    if code == "star_rating":
        return float(rng.randint(1, 5))
    if code == "fortress_index":
        return float(rng.choice([60, 70, 75.5, 80, 90]))
    if code == "members_total":
        return float(rng.choice([0, 5, 10, 20, 20, 35]))  # 0: a rate per 100 members with no members
    if ind.value_type == "money":
        return round(rng.choice([0, 100, 250.5, 1000.25]), 2)
    return float(rng.randint(0, 4))


class BureauStore:
    """One real store that holds one generated bureau at a time."""

    def __init__(self, path):
        from dashboard.db import Store

        self.store = Store(path)

    def load(self, bureau: Bureau):
        s = self.store
        s.clear_demo(audit=False)
        s.load_tree(bureau.history)
        if len(bureau.submissions):
            s.bulk_load(bureau.submissions, bureau.facts, user="oracle", is_demo=True, file_name="generated")
        return s

    def close(self):
        self.store.close()
