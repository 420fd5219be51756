"""The database layer: the ONLY importer of duckdb and the only runner of SQL.

Lives here: the connection (private cursors, the one writer lock, migrations, the data
version), the subtree roll-up, and the store's typed methods.  Every statement is a named file
under queries/.  A file or disk that is in the way (a folder, not a database, read-only,
full, held by another process) is StoreUnavailable, with its message in dashboard/text/.
May import: duckdb, psycopg, sqlglot, pandas, numpy, dashboard.domain, dashboard.settings, dashboard.i18n.
"""

from .connection import DatabaseBusy, StoreUnavailable, file_table_counts
from .store import DEMO_USER, RowsWouldBeLost, Snapshot, SnapshotBroken, Store, SubmitResult, default_db_path

__all__ = ["DEMO_USER", "DatabaseBusy", "RowsWouldBeLost", "Snapshot", "SnapshotBroken", "Store", "StoreUnavailable", "SubmitResult",
           "default_db_path", "file_table_counts"]
