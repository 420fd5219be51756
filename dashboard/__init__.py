"""党建指标看板 — the Party-building indicators dashboard.

The flow, one folder a step: domain/ (what the data means: catalog, tree, rules, periods,
filters, sums) → ingest/ (template, read, validate, load a return) → db/ (the only importer
of duckdb: connection, roll-up, store) → output/ (figures, CSV, Excel) → app/ (the only
importer of streamlit).  cli/ is the command line, settings.py every knob, demo.py the demo
bureau's data; bench/ is the benchmark, imported by nothing here.
"""

import os as _os

# openpyxl writes its XML with lxml whenever lxml is installed (python-docx brings it), and lxml
# lays out namespaces and empty elements differently from the standard library.  The templates,
# the container checks and their tests were built on the standard library's output: keep it.
_os.environ.setdefault("OPENPYXL_LXML", "False")
