"""The health check: does the database still say what was loaded, and does the archive hold it?

`check(store)` looks, `repair(store, report)` mends what can be mended without judgement;
`python -m dashboard check [--repair]` prints both, and the app runs the cheap part once at
start-up (`startup_check`).  What is checked, and why each can go wrong:

- one active submission per reporting unit and quarter (else figures count twice);
- every submission all or nothing: no facts without their submission, none of a unit outside
  an active submission's return (in the tree of its quarter; a superseded one was filed under
  the tree of its day), none of another quarter, and every uploaded file's submission holds
  facts (an empty return is refused, so none means they were lost);
- the roll-up equals a recomputation from the active facts (else every chart is wrong);
- every recorded original is in the archive with the SHA-256 recorded (else the history
  cannot be shown to anyone);
- nothing in the archive that no submission points at (an import killed between keeping the
  file and committing its submission) and no temporary `.incoming-*` file (killed mid-write).

The repair never changes a submission or a fact: orphans and temporary files are moved aside
into `archive/.orphans/<timestamp>/` (never deleted) and the roll-up is rebuilt from the facts
through the store's single writer.  Everything else needs a person: a second active submission
(which one is right?), a missing or altered original (only the reporter's file can restore it).
The store holds the database file's lock while this runs, so no import in another process can
be writing the archive at the same time.

Plain Python over Store methods and db/archive.py; no SQL, no duckdb, no Streamlit.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

from . import i18n
from .db import archive
from .domain.audit import words
from .settings import current as settings

LOG = logging.getLogger("dashboard.check")

MOVE_ASIDE, REBUILD_ROLLUP = "move_aside", "rebuild_rollup"


@dataclass(frozen=True)
class Finding:
    """One problem: its text is `chk_<kind>` in dashboard/text/check.toml, filled with `fields`;
    `details` are further lines under it (the first differing roll-up rows); `repair` says what
    --repair does about it, if anything, and `path` is the file a move-aside repair moves."""

    kind: str
    fields: dict
    repair: str | None = None
    path: Path | None = None
    details: tuple[tuple[str, dict], ...] = ()

    def text(self, lang: str) -> str:
        return i18n.t(f"chk_{self.kind}", lang, **self.fields)

    def line(self) -> str:
        return i18n.both(f"chk_{self.kind}", **self.fields)

    def detail_lines(self) -> list[str]:
        return [i18n.both(key, **fields) for key, fields in self.details]


@dataclass
class Report:
    db: Path
    archive: Path
    full: bool
    findings: list[Finding] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    originals: int = 0  # recorded original files looked at

    @property
    def healthy(self) -> bool:
        return not self.findings

    @property
    def repairable(self) -> list[Finding]:
        return [f for f in self.findings if f.repair]

    def summary(self) -> str:
        if self.healthy:
            return i18n.both("chk_summary_healthy" if self.full else "chk_summary_healthy_quick",
                             originals=self.originals, **self.counts)
        return i18n.both("chk_summary_problems", n=len(self.findings), repairable=len(self.repairable))


def _ids(ids) -> str:
    return ", ".join(f"#{i}" for i in ids)


# --- the checks -------------------------------------------------------------------------------------


def check(store, *, full: bool = True, limit: int | None = None) -> Report:
    """Check the store and its archive.  `full=False` is the cheap part the app runs at start-up:
    one active submission per unit-quarter and every recorded original present (no roll-up
    recomputation, no hashing, no look for orphans)."""
    report = Report(store.path, store.archive_dir, full)
    report.counts = store.check_counts()
    report.findings += _active_twice(store)
    if full:
        report.findings += _all_or_nothing(store)
        report.findings += _rollup(store, settings().check_show_rows if limit is None else limit)
        report.findings += _compliance(store, settings().check_show_rows if limit is None else limit)
    report.findings += _archive(store, report, hash_files=full, strays=full)
    return report


def _active_twice(store) -> list[Finding]:
    return [Finding("active_twice", {"unit": unit, "quarter": quarter, "n": len(ids), "ids": _ids(ids)})
            for unit, quarter, ids in store.active_twice()]


def _all_or_nothing(store) -> list[Finding]:
    found = [Finding("facts_orphaned", {"id": sid, "n": n}) for sid, n in store.facts_orphaned()]
    found += [Finding("facts_out_of_quarter", {"id": sid, "unit": unit, "quarter": quarter,
                                               "quarters": ", ".join(others), "n": n})
              for sid, unit, quarter, others, n in store.facts_out_of_quarter()]
    allowed: dict[tuple[str, str], set[str]] = {}
    for reporter, quarter, unit, n, first in store.fact_units():
        if (reporter, quarter) not in allowed:
            tree = store.tree_at(quarter)  # a return holds the units of its own quarter's tree
            reporting = reporter in tree and tree.is_reporting(reporter)
            allowed[reporter, quarter] = {u.code for u in tree.return_units(reporter, quarter)} if reporting else set()
        if unit not in allowed[reporter, quarter]:
            found.append(Finding("facts_outside_return", {"unit": unit, "reporter": reporter, "n": n, "id": first}))
    found += [Finding("file_without_facts", {"id": sid, "unit": unit, "quarter": quarter, "file": name or ""})
              for sid, unit, quarter, name in store.files_without_facts()]
    return found


def _rollup(store, limit: int) -> list[Finding]:
    n, rows = store.rollup_differences(limit)
    return _differs("rollup", n, [(u, q, i, stored, fresh, copies)
                                  for u, q, i, stored, fresh, _su, _fu, copies in rows])


def _compliance(store, limit: int) -> list[Finding]:
    """The 三会一课 figures (compliance_values) and the check kept per unit-quarter (compliance_masks)
    against a recomputation from the active facts, as the roll-up is."""
    return _differs("compliance", *store.compliance_differences(limit))


def _differs(table: str, n: int, rows: list[tuple]) -> list[Finding]:
    """`n` rows of a kept table (rollup, compliance) differ from a recomputation; the first of them
    as (unit, quarter, indicator, stored, recomputed, copies stored)."""
    if not n:
        return []
    details = [(f"chk_{table}_row", {"unit": unit, "quarter": quarter, "indicator": indicator,
                                     "stored": _figure(stored, copies), "fresh": _figure(fresh, 1)})
               for unit, quarter, indicator, stored, fresh, copies in rows]
    if n > len(rows):
        details.append(("chk_rollup_more", {"more": n - len(rows)}))
    return [Finding(f"{table}_differs", {"n": n}, repair=REBUILD_ROLLUP, details=tuple(details))]


def _figure(value, copies: int) -> str:
    if value is None:
        return "—"
    text = f"{value:g}"
    return text if copies <= 1 else f"{text} ×{copies}"


def _archive(store, report: Report, *, hash_files: bool, strays: bool) -> list[Finding]:
    folder = store.archive_dir
    recorded = store.recorded_originals()
    report.originals = len(recorded)
    if folder.exists() and not folder.is_dir():
        return [Finding("archive_not_folder", {"path": folder, "n": len(recorded)})]
    found: list[Finding] = []
    kept: set[Path] = set()
    for archive_path, sha, ids, _active in recorded:
        path = store.original(archive_path)
        kept.add(path)
        if not path.is_file():
            found.append(Finding("original_missing", {"path": archive_path, "ids": _ids(ids)}))
        elif hash_files and sha and archive.sha256_of(path) != sha:
            found.append(Finding("original_altered", {"path": archive_path, "ids": _ids(ids), "sha": sha[:12]}))
    if strays:
        for path in archive.files(folder):
            rel = path.relative_to(store.path.parent)
            if archive.is_temporary(path):
                found.append(Finding("archive_temp", {"path": rel}, repair=MOVE_ASIDE, path=path))
            elif path not in kept:
                found.append(Finding("archive_orphan", {"path": rel}, repair=MOVE_ASIDE, path=path))
    return found


# --- the repair ------------------------------------------------------------------------------------


def repair(store, report: Report) -> list[str]:
    """Mend what needs no judgement; returns what was done, one bilingual line each.  Orphans and
    temporary files are moved aside, never deleted; the roll-up is rebuilt from the active facts
    through the store's single writer.  No submission and no fact is changed.  Recorded in the
    audit trail (`check.repair`: what was moved, whether the roll-up was rebuilt)."""
    done: list[str] = []
    aside = [f.path for f in report.findings if f.repair == MOVE_ASIDE and f.path is not None]
    moved, rebuilt = [], False
    try:
        moved = archive.move_aside(store.archive_dir, aside)
        for src, dest in moved:
            base = store.path.parent
            done.append(i18n.both("chk_repair_moved", src=src.relative_to(base), dest=dest.relative_to(base)))
        if any(f.repair == REBUILD_ROLLUP for f in report.findings):
            store.rebuild_rollup()
            rebuilt = True
            done.append(i18n.both("chk_repair_rollup"))
    except Exception as exc:
        with contextlib.suppress(Exception):  # the disk in the way may refuse this too; its message stands
            store.audit("check.repair", store.path.name, "failed",
                        words(moved=len(moved), rollup_rebuilt="yes" if rebuilt else None, reason=type(exc).__name__))
        raise
    store.audit("check.repair", store.path.name, "ok",
                words(moved=len(moved), rollup_rebuilt="yes" if rebuilt else None,
                      aside=moved[0][1].parent.name if moved else None))
    return done


# --- the app's start-up ---------------------------------------------------------------------------

_STARTED: set[str] = set()


def startup_check(store) -> Report | None:
    """The cheap part of the check, logged (logger "dashboard.check") once per process and database
    file; returns its report, or None when this process has checked the file already."""
    key = str(Path(store.path).resolve())
    if key in _STARTED:
        return None
    _STARTED.add(key)
    try:
        report = check(store, full=False)
    except Exception:  # advice, not a gate: a check that cannot run must not keep the app from opening
        LOG.exception("start-up check of %s could not run", store.path)
        return None
    if report.healthy:
        LOG.info("%s", i18n.both("chk_startup_ok", db=store.path, originals=report.originals))
    else:
        LOG.warning("%s", i18n.both("chk_startup_problems", db=store.path, n=len(report.findings)))
        for finding in report.findings:
            LOG.warning("%s", finding.line())
    return report
