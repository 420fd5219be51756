"""What leaves the product: plotly figures from DataFrames, CSV and Excel bytes.

Lives here: charts.py (frame -> figure), export.py (frame -> CSV / XLSX bytes, export
layouts), safe.py (the one neutralising function every spreadsheet cell, CSV row and terminal
line goes through), style.py (the colours and type every output shares).  May import: pandas, plotly,
openpyxl, dashboard.domain, dashboard.i18n, dashboard.settings; never Streamlit or duckdb.
"""
