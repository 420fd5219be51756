"""The archive of original files beside the database: `archive/<sha256>.xlsx`, one per content.

The store keeps each accepted return's bytes here, named by their SHA-256, *before* the
submission is committed (a submission never points at a file that is not there).  So a crash
between the two leaves an orphan — a file no submission points at — and a crash mid-write a
temporary `.incoming-*` file; `python -m dashboard check` finds both and `--repair` moves them
aside into `.orphans/<timestamp>/`, never deleting a byte.  A name is never trusted: a file
already there is kept only if its bytes hash to its name.

Plain files and folders, no database; the rules of the layout live here only.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from datetime import datetime
from pathlib import Path

from .connection import StoreUnavailable, fault_key

TEMP_PREFIX = ".incoming-"
ORPHANS = ".orphans"
SUFFIX = ".xlsx"
_CHUNK = 1 << 20


def name_of(sha256: str) -> str:
    return f"{sha256}{SUFFIX}"


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in chunks (an archive file is tens of KB, but need not be)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def ready(folder: Path) -> Path:
    """The archive folder, made if missing; StoreUnavailable if something else is in its place."""
    try:
        if folder.exists() and not folder.is_dir():
            raise StoreUnavailable("archive_folder_unusable", folder)
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _fault(exc, folder) from exc
    return folder


def keep(folder: Path, data: bytes, sha256: str) -> tuple[Path, bool]:
    """Keep `data` (whose SHA-256 is `sha256`) as folder/<sha256>.xlsx; returns the path and
    whether a file of that name was there with other bytes (then replaced, atomically).

    Crash-safe: the bytes go to a temporary file in the same folder, are flushed to the disk
    (fsync), renamed over the name (os.replace, atomic), and the folder itself is fsynced so the
    rename survives a power cut.  A kill at any point leaves either the old state, the complete
    file, or a `.incoming-*` temporary file that `check` reports.
    """
    ready(folder)
    target = folder / name_of(sha256)
    replaced = False
    try:
        if target.is_file():
            if sha256_of(target) == sha256:
                return target, False  # already kept, and its bytes are what its name says
            replaced = True
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=TEMP_PREFIX)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        fsync_folder(folder)
    except OSError as exc:
        raise _fault(exc, folder) from exc
    return target, replaced


def fsync_folder(folder: Path) -> None:
    """Make the folder's entries (a rename, a new file) durable; a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def files(folder: Path) -> list[Path]:
    """The plain files directly in the archive folder (kept originals, orphans, temporary files),
    sorted; the moved-aside `.orphans/` folder is not looked into."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.is_symlink())


def is_temporary(path: Path) -> bool:
    return path.name.startswith(TEMP_PREFIX)


def move_aside(folder: Path, paths: list[Path], now: datetime | None = None) -> list[tuple[Path, Path]]:
    """Move files of the archive folder into folder/.orphans/<timestamp>/ (same disk, so a rename);
    returns (from, to) pairs.  Never deletes: what was set aside can be looked at or put back."""
    if not paths:
        return []
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    aside = folder / ORPHANS / stamp
    n = 1
    while aside.exists():  # two repairs in one second keep their files apart
        n += 1
        aside = folder / ORPHANS / f"{stamp}-{n}"
    try:
        aside.mkdir(parents=True)
        moved = []
        for path in paths:
            dest = aside / path.name
            os.replace(path, dest)
            moved.append((path, dest))
        fsync_folder(aside)
        fsync_folder(folder)
    except OSError as exc:
        raise _fault(exc, folder) from exc
    return moved


def _fault(exc: OSError, folder: Path) -> StoreUnavailable:
    key = fault_key(exc)
    if key in ("disk_full", "read_only"):
        return StoreUnavailable(f"archive_{key}", folder)
    if key == "folder_unusable":
        return StoreUnavailable("archive_folder_unusable", folder)
    return StoreUnavailable("archive_unusable", folder, detail=exc.strerror or str(exc))
