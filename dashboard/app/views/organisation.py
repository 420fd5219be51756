"""组织架构 Organisation (administrators): the tree file's template and an export of every version;
upload a filled tree file and see every problem with its cell, or the change it makes (新增 / 更名 /
调整隶属 / 撤销) and the returns it would touch, exactly as `tree import --dry-run` says it; apply it
in one step — the same checks and the same single transaction as `tree import`
(ingest/tree_import.py), audited as tree.import; and the tree as of any quarter, with each unit's
versions.  The first-start page of an empty database offers the same import (import_section)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.domain import periods
from dashboard.domain.tree import History
from dashboard.ingest import tree_file, tree_import
from dashboard.i18n import t as text

from .. import state, widgets
from ..escape import md
from ..state import t
from .upload import md_cells, upload_limit_mb

CHECKED = "_org_checked"  # (file name, bytes, effective quarter, rehome) of the file checked on screen
FLASH = "_org_flash"
TREE_TYPES = ("xlsx", "csv")


def _side(message: str) -> str:
    """One language's side of a message kept in both ("中文 | English")."""
    zh, _, en = message.partition(" | ")
    return (en or zh) if state.lang() == "en" else zh


def downloads_section(history: History | None) -> None:
    c1, c2 = st.columns(2)
    c1.download_button(t("org_template"), lambda: tree_file.workbook(None), file_name="组织架构_模板.xlsx",
                       mime=widgets.XLSX_MIME, key="org_template", on_click="ignore", icon=":material/download:",
                       width="stretch")
    if history is not None:
        c2.download_button(t("org_export"), lambda: tree_file.workbook(history), file_name="组织架构.xlsx",
                           mime=widgets.XLSX_MIME, key="org_export", on_click="ignore", icon=":material/download:",
                           width="stretch")


def import_section(principal, history: History | None) -> None:
    """Upload a tree file, check it, show what it changes, apply it: the same steps as `tree import`."""
    principal.check_admin()
    st.subheader(t("org_import_title"))
    store = state.store()
    files = st.file_uploader(t("org_file"), type=list(TREE_TYPES), key="org_file", help=t("org_file_help"),
                             max_upload_size=upload_limit_mb())
    c1, c2, c3 = st.columns([1, 2, 1], vertical_alignment="bottom")
    now = periods.current_quarter()
    choices = periods.quarter_range(periods.shift(now, -8), periods.shift(now, 4))[::-1]
    effective = c1.selectbox(t("org_effective"), choices, index=choices.index(now), key="org_effective",
                             format_func=state.period_fmt(), help=t("org_effective_help"),
                             disabled=history is None)
    rehome = c2.checkbox(t("org_rehome"), key="org_rehome", help=t("org_rehome_help"), disabled=history is None)
    if c3.button(t("org_check"), key="org_check", type="primary", disabled=files is None, icon=":material/rule:"):
        st.session_state[CHECKED] = (files.name, files.getvalue(), effective, rehome)
    checked = st.session_state.get(CHECKED)
    if not checked or files is None or checked[0] != files.name:
        return
    name, data, effective, rehome = checked
    found = tree_import.prepare(store, data, name, effective=effective, rehome=rehome)
    show(found)
    if found.state != "ready":
        return
    if st.button(t("org_apply", n=sum(found.counts.values())), key="org_apply", type="primary",
                 icon=":material/published_with_changes:"):
        again = tree_import.prepare(store, data, name, effective=effective, rehome=rehome)  # the database now
        if again.state != "ready" or again.changes != found.changes:
            st.warning(t("org_changed_meanwhile"))
            return
        tree_import.apply(store, again)
        state.invalidate()
        st.session_state.pop(CHECKED, None)
        st.session_state[FLASH] = t("org_applied", units=len(again.new.by_code), versions=len(again.new.versions),
                                    **{k: v for k, v in again.counts.items()})
        st.rerun()


def show(found) -> None:
    """What the import would do, as `tree import --dry-run` says it."""
    if found.state == "rejected":
        st.error(t("org_rejected", file=md(found.file_name), n=len(found.problems)), icon=":material/block:")
        frame = pd.DataFrame({t("org_col_cell"): [c or "—" for c, _ in found.problems],
                              t("org_col_problem"): [_side(m) for _, m in found.problems]})
        with st.container(key="org_problems"):
            st.table(md_cells(frame).set_index(md(frame.columns[0])))
        return
    counts = found.counts
    st.markdown("**" + t("treef_changes", **counts) + "**")
    if found.changes:
        frame = pd.DataFrame({
            t("org_col_kind"): [t(f"treef_kind_{c.kind}") for c in found.changes],
            t("col_unit_code"): [c.code for c in found.changes],
            t("org_col_before"): [c.before for c in found.changes],
            t("org_col_after"): [c.after for c in found.changes]})
        with st.container(key="org_changes"):
            widgets.grid(frame, key="org_changes_table", height=min(420, 38 + 35 * len(frame)))
    if found.state == "refused":  # each heading in bold, the returns it names under it
        said = [(f"**{md(text(k, state.lang(), **f))}**" if k.endswith("_refused") else md(text(k, state.lang(), **f)))
                for k, f in found.refusals]
        st.error("\n\n".join(said), icon=":material/block:")
        return
    if found.state == "unchanged":
        st.info(t("treef_no_change"))
        return
    if found.moves:
        st.info(t("treef_rehome_plan", facts=found.rehomed_facts, moves=len(found.moves),
                  returns=len({m.held.submission_id for m in found.moves})))


def browse_section(history: History) -> None:
    st.subheader(t("org_browse_title"))
    now = periods.current_quarter()
    first = history.first_quarter() or (state.quarters_with_data() or [now])[0]
    starts = [b for b in history.boundaries() if b < first]
    first = min([first, *starts])
    quarters = periods.quarter_range(first, max(now, *(history.boundaries() or [now])))[::-1]
    quarter = widgets.select(t("org_as_of"), quarters, key="org_quarter", default=now, format_func=state.period_fmt())
    frame = state.built(tree_frame, quarter=quarter)
    st.caption(t("org_browse_count", n=len(frame), quarter=state.period(quarter)))
    widgets.grid(frame, key="org_tree_table", height=520)
    widgets.downloads(frame, f"org_tree_{quarter}", "org_tree")


def tree_frame(quarter: str) -> pd.DataFrame:
    """The tree as of `quarter`, one row per unit in tree order, each with its versions (for
    state.built: 20,015 units take some 90 ms to walk, on every run of the page before)."""
    history = state.store().history()
    tree = history.at(quarter)
    lg = state.lang()
    rows = []

    def walk(code: str, depth: int) -> None:
        u = tree[code]
        versions = history.by_code[code]
        rows.append({
            t("col_unit_code"): code,
            t("col_unit"): "\u3000" * depth + u.name(lg),
            t("org_col_level"): tree_file.LEVEL_NAMES.get(u.level, u.level) if lg == "zh" else u.level,
            t("org_col_reporting"): t("yes") if tree.is_reporting(code) else "",
            t("org_col_versions"): t("sep_list").join(version_text(v, lg) for v in versions),
        })
        for kid in tree.kids(code):
            walk(kid.code, depth + 1)

    walk(tree.root.code, 0)
    return pd.DataFrame(rows)


def version_text(v, lg: str) -> str:
    """One version of a unit: its quarters (none when open at both ends), its name, its parent."""
    span = "" if not (v.active_from or v.active_to) else f"{v.active_from or ''}–{v.active_to or ''} "
    return f"{span}{v.name(lg)}" + (f" ⊂ {v.parent_code}" if v.parent_code else "")


def render() -> None:
    widgets.page_header(t("page_organisation"), state.filters())
    who = state.principal()
    who.check_admin()  # below the navigation too: only an administrator reads this page
    if FLASH in st.session_state:
        st.success(st.session_state.pop(FLASH))
    history = state.store().history()
    st.caption(t("org_intro"))
    downloads_section(history)
    import_section(who, history)
    st.divider()
    browse_section(history)
