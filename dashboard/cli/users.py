"""`users`: who may sign in to the app (dashboard/domain/access.py): add, list, remove, import."""

from __future__ import annotations

from pathlib import Path

from .. import i18n
from ..exits import EXIT_OK, EXIT_REJECTED
from ..output.safe import printable
from .common import UsageError, command, echo, open_store, read_bounded, user_of


def _users_args(p) -> None:
    from ..domain.access import ROLES

    p.add_argument("--user", default=None, help="who makes the change, for the audit trail (default: the login name)")
    sub = p.add_subparsers(dest="action", required=True, metavar="add|list|remove|import")
    add = sub.add_parser("add", help="add a user, or change the role, scope or name of one")
    add.add_argument("login", help="the identity provider's claim: the e-mail address (or sub)")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument("--unit", default=None, help="the unit whose subtree is the scope (an admin's: the root)")
    add.add_argument("--name", default=None, help="the name shown (default: kept for an existing login, else empty)")
    add.add_argument("--email", default=None, help="where e-mail reminders go (default: kept for an existing login, "
                                                   "else the login when it is an address)")
    add.add_argument("--mobile", default=None, help="a mobile number, for the group robots' @-mention "
                                                    "(default: kept for an existing login)")
    sub.add_parser("list", help="every user: login, name, role, scope unit, when added")
    remove = sub.add_parser("remove", help="remove a user")
    remove.add_argument("login")
    imp = sub.add_parser("import", help="add or update every user of a file (columns login,name,role,unit"
                                        "[,email,mobile]), "
                                        "all or none")
    imp.add_argument("file", nargs=1, type=Path, help="a .csv or .xlsx file")


def _width(text: str) -> int:
    """Columns a terminal gives `text` (a Chinese character takes two)."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _print_user_problems(problems, file_name: str | None = None) -> None:
    for row, problem in problems:
        where = i18n.both("usr_import_row", file=printable(file_name), row=row) if file_name and row else (
            printable(file_name) if file_name else "")
        echo(f"{where + ' · ' if where else ''}错误 error: {printable(problem)}")


@command("users", "who may sign in: users add LOGIN --role R --unit CODE [--name N] | list | remove LOGIN | "
                  "import FILE", args=_users_args)
def cmd_users(args) -> int:
    from ..domain import access
    from ..domain.acting import acting
    from ..ingest.userfile import read_users

    with acting(user_of(args), "cli"), open_store(args) as store:
        tree = store.tree()
        if args.action == "list":
            users = store.users()
            if not users:
                echo(i18n.both("usr_none"))
                return EXIT_OK
            rows = [["login", "name", "role", "unit", "unit_name", "email", "mobile", "created_at"]]
            rows += [[u.login, u.name, u.role, u.unit, tree[u.unit].name_zh if u.unit in tree else "", u.email,
                      u.mobile, str(u.created_at)[:19]] for u in users]
            shown = [[printable(v) for v in r] for r in rows]
            widths = [max(_width(r[i]) for r in shown) for i in range(len(rows[0]))]
            for r in shown:
                echo("  ".join(v + " " * (w - _width(v)) for v, w in zip(r, widths)).rstrip())
            return EXIT_OK
        if args.action == "remove":
            login = access.normal_login(args.login)
            if not store.remove_user(login):
                echo(f"错误 error: {i18n.both('usr_not_found', login=printable(login))}", err=True)
                return EXIT_REJECTED
            echo(i18n.both("usr_removed", login=printable(login)))
            return EXIT_OK
        if args.action == "add":
            # changing a role or scope keeps the name, e-mail and mobile; only their options change them
            known = {u.login: u for u in store.users()}.get(access.normal_login(args.login))

            def kept(given, field: str) -> str:
                return given if given is not None else (getattr(known, field) if known else "")

            entries = [(None, access.clean_entry(tree, args.login, kept(args.name, "name"), args.role, args.unit,
                                                 kept(args.email, "email"), kept(args.mobile, "mobile")))]
            action, target = "user.add", None
        else:
            path = Path(args.file[0])
            if not path.is_file():
                raise UsageError(i18n.both("imp_file_missing", path=path))
            entries, problems = read_users(tree, read_bounded(path), path.name)
            if problems:
                _print_user_problems(problems, path.name)
                echo(i18n.both("usr_import_rejected", file=printable(path.name), n=len(problems)))
                store.audit("user.import", path.name, "rejected", f"{len(problems)} problems")
                return EXIT_REJECTED
            action, target = "user.import", path.name
        try:
            done = store.put_users(entries, action=action, target=target)
        except access.UsersRejected as exc:
            _print_user_problems(exc.problems, target)
            if target:
                echo(i18n.both("usr_import_rejected", file=printable(target), n=len(exc.problems)))
            else:
                echo(i18n.both("usr_rejected"))
            return EXIT_REJECTED
    if action == "user.import":
        added = sum(old is None for _, old in done)
        echo(i18n.both("usr_import_done", file=printable(target), added=added, updated=len(done) - added))
        return EXIT_OK
    for e, old in done:
        fields = {"login": printable(e.login), "role": i18n.Key(f"role_{e.role}"), "unit": e.unit}
        if old is None:
            echo(i18n.both("usr_added", **fields))
        else:
            echo(i18n.both("usr_updated", **fields, old_role=i18n.Key(f"role_{old.role}"), old_unit=old.unit))
    return EXIT_OK
