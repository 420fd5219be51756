"""Is the page being read on a phone?  Plotly lays a figure out on the server (its title, its
margins, which way its tick labels run), so the server has to know the width before it builds
the copy it sends; CSS alone can stack the cards but cannot turn a chart's labels.

The browser says so itself: a small script (a Streamlit v2 component, mounted in the page, no
iframe) reads `window.innerWidth` and reports whether it is under style.PHONE_MAX_PX, and again when the
window is turned or resized, but only when that differs from what the server already believes, so
it never reruns the page for nothing (a wrong belief costs one run cut short, see `detect`).  Until it has spoken (the first run of a session), a
browser that calls itself a phone in its User-Agent is taken for one, so a phone's first screen is
usually right at once; a wrong guess is corrected by the script one run later.

Why not a query parameter or CSS container queries: a link sent from a desktop would carry the
desktop's choice to a phone, and CSS cannot reach inside a plotly figure's SVG layout.
"""

from __future__ import annotations

import streamlit as st

from dashboard.output.style import PHONE_MAX_PX
_KEY = "_viewport"
_BELIEF = "_phone"

_JS = """
export default function ({ data, setStateValue }) {
  const report = () => {
    const narrow = window.innerWidth < data.limit;
    if (narrow !== data.narrow) setStateValue("narrow", narrow);
    // what the page is laid out for, once the server agrees with the window (tests wait on it)
    else document.body.dataset.layout = narrow ? "phone" : "wide";
  };
  report();
  window.addEventListener("resize", report);
  return () => window.removeEventListener("resize", report);
}
"""

_mount = st.components.v2.component("dangjian_viewport", js=_JS)


def _ua_says_phone() -> bool:
    ua = (st.context.headers.get("User-Agent") or "") if st.context.headers else ""
    return "Mobile" in ua or "iPhone" in ua or ("Android" in ua and "Tablet" not in ua)


def detect() -> bool:
    """Mount the reporter (once a run, before any page) and return whether this is a phone.

    The reporter is mounted under a key that carries the server's belief: when the window says
    otherwise, the belief changes and the run starts over at once (nothing drawn yet), mounting a
    fresh reporter that finds the window and the belief agreeing and marks the page so."""
    if _BELIEF not in st.session_state:
        st.session_state[_BELIEF] = _ua_says_phone()
    belief = bool(st.session_state[_BELIEF])
    result = _mount(key=f"{_KEY}_{int(belief)}", data={"limit": PHONE_MAX_PX, "narrow": belief},
                    on_narrow_change=lambda: None, height=0)
    narrow = getattr(result, "narrow", None) if result is not None else None
    if isinstance(narrow, bool) and narrow != belief:
        st.session_state[_BELIEF] = narrow
        st.rerun()
    return belief


def phone() -> bool:
    """What `detect` decided this run (False outside a run, e.g. under AppTest before it ran)."""
    return bool(st.session_state.get(_BELIEF, False))
