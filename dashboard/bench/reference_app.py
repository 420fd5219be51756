"""Reference pages the benchmark times the app's pages against (never shown to users).

- start:   a title only; the page the benchmark switches from.
- trivial: a title and one small plotly chart: the cost of a page switch itself.
- four:    a title, four plotly charts and a 100-row table, no data work: what layout
           alone costs (the design expects about 2x the trivial page).

Run by the benchmark as `streamlit run dashboard/bench/reference_app.py`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

X = [f"2024Q{i}" for i in range(1, 5)]
Y = [12, 15, 9, 14]


def start() -> None:
    st.title("start")


def trivial() -> None:
    st.title("trivial")
    st.plotly_chart(go.Figure(go.Bar(x=X, y=Y)), key="trivial_chart")


def four() -> None:
    st.title("four")
    left, right = st.columns(2)
    with left:
        st.plotly_chart(go.Figure(go.Bar(x=X, y=Y)), key="c1")
        st.plotly_chart(go.Figure(go.Scatter(x=X, y=Y, mode="lines+markers")), key="c2")
    with right:
        st.plotly_chart(go.Figure(go.Heatmap(z=np.arange(20).reshape(4, 5))), key="c3")
        st.plotly_chart(go.Figure(go.Bar(x=Y, y=X, orientation="h")), key="c4")
    rows = np.arange(100)
    st.dataframe(pd.DataFrame({"unit": [f"U{i:03d}" for i in rows], "value": rows * 1.5, "rank": rows + 1}),
                 hide_index=True)


st.set_page_config(page_title="bench reference", layout="wide")
page = st.navigation([st.Page(start, url_path="start", title="start", default=True),
                      st.Page(trivial, url_path="trivial", title="trivial"),
                      st.Page(four, url_path="four", title="four")], position="sidebar")
page.run()
