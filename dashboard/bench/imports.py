"""Import part of `python -m dashboard bench`: generated returns imported end to end.

The returns are real workbooks: `build_template` for distinct reporting-unit x quarter
pairs of the provincial tree, their input cells filled with the figures the bulk load gave
those units (so they pass validation, and each import supersedes the bulk-loaded return).
Generating them runs in worker processes and is not timed.

Timed:
- the administrator's path, as `python -m dashboard import` runs it on many files: each
  file read from disk and passed to `import_return` (read with calamine, validate, load in
  its own transaction, archive), then the roll-up of the quarters they touched rebuilt
  once (`refresh_dirty_rollup`, as the CLI does from 20 files on); ms per return;
- the app's upload path on a sample: one file at a time, the roll-up refreshed with each;
- the plain way on the same files, the strong plain way: `pandas.ExcelFile(engine="calamine")`
  (pandas' fastest reader, 2.4x openpyxl's speed measured for issue 13) and `parse` per domain
  sheet, melted to long rows, concatenated, inserted into a DuckDB table; no validation, no
  archive, no roll-up.  So the ratio is the app's import against a good pandas script.
"""

from __future__ import annotations

import concurrent.futures as cf
import io
import multiprocessing
import os
import random
import re
import shutil
import time
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pandas as pd

from dashboard.db import Store
from .scratch import ScratchTable
from dashboard.domain import periods
from dashboard.domain.catalog import catalog
from dashboard.ingest import build_template, import_return
from dashboard.ingest.layout import GUIDE_SHEET, META_SHEET

from . import province
from .common import SCALES, say

SINGLE_SAMPLE = 30  # files imported one at a time, as the upload page does
PLAIN_SAMPLE = 150  # files read the plain way (ms per return is an average either way)
USER = "基准测试 bench"
PLAIN_WAY = ("pandas.read_excel with the calamine engine per domain sheet, melted, concatenated, "
             "inserted into DuckDB; no validation, archive or roll-up")


def pick_returns(tree, n: int, seed: int = 7) -> list[tuple[str, str]]:
    """n distinct (reporting unit, quarter) pairs, or all of them if fewer exist."""
    quarters = periods.quarter_range(province.PROVINCE_FIRST_QUARTER, province.PROVINCE_LAST_QUARTER)
    pairs = [(u.code, q) for u in tree.reporting_units for q in quarters]
    random.Random(seed).shuffle(pairs)
    return pairs[:n]


_WORKER: dict = {}


def _init_worker(n_target: int) -> None:
    tree = province.province_tree(n_target)
    _WORKER["store"] = SimpleNamespace(catalog=catalog(), tree=lambda: tree, tree_at=lambda quarter: tree,
                                       deadlines=dict)  # no quarter set apart: the default deadlines


_CELL = re.compile(r'<c r="([A-Z]+)(\d+)"([^>]*?)\s*/>')
_TEXT = r'<c r="{where}"[^>]*><is><t>([^<]*)</t></is></c>'


def _fill_sheet(xml: str, values: dict) -> str:
    """Type values into the empty input cells of one domain sheet's XML: the unit of a row is
    its column A, the indicator of a column its code in row 2 (the template's own layout)."""
    codes = dict(re.findall(_TEXT.format(where=r"([A-Z]+)2"), xml))
    units = dict(re.findall(_TEXT.format(where=r"A(\d+)"), xml))
    if codes.get("A") != "unit_code":
        return xml

    def typed(m: re.Match) -> str:
        col, row, attrs = m.groups()
        v = values.get((units.get(row), codes.get(col)))
        if v is None:
            return m.group(0)
        text = str(int(v)) if float(v).is_integer() else repr(float(v))
        return f'<c r="{col}{row}"{attrs}><v>{text}</v></c>'

    return _CELL.sub(typed, xml)


def _fill_one(job) -> tuple[str, bytes]:
    """Build the template and type the figures into its input cells, as a reporter would.

    The cells are typed straight into the sheets' XML (the template writes every input cell
    as an empty styled <c/>): the same file openpyxl would save, at a tenth of the time,
    which keeps the full benchmark within its few minutes."""
    unit, quarter, values = job
    template = zipfile.ZipFile(io.BytesIO(build_template(_WORKER["store"], unit, quarter)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as filled:
        for item in template.infolist():
            data = template.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = _fill_sheet(data.decode("utf-8"), values).encode("utf-8")
            filled.writestr(item, data)
    return f"{unit}_{quarter}.xlsx", out.getvalue()


def generate(db: Path, folder: Path, n: int, n_target: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    with Store(db) as store:
        pairs = pick_returns(store.tree(), n)
        frame = store.query("bench_return_facts", reps=[p[0] for p in pairs], qs=[p[1] for p in pairs])
    values: dict[tuple[str, str], dict] = {p: {} for p in pairs}
    for rep, q, unit, ind, v in frame.itertuples(index=False):
        values[(rep, q)][(unit, ind)] = v
    jobs = [(u, q, values[(u, q)]) for u, q in pairs]
    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    paths = []
    with cf.ProcessPoolExecutor(max_workers=max(1, os.cpu_count() or 1), mp_context=ctx,
                                initializer=_init_worker, initargs=(n_target,)) as pool:
        for name, data in pool.map(_fill_one, jobs, chunksize=8):
            path = folder / name
            path.write_bytes(data)
            paths.append(path)
    return paths


def import_all(db: Path, paths: list[Path], *, bulk: bool) -> tuple[float, dict[str, int], list[str]]:
    """Import the files as the CLI does (bulk) or one at a time; returns (seconds, statuses, problems)."""
    statuses: dict[str, int] = {}
    problems: list[str] = []
    with Store(db) as store:
        t = time.perf_counter()
        for path in paths:
            outcome = import_return(store, path.read_bytes(), path.name, USER, refresh=not bulk)
            statuses[outcome.status] = statuses.get(outcome.status, 0) + 1
            if outcome.status == "rejected" and len(problems) < 3:
                problems.append(f"{path.name}: {[(p.where, p.message_en) for p in outcome.errors][:3]}")
        if bulk:
            store.refresh_dirty_rollup()
        seconds = time.perf_counter() - t
    return seconds, statuses, problems


def plain_import(paths: list[Path], db: Path) -> float:
    """pandas.read_excel (calamine, the fastest engine pandas has) per domain sheet, concatenated,
    inserted into DuckDB."""
    table = ScratchTable(db)
    t = time.perf_counter()
    for path in paths:
        book = pd.ExcelFile(io.BytesIO(path.read_bytes()), engine="calamine")
        frames = []
        for sheet in book.sheet_names:
            if sheet in (GUIDE_SHEET, META_SHEET):
                continue
            wide = book.parse(sheet, header=1)
            long = wide.drop(columns=["unit_name"]).melt(id_vars="unit_code", var_name="indicator_code",
                                                         value_name="value").dropna(subset=["value"])
            frames.append(long)
        rows = pd.concat(frames, ignore_index=True)
        rows.insert(0, "file", path.name)
        rows["value"] = pd.to_numeric(rows["value"], errors="coerce")
        table.insert(rows)
    seconds = time.perf_counter() - t
    table.close()
    return seconds


def run(db: Path, workdir: Path, settings, report) -> None:
    n_target = SCALES[settings.scale]
    files = workdir / "returns"
    t = time.perf_counter()
    paths = generate(db, files, settings.returns, n_target)
    say(f"import: generated {len(paths)} filled returns in {time.perf_counter() - t:.0f} s")
    target = workdir / "import.duckdb"
    shutil.copy(db, target)

    seconds, statuses, problems = import_all(target, paths, bulk=True)
    ms = 1000 * seconds / len(paths)
    say(f"import: {len(paths)} returns in {seconds:.1f} s ({ms:.1f} ms each): {statuses}")

    single = paths[:min(SINGLE_SAMPLE, len(paths))]
    shutil.copy(db, target)
    shutil.rmtree(workdir / "archive", ignore_errors=True)
    s_seconds, s_statuses, _ = import_all(target, single, bulk=False)
    single_ms = 1000 * s_seconds / len(single)
    say(f"import: one at a time with roll-up refresh: {single_ms:.1f} ms each: {s_statuses}")

    sample = paths[:min(PLAIN_SAMPLE, len(paths))]
    plain_s = plain_import(sample, workdir / "plain.duckdb")
    plain_ms = 1000 * plain_s / len(sample)
    say(f"import: plain way {plain_ms:.1f} ms per return over {len(sample)} files")
    avg_kb = sum(p.stat().st_size for p in paths) / len(paths) / 1024
    report.import_ = {
        "returns": len(paths), "ms_per_return": round(ms, 1), "baseline_ms_per_return": round(plain_ms, 1),
        "ratio": round(plain_ms / ms, 2), "single_ms_per_return": round(single_ms, 1),
        "single_sample": len(single), "baseline_sample": len(sample), "statuses": statuses,
        "avg_file_kb": round(avg_kb, 1),
    }
    loaded = statuses.get("loaded", 0)
    if loaded != len(paths):
        report.problems.append(f"IMPORT only {loaded} of {len(paths)} returns loaded: {statuses} {problems}")
