"""Every setting of the product, in one typed, frozen structure.

Each field is a knob with its default, the environment variable that sets it and a one-line
help.  The command line (`python -m dashboard settings`), the defaults and docs/settings.md's
settings table all come from here (a test holds the document to it).  Nothing reads the
environment at import time: `current()` reads it when asked, so a test or a server that
sets a variable is heard.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
QUERIES_DIR = ROOT / "queries"


def _knob(default, env: str, help: str):
    return field(default=default, metadata={"env": env, "help": help})


@dataclass(frozen=True)
class Settings:
    # --- the data ----------------------------------------------------------------------------
    data_dir: Path = _knob(DATA_DIR, "DANGJIAN_DATA_DIR",
                           "the folder of catalog.csv, domains.csv, domain_charts.csv, rules.csv and org_tree.csv")
    # --- the database ------------------------------------------------------------------------
    db: Path = _knob(DATA_DIR / "dangjian.duckdb", "DANGJIAN_DB",
                     "the DuckDB file (the archive of original returns lives beside it), "
                     "or a PostgreSQL server's database: postgresql://user:password@host:5432/name")
    pg_folder: Path = _knob(DATA_DIR / "postgres", "DANGJIAN_PG_FOLDER",
                            "with PostgreSQL: the folder of each database's archive of original returns "
                            "(share it between app instances)")
    pg_connections: int = _knob(20, "DANGJIAN_PG_CONNECTIONS",
                                "with PostgreSQL: most connections one app instance or command opens; a page run "
                                "past them waits for one to come back (keep instances × this under the server's "
                                "max_connections)")
    lock_timeout_s: float = _knob(10.0, "DANGJIAN_LOCK_TIMEOUT",
                                  "seconds a second process waits for the database file before saying who holds it")
    duckdb_memory: str = _knob("1GB", "DANGJIAN_DUCKDB_MEMORY",
                               "DuckDB's buffer cap; past it DuckDB spills to disk instead of growing")
    rollup_rebuild_share: float = _knob(0.3, "DANGJIAN_ROLLUP_REBUILD_SHARE",
                                        "a bulk load touching more than this share of a quarter's returns "
                                        "rebuilds the quarter's roll-up whole")
    rollup_one_pass_units: int = _knob(400, "DANGJIAN_ROLLUP_ONE_PASS_UNITS",
                                       "up to this many units are refreshed in one statement; more, level by level")
    check_show_rows: int = _knob(20, "DANGJIAN_CHECK_SHOW_ROWS",
                                 "differing roll-up rows `check` lists one by one (all of them are counted)")
    secrets: Path = _knob(ROOT / ".streamlit" / "secrets.toml", "DANGJIAN_SECRETS",
                          "the secrets file the command line reads (the app reads Streamlit's own): "
                          "[remind.smtp], [remind.wecom], [remind.dingtalk] for reminders")
    # --- the clock -----------------------------------------------------------------------------
    today: str = _knob("", "DANGJIAN_TODAY",
                       "the date the product takes for today (YYYY-MM-DD): which quarter is current, what is due "
                       "or late, the day of a reminder; unset: the machine's clock (set for tests and rehearsals)")
    # --- sign-in -------------------------------------------------------------------------------
    auth: str = _knob("", "DANGJIAN_AUTH",
                      "how people sign in: `oidc` (the default when .streamlit/secrets.toml has [auth]): "
                      "everyone signs in; `none`: nobody does, served on a loopback address only; "
                      "unset with no [auth]: the open demo mode")
    # --- returns -------------------------------------------------------------------------------
    deadline_days: int = _knob(15, "DANGJIAN_DEADLINE_DAYS",
                               "a return is due this many days after its quarter ends, unless its quarter's "
                               "deadline is set (`python -m dashboard deadline`, the 报送情况 page)")
    contact: str = _knob("", "DANGJIAN_CONTACT",
                         "whom reporters ask, as the template's 联系人 line and the reminders say it "
                         "(e.g. 局机关党委 张三 0571-12345678); unset: the template says to ask the bureau's Party office")
    app_url: str = _knob("", "DANGJIAN_APP_URL",
                         "the address people open the app at (e.g. https://dangjian.example.gov.cn); "
                         "reminders link to its upload page; unset: reminders name the page instead")
    max_file_mb: float = _knob(5.0, "DANGJIAN_MAX_FILE_MB", "largest return file accepted (a return is tens of KB)")
    max_uncompressed_mb: float = _knob(40.0, "DANGJIAN_MAX_UNCOMPRESSED_MB",
                                       "largest total a return's zip may inflate to")
    max_zip_parts: int = _knob(500, "DANGJIAN_MAX_ZIP_PARTS", "most parts a return's zip may hold")
    max_zip_ratio: float = _knob(200.0, "DANGJIAN_MAX_ZIP_RATIO",
                                 "a part (over 1 MB) inflating more than this many times over is a zip bomb")
    sheet_max_rows: int = _knob(5000, "DANGJIAN_SHEET_MAX_ROWS",
                                "most rows any sheet of a return may declare or fill (checked before it is parsed)")
    sheet_max_area: int = _knob(500_000, "DANGJIAN_SHEET_MAX_AREA",
                                "most cells of the rectangle from A1 a sheet may span (what the reader allocates)")
    sheet_max_cells: int = _knob(100_000, "DANGJIAN_SHEET_MAX_CELLS", "most filled cells a sheet may hold")
    parse_memory_mb: int = _knob(512, "DANGJIAN_PARSE_MEMORY_MB",
                                 "address space of the worker that reads a workbook; one needing more is refused")
    parse_timeout_s: float = _knob(20.0, "DANGJIAN_PARSE_TIMEOUT_S",
                                   "seconds the worker may take to read one workbook; a slower one is refused")
    parse_workers: int = _knob(2, "DANGJIAN_PARSE_WORKERS", "workers kept to read workbooks (more reads wait)")
    sheet_extra_rows: int = _knob(200, "DANGJIAN_SHEET_EXTRA_ROWS",
                                  "rows past a return's last unit a sheet may span before it is refused")
    sheet_max_cols: int = _knob(300, "DANGJIAN_SHEET_MAX_COLS", "most columns a return's sheet may span")
    bulk_import_min_files: int = _knob(20, "DANGJIAN_BULK_IMPORT_MIN_FILES",
                                       "from this many files an import refreshes the roll-up once, at the end")
    progress_min_files: int = _knob(10, "DANGJIAN_PROGRESS_MIN_FILES",
                                    "from this many files an import shows a progress bar on a terminal")
    # --- pages ---------------------------------------------------------------------------------
    default_span_quarters: int = _knob(12, "DANGJIAN_DEFAULT_SPAN_QUARTERS",
                                       "quarters the period filter shows at first, ending with the latest")
    sidebar_max_units: int = _knob(12, "DANGJIAN_SIDEBAR_MAX_UNITS", "most units the sidebar's unit filter takes")
    compare_max_units: int = _knob(5, "DANGJIAN_COMPARE_MAX_UNITS", "most units the compare page puts side by side")
    overview_max_units: int = _knob(4, "DANGJIAN_OVERVIEW_MAX_UNITS", "most units the overview shows figures for")
    anomaly_scan_max_units: int = _knob(2000, "DANGJIAN_ANOMALY_SCAN_MAX_UNITS",
                                        "most units whose figures the pages check for anomalies on opening; "
                                        "above, the check runs when asked (it reads two years of every figure)")
    anomalies_shown: int = _knob(10, "DANGJIAN_ANOMALIES_SHOWN",
                                 "anomalies listed first on a page, the furthest off first; the rest in the full list")
    funnel_max_units: int = _knob(5, "DANGJIAN_FUNNEL_MAX_UNITS", "most units drawn as funnels side by side")
    screen_rotate_seconds: int = _knob(20, "DANGJIAN_SCREEN_ROTATE_SECONDS",
                                       "seconds each slide of the projector page (/screen) stays up; `?rotate=N` overrides")
    short_list_limit: int = _knob(1000, "DANGJIAN_SHORT_LIST_LIMIT",
                                  "branch-quarters short of 三会一课 listed in detail (all are counted)")
    explorer_max_rows: int = _knob(20000, "DANGJIAN_EXPLORER_MAX_ROWS",
                                   "rows the explorer shows on screen (its exports hold every row)")
    audit_max_rows: int = _knob(5000, "DANGJIAN_AUDIT_MAX_ROWS",
                                "audit entries the audit page shows on screen, newest first (its exports hold every one)")
    problems_as_table: int = _knob(200, "DANGJIAN_PROBLEMS_AS_TABLE",
                                   "up to this many problems an upload lists in full; more scroll in a grid")
    built_cache_entries: int = _knob(300, "DANGJIAN_BUILT_CACHE_ENTRIES",
                                     "finished figures and tables the app keeps built")
    query_cache_entries: int = _knob(2000, "DANGJIAN_QUERY_CACHE_ENTRIES", "query results the app keeps")
    # --- the quarterly briefing -----------------------------------------------------------------
    chromium: Path = _knob(Path("/usr/bin/chromium"), "DANGJIAN_CHROMIUM",
                           "the Chromium that draws the briefing's charts as images (never a downloaded one)")
    soffice: str = _knob("soffice", "DANGJIAN_SOFFICE", "the LibreOffice program that turns the briefing into a PDF")
    office_timeout_s: float = _knob(180.0, "DANGJIAN_OFFICE_TIMEOUT_S",
                                    "seconds LibreOffice or Chromium may take for one briefing before it is given up")
    briefing_issuer: str = _knob("", "DANGJIAN_BRIEFING_ISSUER",
                                 "the 通报's 发文机关标志 (e.g. 中共某市水务局党组); empty: the unit's name")
    briefing_doc_prefix: str = _knob("", "DANGJIAN_BRIEFING_DOC_PREFIX",
                                     "the 机关代字 of the 发文字号 (e.g. 水党发): `briefing --doc-number 3` writes 水党发〔2025〕3号")
    briefing_copy_to: str = _knob("", "DANGJIAN_BRIEFING_COPY_TO", "the 版记's 抄送 line (empty: none)")
    briefing_printed_by: str = _knob("", "DANGJIAN_BRIEFING_PRINTED_BY",
                                     "the 版记's 印发机关 (e.g. 市水务局党组办公室); empty: the issuer")
    # --- the benchmark -------------------------------------------------------------------------
    bench_keep: bool = _knob(False, "DANGJIAN_BENCH_KEEP",
                             "keep the benchmark's temporary databases and files (1) instead of removing them")

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    @property
    def max_uncompressed_bytes(self) -> int:
        return int(self.max_uncompressed_mb * 1024 * 1024)

    @classmethod
    def from_env(cls, environ=None) -> Settings:
        """The defaults, each overridden by its environment variable where it is set."""
        environ = os.environ if environ is None else environ
        given = {}
        for f in fields(cls):
            raw = environ.get(f.metadata["env"])
            if raw:
                given[f.name] = _parse(raw, f.default)
        return cls(**given)


def _parse(raw: str, default):
    if isinstance(default, bool):
        if raw.strip().lower() not in ("1", "0", "true", "false", "yes", "no"):
            raise ValueError(f"{raw!r} is not a yes/no value")
        return raw.strip().lower() in ("1", "true", "yes")
    if isinstance(default, Path):
        return db_location(raw)
    return type(default)(raw)


def db_location(raw: str | Path) -> Path | str:
    """A --db / DANGJIAN_DB value: a PostgreSQL URL stays text (a path would fold its //)."""
    text = str(raw)
    return text if text.startswith(("postgresql://", "postgres://")) else Path(text)


class SettingError(ValueError):
    """An environment variable holds a value its setting cannot take."""


def current() -> Settings:
    """The settings now (read from the environment on each call, so never stale; parsed once per
    set of values: a page's run asks for them hundreds of times)."""
    values = _environment_values()
    found = _PARSED.get(values)
    if found is None:
        try:
            found = Settings.from_env()
        except ValueError as exc:
            raise SettingError(f"bad setting in the environment: {exc}") from exc
        if len(_PARSED) > 64:  # the environment changes in tests; never grow without end
            _PARSED.clear()
        _PARSED[values] = found
    return found


_ENV_NAMES = tuple(f.metadata["env"] for f in fields(Settings))
_ENV_KEYS = tuple(map(os.environ.encodekey, _ENV_NAMES)) if hasattr(os.environ, "encodekey") else ()
_PARSED: dict[tuple, Settings] = {}


def _environment_values() -> tuple:
    """The settings' variables as the environment holds them.  os.environ keeps them in a dict under
    encoded names; reading that is 20x cheaper than os.environ.get (2 against 46 µs for the 41
    names), and current() is asked ~80 times per page run and per imported return."""
    raw = getattr(os.environ, "_data", None)
    if raw is None or not _ENV_KEYS:
        return tuple(map(os.environ.get, _ENV_NAMES))
    return tuple(map(raw.get, _ENV_KEYS))


def describe() -> list[tuple[str, str, str, str]]:
    """(environment variable, default, current value, help) for every setting, in order."""
    now = current()
    return [(f.metadata["env"], _shown(f.default), _shown(getattr(now, f.name)), f.metadata["help"])
            for f in fields(Settings)]


def _shown(value) -> str:
    if isinstance(value, Path):
        try:
            return str(value.relative_to(ROOT))
        except ValueError:
            return str(value)
    return str(value)


def markdown_table() -> str:
    """The settings as docs/settings.md's table shows them (a test holds the document to this)."""
    lines = ["| variable | default | what it sets |", "|---|---|---|"]
    lines += [f"| `{env}` | {f'`{default}`' if default else '(unset)'} | {help_} |" for env, default, _, help_ in describe()]
    return "\n".join(lines)
