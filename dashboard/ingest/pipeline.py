"""Import one return: check it, then load it in one transaction, keeping the original file.

    outcome = import_return(store, data, "SW01_2024Q3.xlsx", user="张三")
    outcome.status   # 'loaded' | 'duplicate' | 'rejected' | 'valid' (dry run passed)

A rejected file changes nothing in the database but one entry of the audit trail (action
`return.import`, outcome `rejected`, with the error count).  An accepted one is recorded (who,
when, file name, SHA-256, template version) and its bytes are kept under
`store.archive_dir`, named by their SHA-256, before the submission is written; the
submission supersedes the active one of the same unit and quarter, which stays in the
history; its audit entry (outcome `ok`, with the submission's id) commits with it.
Re-importing the identical file is reported as a duplicate and changes nothing but its audit
entry (`duplicate`).  A dry run writes nothing, the audit trail included.

Each file stands alone: should checking or loading one raise (a bug, not the file's fault),
`import_return` logs the traceback and returns it refused with a problem saying so, so the
command line and the upload page carry on with the next file.  A file on disk is read with
`read_upload`, which never reads more than the size limit allows.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..domain.audit import Note, words
from ..settings import current as settings
from . import container
from .problems import Collector, Problem
from .report import problems_frame, report_workbook
from .validate import validate

__all__ = ["ImportOutcome", "Problem", "import_return", "oversized", "problems_frame", "read_upload", "record",
           "report_workbook", "unreadable"]

ACTION = "return.import"

LOG = logging.getLogger(__name__)

STATUSES = ("loaded", "duplicate", "rejected", "valid")


@dataclass
class ImportOutcome:
    file_name: str
    status: str  # 'loaded' | 'duplicate' | 'rejected' | 'valid'
    submission_id: int | None
    superseded_id: int | None
    reporting_unit: str | None
    quarter: str | None
    problems: list[Problem] = field(default_factory=list)
    n_values: int = 0
    sha256: str = ""
    template_version: str | None = None

    @property
    def ok(self) -> bool:
        return self.status != "rejected"

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


def _archive(store, data: bytes, sha: str) -> str:
    """Keep the original bytes under archive_dir as <sha256>.xlsx; returns the path relative to the DB.

    The name is never trusted: a file already there is kept only if its bytes hash to its name;
    otherwise (damaged, tampered with) it is replaced atomically by these bytes, which do, and
    the replacement is logged.  The write itself is crash-safe (see Store.keep_original).
    """
    path, replaced = store.keep_original(data, sha)
    if replaced:
        LOG.warning("archive: %s did not hash to its name; replaced it with the uploaded bytes, which do", path.name)
    return str(path.relative_to(store.path.parent))


def read_upload(path: Path) -> bytes | None:
    """The file's bytes, or None if it is over the size limit: never more than the limit and one
    byte is read (a 2 GB file was read whole before being refused: 71 s and 2.2 GB)."""
    with open(path, "rb") as f:
        if os.fstat(f.fileno()).st_size > settings().max_file_bytes:
            return None
        data = f.read(settings().max_file_bytes + 1)  # bounded even if the file grows, or is a pipe
    return None if len(data) > settings().max_file_bytes else data


def _refused(file_name: str, key: str, **fields) -> ImportOutcome:
    found = Collector(file_name)
    found.add(key, **fields)
    return ImportOutcome(file_name, "rejected", None, None, None, None, found.items)


def oversized(file_name: str, size: int) -> ImportOutcome:
    """The refusal of a file `read_upload` would not read (`size`: as the file system says)."""
    found = Collector(Path(file_name).name)
    container.too_big(max(size, settings().max_file_bytes + 1), found)
    return ImportOutcome(found.file, "rejected", None, None, None, None, found.items)


def unreadable(file_name: str, exc: OSError) -> ImportOutcome:
    """The refusal of a file that could not be read from disk at all."""
    return _refused(Path(file_name).name, "val_file_unopenable", found=f"{type(exc).__name__}: {exc}"[:200])


def import_return(store, data: bytes, file_name: str, user: str, dry_run: bool = False, *,
                  refresh: bool = True, principal=None) -> ImportOutcome:
    """Validate one uploaded workbook and, unless rejected or `dry_run`, load it.

    `refresh=False` is for loading many files in a row: each still lands in its own
    transaction, the roll-up is marked dirty and refreshed once by `store.refresh_dirty_rollup()`
    (or by the next `Store()` on that file, should the process die first).

    `principal` (domain/access.Principal) is who uploads: a role that files no returns, or a
    return of a reporting unit outside its scope, is refused (a problem saying so and nothing
    else: what the validator found in another unit's return is not shown), the database
    unchanged and the refusal audited.  None: the administrator's own process (tests, benchmark).

    Never raises for one file's sake: an unexpected exception is logged and the file refused.  A
    database or disk that is in the way (StoreUnavailable) is no fault of the file and stops the
    whole import, with its own message (and an audit entry `failed`, if the disk still takes one).

    Every outcome but a dry run's is in the audit trail as whoever acts now (domain/acting.py).
    """
    from ..db import StoreUnavailable

    file_name = Path(file_name).name
    if principal is not None and not principal.may_upload_any:
        store.audit(ACTION, file_name, "rejected", words(reason=f"role_{principal.role}"))
        return _refused(file_name, "val_no_upload_role", role=principal.role)
    try:
        outcome = _import(store, data, file_name, user, dry_run, refresh, principal)
    except StoreUnavailable as exc:
        if not dry_run:
            with contextlib.suppress(Exception):  # the disk in the way may refuse this too; its message stands
                store.audit(ACTION, file_name, "failed", words(reason=exc.key))
        raise
    except Exception as exc:  # a bug, not the file's fault: this file is refused, the next one goes on
        LOG.exception("importing %s failed", file_name)
        outcome = _refused(file_name, "val_internal_error", found=type(exc).__name__, error=type(exc).__name__)
    if outcome.status == "rejected" and not dry_run:
        record(store, outcome)
    return outcome


def record(store, outcome: ImportOutcome) -> None:
    """Put a refused file in the audit trail (an accepted one is recorded by the store, in the
    submission's own transaction): the reporting unit and quarter where the file said them, and
    how many errors."""
    store.audit(ACTION, outcome.file_name, "rejected",
                words(unit=outcome.reporting_unit, quarter=outcome.quarter, errors=len(outcome.errors)))


def _import(store, data: bytes, file_name: str, user: str, dry_run: bool, refresh: bool,
            principal=None) -> ImportOutcome:
    sha = hashlib.sha256(data).hexdigest() if len(data) <= settings().max_file_bytes else ""
    found, parsed = validate(store, data, file_name)
    unit = parsed.reporting_unit
    if principal is not None and unit is not None and not principal.may_upload(store.tree(), unit):
        # Another unit's return: refused whole.  Its problems are not shown, as the cross-quarter
        # rules quote that unit's earlier figures.  (import_return records the refusal.)
        refused = _refused(file_name, "val_out_of_scope", unit_code=unit, reporter=unit, scope=principal.scope)
        refused.reporting_unit, refused.quarter = unit, parsed.quarter
        return refused
    outcome = ImportOutcome(file_name, "rejected", None, None, parsed.reporting_unit, parsed.quarter,
                            found.items, len(parsed.values), sha, parsed.version)
    if found.errors:
        return outcome
    if dry_run:
        outcome.status = "valid"
        return outcome
    # The same bytes again are found by `submit` (under the write lock) and change nothing; their
    # archive copy, named by the SHA-256, is already there.
    from ..db import RowsWouldBeLost

    try:
        store.keeps_rows(parsed.reporting_unit, parsed.quarter, {u for u, *_ in parsed.facts()})
        result = store.submit(
            parsed.reporting_unit, parsed.quarter, parsed.facts(), user=user, file_name=file_name, sha256=sha,
            template_version=parsed.version, archive_path=_archive(store, data, sha),
            warnings=len(outcome.warnings), refresh=refresh, audit=Note(ACTION, file_name), approx=parsed.approx,
        )
    except RowsWouldBeLost as exc:  # nothing written; import_return records the refusal
        found.add(exc.key, **exc.fields)
        outcome.problems = found.items
        return outcome
    outcome.status = result.status
    outcome.submission_id, outcome.superseded_id = result.submission_id, result.superseded_id
    return outcome
