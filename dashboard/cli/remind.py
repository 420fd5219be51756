"""`remind` (催报: the reporters of returns due and not in) and `deadline` (each quarter's)."""

from __future__ import annotations

from .. import i18n
from ..domain import periods
from ..exits import EXIT_OK, EXIT_REJECTED
from ..output.safe import printable
from .common import UsageError, command, date_arg, echo, open_store, quarter_arg


def _remind_args(p) -> None:
    from ..remind import CHANNELS

    p.add_argument("--period", type=quarter_arg, default=None,
                   help="the quarter whose returns to chase (default: the latest quarter that has ended)")
    p.add_argument("--dry-run", action="store_true", help="list the units, reporters and messages; send nothing")
    p.add_argument("--channel", action="append", choices=CHANNELS, default=None,
                   help="send by this channel only (repeatable; default: every channel configured in "
                        "the secrets file's [remind] section)")
    p.add_argument("--user", default=None, help="who sends, for the audit trail (default: the login name)")


@command("remind", "remind the reporters of every unit whose return is due and not in (e-mail, 企业微信, 钉钉)",
         args=_remind_args)
def cmd_remind(args) -> int:
    from .. import remind

    try:
        config = remind.read_config()
    except remind.RemindError as exc:
        echo(f"错误 error: {printable(exc)}", err=True)
        return EXIT_REJECTED
    channels = tuple(args.channel or ()) or remind.configured(config)
    if not channels:
        if not args.dry_run:
            echo(f"错误 error: {i18n.both('remind_no_channel')}", err=True)
            return EXIT_REJECTED
        channels = remind.CHANNELS  # a preview shows what every channel would send
    with open_store(args) as store:
        try:
            planned = remind.plan(store, args.period, channels)
        except remind.RemindError as exc:
            echo(f"错误 error: {printable(exc)}", err=True)
            return EXIT_REJECTED
        _print_plan(planned, args.dry_run)
        if args.dry_run or not planned.messages:
            if not args.dry_run and planned.units:
                remind.send(store, planned, config)  # nothing to send: the refusals are audited
                echo(i18n.both("remind_nothing_sent"))
            return EXIT_OK
        outcomes = remind.send(store, planned, config)
    for o in outcomes:
        mark = "✓" if o.ok else "✗"
        echo(f"  {mark} {o.message.unit} {i18n.t('remind_channel_' + o.message.channel)} {printable(o.message.to)}"
             + (f"  {printable(o.reason)}" if o.reason else ""))
    failed = sum(not o.ok for o in outcomes)
    echo(i18n.both("remind_sent_line", ok=len(outcomes) - failed, failed=failed))
    return EXIT_REJECTED if failed else EXIT_OK


def _print_plan(planned, dry_run: bool) -> None:
    from .. import remind
    from ..domain import periods as p

    period = p.label(planned.quarter)
    if not planned.units:
        echo(i18n.t("remind_none_due", period=period))
        return
    days = remind.days_left_of(planned)
    echo(f"{i18n.t('remind_heading', n=len(planned.units), period=period, deadline=planned.deadline.isoformat(), days=remind.days_text(days))}"
         + (i18n.t("remind_dry_run") if dry_run else ""))
    for unit in planned.units:
        who = "、".join(f"{r.name} <{r.email or '—'}>" + (f" {r.mobile}" if r.mobile else "") for r in unit.reporters)
        echo(f"  {unit.code}  {printable(unit.name)}  报送人 reporters: {printable(who) or '—'}")
        for m in (m for m in planned.messages if m.unit == unit.code):
            echo(f"    → {i18n.t('remind_channel_' + m.channel)}  {printable(m.to)}  {printable(m.subject)}")
        for s in (s for s in planned.skipped if s.unit == unit.code):
            channel = f"{i18n.t('remind_channel_' + s.channel)}  " if s.channel else ""
            echo(f"    × {channel}{printable(s.text())}")


def _deadline_args(p) -> None:
    p.add_argument("--period", type=quarter_arg, default=None, help="the quarter whose deadline to set")
    p.add_argument("--date", type=date_arg, default=None, help="its deadline, YYYY-MM-DD")
    p.add_argument("--default", action="store_true", help="put the quarter back on the default deadline")
    p.add_argument("--user", default=None, help="who sets it, for the audit trail (default: the login name)")


@command("deadline", "the deadlines of the quarters: list them, or set one quarter's apart from the default",
         args=_deadline_args)
def cmd_deadline(args) -> int:
    from datetime import date as day

    from ..domain import deadlines

    with open_store(args) as store:
        if args.period is None:
            if args.date or args.default:
                raise UsageError("--date / --default 需要 --period / need --period")
            set_apart = store.deadlines()
            span = store.quarter_span()
            quarters = periods.quarter_range(span[0], span[1]) if span else []
            quarters = sorted(set(quarters) | set(set_apart))
            for q in quarters:
                mark = "  （已单独设定 set apart）" if q in set_apart else ""
                echo(f"{q}  {deadlines.due(q, set_apart).isoformat()}{mark}")
            return EXIT_OK
        if bool(args.date) == bool(args.default):
            raise UsageError("--period 需要 --date 或 --default 之一 / --period needs one of --date, --default")
        due = day.fromisoformat(args.date) if args.date else None
        store.set_deadline(args.period, due)
        echo(f"{args.period}  {deadlines.due(args.period, store.deadlines()).isoformat()}")
    return EXIT_OK
