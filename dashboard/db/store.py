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

import os
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from .. import clock, i18n
from ..domain import access, acting
from ..domain import audit as audit_mod
from ..domain import catalog as catalog_mod
from ..domain.catalog import Catalog
from ..domain.tree import History, Tree, Unit
from ..settings import current as settings
from . import archive, locations, queries, rollup
from .backend import Backend
from .connection import Database, DatabaseBusy, StoreUnavailable, faults_explained, file_table_counts
from .filelock import FileLock

__all__ = ["DEMO_USER", "DatabaseBusy", "RowsWouldBeLost", "Snapshot", "SnapshotBroken", "Store", "StoreUnavailable",
           "SubmitResult", "TABLES", "default_db_path"]

DEMO_USER = "演示数据 demo"
# The tables a whole-table read may name (queries/tables/table_<name>.sql).
TABLES = ("meta", "units", "indicators", "domains", "submissions", "facts", "unit_closure", "rollup",
          "rollup_dirty", "rollup_dirty_units", "audit", "unit_versions", "anomaly_checks", "users",
          "compliance_indicators", "compliance_values", "compliance_rules", "compliance_masks", "deadlines",
          "reminders")


def default_db_path() -> Path:
    return settings().db


class _Identical(Exception):
    """The file is the active submission's own: `submit` rolls back and reports a duplicate."""

    def __init__(self, submission_id: int):
        super().__init__(submission_id)
        self.submission_id = submission_id


class RowsWouldBeLost(ValueError):
    """A write that would take rows of units out of the active data with nothing to replace them:
    a return superseding one that holds units it does not cover, or a restore of a return that
    holds units the tree of its quarter puts in another return.  `key` is its text
    (dashboard/text/validation.toml), `fields` fill it."""

    def __init__(self, key: str, **fields):
        super().__init__(i18n.both(key, **fields))
        self.key, self.fields = key, fields

    def text(self, lang: str) -> str:
        return i18n.t(self.key, lang, **self.fields)


@dataclass(frozen=True)
class SubmitResult:
    submission_id: int
    status: str  # "loaded" | "duplicate"
    superseded_id: int | None


@dataclass(frozen=True)
class Snapshot:
    """What `Store.snapshot_file` copied: the database as of one moment."""

    schema_version: int
    data_version: int
    taken_at: datetime
    tables: dict[str, int]  # rows of every table, counted in the copy (and equal to the database's then)
    originals: list[tuple[str, str]]  # (archive path relative to the database's folder, SHA-256) of every
    #                                   original a submission in the copy records
    locked_s: float  # how long writers waited for the copy


class SnapshotBroken(RuntimeError):
    """The copy did not come out whole (the log was not written into the file first, or a table
    of the copy holds other rows than the database did): no backup is made of it."""


class Store:
    _db: Backend  # the DuckDB file or the PostgreSQL server, behind one declared interface

    def __init__(self, path: str | Path | None = None, *, lock_timeout: float | None = None,
                 waiting: Callable[[int | None], None] | None = None):
        """Open (or create) the database file, migrate it and bring its mirrors up to date.

        If another process holds it, wait: up to `lock_timeout` seconds (settings.lock_timeout_s),
        then DatabaseBusy; or, with `waiting`, as long as it takes, calling waiting(holder PID)
        between tries (it may raise to stop).  A path that is a folder or not a database, a
        read-only or full disk raises StoreUnavailable, which says what to do, never a traceback.
        """
        conf = settings()
        self.url = str(path if path is not None else conf.db)
        self.catalog: Catalog = catalog_mod.catalog()
        self._tree: Tree | None = None
        self._history: History | None = None
        self._seen_version: int | None = None  # the data version the tree and history above follow
        if locations.is_url(self.url):
            # A server: no file to lock (writers queue on an advisory lock); the archive of
            # originals lives in a folder of its own (settings.pg_folder).
            self.path = conf.pg_folder / locations.database_name(self.url) / "database"
            self._lock = None
            self.path.parent.mkdir(parents=True, exist_ok=True)
            from . import postgres  # only for a server: a DuckDB app never loads psycopg and sqlglot

            self._db = postgres.PostgresDatabase(self.url, self.path)
            try:
                self._prepare()
            except BaseException:
                self._db.close()
                raise
            return
        self.path = Path(path) if path is not None else conf.db
        self.url = str(self.path)
        timeout = conf.lock_timeout_s if lock_timeout is None else lock_timeout
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
        if 0 < migrated_from < 2 and self._db.rows("units_all"):
            # Version 1 files had no closure or roll-up: build them from what they hold.
            self.load_tree(self.tree())
        elif 0 < migrated_from < 6 and self._db.rows("units_all"):
            self.load_tree(self.history())  # the closure gains the quarters each pair holds
        if self.dirty_quarters():
            self.refresh_dirty_rollup()  # a bulk load was cut short before its refresh

    def release(self) -> None:
        """This thread is done reading for now (the end of a page run): see Backend.release."""
        self._db.release()

    def close(self) -> None:
        self._db.close()
        if self._lock is not None:
            self._lock.release()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def is_postgres(self) -> bool:
        return self._lock is None

    @property
    def location(self) -> str:
        """The database as a person names it: the file, or the server's URL without its password."""
        return locations.shown(self.url) if self.is_postgres else str(self.path)

    @property
    def archive_dir(self) -> Path:
        """Where the original bytes of accepted returns are kept, beside the database."""
        return self.path.parent / "archive"

    def keep_original(self, data: bytes, sha256: str) -> tuple[Path, bool]:
        """Keep a return's original bytes in the archive (before its submission is written); returns
        the file and whether a file of that name held other bytes and was replaced (archive.keep)."""
        return archive.keep(self.archive_dir, data, sha256)

    def original_of(self, submission_id: int, principal: access.Principal | None = None) -> tuple[str, bytes] | None:
        """(file name, bytes) of the workbook submission `submission_id` was read from, for the
        来源 panel; None when none was kept (demo data, a bulk load).  Refused (AccessDenied) when
        its reporting unit is outside `principal`'s scope; handed over or refused, it is audited
        (`source.download`)."""
        found = self._db.rows("submission_original", {"id": int(submission_id)})
        if not found:
            return None
        unit, quarter, file_name, archive_path, _sha = found[0]
        detail = audit_mod.words(unit=unit, quarter=quarter, submission=int(submission_id))
        if principal is not None and not principal.may_see(self.tree(), unit):
            self.audit("source.download", str(submission_id), "rejected", detail)
            principal.check_units(self.tree(), [unit])
        if not archive_path:
            return None
        data = self.original(archive_path).read_bytes()
        self.audit("source.download", str(submission_id), "ok", detail)
        return file_name or f"{unit}_{quarter}.xlsx", data

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

        principal.check_query(self.tree(), name, queries.named(name).scope, params, submission_unit)

    def table(self, name: str) -> pd.DataFrame:
        """Every row of one table, in a fixed order (health checks, backups, tests)."""
        if name not in TABLES:
            raise KeyError(f"not a table: {name!r}")
        return self._db.read(f"table_{name}")

    def audit(self, action: str, target: str | None, outcome: str, detail: str = "") -> None:
        """Append one entry to the audit trail, as whoever acts now (domain/acting.py).  Its own
        small transaction: it never moves the data version, so no chart cache is dropped for it.
        For a refusal or a failure (nothing else was written) and for work of many transactions;
        a single write records its entry in its own transaction instead (an audit.Note)."""
        with self._db.transaction(bump=False) as tx:
            _audit_in(tx, action, target, outcome, detail)

    def verify_anomaly(self, kind: str, unit_code: str, quarter: str, indicator_code: str = "",
                       note: str = "") -> None:
        """Mark one anomaly (dashboard/domain/anomalies.py) 「已核实」 as whoever acts now, with the
        time; and say so in the audit trail.  A figure is never changed or blocked by it."""
        actor, via = acting.current()
        with self._db.transaction() as tx:
            tx.run("anomaly_check_insert", {"kind": kind, "unit": unit_code, "quarter": quarter,
                                            "indicator": indicator_code or "", "by": actor, "via": via,
                                            "at": clock.now(), "note": note})
            _audit_in(tx, "anomaly.verify", f"{unit_code} {quarter} {indicator_code or '-'} {kind}", "ok",
                      audit_mod.words(unit=unit_code, quarter=quarter, reason=note or None))

    def anomaly_checks(self) -> pd.DataFrame:
        """The latest 「已核实」 mark of every anomaly that has one."""
        return self._db.read("anomaly_checks_list")

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
        """Bumped by every write (tree imports included); caches of query results key on it.

        Reading it also lets the store's own caches follow it: when it has moved on since the
        last read, the tree and its history are read afresh on their next use, so a tree that
        another process imported (a second app instance or a command on the same PostgreSQL
        server) is seen once the version is read again — the app reads it once per run."""
        version = int(self.meta("data_version") or 0)
        if version != self._seen_version:
            self._seen_version = version
            self._tree = self._history = None
        return version

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

    def size_bytes(self) -> int:
        """What the database takes on disk: the file and its write-ahead log, or the server's
        pg_database_size (its tables, indexes and TOAST; not the server's own WAL)."""
        if self.is_postgres:
            return int(self._db.scalar("pg_database_size"))
        wal = self.path.with_name(self.path.name + ".wal")
        return sum(p.stat().st_size for p in (self.path, wal) if p.exists())

    def table_counts(self) -> dict[str, int]:
        """How many rows each table holds, by name."""
        return self._db.table_counts()

    def snapshot_file(self, dest: Path) -> Snapshot:
        """Copy the database, as of one moment, into the new file `dest` (for a backup).

        Taken under the single writer's lock, so no write lands half in it: imports and restores
        wait (the time is `locked_s`), readers go on.  CHECKPOINT writes the log into the file,
        then the file is copied byte for byte.  Measured on the demo database (4-5 MB, on a
        shared 2-core machine): 10-40 ms, where DuckDB's own `COPY FROM DATABASE` into a new
        file took 150-570 ms, with the same rows (both under the lock).  Checked before it is handed back: no log is left
        beside the file after the checkpoint, and every table of the copy holds as many rows as
        the database's did under the lock; otherwise SnapshotBroken and `dest` is removed.
        The originals listed are the ones the copy's submissions record; they are named by
        their SHA-256 and never rewritten, so they can be copied after the lock is let go.
        """
        dest = Path(dest)
        wal = self.path.with_name(self.path.name + ".wal")
        with self._db.write_lock:
            started = time.monotonic()
            with faults_explained(self.path):
                self._db.checkpoint()
            if wal.exists() and wal.stat().st_size:
                raise SnapshotBroken(f"{wal.name} still holds {wal.stat().st_size} bytes after the checkpoint")
            shutil.copyfile(self.path, dest)  # trouble writing `dest` is the caller's to explain (OSError)
            counts = self.table_counts()
            taken = Snapshot(self.schema_version, self.data_version, clock.now(), counts,
                             [(path, sha) for path, sha, _ids, _active in self.recorded_originals()],
                             time.monotonic() - started)
        with open(dest, "rb+") as f:  # the copy's bytes are set: making them durable needs no lock
            os.fsync(f.fileno())
        copied = file_table_counts(dest)
        if copied != counts:
            dest.unlink(missing_ok=True)
            raise SnapshotBroken(f"the copy holds {copied}, the database held {counts}")
        return taken

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

    def fact_units(self) -> list[tuple[str, str, str, int, int]]:
        """(reporting unit, quarter, unit, facts, first submission id): which units each reporting
        unit's active submissions of a quarter hold facts for."""
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

    def compliance_differences(self, limit: int) -> tuple[int, list[tuple]]:
        """How many rows of the 三会一课 figures differ from a recomputation from the active facts,
        and the first `limit` of them: (unit, quarter, indicator, stored value, recomputed value,
        copies stored).  When the figures agree, the check kept of them per unit-quarter is
        compared with one made afresh from them, its rows saying 'fail_mask' (asked after, so a
        wrong figure is reported once, not again as every mask it moves)."""
        for name in ("check_compliance_differences", "check_compliance_mask_differences"):
            rows = self._db.rows(name, {"limit": max(int(limit), 1)})
            if rows:
                return rows[0][-1], [r[:-1] for r in rows]
        return 0, []

    # --- the organisation tree --------------------------------------------------------------------

    def unit_last_figures(self) -> dict[str, str]:
        """unit code -> the last quarter an active return holds it in (a unit cannot end before)."""
        return dict(self._db.rows("unit_last_figures"))

    def has_tree(self) -> bool:
        """Whether an organisation has been loaded (a new database holds none: `tree import`, or
        the demo, gives it one).  Once one is read it stays: load_tree replaces it in one
        transaction, never leaving none (the app asks on every run)."""
        return self._tree is not None or bool(self._db.rows("units_all"))

    def tree(self) -> Tree:
        """Every unit once, in its latest version, active over its whole life: names, navigation,
        the unit pickers.  A quarter's figures use `tree_at(quarter)`."""
        tree = self._tree  # one read: another thread may drop it when the data version moves on
        if tree is None:
            # checked when loaded; a file from before the code and name rules must still open
            tree = self._tree = Tree([Unit(*r) for r in self._db.rows("units_all")], check_entries=False)
        return tree

    def history(self) -> History:
        """Every version of every unit: the tree of each quarter."""
        history = self._history
        if history is None:
            history = self._history = History([Unit(*r) for r in self._db.rows("versions_all")], check_entries=False)
        return history

    def tree_at(self, quarter: str) -> Tree:
        """The tree as it was in `quarter` (who reported, who belonged where, what each was called)."""
        return self.history().at(quarter)

    def active_fact_units(self) -> list[tuple[int, str, str, str, int]]:
        """(submission id, reporting unit, quarter, unit, facts) of every unit each active
        submission holds facts for."""
        return self._db.rows("active_fact_units")

    def active_returns(self) -> dict[tuple[str, str], int]:
        """(reporting unit, quarter) -> its active submission."""
        return {(u, q): i for u, q, i in self._db.rows("active_submissions")}

    def fact_keys(self, submission_ids) -> list[tuple[int, str, str]]:
        """(submission, unit, indicator) of every fact of the submissions given."""
        ids = sorted({int(i) for i in submission_ids})
        return self._db.rows("fact_keys", {"ids": ids}) if ids else []

    def load_tree(self, tree: Tree | History, *, audit: audit_mod.Note | None = None,
                  rehome: list | None = None) -> None:
        """Replace the organisation — one tree for all quarters, or a history of versions — and
        rebuild the closure and roll-up, in one transaction.  The tree is checked again, code and
        name rules included (TreeError), whoever built it.  With `audit` (a tree import:
        Note("tree.import", file name)) the entry, with the number of units, commits with the tree,
        so the trail never tells of a change that did not land.

        `rehome` (tree_file.Move, from tree_file.misplaced: `tree import --rehome`) carries rows
        of active returns the new tree puts outside them, in the same transaction: each unit's
        facts leave its old return for the active return of its new reporting unit of the same
        quarter (one is created, file name `tree-rehome`, if there is none), as the unit it
        merged into if it ended; a return all of whose rows go is superseded, its rows kept as
        its history.  Each carry is audited (`tree.rehome`); the roll-up is rebuilt after."""
        history = tree if isinstance(tree, History) else History(list(Tree(tree.units).units))
        History(history.versions)  # checked, entries included
        latest = history.latest().units
        with self._db.transaction() as tx:
            if rehome:
                _rehome(tx, rehome)
            tx.run("versions_clear")
            tx.run("versions_insert", _unit_lists(history.versions))
            tx.run("units_clear")
            tx.run("units_insert", _unit_lists(latest))
            closure = history.closure()
            tx.run("unit_closure_clear")
            tx.run("unit_closure_insert", {
                "ancestors": [c[0] for c in closure], "descendants": [c[1] for c in closure],
                "distances": [c[2] for c in closure], "valid_from": [c[3] for c in closure],
                "valid_to": [c[4] for c in closure]})
            rollup.rebuild(tx)
            if audit is not None:
                _audit_in(tx, audit.action, audit.target, "ok",
                          audit_mod.words(units=len(latest)) + _more(audit))
        self._tree = self._history = None

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
        self._sync_compliance_rules()
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

    def _sync_compliance_rules(self) -> None:
        """The 三会一课 rules, mirrored for what is kept of them: the indicators they name
        (compliance_indicators, whose figures compliance_values keeps) and each rule's indicator
        and minimum in order (compliance_rules, by which compliance_masks says which rules each
        branch-quarter did not meet).  When the rules change, what depends on them is rebuilt in
        the same transaction: the masks when a minimum or the order changes, the figures too
        when the indicators do."""
        rules = self.catalog.compliance_rules
        codes = sorted({code for rule in rules for code in rule.left})
        ordered = [(bit, rule.left[0], float(rule.minimum)) for bit, rule in enumerate(rules)]
        same_codes = [r[0] for r in self._db.rows("compliance_indicators")] == codes
        if same_codes and [(b, c, float(n)) for b, c, n in self._db.rows("compliance_rules")] == ordered:
            return
        with self._db.transaction() as tx:
            if not same_codes:
                tx.run("compliance_indicators_clear")
                if codes:
                    tx.run("compliance_indicators_insert", {"codes": codes})
            tx.run("compliance_rules_clear")
            if ordered:
                tx.run("compliance_rules_insert", {"codes": [c for _, c, _ in ordered],
                                                   "needs": [n for _, _, n in ordered]})
            rollup.rebuild_compliance(tx, figures=not same_codes)
        self._db.analyze()  # every row of the masks is new: PostgreSQL planned their first reads blind (1.8 s, not 0.24)

    # --- deadlines (domain/deadlines.py holds the rule) -----------------------------------------------

    def deadlines(self) -> dict[str, date]:
        """The quarters whose deadline is set apart from the default, and their deadlines."""
        return {q: pd.Timestamp(due).date() for q, due, *_ in self._db.rows("deadlines_all")}

    def set_deadline(self, quarter: str, due: date | None, *, principal: access.Principal | None = None) -> None:
        """Set `quarter`'s deadline to `due` (None: back to the default), in one transaction with its
        audit entry (deadline.set).  Administrators only.  Moves the data version: whether a return
        is late or missing follows it."""
        if principal is not None:
            principal.check_admin()
        actor, _ = acting.current()
        with self._db.transaction() as tx:
            if due is None:
                tx.run("deadline_clear", {"quarter": quarter})
            else:
                tx.run("deadline_set", {"quarter": quarter, "due": due.isoformat(), "by": actor, "at": clock.now()})
            _audit_in(tx, "deadline.set", quarter, "ok", audit_mod.words(quarter=quarter,
                                                                          due=due.isoformat() if due else "default"))

    # --- reminders (dashboard/remind.py sends them) -------------------------------------------------

    def reminders_sent(self, quarter: str, day: date) -> list[tuple[str, str, datetime]]:
        """(unit, channel, first time) of the reminders of `quarter` sent on `day`."""
        return self._db.rows("reminders_sent", {"quarter": quarter, "day": day.isoformat()})

    def reminders(self, quarter: str) -> pd.DataFrame:
        """Every reminder of `quarter` kept, sent or failed, newest first."""
        return self._db.read("reminders_list", {"quarter": quarter})

    def record_reminders(self, day: date, outcomes) -> None:
        """Keep every send (remind.Outcome) and audit it — one entry per unit, quarter and channel
        (remind.send: ok when every message went, failed otherwise) — in one transaction."""
        if not outcomes:
            return
        actor, _ = acting.current()
        at = clock.now()
        groups: dict[tuple[str, str, str], list] = {}
        with self._db.transaction(bump=False) as tx:
            for o in outcomes:
                m = o.message
                tx.run("reminder_insert", {"unit": m.unit, "quarter": m.quarter, "day": day.isoformat(),
                                           "channel": m.channel, "recipient": m.to, "outcome": "ok" if o.ok else "failed",
                                           "reason": o.reason or None, "by": actor, "at": at})
                groups.setdefault((m.unit, m.quarter, m.channel), []).append(o)
            for (unit, quarter, channel), done in groups.items():
                sent = sum(o.ok for o in done)
                to = ",".join(dict.fromkeys(login for o in done for login in o.message.logins))
                _audit_in(tx, "remind.send", f"{unit} {quarter} {channel}", "ok" if sent == len(done) else "failed",
                          audit_mod.words(unit=unit, quarter=quarter, channel=channel, recipients=to.replace(" ", "_"),
                                          sent=sent, failed=(len(done) - sent) or None))

    # --- users (who may sign in; domain/access.py holds the rules) ----------------------------------

    def users(self) -> list[access.UserEntry]:
        return [access.UserEntry(*r) for r in self._db.rows("users_all")]

    def user(self, login: str) -> access.UserEntry | None:
        """The user of a login claim (compared as access.normal_login keeps it), or None."""
        found = self._db.rows("user_get", {"login": access.normal_login(login)})
        return access.UserEntry(*found[0]) if found else None

    def put_users(self, entries: list[tuple[int | None, access.UserEntry]], *, action: str = "user.add",
                  target: str | None = None, principal: access.Principal | None = None,
                  audit: bool = True) -> list[tuple]:
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
        now = clock.now()
        done = []
        with self._db.write_lock:
            before = {e.login: e for e in self.users()}
            with self._db.transaction(bump=False) as tx:
                for _, e in entries:
                    tx.run("user_upsert", {"login": e.login, "name": e.name, "role": e.role, "unit_code": e.unit,
                                           "created_at": now, "email": e.email, "mobile": e.mobile})
                    done.append((e, before.get(e.login)))
        if not audit:  # the demo's people: its demo.load entry says how many
            return done
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
        audit: audit_mod.Note | None = None,
        approx: Iterable[tuple[str, str]] = (),
    ) -> SubmitResult:
        """Load one reporting unit's return for one quarter, superseding the active one.

        `facts` has columns unit_code, indicator_code, value (already validated) and, where the
        values were read from a workbook, sheet and cell (学习教育, E7); or is a list of such
        tuples (3 or 5 long).  A value with no position is stored without one (「位置未记录」).
        `approx` the (unit, indicator) of those written as approximations (「50余」), stored with
        their mark.  With refresh=False (bulk loads) the return is marked dirty and its roll-up
        recomputed by `refresh_dirty_rollup()`; the facts still land in one transaction.
        An identical file (same SHA-256 as the active one) changes nothing at all.
        With `audit`, the submission's entry (outcome ok: unit, quarter, its id, the one it
        supersedes) commits with it; an identical file is recorded as a duplicate.

        A return never drops rows it does not cover: should the active one hold rows of a unit
        that the tree of the quarter puts outside this return (left there by a tree change made
        before `tree import` refused such changes) and the new one not carry them, nothing is
        written and RowsWouldBeLost says which (`tree import --rehome` carries them home first).
        """
        key = {"unit": unit_code, "quarter": quarter}
        units, indicators, values, sheets, cells = _fact_lists(facts)
        try:
            with self._db.transaction() as tx:
                self.keeps_rows(unit_code, quarter, set(units), tx)
                superseded = tx.rows("submission_supersede", key)
                if sha256:
                    same = next((i for i, sha in superseded if sha == sha256), None)
                    if same is not None:
                        raise _Identical(same)
                new_id = tx.rows("submission_insert", {
                    **key, "user": user, "submitted_at": submitted_at or clock.now(), "file_name": file_name,
                    "sha256": sha256, "template_version": template_version, "is_demo": is_demo,
                    "archive_path": archive_path, "warnings": warnings})[0][0]
                if units:
                    tx.run("facts_insert", {"submission_id": new_id, "quarter": quarter, "units": units,
                                            "indicators": indicators, "values": values, "sheets": sheets,
                                            "cells": cells})
                    marked = sorted(f"{u}|{i}" for u, i in approx)
                    if marked:
                        tx.run("facts_mark_approx", {"submission_id": new_id, "keys": marked})
                if refresh:
                    rollup.refresh(tx, self.history(), {quarter: rollup.affected(self.tree_at(quarter), [unit_code])})
                else:
                    rollup.mark_dirty(tx, unit_code, quarter)
                if audit is not None:
                    _audit_in(tx, audit.action, audit.target, "ok", audit_mod.words(
                        unit=unit_code, quarter=quarter, submission=new_id,
                        superseded=superseded[0][0] if superseded else None) + _more(audit))
        except _Identical as same:  # rolled back: nothing changed, not even the data version
            if audit is not None:
                self.audit(audit.action, audit.target, "duplicate", audit_mod.words(
                    unit=unit_code, quarter=quarter, submission=same.submission_id) + _more(audit))
            return SubmitResult(same.submission_id, "duplicate", None)
        return SubmitResult(new_id, "loaded", superseded[0][0] if superseded else None)

    def _covers(self, reporting_unit: str, quarter: str) -> set[str]:
        """The units a return of `reporting_unit` for `quarter` covers in the tree of that quarter
        (none if it files no return then)."""
        tree = self.tree_at(quarter)
        if reporting_unit not in tree or not tree.is_reporting(reporting_unit):
            return set()
        return {u.code for u in tree.return_units(reporting_unit, quarter)}

    def keeps_rows(self, unit_code: str, quarter: str, new_units: set[str], tx=None) -> None:
        """RowsWouldBeLost if the active return of `unit_code` and `quarter` holds rows of units
        neither its return covers nor the new facts carry (a superseding return would drop them).
        `submit` asks inside its transaction; an import asks first, before it keeps the file."""
        held = (tx or self._db).rows("active_return_units", {"unit": unit_code, "quarter": quarter})
        if not held or not self.has_tree():
            return
        covered = self._covers(unit_code, quarter) | new_units
        lost = [(u, n) for u, n in held if u not in covered]
        if lost:
            raise RowsWouldBeLost("store_rows_would_be_lost", reporter=unit_code, quarter=quarter,
                                  units="、".join(u for u, _ in lost), units_en=", ".join(u for u, _ in lost),
                                  n=sum(n for _, n in lost))

    def restore(self, submission_id: int, *, principal: access.Principal | None = None) -> int | None:
        """Make an earlier submission active again; returns the one it supersedes.  The status is
        read under the writer's lock, so two restores at once cannot both act on a stale one.
        Restoring an active submission changes nothing, unless another one of its unit and quarter
        is active too (what `check` reports): then it becomes the only active one.  For a
        `principal`, administrators only (access.AccessDenied otherwise, audited).
        Recorded in the audit trail (`return.restore`): in the restore's own transaction; a
        restore that changes nothing, or of no such submission (KeyError), on its own."""
        target = str(submission_id)
        if principal is not None and not principal.may_restore:
            self.audit("return.restore", target, "rejected", audit_mod.words(reason=f"role_{principal.role}"))
            principal.check_restore()
        with self._db.write_lock:
            found = self.submission(submission_id)
            if found is None:
                self.audit("return.restore", target, "rejected", audit_mod.words(no_such_submission="yes"))
                raise KeyError(f"no submission {submission_id}")
            unit_code, quarter, status = found
            if status == "active" and not any(u == unit_code and q == quarter for u, q, _ in self.active_twice()):
                self.audit("return.restore", target, "ok",
                           audit_mod.words(unit=unit_code, quarter=quarter, unchanged="yes"))
                return None
            outside = sorted({r[0] for r in self._db.rows("submission_units", {"id": submission_id})}
                             - self._covers(unit_code, quarter)) if self.has_tree() else []
            if outside:  # filed under an earlier tree: its rows of these units now belong to another return
                self.audit("return.restore", target, "rejected",
                           audit_mod.words(unit=unit_code, quarter=quarter, reason="units_outside_return"))
                raise RowsWouldBeLost("store_restore_outside_return", id=submission_id, reporter=unit_code,
                                      quarter=quarter, units="、".join(outside), units_en=", ".join(outside))
            with self._db.transaction() as tx:
                changed = tx.rows("submission_activate", {"id": submission_id, "unit": unit_code, "quarter": quarter})
                rollup.refresh(tx, self.history(), {quarter: rollup.affected(self.tree_at(quarter), [unit_code])})
                previous = [i for i, new_status in changed if new_status == "superseded"]
                _audit_in(tx, "return.restore", target, "ok", audit_mod.words(
                    unit=unit_code, quarter=quarter, superseded=",".join(map(str, previous)) or None))
        return previous[0] if previous else None

    def clear_demo(self, *, audit: bool = True, users: tuple[str, ...] = ()) -> int:
        """Remove every demo submission and its facts in one step, and the demo's users (`users`,
        their logins); returns how many submissions.  Recorded (`demo.clear`) in the same
        transaction, unless `audit` is off (loading the demo data clears the old first, and
        records the whole as `demo.load`)."""
        with self._db.transaction() as tx:
            tx.run("demo_remove_facts")
            removed = tx.rows("demo_remove_submissions")
            gone = sum(bool(tx.rows("user_delete", {"login": login})) for login in users)
            rollup.rebuild(tx)
            if audit:
                _audit_in(tx, "demo.clear", self.path.name, "ok", audit_mod.words(returns=len(removed), users=gone or None))
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
                    rollup.refresh_dirty(tx, self.history())
        return dirty

    # --- bulk load (benchmarks, migrations of whole archives) ---------------------------------------

    def bulk_load(self, submissions: pd.DataFrame, facts: pd.DataFrame, *, user: str, is_demo: bool = False,
                  file_name: str | None = None, template_version: str | None = "bulk") -> int:
        """Load many returns in one transaction, then rebuild the roll-up once.

        `submissions`: unit_code (the reporting unit), quarter, submitted_at.
        `facts`: reporting_unit, unit_code, quarter, indicator_code, value (already valid), and
        where each was read, sheet and cell, if known (NULL otherwise).
        Each (reporting unit, quarter) supersedes its active submission, as `submit` does.
        Returns the number of submissions loaded.
        """
        subs = submissions[["unit_code", "quarter", "submitted_at"]]
        facts = facts.assign(**{c: facts[c].astype(object) if c in facts else None for c in ("sheet", "cell")})
        facts = facts[["reporting_unit", "unit_code", "quarter", "indicator_code", "value", "sheet", "cell"]]
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


def _rehome(tx, moves: list) -> None:
    """Carry the rows of `moves` (tree_file.Move) into their new returns, inside `tx`."""
    actor, _via = acting.current()
    now = clock.now()
    targets: dict[tuple[str, str], tuple[int, bool]] = {}  # (reporter, quarter) -> (submission, created)
    whole: set[int] = set()
    for m in moves:
        h = m.held
        key = (m.to_reporter, h.quarter)
        if key not in targets:
            found = tx.rows("submission_active_id", {"unit": m.to_reporter, "quarter": h.quarter})
            if found and found[0][0] is not None:
                targets[key] = (found[0][0], False)
            else:
                made = tx.rows("submission_insert_rehome", {"unit": m.to_reporter, "quarter": h.quarter,
                                                            "user": actor, "submitted_at": now,
                                                            "source": h.submission_id})
                targets[key] = (made[0][0], True)
        target, created = targets[key]
        params = {"source": h.submission_id, "target": target, "unit": h.unit, "to_unit": m.to_unit}
        tx.run("facts_rehome_copy" if m.whole else "facts_rehome_move", params)
        if m.whole:
            whole.add(h.submission_id)
        _audit_in(tx, "tree.rehome", f"{h.reporter} {h.quarter} → {m.to_reporter} {h.quarter}", "ok",
                  audit_mod.words(unit=h.unit, quarter=h.quarter, from_return=h.submission_id,
                                  submission=target, to_unit=m.to_unit if m.to_unit != h.unit else None,
                                  facts=h.n, new_return="yes" if created else None,
                                  superseded=h.submission_id if m.whole else None))
    for sid in sorted(whole):
        tx.run("submission_supersede_id", {"id": sid})


def _unit_lists(units) -> dict[str, list]:
    return {"codes": [u.code for u in units], "names_zh": [u.name_zh for u in units],
            "names_en": [u.name_en for u in units], "levels": [u.level for u in units],
            "parents": [u.parent_code for u in units], "active_from": [u.active_from for u in units],
            "active_to": [u.active_to for u in units], "sort_orders": [u.sort_order for u in units],
            "reporting": [u.reporting for u in units], "merged_into": [u.merged_into for u in units]}


def _audit_in(tx, action: str, target: str | None, outcome: str, detail: str) -> None:
    """Append one audit entry inside the transaction `tx`, as whoever acts now."""
    audit_mod.check(action, outcome)
    actor, via = acting.current()
    tx.run("audit_insert", {"at": clock.now(), "actor": actor, "via": via, "action": action,
                            "target": target, "outcome": outcome, "detail": detail})


def _more(note: audit_mod.Note) -> str:
    return f" {note.detail}" if note.detail else ""


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


def _fact_lists(facts) -> tuple[list, list, list, list, list]:
    """unit_code, indicator_code, value, sheet and cell of `facts` (a DataFrame, or (unit,
    indicator, value[, sheet, cell]) tuples) as five lists to bind; no position is None."""
    if isinstance(facts, pd.DataFrame):
        n = len(facts)
        where = [[None if v is None or v != v else str(v) for v in facts[c].tolist()] if c in facts else [None] * n
                 for c in ("sheet", "cell")]
        return (facts["unit_code"].tolist(), facts["indicator_code"].tolist(), _doubles(facts["value"].tolist()),
                *where)
    facts = list(facts)
    return ([f[0] for f in facts], [f[1] for f in facts], _doubles([f[2] for f in facts]),
            [f[3] if len(f) > 3 else None for f in facts], [f[4] if len(f) > 4 else None for f in facts])


def _doubles(values: list) -> list:
    """Values as floats; a missing one (None, NaN) stays NULL, which facts.value refuses."""
    return [None if v is None or v != v else float(v) for v in values]
