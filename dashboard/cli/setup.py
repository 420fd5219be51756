"""`settings` (every knob and its value) and `demo` (load or clear the demo bureau's data)."""

from __future__ import annotations

from .. import i18n
from ..exits import EXIT_OK, EXIT_REJECTED
from .common import command, csv_out, echo, open_store


def _settings_args(p) -> None:
    p.add_argument("--markdown", action="store_true", help="as docs/settings.md's table: variable, default, what it sets")


@command("settings", "every setting: environment variable, default, value now, what it does", args=_settings_args,
         db=False)
def cmd_settings(args) -> int:
    from ..settings import describe, markdown_table

    if args.markdown:
        echo(markdown_table())
        return EXIT_OK
    csv_out([["variable", "default", "value", "help"], *describe()])
    return EXIT_OK


def _demo_args(p) -> None:
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument("--clear", action="store_true", help="remove all demo data in one step")
    p.add_argument("--if-empty", action="store_true",
                   help="load only into a database with no organisation and no returns yet (make run)")


@command("demo", "load (or --clear) the deterministic demo data", args=_demo_args)
def cmd_demo(args) -> int:
    from ..demo import NotTheDemoTree, demo_logins, load_demo

    with open_store(args) as store:
        if args.clear:
            n = store.clear_demo(users=demo_logins(store))
            echo(f"已删除演示数据 {n} 份报表 / removed {n} demo returns from {store.path}")
        else:
            if args.if_empty and (store.has_tree() or store.has_submissions()):
                echo(i18n.both("demo_not_empty"))
                return EXIT_OK
            try:
                n = load_demo(store, seed=args.seed)
            except NotTheDemoTree as exc:
                echo(f"错误 error: {exc}", err=True)
                return EXIT_REJECTED
            echo(f"已载入演示数据 {n} 份报表 / loaded {n} demo returns into {store.path}")
    return EXIT_OK
