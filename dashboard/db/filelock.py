"""Which process holds the database file: an advisory lock beside it (`<db>.lock`).

DuckDB lets one process open a file for writing and refuses the others at once.  Taking this
lock first turns "refused" into "wait your turn": processes queue on it in the order the kernel
wakes them, and the lock file names the holder's PID so a waiting command can say who it waits
for.  Within one process the lock is shared (two stores of one file in one process are allowed,
as DuckDB itself shares the open file).
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

_HELD: dict[Path, list] = {}  # lock path -> [file object, holders in this process]
_GUARD = threading.Lock()


def lock_path(db: Path) -> Path:
    return db.with_name(db.name + ".lock")


class FileLock:
    def __init__(self, db: Path):
        self.path = lock_path(Path(db).resolve())
        self.held = False

    def try_acquire(self) -> bool:
        """Take the lock if no other process has it; never waits."""
        with _GUARD:
            entry = _HELD.get(self.path)
            if entry is not None:  # this process holds it already
                entry[1] += 1
                self.held = True
                return True
            f = open(self.path, "a+")
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                f.close()
                return False
            f.seek(0)
            f.truncate()
            f.write(str(os.getpid()))
            f.flush()
            _HELD[self.path] = [f, 1]
            self.held = True
            return True

    def release(self) -> None:
        if not self.held:
            return
        with _GUARD:
            entry = _HELD.get(self.path)
            self.held = False
            if entry is None:
                return
            entry[1] -= 1
            if entry[1] == 0:
                del _HELD[self.path]
                fcntl.flock(entry[0].fileno(), fcntl.LOCK_UN)
                entry[0].close()

    def holder(self) -> int | None:
        """The PID written by the process holding the lock (None if unknown)."""
        try:
            text = self.path.read_text().strip()
        except OSError:
            return None
        return int(text) if text.isdigit() else None
