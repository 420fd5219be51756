"""The Streamlit app: the ONLY importer of streamlit.

Lives here: serve.py (what `streamlit run` starts: entry.py, warmed at start), entry.py (the
script: navigation, sidebar, the page), registry.py (the one list of pages that
navigation, tests and the benchmark read), state.py (the store handle, caches, language, URL
filters), widgets.py (page pieces), escape.py (names people typed, as literal Markdown),
domain_page.py (the page every domain gets) and views/ (one module a page; not pages/, which
Streamlit would auto-discover).
May import everything in the product except dashboard.bench.
"""
