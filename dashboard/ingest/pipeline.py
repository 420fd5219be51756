"""Import one return: check it, then load it in one transaction, keeping the original file.

    outcome = import_return(store, data, "SW01_2024Q3.xlsx", user="张三")
    outcome.status   # 'loaded' | 'duplicate' | 'rejected' | 'valid' (dry run passed)

A rejected file changes nothing in the database.  An accepted one is recorded (who,
when, file name, SHA-256, template version) and its bytes are kept under
`store.archive_dir`, named by their SHA-256, before the submission is written; the
submission supersedes the active one of the same unit and quarter, which stays in the
history.  Re-importing the identical file is reported as a duplicate and changes nothing.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

from .problems import Problem
from .report import problems_frame, report_workbook
from .validate import validate

__all__ = ["ImportOutcome", "Problem", "import_return", "problems_frame", "report_workbook"]

STATUSES = ("loaded", "duplicate", "rejected", "valid")
LOG = logging.getLogger(__name__)


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


def import_return(store, data: bytes, file_name: str, user: str, dry_run: bool = False, *,
                  refresh: bool = True) -> ImportOutcome:
    """Validate one uploaded workbook and, unless rejected or `dry_run`, load it.

    `refresh=False` is for loading many files in a row: each still lands in its own
    transaction, the roll-up is marked dirty and refreshed once by `store.refresh_dirty_rollup()`
    (or by the next `Store()` on that file, should the process die first).
    """
    file_name = Path(file_name).name
    sha = hashlib.sha256(data).hexdigest()
    found, parsed = validate(store, data, file_name)
    outcome = ImportOutcome(file_name, "rejected", None, None, parsed.reporting_unit, parsed.quarter,
                            found.items, len(parsed.values), sha, parsed.version)
    if found.errors:
        return outcome
    if dry_run:
        outcome.status = "valid"
        return outcome
    # The same bytes again are found by `submit` (under the write lock) and change nothing; their
    # archive copy, named by the SHA-256, is already there.
    result = store.submit(
        parsed.reporting_unit, parsed.quarter, parsed.facts(), user=user, file_name=file_name, sha256=sha,
        template_version=parsed.version, archive_path=_archive(store, data, sha),
        warnings=len(outcome.warnings), refresh=refresh,
    )
    outcome.status = result.status
    outcome.submission_id, outcome.superseded_id = result.submission_id, result.superseded_id
    return outcome
