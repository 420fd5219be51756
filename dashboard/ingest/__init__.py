"""Quarterly Excel returns: the template, the validator, the load, the history.

    build_template(store, unit, quarter) -> bytes          the .xlsx a reporting unit fills
    import_return(store, data, file_name, user) -> ImportOutcome
    problems_frame(outcomes, lang) -> DataFrame             the report as a table
    report_workbook(data, outcome) -> bytes                 the report as the reporter's own file, marked

Workbooks are read in worker processes (safe_read.py, parse_worker.py).  May import: openpyxl,
defusedxml, dashboard.domain, dashboard.output, dashboard.settings, dashboard.i18n, and the store
it is handed (dashboard.db); never streamlit.
"""

from .pipeline import ImportOutcome, Problem, import_return
from .report import problems_frame, report_workbook
from .template import TEMPLATE_VERSION, build_template

__all__ = ["TEMPLATE_VERSION", "ImportOutcome", "Problem", "build_template", "import_return", "problems_frame",
           "report_workbook"]
