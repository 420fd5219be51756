"""What leaves the product: plotly figures from DataFrames, CSV and Excel bytes.

Lives here: charts.py (frame -> figure), export.py (frame -> CSV / XLSX bytes, export
layouts), safe.py (the one neutralising function every spreadsheet cell, CSV row and terminal
line goes through), style.py (the colours and type every output shares), briefing.py (the
quarterly 通报 as a Word document; its charts through kaleido, its PDF through LibreOffice).
May import: pandas, plotly, openpyxl, python-docx, kaleido, dashboard.domain, dashboard.i18n,
dashboard.settings; never Streamlit or duckdb.
"""
