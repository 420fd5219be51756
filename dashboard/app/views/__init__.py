"""The app's pages, one module each (`render()`), and the charts domains show (domain_charts.py).

Not Streamlit's auto-discovered pages/ folder: registry.py lists what is shown.  May import what
the app layer may (state, widgets, the product's plain modules); never dashboard.bench.
"""
