"""The store: everything the product keeps, behind typed methods.

Facts are kept for every submission; only a unit-quarter's *active* submission counts.  The
`rollup` table holds, per unit, quarter and stored indicator, the aggregate over the unit's
whole subtree; it is refreshed inside the same transaction as the submission that changes it
(see rollup.py), so chart queries never aggregate raw facts.

Reads: `query(name, **params)` runs a named chart query (queries/charts/) and is the one way
pages and exports read figures; the rest are typed methods.  Writes: typed methods only, each
one transaction through the single writer (connection.Database.transaction).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from .. import i18n
from ..domain import access, acting
from ..domain import catalog as catalog_mod
from ..domain.catalog import Catalog
from ..domain.tree import Tree, Unit, read_tree
from ..settings import current as settings
from . import archive, rollup
from .connection import Database, DatabaseBusy, StoreUnavailable, faults_explained
from .filelock import FileLock

__all__ = ["DEMO_USER", "DatabaseBusy", "Store", "StoreUnavailable", "SubmitResult", "TABLES", "default_db_path"]

DEMO_USER = "演示数据 demo"
# The tables a whole-table read may name (queries/tables/table_<name>.sql).
TABLES = ("meta", "units", "indicators", "domains", "submissions", "facts", "unit_closure", "rollup",
          "rollup_dirty", "rollup_dirty_units", "audit", "users")


def default_db_path() -> Path:
    return settings().db


class _Identical(Exception):
    """The file is the active submission's own: `submit` rolls back and reports a duplicate."""

    def __init__(self, submission_id: int):
        super().__init__(submission_id)
        self.submission_id = submission_id


@dataclass(frozen=True)
class SubmitResult:
    submission_id: int
    status: str  # "loaded" | "duplicate"
    superseded_id: int | None


class Store:
    def __init__(self, path: str | Path | None = None, *, lock_timeout: float | None = None,
                 waiting: Callable[[int | None], None] | None = None):
        """Open (or create) the database file, migrate it and bring its mirrors up to date.

        If another process holds it, wait: up to `lock_timeout` seconds (settings.lock_timeout_s),
        then DatabaseBusy; or, with `waiting`, as long as it takes, calling waiting(holder PID)
        between tries (it may raise to stop).  A path that is a folder or not a database, a
        read-only or full disk raises StoreUnavailable, which says what to do, never a traceback.
        """
        conf = settings()
        self.path = Path(path) if path is not None else conf.db
        timeout = conf.lock_timeout_s if lock_timeout is None else lock_timeout
        self.catalog: Catalog = catalog_mod.catalog()
        self._tree: Tree | None = None
        if self.path.is_dir():
            raise StoreUnavailable("db_is_directory", self.path)
        with faults_explained(self.path, opening=True):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._lock = FileLock(self.path)
            _take(self._lock, self.path, timeout, waiting)
            try:
                self._db = Database(self.path, lock_timeout=timeout, memory_limit=conf.duckdb_memory)
            except BaseException:
                self._lock.release()
                raise
            try:
                self._prepare()
            except BaseException:
                self._db.close()
                self._lock.release()
                raise

    def _prepare(self) -> None:
        migrated_from = self._db.migrate()
        self._sync_catalog()
        if not self._db.rows("units_all"):
            self.load_tree(read_tree())
        elif 0 < migrated_from < 2:
            # Version 1 files had no closure or roll-up: build them from what they hold.
            self.load_tree(self.tree())
        if self.dirty_quarters():
            self.refresh_dirty_rollup()  # a bulk load was cut short before its refresh

    def close(self) -> None:
        self._db.close()
        self._lock.release()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def archive_dir(self) -> Path:
        """Where the original bytes of accepted returns are kept, beside the database."""
        return self.path.parent / "archive"

    def keep_original(self, data: bytes, sha256: str) -> tuple[Path, bool]:
        """Keep a return's original bytes in the archive (before its submission is written); returns
        the file and whether a file of that name held other bytes and was replaced (archive.keep)."""
        return archive.keep(self.archive_dir, data, sha256)

    def original(self, archive_path: str) -> Path:
        """The file a submission's recorded archive_path names (relative to the database's folder)."""
        return self.path.parent / archive_path

    # --- reading --------------------------------------------------------------------------------

    def query(self, name: str, principal: access.Principal | None = None, **params) -> pd.DataFrame:
        """Run the named query `queries/charts/<name>.sql` with bound parameters.  For a
        `principal`, only within its scope: a query naming a unit (or a submission) outside it
        raises access.AccessDenied (Principal.check_query)."""
        if principal is not None:
            self.check_query(principal, name, params)
        return self._db.read(name, params)

    def check_query(self, principal: access.Principal, name: str, params: dict) -> None:
        """Raise access.AccessDenied if `principal` may not run this query with these parameters."""
        def submission_unit(submission_id: int) -> str | None:
            found = self.submission(submission_id)
            return found[0] if found else None

        principal.check_query(self.tree(), name, params, submission_unit)

    def table(self, name: str) -> pd.DataFrame:
        """Every row of one table, in a fixed order (health checks, backups, tests)."""
        if name not in TABLES:
            raise KeyError(f"not a table: {name!r}")
        return self._db.read(f"table_{name}")

    def audit(self, action: str, target: str | None, outcome: str, detail: str = "") -> None:
        """Append one entry to the audit trail, as whoever acts now (domain/acting.py).  Its own
        small transaction: it never moves the data version, so no chart cache is dropped for it."""
        actor, via = acting.current()
        with self._db.transaction(bump=False) as tx:
            tx.run("audit_insert", {"at": datetime.now(), "actor": actor, "via": via, "action": action,
                                    "target": target, "outcome": outcome, "detail": detail})

    def snapshot(self) -> dict[str, list[tuple]]:
        """Every row of every table, in a fixed order: what "the database did not change" compares."""
        held = [r[0] for r in self._db.rows("table_names")]
        unknown = sorted(set(held) - set(TABLES))
        if unknown:  # a table no snapshot covers is a table no check would see
            raise RuntimeError(f"tables not listed in store.TABLES: {unknown}")
        return {name: self._db.rows(f"table_{name}") for name in held}

    def meta(self, key: str) -> str | None:
        return self._db.scalar("meta_get", {"key": key})

    @property
    def schema_version(self) -> int:
        return int(self.meta("schema_version") or 0)

    @property
    def data_version(self) -> int:
        """Bumped by every write; caches of query results key on it."""
        return int(self.meta("data_version") or 0)

    def has_submissions(self) -> bool:
        return bool(self._db.scalar("submission_count"))

    def has_demo(self) -> bool:
        return bool(self._db.scalar("demo_active_count"))

    def quarter_span(self) -> tuple[str, str] | None:
        """The first and last quarter with an active return, or None."""
        first, last = self._db.rows("submission_quarter_span")[0]
        return (first, last) if first else None

    def submission(self, submission_id: int) -> tuple[str, str, str] | None:
        """(reporting unit, quarter, status) of one submission, or None."""
        found = self._db.rows("submission_get", {"id": submission_id})
        return tuple(found[0]) if found else None

    def prior_values(self, reporting_unit: str, quarter: str, previous: str, indicators: list[str],
                     units: list[str]) -> tuple[dict[tuple[str, str], tuple[float | None, float]], bool]:
        """What the earlier active returns of `reporting_unit` say of `indicators` for `units`:
        (unit, indicator) -> (value at the end of `previous`, sum over every quarter before
        `quarter`); and whether the reporting unit has any earlier figures at all."""
        params = {"reporting_unit": reporting_unit, "quarter": quarter, "previous": previous,
                  "indicators": indicators}
        units = sorted(units)
        rows = self._db.rows("ingest_prior_values_of_units", {**params, "units": units, "first": units[0],
                                                               "last": units[-1]})
        if not rows:  # nothing for these units: ask about every unit, so "any history" is exact
            rows = self._db.rows("ingest_prior_values", params)
        return {(u, i): (prev, cum) for u, i, prev, cum in rows}, bool(rows)

    def dirty_quarters(self) -> list[str]:
        return [r[0] for r in self._db.rows("rollup_dirty_quarters")]

    def checkpoint(self) -> None:
        """Write the log into the file (before the file is copied)."""
        self._db.checkpoint()

    # --- the health check (dashboard/health.py) ----------------------------------------------------

    def check_counts(self) -> dict[str, int]:
        """How much there is to check: submissions, active ones, facts, roll-up rows."""
        names = ("submissions", "active", "facts", "rollup_rows")
        return dict(zip(names, self._db.rows("check_counts")[0]))

    def active_twice(self) -> list[tuple[str, str, list[int]]]:
        """(reporting unit, quarter, submission ids) wherever more than one submission is active."""
        return self._db.rows("check_active_twice")

    def facts_orphaned(self) -> list[tuple[int, int]]:
        """(submission id, facts) of facts whose submission is not recorded."""
        return self._db.rows("check_facts_orphaned")

    def facts_out_of_quarter(self) -> list[tuple[int, str, str, list[str], int]]:
        """(submission id, reporting unit, its quarter, the other quarters, facts) of submissions
        holding facts of another quarter."""
        return self._db.rows("check_facts_out_of_quarter")

    def fact_units(self) -> list[tuple[str, str, int, int]]:
        """(reporting unit, unit, facts, first submission id): which units each reporting unit's
        submissions hold facts for."""
        return self._db.rows("check_fact_units")

    def files_without_facts(self) -> list[tuple[int, str, str, str | None]]:
        """(id, reporting unit, quarter, file name) of uploaded submissions holding no facts."""
        return self._db.rows("check_files_without_facts")

    def recorded_originals(self) -> list[tuple[str, str | None, list[int], bool]]:
        """(archive path relative to the database's folder, its SHA-256, the submissions pointing at
        it, whether one of them is active) of every original file a submission records."""
        return self._db.rows("check_originals")

    def rollup_differences(self, limit: int) -> tuple[int, list[tuple]]:
        """How many (unit, quarter, indicator) rows of the roll-up differ from a recomputation from
        the active facts, and the first `limit` of them: (unit, quarter, indicator, stored total,
        recomputed total, stored units, recomputed units, copies stored)."""
        rows = self._db.rows("check_rollup_differences", {"limit": max(int(limit), 1)})
        return (rows[0][-1] if rows else 0), [r[:-1] for r in rows]

    # --- the organisation tree --------------------------------------------------------------------

    def tree(self) -> Tree:
        if self._tree is None:
            # checked when loaded; a file from before the code and name rules must still open
            self._tree = Tree([Unit(*r) for r in self._db.rows("units_all")], check_entries=False)
        return self._tree

    def load_tree(self, tree: Tree) -> None:
        """Replace the units (codes are stable, names may change) and rebuild the closure and roll-up.
        The tree is checked again, code and name rules included (TreeError), whoever built it."""
        units = Tree(tree.units).units
        with self._db.transaction() as tx:
            tx.run("units_clear")
            tx.run("units_insert", {
                "codes": [u.code for u in units], "names_zh": [u.name_zh for u in units],
                "names_en": [u.name_en for u in units], "levels": [u.level for u in units],
                "parents": [u.parent_code for u in units], "active_from": [u.active_from for u in units],
                "active_to": [u.active_to for u in units], "sort_orders": [u.sort_order for u in units]})
            tx.run("unit_closure_clear")
            tx.run("unit_closure_rebuild")
            rollup.rebuild(tx)
        self._tree = None

    def _sync_catalog(self) -> None:
        """The catalog files are the source of truth; the tables mirror them for SQL joins.

        Opening a file must not write to it when the catalog is unchanged: a read-only command
        or a rejected import leaves the database as it found it (data_version too).
        """
        cat = self.catalog
        order = {d.code: d.sort_order for d in cat.domains}
        inds = [(i.code, i.domain, i.name_zh, i.name_en, i.unit_zh, i.unit_en, i.value_type, i.time_agg,
                 i.unit_agg, i.formula_op, list(i.formula_args), i.threshold, i.levels, i.sort_order,
                 order[i.domain]) for i in cat.indicators]
        domains = [(d.code, d.name_zh, d.name_en, d.sort_order) for d in cat.domains]
        if self._db.rows("catalog_indicators") == sorted(inds) and self._db.rows("catalog_domains") == sorted(domains):
            return
        columns = list(zip(*inds))
        with self._db.transaction() as tx:
            tx.run("catalog_clear_domains")
            tx.run("catalog_insert_domains", dict(zip(("codes", "names_zh", "names_en", "sort_orders"),
                                                      map(list, zip(*domains)))))
            tx.run("catalog_clear")
            tx.run("catalog_insert_indicators", dict(zip(
                ("codes", "domains", "names_zh", "names_en", "units_zh", "units_en", "value_types", "time_aggs",
                 "unit_aggs", "formula_ops", "formula_args", "thresholds", "levels", "sort_orders", "domain_orders"),
                map(list, columns))))

    # --- users (who may sign in; domain/access.py holds the rules) ----------------------------------

    def users(self) -> list[access.UserEntry]:
        return [access.UserEntry(*r) for r in self._db.rows("users_all")]

    def user(self, login: str) -> access.UserEntry | None:
        """The user of a login claim (compared as access.normal_login keeps it), or None."""
        found = self._db.rows("user_get", {"login": access.normal_login(login)})
        return access.UserEntry(*found[0]) if found else None

    def put_users(self, entries: list[tuple[int | None, access.UserEntry]], *, action: str = "user.add",
                  target: str | None = None, principal: access.Principal | None = None) -> list[tuple]:
        """Add or update users, all or none: every entry is checked first (access.check_entries)
        and any problem refuses the lot (UsersRejected, audited as rejected).  Returns
        (entry, the entry it replaced or None) for each.  Audited as `action` ("user.add" for one
        entry, "user.import" for a file named by `target`).  Administrators only, for a principal."""
        if principal is not None:
            principal.check_admin()
        tree = self.tree()
        problems = access.check_entries(tree, entries)
        label = target or ", ".join(e.login for _, e in entries)[:200]
        if not entries and not problems:
            problems = [(None, i18n.both("usr_import_empty"))]
        if problems:
            self.audit(action, label, "rejected", f"{len(problems)} problems: " + "; ".join(p for _, p in problems)[:500])
            raise access.UsersRejected(problems)
        now = datetime.now()
        done = []
        with self._db.write_lock:
            before = {e.login: e for e in self.users()}
            with self._db.transaction(bump=False) as tx:
                for _, e in entries:
                    tx.run("user_upsert", {"login": e.login, "name": e.name, "role": e.role, "unit_code": e.unit,
                                           "created_at": now})
                    done.append((e, before.get(e.login)))
        if action == "user.add":
            for e, old in done:
                was = f" (was {old.role} {old.unit})" if old else ""
                self.audit(action, e.login, "ok", f"{'updated' if old else 'added'}: {e.role} {e.unit}{was}")
        else:
            added = sum(old is None for _, old in done)
            self.audit(action, label, "ok", f"{added} added, {len(done) - added} updated: "
                       + ", ".join(f"{e.login} {e.role} {e.unit}" for e, _ in done)[:500])
        return done

    def remove_user(self, login: str, *, principal: access.Principal | None = None) -> bool:
        """Remove a user; False if there was none.  Audited (user.remove).  Administrators only."""
        if principal is not None:
            principal.check_admin()
        login = access.normal_login(login)
        with self._db.transaction(bump=False) as tx:
            removed = tx.rows("user_delete", {"login": login})
        self.audit("user.remove", login, "ok" if removed else "rejected", "" if removed else "no such user")
        return bool(removed)

    # --- submissions ------------------------------------------------------------------------------

    def submit(
        self,
        unit_code: str,
        quarter: str,
        facts: pd.DataFrame | list[tuple[str, str, float]],
        *,
        user: str,
        file_name: str | None = None,
        sha256: str | None = None,
        template_version: str | None = None,
        is_demo: bool = False,
        archive_path: str | None = None,
        warnings: int = 0,
        refresh: bool = True,
        submitted_at: datetime | None = None,
    ) -> SubmitResult:
        """Load one reporting unit's return for one quarter, superseding the active one.

        `facts` has columns unit_code, indicator_code, value (already validated), or is a list of
        such tuples.  With refresh=False (bulk loads) the return is marked dirty and its roll-up
        recomputed by `refresh_dirty_rollup()`; the facts still land in one transaction.
        An identical file (same SHA-256 as the active one) changes nothing at all.
        """
        key = {"unit": unit_code, "quarter": quarter}
        try:
            with self._db.transaction() as tx:
                superseded = tx.rows("submission_supersede", key)
                if sha256:
                    same = next((i for i, sha in superseded if sha == sha256), None)
                    if same is not None:
                        raise _Identical(same)
                new_id = tx.rows("submission_insert", {
                    **key, "user": user, "submitted_at": submitted_at or datetime.now(), "file_name": file_name,
                    "sha256": sha256, "template_version": template_version, "is_demo": is_demo,
                    "archive_path": archive_path, "warnings": warnings})[0][0]
                units, indicators, values = _fact_lists(facts)
                if units:
                    tx.run("facts_insert", {"submission_id": new_id, "quarter": quarter, "units": units,
                                            "indicators": indicators, "values": values})
                if refresh:
                    rollup.refresh(tx, self.tree(), {quarter: rollup.affected(self.tree(), [unit_code])})
                else:
                    rollup.mark_dirty(tx, unit_code, quarter)
        except _Identical as same:  # rolled back: nothing changed, not even the data version
            return SubmitResult(same.submission_id, "duplicate", None)
        return SubmitResult(new_id, "loaded", superseded[0][0] if superseded else None)

    def restore(self, submission_id: int, *, principal: access.Principal | None = None) -> int | None:
        """Make an earlier submission active again; returns the one it supersedes.  The status is
        read under the writer's lock, so two restores at once cannot both act on a stale one.
        Restoring an active submission changes nothing, unless another one of its unit and quarter
        is active too (what `check` reports): then it becomes the only active one.  For a
        `principal`, administrators only (access.AccessDenied otherwise, audited)."""
        if principal is not None and not principal.may_restore:
            self.audit("return.restore", str(submission_id), "rejected", f"not permitted: {principal.role}")
            principal.check_restore()
        with self._db.write_lock:
            found = self.submission(submission_id)
            if found is None:
                raise KeyError(f"no submission {submission_id}")
            unit_code, quarter, status = found
            if status == "active" and not any(u == unit_code and q == quarter for u, q, _ in self.active_twice()):
                return None
            with self._db.transaction() as tx:
                changed = tx.rows("submission_activate", {"id": submission_id, "unit": unit_code, "quarter": quarter})
                rollup.refresh(tx, self.tree(), {quarter: rollup.affected(self.tree(), [unit_code])})
        previous = [i for i, new_status in changed if new_status == "superseded"]
        return previous[0] if previous else None

    def clear_demo(self) -> int:
        """Remove every demo submission and its facts in one step; returns how many."""
        with self._db.transaction() as tx:
            tx.run("demo_remove_facts")
            removed = tx.rows("demo_remove_submissions")
            rollup.rebuild(tx)
        return len(removed)

    # --- the roll-up ------------------------------------------------------------------------------

    def rebuild_rollup(self) -> None:
        """Recompute the whole roll-up from the active facts."""
        with self._db.transaction() as tx:
            rollup.rebuild(tx)

    def refresh_dirty_rollup(self) -> list[str]:
        """Recompute the roll-up the bulk loads left stale; returns the quarters touched."""
        with self._db.write_lock:
            dirty = self.dirty_quarters()
            if dirty:
                with self._db.transaction() as tx:
                    rollup.refresh_dirty(tx, self.tree())
        return dirty

    # --- bulk load (benchmarks, migrations of whole archives) ---------------------------------------

    def bulk_load(self, submissions: pd.DataFrame, facts: pd.DataFrame, *, user: str, is_demo: bool = False,
                  file_name: str | None = None, template_version: str | None = "bulk") -> int:
        """Load many returns in one transaction, then rebuild the roll-up once.

        `submissions`: unit_code (the reporting unit), quarter, submitted_at.
        `facts`: reporting_unit, unit_code, quarter, indicator_code, value (already valid).
        Each (reporting unit, quarter) supersedes its active submission, as `submit` does.
        Returns the number of submissions loaded.
        """
        subs = submissions[["unit_code", "quarter", "submitted_at"]]
        facts = facts[["reporting_unit", "unit_code", "quarter", "indicator_code", "value"]]
        with self._db.transaction() as tx, tx.lend(bulk_subs=subs, bulk_facts=facts):
            tx.run("bulk_supersede")
            tx.run("bulk_ids")
            tx.run("bulk_submissions_insert", {"user": user, "file_name": file_name,
                                               "template_version": template_version, "is_demo": is_demo})
            tx.run("bulk_facts_insert")
            n = tx.rows("bulk_count")[0][0]
            tx.run("bulk_ids_drop")
            rollup.rebuild(tx)
        return n


def _take(lock: FileLock, path: Path, timeout: float, waiting) -> None:
    """Take the file's lock, queueing behind the process that holds it."""
    deadline = time.monotonic() + timeout
    while not lock.try_acquire():
        if waiting is not None:
            waiting(lock.holder())
        elif time.monotonic() >= deadline:
            pid = lock.holder()
            raise DatabaseBusy(path, f" (PID {pid})" if pid else "")
        time.sleep(0.1)


def _fact_lists(facts) -> tuple[list, list, list]:
    """unit_code, indicator_code and value of `facts` (a DataFrame, or (unit, indicator, value)
    tuples) as three lists to bind."""
    if isinstance(facts, pd.DataFrame):
        return facts["unit_code"].tolist(), facts["indicator_code"].tolist(), _doubles(facts["value"].tolist())
    facts = list(facts)
    return [f[0] for f in facts], [f[1] for f in facts], _doubles([f[2] for f in facts])


def _doubles(values: list) -> list:
    """Values as floats; a missing one (None, NaN) stays NULL, which facts.value refuses."""
    return [None if v is None or v != v else float(v) for v in values]
