"""What reading a workbook in a parse worker costs, measured: `python -m dashboard.bench.parse_cost FILE...`

For each file, one line of JSON with the median read time in this process and through a worker
(safe_read.read_overhead_ms; only for a file the container admits and a worker reads without
harm), then one with the peak resident memory of a fresh process importing it (dry run, a new
temporary database) and of its worker (peak_rss_mb).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

from dashboard.ingest import container, safe_read
from dashboard.ingest.problems import Collector


def peak_here(path: Path) -> dict:
    """The import of `path` in this process: its peak RSS before and after, and its worker's."""
    from dashboard.db import Store
    from dashboard.domain.tree import read_tree
    from dashboard.ingest.pipeline import import_return

    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "peak.duckdb") as store:
        store.load_tree(read_tree())  # the demo bureau, whose returns the measured files are
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        outcome = import_return(store, path.read_bytes(), path.name, user="peak", dry_run=True)
    parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker = safe_read._POOL.last_peak_kb / 1024
    return {"file": path.name, "status": outcome.status, "parent_before_mb": round(before, 1),
            "parent_mb": round(parent, 1), "worker_mb": round(worker, 1), "total_mb": round(parent + worker, 1),
            "problem": outcome.errors[0].message_en[:160] if outcome.errors else ""}


def peak_rss_mb(path: Path) -> dict:
    """Import `path` (dry run, into a new temporary database) in a fresh Python process and report
    the peak resident memory of that process and of its parse worker, in MB (peak_here)."""
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-m", "dashboard.bench.parse_cost", "--peak-here", str(path)],
                          capture_output=True, text=True, env=env, cwd=root, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> int:
    if argv[:1] == ["--peak-here"]:
        print(json.dumps(peak_here(Path(argv[1])), ensure_ascii=False))
        return 0
    for arg in argv:
        data = Path(arg).read_bytes()
        if container.inspect(data, Path(arg).name, Collector(Path(arg).name)) is not None:
            cost = {k: round(v, 2) for k, v in safe_read.read_overhead_ms(data).items()}
            print(json.dumps({"file": Path(arg).name, **cost}, ensure_ascii=False))
        print(json.dumps(peak_rss_mb(Path(arg)), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
