"""Backups: the database as of one moment and the originals it records, in one file.

    python -m dashboard backup --out /backups/dangjian-2025-01-31.tar.gz
    python -m dashboard restore-backup /backups/dangjian-2025-01-31.tar.gz --db /srv/new/dangjian.duckdb

`create(store, out)` takes the database through `Store.snapshot_file` (under the single writer's
lock: imports and restores wait a moment, none lands half in the copy; while the app runs, the
command runs inside it through the service), then adds every original the copy's submissions
record, each checked against its SHA-256, and writes one tar file (`.tar`, or gzip-compressed
`.tar.gz` / `.tgz`), atomically (a temporary file beside it, renamed when whole):

    manifest.json         format, schema and data version, when, the row count of every table,
                          SHA-256 and size of the database copy and of every original
    database.duckdb       the database copy
    archive/<sha256>.xlsx every original return the copy records

`restore(file, db)` refuses a file that is not such a backup or whose bytes do not match its
manifest (any member's SHA-256, a member missing or added, a table's row count), and never
writes over an existing database or into an archive folder holding files.  It unpacks into a
temporary folder beside `db`, checks everything, opens the copy as a store (older schema
versions are migrated; the restore is recorded in its audit trail), then moves the database
and its originals into place.  The manifest proves the file was not damaged or altered by
accident; it is not signed, so keep backups where only administrators can write.

Plain Python over Store methods (no SQL, no duckdb, no Streamlit).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import tarfile
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from . import i18n
from .db import SnapshotBroken, archive
from .domain.audit import words

FORMAT = "dangjian-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE = "database.duckdb"
ARCHIVE = "archive"
SUFFIXES = {".tar": "", ".tar.gz": "gz", ".tgz": "gz"}
_ORIGINAL = re.compile(rf"^{ARCHIVE}/([0-9a-f]{{64}}){re.escape(archive.SUFFIX)}$")
_CHUNK = 1 << 20


class BackupRefused(Exception):
    """A backup that cannot be made or restored as asked: the text key (dashboard/text/backup.toml)
    and its fields; `str()` is Chinese | English for the command line."""

    def __init__(self, key: str, **fields):
        self.key, self.fields = key, fields
        super().__init__(i18n.both(key, **fields))


def compression(out: Path) -> str | None:
    """The tar compression an output name asks for ("" plain, "gz"), or None for a name that is
    not a backup's."""
    name = out.name.lower()
    return next((mode for suffix, mode in SUFFIXES.items() if name.endswith(suffix)), None)


# --- making one ------------------------------------------------------------------------------------


@dataclass
class Made:
    path: Path
    manifest: dict
    seconds: float  # the whole backup
    locked_s: float  # how long writers waited for the database copy
    size: int  # bytes of the backup file
    missing: list[dict] = field(default_factory=list)  # recorded originals not backed up, and why

    def summary(self) -> str:
        m = self.manifest
        return i18n.both("bk_made", path=self.path, submissions=m["tables"].get("submissions", 0),
                         originals=len(m["originals"]), mb=f"{self.size / 1e6:.2f}", seconds=f"{self.seconds:.2f}",
                         locked=f"{self.locked_s * 1000:.0f}", version=m["data_version"])


def create(store, out: Path) -> Made:
    """Write a backup of `store` and its archive of originals to `out`; recorded in the store's
    audit trail (`backup.create`: ok, or failed with the reason)."""
    try:
        made = _create(store, Path(out))
    except Exception as exc:
        reason = exc.key if isinstance(exc, BackupRefused) else type(exc).__name__
        try:
            store.audit("backup.create", Path(out).name, "failed", words(reason=reason))
        except Exception:  # noqa: BLE001 - the disk that failed the backup may fail this too; say the first
            pass
        raise
    store.audit("backup.create", made.path.name, "ok", words(
        data_version=made.manifest["data_version"], submissions=made.manifest["tables"].get("submissions", 0),
        originals=len(made.manifest["originals"]), missing=len(made.missing) or None, bytes=made.size,
        locked_ms=round(made.locked_s * 1000)))
    return made


def _create(store, out: Path) -> Made:
    started = time.monotonic()
    mode = compression(out)
    if mode is None:
        raise BackupRefused("bk_bad_name", path=out)
    if store.is_postgres:  # the server's data are the server's to dump; a copy of a file here would be none of it
        raise BackupRefused("bk_postgres", db=store.location,
                            archive=store.archive_dir)
    out = out.resolve() if out.parent.exists() else out
    if not out.parent.is_dir():
        raise BackupRefused("bk_out_folder_missing", path=out.parent)
    if out.exists() and (out.is_dir() or out.resolve() == Path(store.path).resolve()):
        raise BackupRefused("bk_out_in_the_way", path=out)
    with tempfile.TemporaryDirectory(prefix=".dangjian-backup-", dir=out.parent) as tmp:
        snap_path = Path(tmp) / DATABASE
        try:
            snap = store.snapshot_file(snap_path)
        except OSError as exc:
            raise BackupRefused("bk_write_failed", path=out.parent, detail=exc.strerror or str(exc)) from exc
        except SnapshotBroken as exc:
            raise BackupRefused("bk_snapshot_broken", detail=str(exc)) from exc
        originals, missing = [], []
        for rel, sha in snap.originals:
            source = store.original(rel)
            if not source.is_file():
                missing.append({"file": rel, "sha256": sha, "problem": "missing"})
            elif sha and archive.sha256_of(source) != sha:
                missing.append({"file": rel, "sha256": sha, "problem": "altered"})
            else:
                originals.append((f"{ARCHIVE}/{archive.name_of(sha)}", source, sha))
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": snap.taken_at.isoformat(timespec="seconds"),
            "source": Path(store.path).name,
            "schema_version": snap.schema_version,
            "data_version": snap.data_version,
            "tables": snap.tables,
            "database": {"file": DATABASE, "sha256": archive.sha256_of(snap_path), "bytes": snap_path.stat().st_size},
            "originals": [{"file": name, "sha256": sha, "bytes": src.stat().st_size} for name, src, sha in originals],
            "originals_missing": missing,
        }
        partial = Path(tmp) / "backup.partial"
        try:
            with tarfile.open(partial, f"w:{mode}" if mode else "w", format=tarfile.PAX_FORMAT) as tar:
                _add_bytes(tar, MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8"))
                _add_file(tar, DATABASE, snap_path)
                for name, src, _sha in originals:
                    _add_file(tar, name, src)
            with open(partial, "rb+") as f:
                os.fsync(f.fileno())
            os.replace(partial, out)
            archive.fsync_folder(out.parent)
        except OSError as exc:
            raise BackupRefused("bk_write_failed", path=out.parent, detail=exc.strerror or str(exc)) from exc
    return Made(out, manifest, time.monotonic() - started, snap.locked_s, out.stat().st_size, missing)


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(time.time()), 0o600
    tar.addfile(info, io.BytesIO(data))


def _add_file(tar: tarfile.TarFile, name: str, path: Path) -> None:
    info = tarfile.TarInfo(name)
    st = path.stat()
    info.size, info.mtime, info.mode = st.st_size, int(st.st_mtime), 0o600
    with open(path, "rb") as f:
        tar.addfile(info, f)


# --- restoring one ----------------------------------------------------------------------------------


@dataclass
class Restored:
    db: Path
    manifest: dict
    seconds: float

    def summary(self) -> str:
        m = self.manifest
        return i18n.both("bk_restored", db=self.db, created=m["created_at"], version=m["data_version"],
                         submissions=m["tables"].get("submissions", 0), originals=len(m["originals"]))


def restore(backup: Path, db: Path) -> Restored:
    """Restore the backup file into the new database path `db` (its originals into archive/ beside
    it), after checking every byte against the manifest; BackupRefused, and nothing written,
    if anything does not match or `db` exists."""
    from .db import Store, file_table_counts

    started = time.monotonic()
    backup, db = Path(backup), Path(db)
    if not backup.is_file():
        raise BackupRefused("bk_no_file", path=backup)
    _refuse_existing(db)
    db.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".dangjian-restore-", dir=db.parent))
    try:
        manifest = _unpack(backup, tmp)
        counts = file_table_counts(tmp / DATABASE)
        if counts != manifest["tables"]:
            raise BackupRefused("bk_counts_differ", file=backup.name,
                                tables=", ".join(sorted(k for k in set(counts) | set(manifest["tables"])
                                                        if counts.get(k) != manifest["tables"].get(k))))
        with Store(tmp / DATABASE) as store:  # migrates an older schema; the restore goes in its audit trail
            store.audit("backup.restore", backup.name, "ok", words(
                created=manifest["created_at"], source=manifest.get("source"), data_version=manifest["data_version"],
                submissions=manifest["tables"].get("submissions", 0), originals=len(manifest["originals"]),
                missing=len(manifest.get("originals_missing", [])) or None))
            store.checkpoint()
        _refuse_existing(db)  # nothing appeared meanwhile
        folder = db.parent / ARCHIVE
        if manifest["originals"]:
            archive.ready(folder)
        for entry in manifest["originals"]:
            src = tmp / entry["file"]
            os.link(src, folder / src.name)  # a link never replaces a file that is there
        archive.fsync_folder(folder)
        wal = tmp / f"{DATABASE}.wal"
        if wal.exists():  # closing checkpoints, so there is none; should DuckDB keep one, it goes along
            os.link(wal, db.with_name(db.name + ".wal"))
        os.link(tmp / DATABASE, db)
        archive.fsync_folder(db.parent)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return Restored(db, manifest, time.monotonic() - started)


def _refuse_existing(db: Path) -> None:
    wal = db.with_name(db.name + ".wal")
    if db.exists() or wal.exists():
        raise BackupRefused("bk_target_exists", path=db)
    folder = db.parent / ARCHIVE
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BackupRefused("bk_archive_in_the_way", path=folder)


def _unpack(backup: Path, into: Path) -> dict:
    """Unpack the backup's members into `into`, each hashed as it is written; returns the manifest
    once every member matches it and none is missing or extra."""
    try:
        tar = tarfile.open(backup, "r:*")
    except (tarfile.TarError, OSError) as exc:
        raise BackupRefused("bk_unreadable", file=backup.name, detail=str(exc)[:200]) from exc
    with tar:
        hashes: dict[str, tuple[str, int]] = {}
        manifest = None
        try:
            for member in tar:
                name = member.name
                if not member.isfile() or not (name in (MANIFEST, DATABASE) or _ORIGINAL.match(name)):
                    raise BackupRefused("bk_stranger", file=backup.name, member=name)
                if name in hashes or (name == MANIFEST and manifest is not None):
                    raise BackupRefused("bk_stranger", file=backup.name, member=name)
                src = tar.extractfile(member)
                if name == MANIFEST:
                    manifest = _manifest(src.read(), backup)
                    continue
                target = into / name
                target.parent.mkdir(exist_ok=True)
                digest, size = hashlib.sha256(), 0
                with open(target, "wb") as f:
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        f.write(chunk)
                hashes[name] = (digest.hexdigest(), size)
        except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
            raise BackupRefused("bk_unreadable", file=backup.name, detail=str(exc)[:200]) from exc
    if manifest is None:
        raise BackupRefused("bk_no_manifest", file=backup.name)
    listed = {manifest["database"]["file"]: manifest["database"]["sha256"],
              **{o["file"]: o["sha256"] for o in manifest["originals"]}}
    for name in sorted(set(listed) - set(hashes)):
        raise BackupRefused("bk_member_missing", file=backup.name, member=name)
    for name in sorted(set(hashes) - set(listed)):
        raise BackupRefused("bk_stranger", file=backup.name, member=name)
    for name, (sha, _size) in sorted(hashes.items()):
        named = _ORIGINAL.match(name)
        if sha != listed[name] or (named and named.group(1) != sha):
            raise BackupRefused("bk_altered", file=backup.name, member=name)
    return manifest


def _manifest(data: bytes, backup: Path) -> dict:
    try:
        manifest = json.loads(data.decode("utf-8"))
        ok = (manifest.get("format") == FORMAT and isinstance(manifest.get("tables"), dict)
              and manifest["database"]["file"] == DATABASE and isinstance(manifest["database"]["sha256"], str)
              and all(_ORIGINAL.match(o["file"]) and isinstance(o["sha256"], str) for o in manifest["originals"]))
    except (ValueError, UnicodeDecodeError, KeyError, TypeError, AttributeError):
        ok = False
    if not ok:
        raise BackupRefused("bk_bad_manifest", file=backup.name)
    if int(manifest.get("format_version", 0)) > FORMAT_VERSION:
        raise BackupRefused("bk_newer", file=backup.name, version=manifest["format_version"])
    return manifest
