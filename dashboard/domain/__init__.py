"""The domain in plain Python: the catalog, the tree, the rules, periods, filters, the sums.

Lives here: what the data means (data/*.csv read and checked), how quarters roll into
periods, the shared filters, rankings and comparisons on DataFrames.  May import: pandas,
dashboard.settings, dashboard.i18n; never the database, Streamlit or plotly.
"""
