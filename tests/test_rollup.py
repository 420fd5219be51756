"""Roll-up rules on a small hand-written tree, against figures worked out by hand.

Tree (tests/conftest.py): G party group -> C1 committee (branches C1B1, C1B2)
                                        -> C2 general branch (branch C2B1)
Returns: G files [G]; C1 files [C1, C1B1, C1B2]; C2 files [C2, C2B1].
"""

from __future__ import annotations

import csv
import io

import duckdb
import pandas as pd
import pytest

from dashboard.cli import main
from dashboard.db import Store
from tests.support.figures import iv, submission_rows

QUARTERS = ["2023Q1", "2023Q2", "2023Q3", "2023Q4"]

# (unit, indicator) -> values for Q1..Q4 (None = not reported)
C1_RETURN = {
    ("C1B1", "theme_party_days"): [3, 3, 2, 4],
    ("C1B2", "theme_party_days"): [1, 2, 3, 3],
    ("C1", "theme_party_days"): [1, 0, 1, 0],
    ("C1B1", "members_total"): [20, 21, 21, 22],
    ("C1B2", "members_total"): [15, 15, 16, 16],
    ("C1B1", "max_consecutive_days"): [0, 0, 12, 0],
    ("C1", "max_consecutive_days"): [0, 0, 5, 0],
    ("C1B1", "star_rating"): [5, None, None, None],
    ("C1B2", "star_rating"): [3, None, None, None],
    ("C1B1", "xxqg_registered"): [19, 19, 20, 20],
    ("C1B1", "xxqg_active"): [15, 16, 17, 18],
    ("C1B2", "xxqg_registered"): [16, 16, 16, 16],
    ("C1B2", "xxqg_active"): [9, 9, 8, 8],
    ("C1", "form1_cases"): [2, 1, 0, 1],
    ("C1", "form2_cases"): [0, 1, 0, 0],
    ("C1B1", "dues_collected"): [1000.10, 1000.20, 1000.30, 1000.40],
}
C2_RETURN = {
    ("C2B1", "theme_party_days"): [2, 2, 2, 2],
    ("C2B1", "members_total"): [10, 10, 11, 9],
    ("C2B1", "max_consecutive_days"): [0, 0, 30, 0],
    ("C2B1", "star_rating"): [4, None, None, None],
    ("C2", "form1_cases"): [1, 0, 0, 0],
}
G_RETURN = {("G", "central_group_study"): [4, 3, 5, 4]}


def facts_for(quarter_index: int, spec: dict) -> pd.DataFrame:
    rows = [(u, i, v[quarter_index]) for (u, i), v in spec.items() if v[quarter_index] is not None]
    return pd.DataFrame(rows, columns=["unit_code", "indicator_code", "value"])


@pytest.fixture
def loaded(small_store):
    for n, q in enumerate(QUARTERS):
        small_store.submit("C1", q, facts_for(n, C1_RETURN), user="t")
        small_store.submit("C2", q, facts_for(n, C2_RETURN), user="t")
        small_store.submit("G", q, facts_for(n, G_RETURN), user="t")
    return small_store


def values(store, units, granularity="year", scope="subtree", first="2023Q1", last="2023Q4"):
    df = iv(store, units=units, indicators=[], granularity=granularity, scope=scope,
                     **{"from": first, "to": last})
    return {(r.unit_code, r.period, r.indicator_code): r.value for r in df.itertuples()}


def test_year_sums_flows_and_takes_q4_for_stocks(loaded):
    v = values(loaded, ["G", "C1", "C1B1", "C2"])
    # flows: the sum of the four quarters, over the subtree
    assert v[("C1B1", "2023", "theme_party_days")] == 12
    assert v[("C1", "2023", "theme_party_days")] == 12 + 9 + 2  # C1B1 + C1B2 + C1 itself
    assert v[("G", "2023", "theme_party_days")] == 23 + 8
    assert v[("G", "2023", "central_group_study")] == 16
    # stocks: the Q4 value, never a sum of quarters
    assert v[("C1B1", "2023", "members_total")] == 22
    assert v[("C1", "2023", "members_total")] == 22 + 16
    assert v[("G", "2023", "members_total")] == 22 + 16 + 9
    # money keeps its cents: 1000.10 + 1000.20 + 1000.30 + 1000.40
    assert v[("C1", "2023", "dues_collected")] == 4001.00


def test_half_years_roll_up_from_their_quarters(loaded):
    v = values(loaded, ["C1", "G"], granularity="half")
    assert v[("C1", "2023H1", "theme_party_days")] == (3 + 1 + 1) + (3 + 2 + 0)
    assert v[("C1", "2023H2", "theme_party_days")] == (2 + 3 + 1) + (4 + 3 + 0)
    assert v[("C1", "2023H1", "members_total")] == 21 + 15  # Q2
    assert v[("G", "2023H2", "members_total")] == 22 + 16 + 9  # Q4


def test_peaks_take_the_max_over_units_and_time(loaded):
    v = values(loaded, ["G", "C1"])
    assert v[("C1", "2023", "max_consecutive_days")] == 12
    assert v[("G", "2023", "max_consecutive_days")] == 30


def test_rates_are_recomputed_from_their_parts_never_averaged(loaded):
    v = values(loaded, ["C1", "C1B1", "C1B2"])
    assert v[("C1B1", "2023", "xxqg_rate")] == pytest.approx(100 * 18 / 20, abs=1e-4)
    assert v[("C1B2", "2023", "xxqg_rate")] == pytest.approx(50.0, abs=1e-4)
    # C1: (18 + 8) / (20 + 16), not the mean of 90% and 50%
    assert v[("C1", "2023", "xxqg_rate")] == pytest.approx(100 * 26 / 36, abs=1e-4)


def test_star_distribution_counts_and_share(loaded):
    v = values(loaded, ["G", "C1"])
    assert v[("G", "2023", "branches_rated")] == 3
    assert v[("G", "2023", "branches_4star")] == 2  # C1B1 (5) and C2B1 (4); C1B2 has 3
    assert v[("G", "2023", "branches_4star_share")] == pytest.approx(200 / 3, abs=1e-4)
    assert v[("G", "2023", "star_rating")] == pytest.approx(4.0)  # mean stars of the rated branches
    assert v[("C1", "2023", "branches_4star_share")] == 50.0


def test_four_forms_total_is_the_sum_of_the_forms(loaded):
    v = values(loaded, ["C1", "G"])
    assert v[("C1", "2023", "four_forms_total")] == (2 + 1 + 0 + 1) + (0 + 1 + 0 + 0)
    assert v[("G", "2023", "four_forms_total")] == 5 + 1


def test_own_scope_is_exactly_what_the_unit_reported(loaded):
    v = values(loaded, ["C1", "G"], scope="own")
    assert v[("C1", "2023", "theme_party_days")] == 2  # C1's own 1 + 0 + 1 + 0
    assert ("C1", "2023", "members_total") not in v  # committees report no members of their own
    assert v[("G", "2023", "central_group_study")] == 16


def test_a_resubmission_supersedes_and_the_rollup_follows(loaded):
    before = values(loaded, ["G"])[("G", "2023", "theme_party_days")]
    changed = dict(C1_RETURN)
    changed[("C1B1", "theme_party_days")] = [3, 3, 2, 10]  # Q4: 4 -> 10
    result = loaded.submit("C1", "2023Q4", facts_for(3, changed), user="t")
    assert result.status == "loaded" and result.superseded_id is not None
    assert values(loaded, ["G"])[("G", "2023", "theme_party_days")] == before + 6
    statuses = submission_rows(loaded, unit_code="C1", quarter="2023Q4")
    assert list(statuses["status"]) == ["superseded", "active"]
    # restoring the first brings the old figure back
    loaded.restore(result.superseded_id)
    assert values(loaded, ["G"])[("G", "2023", "theme_party_days")] == before


def test_incremental_rollup_equals_a_full_rebuild(loaded):
    changed = dict(C2_RETURN)
    changed[("C2B1", "members_total")] = [10, 10, 11, 40]
    loaded.submit("C2", "2023Q4", facts_for(3, changed), user="t")
    incremental = loaded.table("rollup")
    loaded.rebuild_rollup()
    rebuilt = loaded.table("rollup")
    pd.testing.assert_frame_equal(incremental, rebuilt)


def test_export_long_year_via_the_command_line(loaded, capsys, tmp_path):
    loaded.close()
    out = tmp_path / "year.csv"
    code = main(["export", "--db", loaded.url, "--layout", "long", "--granularity", "year",
                 "--from", "2023Q1", "--to", "2023Q4", "--out", str(out)])
    assert code == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM so Excel reads the Chinese
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert list(rows[0]) == ["unit_code", "unit_name", "period", "domain", "indicator_code", "indicator_name",
                             "value", "unit_of_measure", "state", "shown"]
    assert {r["shown"] for r in rows} == {""}  # no figure here was written as an approximation
    got = {(r["unit_code"], r["indicator_code"]): float(r["value"]) for r in rows if r["value"]}
    assert {r["state"] for r in rows if not r["value"]} <= {"未报送", "已报送·未填写"}
    assert got[("C1", "theme_party_days")] == 23
    assert got[("C1", "members_total")] == 38
    assert got[("G", "xxqg_rate")] == pytest.approx(100 * 26 / 36, abs=1e-4)
    by_unit = {r["unit_code"]: r["unit_name"] for r in rows}
    assert by_unit["C1B1"] == "一支部"
    assert {r["period"] for r in rows} == {"2023"}


def test_bulk_loads_refresh_only_the_quarters_they_touched(loaded):
    changed = dict(C1_RETURN)
    changed[("C1B2", "theme_party_days")] = [9, 9, 9, 9]
    for n in (1, 2):
        loaded.submit("C1", QUARTERS[n], facts_for(n, changed), user="bulk", refresh=False)
    assert loaded.dirty_quarters() == ["2023Q2", "2023Q3"]
    assert loaded.refresh_dirty_rollup() == ["2023Q2", "2023Q3"]
    assert loaded.dirty_quarters() == []
    assert values(loaded, ["C1"], granularity="quarter")[("C1", "2023Q2", "theme_party_days")] == 3 + 9 + 0
    refreshed = loaded.table("rollup")
    loaded.rebuild_rollup()
    pd.testing.assert_frame_equal(refreshed, loaded.table("rollup"))


def test_an_identical_file_changes_nothing_not_even_the_data_version(loaded):
    first = loaded.submit("C1", "2024Q1", facts_for(0, C1_RETURN), user="t", sha256="abc")
    version = loaded.data_version
    again = loaded.submit("C1", "2024Q1", facts_for(0, C1_RETURN), user="t", sha256="abc")
    assert again.status == "duplicate" and again.submission_id == first.submission_id
    assert loaded.data_version == version


@pytest.mark.duckdb_only
def test_a_quarter_left_stale_whole_is_rebuilt_when_the_file_is_opened(loaded):
    """A file from before per-return marks (schema 3), or a bulk load cut short, says only which
    quarter is stale: the next open rebuilds it.  The stale state is forged with DuckDB itself."""
    expected = loaded.table("rollup")
    loaded.close()
    con = duckdb.connect(str(loaded.path))
    con.execute("DELETE FROM rollup WHERE quarter = '2023Q2'")
    con.execute("INSERT INTO rollup_dirty VALUES ('2023Q2')")
    con.close()
    with Store(loaded.path) as reopened:
        assert reopened.dirty_quarters() == []
        pd.testing.assert_frame_equal(reopened.table("rollup"), expected)


def test_bulk_refresh_of_many_returns_in_several_quarters_equals_a_full_rebuild(loaded):
    for n, q in enumerate(QUARTERS):
        changed = {k: [v if v is None else v + n + 1 for v in vals] for k, vals in C1_RETURN.items()}
        loaded.submit("C1", q, facts_for(n, changed), user="bulk", refresh=False)
        if n % 2:
            loaded.submit("G", q, facts_for(n, G_RETURN), user="bulk", refresh=False)
    loaded.submit("C2", "2024Q1", facts_for(0, C2_RETURN), user="bulk", refresh=False)
    assert loaded.refresh_dirty_rollup() == [*QUARTERS, "2024Q1"]
    refreshed = loaded.table("rollup")
    loaded.rebuild_rollup()
    pd.testing.assert_frame_equal(refreshed, loaded.table("rollup"))


def _compliance_after_rebuild(store) -> pd.DataFrame:
    store.rebuild_rollup()
    return store.table("compliance_values")


def test_the_compliance_figures_follow_every_write_that_changes_active_facts(loaded):
    """compliance_values (what the 三会一课 queries read) is kept in the writer's transaction:
    after an upload, a restore, bulk loads and their refresh, and a new tree it equals a
    recomputation from the active facts, and the check finds nothing."""
    def theme_days(unit: str, quarter: str):
        t = loaded.table("compliance_values")
        hit = t[(t.unit_code == unit) & (t.quarter == quarter) & (t.indicator_code == "theme_party_days")]
        return list(hit.value)

    assert theme_days("C1B1", "2023Q4") == [4]
    assert "members_total" not in set(loaded.table("compliance_values").indicator_code)  # named by no rule
    changed = dict(C1_RETURN)
    changed[("C1B1", "theme_party_days")] = [3, 3, 2, 7]
    del changed[("C1B2", "theme_party_days")]
    result = loaded.submit("C1", "2023Q4", facts_for(3, changed), user="t")
    assert theme_days("C1B1", "2023Q4") == [7] and theme_days("C1B2", "2023Q4") == []
    assert loaded.compliance_differences(5) == (0, [])
    loaded.restore(result.superseded_id)
    assert theme_days("C1B1", "2023Q4") == [4] and theme_days("C1B2", "2023Q4") == [3]
    assert loaded.compliance_differences(5) == (0, [])
    for n, q in enumerate(QUARTERS):
        bumped = {k: [v if v is None else v + 1 for v in vals] for k, vals in C1_RETURN.items()}
        loaded.submit("C1", q, facts_for(n, bumped), user="bulk", refresh=False)
    loaded.refresh_dirty_rollup()
    assert theme_days("C1B1", "2023Q4") == [5]
    assert loaded.compliance_differences(5) == (0, [])
    loaded.load_tree(loaded.history())
    assert loaded.compliance_differences(5) == (0, [])
    kept = loaded.table("compliance_values")
    pd.testing.assert_frame_equal(kept, _compliance_after_rebuild(loaded))


def test_a_compliance_shortfall_follows_an_upload_and_a_minimum_follows_the_rules_file(loaded, tmp_path,
                                                                                       monkeypatch):
    """The check kept per branch-quarter (compliance_masks) moves with the figures: a corrected
    return counts a branch as meeting the theme-day rule at once, with no rebuild, and a restore
    takes it back; a minimum changed in data/rules.csv is the check's the next time the database
    is opened."""
    import shutil

    from dashboard.domain import analysis
    from dashboard.settings import DATA_DIR

    params = analysis.compliance_params(["C1"], "2023Q3", "2023Q3")

    def theme_days_met(store) -> int:
        shares = store.query("compliance_shares", **params)
        return int(shares.loc[shares["rule"] == "theme_party_days", "n_ok"].sum())

    assert "C1B1" in set(loaded.query("compliance_short", **params, limit=100).unit_code)  # 2 theme days, not 3
    assert theme_days_met(loaded) == 1  # C1B2's 3
    changed = dict(C1_RETURN)
    changed[("C1B1", "theme_party_days")] = [3, 3, 3, 4]
    result = loaded.submit("C1", "2023Q3", facts_for(2, changed), user="t")
    assert theme_days_met(loaded) == 2
    assert loaded.compliance_differences(5) == (0, [])
    loaded.restore(result.superseded_id)  # back to 2 theme days
    assert theme_days_met(loaded) == 1

    data_dir = tmp_path / "data"
    shutil.copytree(DATA_DIR, data_dir)
    rules = (data_dir / "rules.csv").read_text(encoding="utf-8")
    assert ",theme_party_days,,,,,3,val_comp_theme_day," in rules
    (data_dir / "rules.csv").write_text(rules.replace(",theme_party_days,,,,,3,val_comp_theme_day,",
                                                      ",theme_party_days,,,,,2,val_comp_theme_day,"), encoding="utf-8")
    monkeypatch.setenv("DANGJIAN_DATA_DIR", str(data_dir))
    loaded.close()
    with Store(loaded.url) as reopened:
        assert theme_days_met(reopened) == 2  # 2 theme days now meet the rule
        assert reopened.compliance_differences(5) == (0, [])
