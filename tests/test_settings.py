"""Every setting in one structure: read from the environment when asked, listed by the command
line, and documented in docs/settings.md exactly as defined."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.domain.catalog import catalog
from dashboard.settings import ROOT, SettingError, Settings, current, markdown_table

SETTINGS_DOC = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
REPORTERS_DOC = (ROOT / "docs" / "reporters.md").read_text(encoding="utf-8")


def test_the_environment_is_read_when_asked_not_at_import(monkeypatch):
    assert current().deadline_days == Settings().deadline_days
    monkeypatch.setenv("DANGJIAN_DEADLINE_DAYS", "20")
    monkeypatch.setenv("DANGJIAN_DB", "/tmp/x.duckdb")
    monkeypatch.setenv("DANGJIAN_BENCH_KEEP", "yes")
    now = current()
    assert now.deadline_days == 20 and now.db == Path("/tmp/x.duckdb") and now.bench_keep is True


def test_a_bad_value_is_named(monkeypatch):
    monkeypatch.setenv("DANGJIAN_SIDEBAR_MAX_UNITS", "many")
    with pytest.raises(SettingError, match="many"):
        current()


def test_the_documented_table_is_the_settings():
    block = re.search(r"<!-- settings -->\n(.*?)\n<!-- /settings -->", SETTINGS_DOC, re.S)
    assert block and block.group(1).strip() == markdown_table()


def test_the_command_lists_every_setting():
    out = subprocess.run([sys.executable, "-m", "dashboard", "settings"], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0
    lines = out.stdout.splitlines()
    assert lines[0] == "variable,default,value,help"
    assert len(lines) - 1 == len(Settings.__dataclass_fields__)
    assert any(line.startswith("DANGJIAN_LOCK_TIMEOUT,10.0,") for line in lines)


def test_the_reporters_guide_states_every_rule_of_the_data():
    for rule in catalog().rules:
        assert rule.statement_en in REPORTERS_DOC, rule.code
