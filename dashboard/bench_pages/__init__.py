"""Reference Streamlit pages for `python -m dashboard bench` (not part of the app)."""
