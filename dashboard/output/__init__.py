"""What leaves the product: plotly figures from DataFrames, CSV and Excel bytes.

Lives here: charts.py (frame -> figure), export.py (frame -> CSV / XLSX bytes, export
layouts), style.py (the colours and type every output shares).  May import: pandas, plotly,
openpyxl, dashboard.domain, dashboard.i18n, dashboard.settings; never Streamlit or duckdb.
"""
