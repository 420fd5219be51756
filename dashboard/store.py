"""DuckDB: schema, the one connection, the single writer, submissions.

One `Store` owns the database file.  Readers take a cursor per thread; every
write goes through `Store.write()`, which serialises writers with a lock and
wraps each in one transaction, so a submission lands whole or not at all.

Facts are kept for every submission; only a unit-quarter's *active* submission
counts.  The `rollup` table holds, per unit, quarter and stored indicator, the
aggregate over the unit's whole subtree; it is refreshed inside the same
transaction as the submission that changes it, bottom-up along the tree, so
chart queries never aggregate raw facts.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from . import catalog as catalog_mod
from . import queries
from .catalog import Catalog, Tree, Unit

DEFAULT_DB = catalog_mod.DATA_DIR / "dangjian.duckdb"
MIGRATIONS_DIR = queries.QUERIES_DIR / "migrations"
SCHEMA_VERSION = max(int(p.name[:3]) for p in MIGRATIONS_DIR.glob("[0-9][0-9][0-9]_*.sql"))
LOCK_TIMEOUT_S = float(os.environ.get("DANGJIAN_LOCK_TIMEOUT", "10"))
# DuckDB's buffer cap.  Its default (80% of RAM) lets one app process grow past what a shared
# server should give it; past the cap DuckDB spills to disk rather than failing.
MEMORY_LIMIT = os.environ.get("DANGJIAN_DUCKDB_MEMORY", "1GB")
DEMO_USER = "演示数据 demo"
# A bulk load that touched more than this share of a quarter's returns rebuilds the quarter's
# roll-up whole; fewer, and only their units and ancestors are refreshed.
REBUILD_SHARE = 0.3
# Up to this many units (a return's units and their ancestors) are refreshed in one statement;
# more, level by level.
ONE_PASS_UNITS = 400


def default_db_path() -> Path:
    return Path(os.environ.get("DANGJIAN_DB") or DEFAULT_DB)


class DatabaseBusy(RuntimeError):
    """Another process (usually the running app) holds the database file."""


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
    def __init__(self, path: str | Path | None = None, *, lock_timeout: float = LOCK_TIMEOUT_S):
        self.path = Path(path) if path is not None else default_db_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._con = _connect_with_retry(self.path, lock_timeout)
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._tree: Tree | None = None
        self.catalog: Catalog = catalog_mod.catalog()
        migrated_from = self._migrate()
        self._sync_catalog()
        if self.scalar("SELECT count(*) FROM units") == 0:
            self.load_tree(catalog_mod.read_tree())
        elif 0 < migrated_from < 2:
            # Version 1 files had no closure or roll-up: build them from what they hold.
            self.load_tree(self.tree())
        if self.dirty_quarters():
            self.refresh_dirty_rollup()  # a bulk load was cut short before its refresh

    # --- connections -------------------------------------------------------------------

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor (DuckDB connections are not shared across threads)."""
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._local.cursor = self._con.cursor()
        return cur

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def archive_dir(self) -> Path:
        """Where the original bytes of accepted returns are kept, beside the database."""
        return self.path.parent / "archive"

    def scalar(self, sql: str, params=None):
        row = first_row(self.cursor().execute(sql, params or []))
        return row[0] if row else None

    def df(self, sql: str, params=None) -> pd.DataFrame:
        return self.cursor().execute(sql, params or []).df()

    def query(self, name: str, **params) -> pd.DataFrame:
        """Run the named query `queries/<name>.sql` with bound parameters."""
        return queries.run(self.cursor(), name, params)

    @contextlib.contextmanager
    def write(self):
        """The single writer: one transaction, serialised across threads."""
        with self._write_lock:
            cur = self.cursor()
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
                cur.execute(
                    "UPDATE meta SET value = CAST(CAST(value AS BIGINT) + 1 AS VARCHAR) WHERE key = 'data_version'"
                )
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise

    # --- schema ------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        return self.scalar("SELECT value FROM meta WHERE key = ?", [key])

    @property
    def schema_version(self) -> int:
        return int(self.meta("schema_version") or 0)

    @property
    def data_version(self) -> int:
        """Bumped by every write; caches of query results key on it."""
        return int(self.meta("data_version") or 0)

    def _migrate(self) -> int:
        """Apply the migrations the file lacks; returns the version it had."""
        cur = self.cursor()
        cur.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        cur.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', '0'), ('data_version', '0')")
        current = self.schema_version
        for path in sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9]_*.sql")):
            version = int(path.name[:3])
            if version <= current:
                continue
            with self._write_lock:
                cur.execute("BEGIN TRANSACTION")
                try:
                    for statement in _statements(path.read_text(encoding="utf-8")):
                        cur.execute(statement)
                    cur.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(version)])
                    cur.execute("COMMIT")
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise
        return current

    def _sync_catalog(self) -> None:
        """The catalog file is the source of truth; the tables mirror it for SQL joins."""
        cat = self.catalog
        domain_order = {d.code: d.sort_order for d in cat.domains}
        domains = pd.DataFrame([(d.code, d.name_zh, d.name_en, d.sort_order) for d in cat.domains])
        rows = [
            (i.code, i.domain, i.name_zh, i.name_en, i.unit_zh, i.unit_en, i.value_type, i.time_agg,
             i.unit_agg, i.formula_op, list(i.formula_args), i.threshold, i.levels, i.sort_order,
             domain_order[i.domain])
            for i in cat.indicators
        ]
        # Opening a file must not write to it when the catalog is unchanged: a read-only
        # command or a rejected import leaves the database as it found it (data_version too).
        held = self.cursor().execute(
            "SELECT code, domain, name_zh, name_en, unit_zh, unit_en, value_type, time_agg, unit_agg, formula_op,"
            " formula_args, threshold, levels, sort_order, domain_order FROM indicators ORDER BY code"
        ).fetchall()
        held_domains = self.cursor().execute(
            "SELECT code, name_zh, name_en, sort_order FROM domains ORDER BY code"
        ).fetchall()
        if held == sorted(rows) and held_domains == sorted(domains.itertuples(index=False, name=None)):
            return
        indicators = pd.DataFrame(rows)
        with self.write() as cur:
            cur.execute("DELETE FROM domains")
            cur.register("catalog_domains", domains)
            cur.execute("INSERT INTO domains SELECT * FROM catalog_domains")
            cur.unregister("catalog_domains")
            cur.execute("DELETE FROM indicators")
            cur.register("catalog_indicators", indicators)
            cur.execute(
                "INSERT INTO indicators (code, domain, name_zh, name_en, unit_zh, unit_en, value_type, time_agg,"
                " unit_agg, formula_op, formula_args, threshold, levels, sort_order, domain_order)"
                " SELECT * FROM catalog_indicators"
            )
            cur.unregister("catalog_indicators")

    # --- the organisation tree ---------------------------------------------------------

    def tree(self) -> Tree:
        if self._tree is None:
            rows = self.cursor().execute(
                "SELECT code, name_zh, name_en, level, parent_code, active_from, active_to, sort_order FROM units"
            ).fetchall()
            self._tree = Tree([Unit(*r) for r in rows])
        return self._tree

    def load_tree(self, tree: Tree) -> None:
        """Replace the units (codes are stable, names may change) and rebuild the closure and roll-up."""
        frame = pd.DataFrame(
            [(u.code, u.name_zh, u.name_en, u.level, u.parent_code, u.active_from, u.active_to, u.sort_order)
             for u in tree.units],
            columns=["code", "name_zh", "name_en", "level", "parent_code", "active_from", "active_to", "sort_order"],
        )
        with self.write() as cur:
            cur.execute("DELETE FROM units")
            cur.register("new_units", frame)
            cur.execute("INSERT INTO units SELECT * FROM new_units")
            cur.unregister("new_units")
            queries.run(cur, "unit_closure_rebuild", {})
            self._rebuild_rollup(cur)
        self._tree = None

    # --- submissions -------------------------------------------------------------------

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
        such tuples.
        With refresh=False (bulk loads) the quarter is marked dirty and its roll-up
        recomputed by `refresh_dirty_rollup()`; the facts still land in one transaction.
        An identical file (same SHA-256 as the active one) changes nothing at all.
        """
        try:
            with self.write() as cur:
                return self._submit(cur, unit_code, quarter, facts, user, file_name, sha256, template_version,
                                    is_demo, archive_path, warnings, refresh, submitted_at)
        except _Identical as same:  # rolled back: nothing changed, not even the data version
            return SubmitResult(same.submission_id, "duplicate", None)

    def _submit(self, cur, unit_code, quarter, facts, user, file_name, sha256, template_version, is_demo,
                archive_path, warnings, refresh, submitted_at) -> SubmitResult:
        key = {"unit": unit_code, "quarter": quarter}
        superseded = queries.rows(cur, "submission_supersede", key)
        if sha256:
            same = next((i for i, sha in superseded if sha == sha256), None)
            if same is not None:
                raise _Identical(same)
        new_id = queries.rows(cur, "submission_insert", {
            **key, "user": user, "submitted_at": submitted_at or datetime.now(), "file_name": file_name,
            "sha256": sha256, "template_version": template_version, "is_demo": is_demo,
            "archive_path": archive_path, "warnings": warnings})[0][0]
        units, indicators, values = _fact_lists(facts)
        if len(units):
            queries.rows(cur, "facts_insert", {"submission_id": new_id, "quarter": quarter, "units": units,
                                              "indicators": indicators, "values": values})
        if refresh:
            self._refresh_rollup(cur, quarter, unit_code)
        else:
            queries.rows(cur, "rollup_mark_dirty", key)
        return SubmitResult(new_id, "loaded", superseded[0][0] if superseded else None)

    def restore(self, submission_id: int) -> int | None:
        """Make an earlier submission active again; returns the one it supersedes."""
        found = queries.rows(self.cursor(), "submission_get", {"id": submission_id})
        if not found:
            raise KeyError(f"no submission {submission_id}")
        unit_code, quarter, status = found[0]
        if status == "active":
            return None
        with self.write() as cur:
            changed = queries.rows(cur, "submission_activate",
                                   {"id": submission_id, "unit": unit_code, "quarter": quarter})
            self._refresh_rollup(cur, quarter, unit_code)
        previous = [i for i, new_status in changed if new_status == "superseded"]
        return previous[0] if previous else None

    def clear_demo(self) -> int:
        """Remove every demo submission and its facts in one step; returns how many."""
        with self.write() as cur:
            queries.run(cur, "demo_remove_facts")
            removed = queries.rows(cur, "demo_remove_submissions")
            self._rebuild_rollup(cur)
        return len(removed)

    def has_demo(self) -> bool:
        return bool(queries.rows(self.cursor(), "demo_active_count")[0][0])

    # --- roll-up -----------------------------------------------------------------------

    def rebuild_rollup(self) -> None:
        """Recompute the whole roll-up from the active facts."""
        with self.write() as cur:
            self._rebuild_rollup(cur)

    def dirty_quarters(self) -> list[str]:
        return [r[0] for r in self.cursor().execute(
            "SELECT quarter FROM rollup_dirty UNION SELECT quarter FROM rollup_dirty_units ORDER BY quarter"
        ).fetchall()]

    def refresh_dirty_rollup(self) -> list[str]:
        """Recompute the roll-up the bulk loads left stale; returns the quarters touched.

        A quarter marked whole (rollup_dirty) is rebuilt; otherwise only the units of the
        returns loaded (rollup_dirty_units) and their ancestors are refreshed, bottom-up, as
        a single upload does, unless so many of the quarter's returns were loaded that
        rebuilding the quarter is cheaper.
        """
        with self._write_lock:
            dirty = self.dirty_quarters()
            if dirty:
                with self.write() as cur:
                    whole = {r[0] for r in cur.execute("SELECT quarter FROM rollup_dirty").fetchall()}
                    returns: dict[str, list[str]] = {}
                    for q, unit in cur.execute("SELECT quarter, unit_code FROM rollup_dirty_units").fetchall():
                        returns.setdefault(q, []).append(unit)
                    limit = len(self.tree().reporting_units) * REBUILD_SHARE
                    whole |= {q for q, units in returns.items() if len(units) > limit}
                    if whole:
                        self._rebuild_rollup(cur, sorted(whole))
                    self._refresh_units(cur, {q: self._affected(units) for q, units in returns.items()
                                              if q not in whole})
                    cur.execute("DELETE FROM rollup_dirty_units")
        return dirty

    def _rebuild_rollup(self, cur, quarters: list[str] | None = None) -> None:
        if quarters:
            cur.execute("DELETE FROM rollup WHERE list_contains(?, quarter)", [quarters])
            cur.execute("DELETE FROM rollup_dirty WHERE list_contains(?, quarter)", [quarters])
            cur.execute("DELETE FROM rollup_dirty_units WHERE list_contains(?, quarter)", [quarters])
        else:
            cur.execute("DELETE FROM rollup")
            cur.execute("DELETE FROM rollup_dirty")
            cur.execute("DELETE FROM rollup_dirty_units")
        queries.rows(cur, "rollup_rebuild", {"quarters": quarters or []})

    def _affected(self, reporting_units) -> set[str]:
        """The units whose roll-up a return of each reporting unit changes: its units and
        their ancestors (closed upwards, so each one's children are either refreshed first
        or unchanged)."""
        tree = self.tree()
        out: set[str] = set()
        for rep in reporting_units:
            if rep not in tree:
                continue
            out.update(u.code for u in tree.return_units(rep))
            out.update(a.code for a in tree.ancestors(rep))
        return out

    def _refresh_rollup(self, cur, quarter: str, reporting_unit: str) -> None:
        """Recompute the roll-up of a return's units and their ancestors, deepest first."""
        self._refresh_units(cur, {quarter: self._affected([reporting_unit])})

    def _refresh_units(self, cur, affected: dict[str, set[str]]) -> None:
        """Recompute the roll-up of the units `affected[quarter]` (each set closed upwards).

        A few units (one return) are recomputed in one statement from their facts and their
        unlisted children's roll-up rows (rollup_refresh_units); many (a bulk load) level by
        level, deepest first, all quarters at once, each level from its own facts plus its
        children's already current rows (rollup_refresh).  Either way only those units and
        their children's rows are read, however large the tree.
        """
        tree = self.tree()
        by_depth: dict[int, list[tuple[str, str]]] = {}
        for quarter, codes in affected.items():
            if len(codes) <= ONE_PASS_UNITS:
                self._refresh_in_one_pass(cur, quarter, codes)
                continue
            for code in codes:
                by_depth.setdefault(tree.depth(code), []).append((quarter, code))
        for depth in sorted(by_depth, reverse=True):
            pairs = sorted(by_depth[depth], key=lambda p: (p[1], p[0]))
            params = {"quarters": [q for q, _ in pairs], "units": [u for _, u in pairs]}
            children = sorted({k.code for _, code in pairs for k in tree.kids(code)}) or [""]
            queries.rows(cur, "rollup_delete", params)
            queries.rows(cur, "rollup_refresh", {**params, "children": children})

    def _refresh_in_one_pass(self, cur, quarter: str, codes: set[str]) -> None:
        tree = self.tree()
        units = sorted(codes)
        fact_pairs: list[tuple[str, str]] = []
        front_pairs: list[tuple[str, str]] = []
        for code in units:
            line = [code, *(a.code for a in tree.ancestors(code))]
            fact_pairs += [(a, code) for a in line]
            for kid in tree.kids(code):
                if kid.code not in codes:
                    front_pairs += [(a, kid.code) for a in line]
        frontier = sorted({c for _, c in front_pairs})
        if not front_pairs:
            front_pairs = [("", "")]  # binds as an empty VARCHAR pair, matches no row
        queries.rows(cur, "rollup_delete_units", {"quarter": quarter, "units": units})
        queries.rows(cur, "rollup_refresh_units", {
            "quarter": quarter, "units": units, "fact_anc": [a for a, _ in fact_pairs],
            "fact_unit": [d for _, d in fact_pairs], "front_anc": [a for a, _ in front_pairs],
            "front_unit": [c for _, c in front_pairs], "frontier": frontier or [""]})

    # --- bulk load (benchmarks, migrations of whole archives) --------------------------

    def bulk_load(self, submissions: pd.DataFrame, facts: pd.DataFrame, *, user: str, is_demo: bool = False,
                  file_name: str | None = None, template_version: str | None = "bulk") -> int:
        """Load many returns in one transaction, then rebuild the roll-up once.

        `submissions`: unit_code (the reporting unit), quarter, submitted_at.
        `facts`: reporting_unit, unit_code, quarter, indicator_code, value (already valid).
        Each (reporting unit, quarter) supersedes its active submission, as `submit` does.
        Facts are written sorted by (unit_code, quarter, indicator_code), so DuckDB's
        per-row-group min/max (zonemaps) skip most of the table for one unit's rows.
        Returns the number of submissions loaded.
        """
        subs = submissions[["unit_code", "quarter", "submitted_at"]]
        facts = facts[["reporting_unit", "unit_code", "quarter", "indicator_code", "value"]]
        with self.write() as cur:
            cur.register("bulk_subs", subs)
            cur.register("bulk_facts", facts)
            try:
                cur.execute(
                    "UPDATE submissions SET status = 'superseded' WHERE status = 'active'"
                    " AND (unit_code, quarter) IN (SELECT (unit_code, quarter) FROM bulk_subs)"
                )
                cur.execute(
                    "CREATE OR REPLACE TEMP TABLE bulk_ids AS "
                    "SELECT nextval('submission_ids')::INTEGER AS id, unit_code, quarter, submitted_at FROM bulk_subs"
                )
                cur.execute(
                    "INSERT INTO submissions (id, unit_code, quarter, submitted_by, submitted_at, file_name, sha256,"
                    " template_version, status, is_demo, archive_path, warnings)"
                    " SELECT id, unit_code, quarter, ?, submitted_at, ?, NULL, ?, 'active', ?, NULL, 0 FROM bulk_ids",
                    [user, file_name, template_version, is_demo],
                )
                cur.execute(
                    "INSERT INTO facts SELECT b.id, f.unit_code, f.quarter, f.indicator_code, CAST(f.value AS DOUBLE)"
                    " FROM bulk_facts f JOIN bulk_ids b ON b.unit_code = f.reporting_unit AND b.quarter = f.quarter"
                    " ORDER BY f.unit_code, f.quarter, f.indicator_code"
                )
                n = first_row(cur.execute("SELECT count(*) FROM bulk_ids"))[0]
                cur.execute("DROP TABLE bulk_ids")
            finally:
                cur.unregister("bulk_subs")
                cur.unregister("bulk_facts")
            self._rebuild_rollup(cur)
        return n


def _fact_lists(facts) -> tuple[list, list, list]:
    """unit_code, indicator_code and value of `facts` (a DataFrame, or (unit, indicator, value)
    tuples) as three lists to bind."""
    if isinstance(facts, pd.DataFrame):
        return facts["unit_code"].tolist(), facts["indicator_code"].tolist(), _doubles(facts["value"].tolist())
    facts = list(facts)
    return [f[0] for f in facts], [f[1] for f in facts], _doubles([f[2] for f in facts])


def _doubles(values: list) -> list:
    """Values as floats; a missing one (None, NaN) stays NULL, which facts.value refuses, as it
    refused the NaN of a registered frame."""
    return [None if v is None or v != v else float(v) for v in values]


def first_row(result):
    """The first row of a result, reading it to the end: DuckDB 2.0 refuses further work on a
    cursor whose result was only partly fetched (ResourceInUseException)."""
    rows = result.fetchall()
    return rows[0] if rows else None


def _statements(sql: str) -> list[str]:
    """Split a migration file into statements (no semicolons inside our literals)."""
    without_comments = re.sub(r"--[^\n]*", "", sql)
    return [s.strip() for s in without_comments.split(";") if s.strip()]


def _connect_with_retry(path: Path, timeout: float) -> duckdb.DuckDBPyConnection:
    """Open the file; if another process holds it, wait a bounded time, then say so plainly."""
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), config={"memory_limit": MEMORY_LIMIT})
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if time.monotonic() >= deadline:
                holder = re.search(r"PID (\d+)", str(exc))
                pid = f" (PID {holder.group(1)})" if holder else ""
                raise DatabaseBusy(
                    f"数据库 {path} 正被另一个进程{pid}占用（通常是正在运行的看板应用）。"
                    f"请在看板的「报表上传」页面上传，或停止应用后重试。 | "
                    f"The database {path} is held by another process{pid}, usually the running dashboard. "
                    f"Upload through the app's Upload page, or stop the app and run this again."
                ) from exc
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
