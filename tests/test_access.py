"""Roles and scopes (dashboard/domain/access.py), enforced below the pages: every named chart
query the pages call, every export, template, import and restore, for every role, on the demo
database.  A reporter and a leader of SW01 see SW01's subtree; SW02 is another committee."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from dashboard.db import queries
from dashboard.domain import access, analysis, filters
from dashboard.domain.access import AccessDenied, Principal
from dashboard.ingest import build_template, import_return
from dashboard.output.export import export_frame
from dashboard.settings import QUERIES_DIR
from tests.support.returns import fill

SCOPE, OTHER, BRANCH = "SW01", "SW02", "SW0103"  # SW0103: a branch under SW01
FIRST, LAST = "2024Q1", "2024Q4"
READER = {"leader": Principal("l@x.cn", "L", "leader", SCOPE), "reporter": Principal("r@x.cn", "R", "reporter", SCOPE)}
ADMIN = Principal("a@x.cn", "A", "admin", "SW")


def _params(store, name: str, unit: str) -> dict:
    """The parameters a page passes to `name` for one unit (its submissions, for submission_diff)."""
    quarters = [f"2024Q{i}" for i in range(1, 5)]
    if name in ("indicator_values", "approx_marks"):
        return filters.values_params([unit], FIRST, LAST, "quarter", ["theme_party_days"])
    if name == "compliance_shares":
        return analysis.compliance_params([unit], FIRST, LAST)
    if name == "compliance_short":
        return {**analysis.compliance_params([unit], FIRST, LAST), "limit": 100}
    if name == "star_distribution":
        return {"groups": [unit], "indicator": "star_rating", "from": FIRST, "to": LAST}
    if name == "submission_status":
        return {"units": [unit] * len(quarters), "quarters": quarters, "deadlines": ["2030-01-15"] * len(quarters),
                "today": "2025-01-01"}
    if name == "anomaly_facts":
        return {"units": [unit], "from": FIRST, "to": LAST}
    if name == "return_parts":
        return {"units": [unit], "from": FIRST, "to": LAST, "indicators": ["members_total"]}
    if name == "fact_sources":
        return {"own": unit, "units": [unit], "own_only": False, "quarters": quarters, "indicators": ["members_total"]}
    if name in ("anomaly_checks_list", "audit_actors"):
        return {}
    if name == "submission_history":
        return {"units": [unit], "from": FIRST, "to": LAST}
    if name == "submission_diff":
        subs = store.table("submissions")
        mine = subs[(subs.unit_code == unit) & (subs.quarter == LAST)].sort_values("id")["id"].tolist()
        return {"new_id": mine[-1], "old_id": mine[0]}
    if name == "audit_list":
        return {"since": datetime(2000, 1, 1), "actor": ""}
    raise AssertionError(f"no parameters for {name}: add them here")


CHART_QUERIES = sorted(p.stem for p in (QUERIES_DIR / "charts").glob("*.sql"))


@pytest.fixture(scope="module")
def store(demo_db_file, tmp_path_factory):
    """The demo database with a second version of SW01's and SW02's last return (for submission_diff)."""
    import shutil

    from dashboard.db import Store

    path = tmp_path_factory.mktemp("access") / "access.duckdb"
    shutil.copy(demo_db_file, path)
    s = Store(path)
    facts, subs = s.table("facts"), s.table("submissions")
    for unit in (SCOPE, OTHER):
        sid = int(subs[(subs.unit_code == unit) & (subs.quarter == LAST) & (subs.status == "active")]["id"].item())
        mine = facts.loc[facts.submission_id == sid, ["unit_code", "indicator_code", "value"]]
        s.submit(unit, LAST, mine.assign(value=mine.value + 1), user="t", file_name=f"{unit}.xlsx", sha256=unit * 16)
    yield s
    s.close()


def _scope(name: str) -> access.QueryScope:
    return queries.named(name).scope


def test_every_chart_query_says_how_it_is_scoped():
    """Each file of queries/charts/ has its `-- scope:` line; the parameters it checks are the
    query's own; and a chart query without one is refused at its first use, in words."""
    assert set(queries.chart_queries()) == set(CHART_QUERIES)
    for name in CHART_QUERIES:
        assert _scope(name) is not None, name
        assert set(_scope(name).params) <= queries.parameters(name), name
    assert _scope("submission_diff") == access.QueryScope("submissions", ("new_id", "old_id"))
    assert _scope("audit_list").kind == "admin" and _scope("anomaly_checks_list").kind == "whole"


def test_a_chart_query_that_says_no_scope_is_refused_at_first_use(tmp_path, monkeypatch):
    (tmp_path / "charts").mkdir()
    (tmp_path / "charts" / "leak_everything.sql").write_text("-- leak_everything: every fact\nSELECT * FROM facts\n")
    (tmp_path / "charts" / "scoped_badly.sql").write_text("-- scoped_badly: …\n-- scope: units unit\nSELECT $units\n")
    monkeypatch.setattr(queries, "QUERIES_DIR", tmp_path)
    monkeypatch.setattr(queries, "CHARTS_DIR", tmp_path / "charts")
    for f in (queries.files, queries.sql, queries.parameters, queries.named):
        f.cache_clear()
    try:
        with pytest.raises(ValueError, match="says no scope"):
            queries.named("leak_everything")
        with pytest.raises(ValueError, match="does not bind"):
            queries.named("scoped_badly")
    finally:
        monkeypatch.undo()
        for f in (queries.files, queries.sql, queries.parameters, queries.named):
            f.cache_clear()


@pytest.mark.parametrize("name", CHART_QUERIES)
@pytest.mark.parametrize("role", ["leader", "reporter", "admin"])
def test_each_query_runs_inside_the_scope_and_is_refused_outside(store, role, name):
    who = ADMIN if role == "admin" else READER[role]
    mine, theirs = _params(store, name, SCOPE), _params(store, name, OTHER)
    if _scope(name).kind == "whole":  # read whole by anyone; pages join it to figures they may read
        assert store.query(name, who, **mine).equals(store.query(name, who, **theirs))  # the same, whole
        return
    if _scope(name).kind == "admin":  # administrators only
        if role == "admin":
            store.query(name, who, **mine)
        else:
            with pytest.raises(AccessDenied):
                store.query(name, who, **mine)
        return
    got = store.query(name, who, **mine)
    if name in ("indicator_values", "submission_history", "submission_status", "submission_diff"):
        assert len(got), "the scope's own figures come back"
    if role == "admin":  # the whole tree: the other scope's own figures come back too
        other = store.query(name, who, **theirs)
        if name in ("indicator_values", "submission_history", "submission_status", "submission_diff"):
            assert len(other), name
        return
    with pytest.raises(AccessDenied) as refused:
        store.query(name, who, **theirs)
    assert OTHER in str(refused.value) or name == "submission_diff"
    if _scope(name).kind == "units":  # a list reaching outside anywhere is refused whole, not trimmed
        key = _scope(name).params[0]
        with pytest.raises(AccessDenied):
            store.query(name, who, **{**mine, key: [SCOPE, OTHER]})
        with pytest.raises(AccessDenied):  # the committee's parent, the bureau, is outside too
            store.query(name, who, **{**mine, key: ["SW"]})
        store.query(name, who, **{**mine, key: [BRANCH]})  # a unit below the scope is inside


def test_a_query_no_rule_covers_is_refused(store):
    with pytest.raises(AccessDenied):
        READER["leader"].check_query(store.tree(), "units_all", queries.named("units_all").scope, {})
    ADMIN.check_query(store.tree(), "units_all", queries.named("units_all").scope, {})  # the administrator is not limited


def test_the_rules_of_each_role(store):
    tree = store.tree()
    lead, rep = READER["leader"], READER["reporter"]
    branch_reporter = Principal("b", "B", "reporter", BRANCH)
    assert [p.may_see(tree, OTHER) for p in (lead, rep, ADMIN)] == [False, False, True]
    assert [p.may_see(tree, BRANCH) for p in (lead, rep, ADMIN)] == [True, True, True]
    assert [p.may_upload(tree, SCOPE) for p in (lead, rep, ADMIN)] == [False, True, True]
    assert [p.may_upload(tree, OTHER) for p in (lead, rep, ADMIN)] == [False, False, True]
    assert not rep.may_upload(tree, BRANCH)  # inside the scope, but not a reporting unit
    assert not branch_reporter.may_upload(tree, SCOPE)  # the branch's committee is above its scope
    assert [p.may_restore for p in (lead, rep, ADMIN)] == [False, False, True]
    assert [p.may_administer for p in (lead, rep, ADMIN)] == [False, False, True]
    assert rep.top(tree) == SCOPE and ADMIN.top(tree) == tree.root.code
    assert rep.visible(tree, ["SW", SCOPE, OTHER, BRANCH]) == [SCOPE, BRANCH]
    with pytest.raises(AccessDenied):
        lead.check_admin()
    with pytest.raises(ValueError):
        Principal("x", "x", "boss", SCOPE)


@pytest.mark.parametrize("role", ["leader", "reporter", "admin"])
def test_the_export_holds_the_scope_only(store, role):
    who = ADMIN if role == "admin" else READER[role]
    tree = store.tree()
    frame = export_frame(store, unit=SCOPE, first=FIRST, last=LAST, principal=who)
    assert len(frame) and set(frame.unit_code) <= {u.code for u in tree.subtree(SCOPE)}
    for unit in (OTHER, "SW"):
        if role == "admin":
            assert len(export_frame(store, unit=unit, first=LAST, last=LAST, principal=who))
        else:
            with pytest.raises(AccessDenied):
                export_frame(store, unit=unit, first=LAST, last=LAST, principal=who)


def test_templates_for_the_reporting_units_one_files_for(store):
    lead, rep = READER["leader"], READER["reporter"]
    assert build_template(store, SCOPE, "2025Q1", principal=rep)[:2] == b"PK"
    assert build_template(store, OTHER, "2025Q1", principal=ADMIN)[:2] == b"PK"
    for who, unit in ((rep, OTHER), (lead, SCOPE), (rep, "SW")):
        with pytest.raises(AccessDenied):
            build_template(store, unit, "2025Q1", principal=who)


def _without_audit(snapshot: dict) -> dict:
    return {k: v for k, v in snapshot.items() if k != "audit"}


@pytest.mark.parametrize("who, dry_run", [("reporter", False), ("reporter", True), ("leader", False)])
def test_an_upload_outside_the_scope_is_refused_and_changes_nothing(demo_store, who, dry_run):
    data, _ = fill(build_template(demo_store, OTHER, "2025Q1"))
    before = demo_store.snapshot()
    audit_before = len(before["audit"])
    outcome = import_return(demo_store, data, "SW02_2025Q1.xlsx", "某人", dry_run=dry_run, principal=READER[who])
    assert outcome.status == "rejected" and len(outcome.errors) == 1
    message = outcome.problems[0].message_zh
    assert ("这份报表属于 SW02" in message) if who == "reporter" else ("不报送报表" in message)
    assert outcome.problems[0].message_en  # and in English
    after = demo_store.snapshot()
    assert _without_audit(after) == _without_audit(before)
    assert not (Path(demo_store.path).parent / "archive").exists()
    audit = demo_store.table("audit").iloc[audit_before:]
    recorded = [] if dry_run else [["return.import", "SW02_2025Q1.xlsx", "rejected"]]  # a dry run writes nothing
    assert audit[["action", "target", "outcome"]].values.tolist() == recorded


def test_an_upload_inside_the_scope_loads(demo_store):
    data, _ = fill(build_template(demo_store, SCOPE, "2025Q1"))
    outcome = import_return(demo_store, data, "SW01_2025Q1.xlsx", "r@x.cn", principal=READER["reporter"])
    assert outcome.status == "loaded"
    other, _ = fill(build_template(demo_store, OTHER, "2025Q1"))
    assert import_return(demo_store, other, "SW02.xlsx", "a", principal=ADMIN).status == "loaded"


def test_restore_is_for_administrators(demo_store):
    subs = demo_store.table("submissions")
    sid = int(subs[(subs.unit_code == SCOPE) & (subs.quarter == LAST) & (subs.status == "active")]["id"].item())
    facts = demo_store.table("facts")
    mine = facts.loc[facts.submission_id == sid, ["unit_code", "indicator_code", "value"]]
    demo_store.submit(SCOPE, LAST, mine.assign(value=mine.value + 1), user="t", file_name="v2.xlsx", sha256="f" * 64)
    before = _without_audit(demo_store.snapshot())
    for who in READER.values():
        with pytest.raises(AccessDenied):
            demo_store.restore(sid, principal=who)
    assert _without_audit(demo_store.snapshot()) == before
    audit = demo_store.table("audit")
    assert (audit[audit.action == "return.restore"].outcome == "rejected").sum() == 2
    assert demo_store.restore(sid, principal=ADMIN) is not None


def test_the_filters_clamp_to_the_scope(store):
    tree = store.tree()
    available = [f"2024Q{i}" for i in range(1, 5)]
    asked = {filters.KEY_UNITS: [OTHER]}
    assert filters.clean(asked, tree, available, SCOPE).units == (SCOPE,)  # another committee's link: one's own
    assert filters.clean(asked, tree, available, None).units == (OTHER,)  # the whole tree: as asked
    assert filters.clean({filters.KEY_UNITS: [OTHER, BRANCH]}, tree, available, SCOPE).units == (BRANCH,)
    assert filters.clean({}, tree, available, SCOPE).units == (SCOPE,)
    assert filters.clean({filters.KEY_UNITS: []}, tree, available, SCOPE).units == ()  # cleared on purpose
    offered = filters.unit_options(tree, [BRANCH, OTHER], SCOPE)
    assert SCOPE in offered and BRANCH in offered
    assert all(access.within(tree, c, SCOPE) for c in offered)
    assert OTHER in filters.unit_options(tree, [BRANCH])


@pytest.mark.parametrize("setting, provider, missing, address, expected", [
    ("", False, (), "127.0.0.1", "demo"),
    ("", False, (), "0.0.0.0", "demo"),
    ("", True, (), "0.0.0.0", "oidc"),
    ("oidc", True, (), "", "oidc"),
    ("oidc", False, (), "127.0.0.1", "refused"),
    ("", True, ("client_secret",), "127.0.0.1", "refused"),  # a half-configured provider never opens up
    ("none", False, (), "127.0.0.1", "none"),
    ("none", True, (), "::1", "none"),
    ("none", False, (), "localhost", "none"),
    ("none", False, (), "0.0.0.0", "refused"),
    ("none", False, (), "", "refused"),  # no address: every interface
    ("none", False, (), "10.1.2.3", "refused"),
    ("maybe", True, (), "127.0.0.1", "refused"),
])
def test_the_sign_in_mode(setting, provider, missing, address, expected):
    mode = access.decide_mode(setting, provider, missing, address)
    assert mode.kind == expected
    if expected == "refused":
        assert mode.reason
