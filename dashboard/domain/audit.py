"""What the audit trail records: the one list of actions and of the ways an action ends.

Every write is appended to the `audit` table (queries/migrations/005_audit.sql) as who
(domain/acting.py), when, from where (app / cli / system), which action, on what (`target`),
how it ended (`outcome`) and a short `detail` of `key=value` words (language-neutral: the
app shows it as it is in either language).  The table is append-only: no named query updates
or deletes it.

Where each action is recorded (so a new write knows where its entry goes):

- `return.import`  ingest/pipeline.py import_return (and cli/returns.py for a file never read);
                   target the file name; ok (in the submission's own transaction), duplicate,
                   rejected (nothing written but the entry), failed (the disk was in the way).
                   A dry run writes nothing and is not recorded.
- `return.restore` Store.restore (in its transaction); target the submission id.
- `demo.load` / `demo.clear`  demo.load_demo / Store.clear_demo (in its transaction).
- `check.repair`   health.repair; target the database file's name.
- `tree.import`    Store.load_tree(tree, audit=Note("tree.import", file name)) records it in
                   the tree's own transaction: the `tree import` command passes the note.
- `tree.rehome`    Store.load_tree(..., rehome=moves) (`tree import --rehome`): one entry per
                   unit whose rows were carried from one return to another, in the tree's
                   transaction; target "<old reporter> <quarter> → <new reporter> <quarter>".
- `user.add` / `user.remove` / `user.import`  the user commands: `store.audit(action, login,
                   outcome, detail)` after each change (or a Note on the store method that
                   makes it, so the entry lands in the change's transaction).
- `backup.create` / `backup.restore`  dashboard/backup.py; target the backup file's name.
- `anomaly.verify` Store.verify_anomaly (in the mark's transaction); target unit, quarter,
                   indicator and kind of the figure marked 「已核实」.
- `deadline.set`   Store.set_deadline (in its transaction); target the quarter.
- `remind.send`    dashboard/remind.py, through Store.record_reminders: one entry per reporting
                   unit, quarter and channel sent to (in the transaction that keeps the sends);
                   target "<unit> <quarter> <channel>", the recipients and the reason of a failure in
                   the detail; a run that sends nothing because the unit was reminded today is
                   recorded as rejected.
- `source.download` Store.original_of: a return's original workbook handed to someone from the
                   来源 panel; target the submission id; ok, or rejected (outside their scope).
- `source.view`    the app's 来源 panel, when a figure's sources are asked for outside the
                   asker's scope: rejected (nothing shown); target unit, indicator and period.

Who acts is never passed: `acting(login, via)` is set around every command (cli.run) and every
page run (app/entry.py), and the store reads it when it writes the entry.
"""

from __future__ import annotations

from dataclasses import dataclass

ACTIONS = ("return.import", "return.restore", "demo.load", "demo.clear", "check.repair", "tree.import",
           "tree.rehome", "user.add", "user.remove", "user.import", "backup.create", "backup.restore",
           "anomaly.verify", "deadline.set", "remind.send", "source.download", "source.view")
OUTCOMES = ("ok", "duplicate", "rejected", "failed")


@dataclass(frozen=True)
class Note:
    """What a store method that writes should record in the same transaction as its write:
    the action and its target (the outcome is `ok`: the entry commits with the change, or
    neither does); `detail` words are added to the ones the method writes itself."""

    action: str
    target: str | None = None
    detail: str = ""

    def __post_init__(self) -> None:
        check(self.action, "ok")


def check(action: str, outcome: str) -> None:
    """Refuse an action or outcome that is not in the lists above (a typo would hide an entry
    from every filter)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}; one of {ACTIONS}")
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown audit outcome {outcome!r}; one of {OUTCOMES}")


# The words a detail holds, each with a label in dashboard/text/audit.toml (`aud_detail_<key>`)
# the app shows; a key not listed here is shown as it is.  Values are codes, numbers, times and
# names, or "yes" for a flag.
DETAIL_KEYS = ("unit", "quarter", "submission", "superseded", "errors", "unchanged", "no_such_submission",
               "seed", "returns", "replaced", "moved", "aside", "rollup_rebuilt", "units", "data_version",
               "submissions", "originals", "missing", "bytes", "locked_ms", "created", "source", "reason",
               "added", "renamed", "moved_units", "retired", "changed", "from_return", "to_unit", "facts",
               "new_return", "rehomed", "users", "due", "channel", "recipients", "sent", "failed", "skipped",
               "indicator", "period")


def words(**fields) -> str:
    """`key=value` words of the fields that are set, in the order given (None and "" left out):
    words(unit="SW01", quarter="2025Q1", submission=153) == "unit=SW01 quarter=2025Q1 submission=153"."""
    return " ".join(f"{k}={v}" for k, v in fields.items() if v is not None and v != "")


def parse(detail: str | None) -> list[tuple[str, str]]:
    """(key, value) of each word of a detail, in order; a word without "=" is (word, "")."""
    return [tuple(w.split("=", 1)) if "=" in w else (w, "") for w in (detail or "").split()]


def _label(prefix: str, code, lang: str) -> str:
    from ..i18n import strings, t

    key = f"{prefix}{str(code).replace('.', '_')}"
    return t(key, lang) if key in strings() else str(code)


def detail_text(detail: str | None, lang: str = "zh") -> str:
    """A detail's `key=value` words as the reader's language says them (a flag: its label only)."""
    sep = ", " if lang == "en" else "，"
    if "=" not in (detail or ""):  # a sentence (user.add's 'updated: …'), not key=value words
        sep = " "
    parts = []
    for key, value in parse(detail):
        label = _label("aud_detail_", key, lang)
        parts.append(label if value in ("yes", "") else f"{label} {value}")
    return sep.join(parts)


def shown(frame, lang: str = "zh"):
    """The trail (audit_list rows) as a person reads it, headed and worded in `lang`: the audit page's
    table and the `audit` command's."""
    import pandas as pd

    from ..i18n import t

    return pd.DataFrame({
        t("aud_col_id", lang): frame["id"],
        t("aud_col_at", lang): pd.to_datetime(frame["happened_at"]).dt.strftime("%Y-%m-%d %H:%M:%S"),
        t("aud_col_actor", lang): frame["actor"],
        t("aud_col_via", lang): frame["via"].map(lambda v: _label("aud_via_", v, lang)),
        t("aud_col_action", lang): frame["action"].map(lambda v: _label("aud_action_", v, lang)),
        t("aud_col_target", lang): frame["target"].fillna(""),
        t("aud_col_outcome", lang): frame["outcome"].map(lambda v: _label("aud_outcome_", v, lang)),
        t("aud_col_detail", lang): frame["detail"].map(lambda d: detail_text(d, lang)),
    })

