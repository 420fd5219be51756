"""Who may do what: a signed-in person (a `Principal`) and the rules of their role and scope.

Plain Python, under every page and command: the store, the importer, the template, the
exports and the app's query function each take the acting principal and ask these rules, so
hiding a button is never what keeps someone out.

Roles (`ROLES`):

- **leader** reads and exports the figures of its scope, the subtree of one unit;
- **reporter** reads its scope, downloads templates and uploads returns for the reporting
  units inside it, and sees their history; it cannot restore;
- **admin** does everything, over the whole tree (restore, the tree, users, demo data,
  backups); the unit recorded for an administrator is the root.

A named chart query is allowed when every unit it names (`QUERY_UNITS`) lies in the scope;
otherwise `AccessDenied` is raised (refused, not clamped: a page asks only for what its
filters allow, so a refusal means something asked for more, and says so).  How the app picks
its sign-in mode (`decide_mode`) is here too, as a plain function of the setting, whether a
provider is configured and the address served on.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .. import i18n
from .tree import Tree

ROLES = ("leader", "reporter", "admin")
LOGIN_MAX = 254  # an e-mail address at most
# Where a reminder reaches a user: one address (no spaces, no second @, a dot in the domain), and
# a mobile number as people write it (digits, a leading +, spaces or dashes between groups).
EMAIL = re.compile(r"[^@\s<>,;\"]{1,64}@[^@\s<>,;\"]+\.[^@\s<>,;\".]{2,}", re.ASCII)
MOBILE = re.compile(r"\+?[0-9][0-9 -]{4,19}")

@dataclass(frozen=True)
class QueryScope:
    """How a named chart query is kept within a principal's scope, as its SQL file's header says
    (`-- scope: units units`, read by db/queries.NamedQuery): `units` — the parameters `params`
    name units, each must be inside; `submissions` — they name submissions, whose reporting units
    must be; `admin` — administrators only; `whole` — read whole by anyone (it names no figure)."""

    kind: str
    params: tuple[str, ...] = ()

    KINDS = ("units", "submissions", "admin", "whole")

    def __post_init__(self):
        if self.kind not in self.KINDS:
            raise ValueError(f"scope kind must be one of {self.KINDS}, not {self.kind!r}")
        if (self.kind in ("units", "submissions")) != bool(self.params):
            raise ValueError(f"scope {self.kind!r} {'needs' if self.params == () else 'takes no'} parameters")


class AccessDenied(Exception):
    """The acting principal may not do this; `text(lang)` says what and why, in words."""

    def __init__(self, key: str, **fields):
        self.key, self.fields = key, fields
        super().__init__(i18n.both(key, **fields))

    def text(self, lang: str = i18n.DEFAULT_LANG) -> str:
        return i18n.t(self.key, lang, **self.fields)


def normal_login(login: str) -> str:
    """A login as it is kept and compared: trimmed; an e-mail address in lower case (the part a
    provider may capitalise differently from one sign-in to the next)."""
    login = (login or "").strip()
    return login.lower() if "@" in login else login


def within(tree: Tree, code: str, scope: str) -> bool:
    """Whether unit `code` lies in the subtree of `scope` (itself included): a walk up the
    tree, a few steps at any scale."""
    if code not in tree or scope not in tree:
        return False
    u = tree[code]
    while u is not None:
        if u.code == scope:
            return True
        u = tree.parent(u.code)
    return False


@dataclass(frozen=True)
class Principal:
    """Who acts: the login (the provider's e-mail or sub claim, the command line's user), a
    name to show, a role of ROLES and the unit whose subtree is its scope."""

    login: str
    name: str
    role: str
    scope: str

    def __post_init__(self):
        if self.role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, not {self.role!r}")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def top(self, tree: Tree) -> str:
        """The unit at the top of what it may see (an administrator's is the root)."""
        return tree.root.code if self.is_admin or self.scope not in tree else self.scope

    # --- the rules ----------------------------------------------------------------------------

    def may_see(self, tree: Tree, code: str) -> bool:
        if self.is_admin:
            return code in tree
        return within(tree, code, self.scope)

    def visible(self, tree: Tree, codes: Iterable[str]) -> list[str]:
        """The codes it may see, in the order given."""
        return [c for c in codes if self.may_see(tree, c)]

    @property
    def may_upload_any(self) -> bool:
        """Whether the role files returns at all (the upload page and templates)."""
        return self.role in ("reporter", "admin")

    def may_upload(self, tree: Tree, unit: str) -> bool:
        """A template or a return of reporting unit `unit`: reporters inside their scope, admins."""
        return (self.may_upload_any and unit in tree and tree.is_reporting(unit)
                and self.may_see(tree, unit))

    @property
    def may_restore(self) -> bool:
        return self.is_admin

    @property
    def may_administer(self) -> bool:
        """Users, the tree, demo data, backups, the audit trail."""
        return self.is_admin

    # --- the checks (raise AccessDenied) ----------------------------------------------------------

    def check_units(self, tree: Tree, codes: Iterable[str]) -> None:
        outside = [c for c in codes if not self.may_see(tree, c)]
        if outside:
            raise AccessDenied("acc_units_outside", units="、".join(map(str, outside[:5])),
                               more=f" (+{len(outside) - 5})" if len(outside) > 5 else "", scope=self.scope)

    def check_upload(self, tree: Tree, unit: str) -> None:
        if not self.may_upload_any:
            raise AccessDenied("acc_no_upload", role=self.role)
        if not self.may_upload(tree, unit):
            raise AccessDenied("acc_upload_outside", unit=unit, scope=self.scope)

    def check_restore(self) -> None:
        if not self.may_restore:
            raise AccessDenied("acc_no_restore", role=self.role)

    def check_admin(self) -> None:
        if not self.may_administer:
            raise AccessDenied("acc_no_admin", role=self.role)

    def check_query(self, tree: Tree, name: str, scope: QueryScope | None, params: dict,
                    submission_unit: Callable[[int], str | None] | None = None) -> None:
        """Refuse a named chart query that reaches outside the scope (or that says no scope)."""
        if self.is_admin:
            return
        if scope is None:
            raise AccessDenied("acc_query_unknown", name=name)
        if scope.kind == "admin":
            raise AccessDenied("acc_no_admin", role=self.role)
        if scope.kind == "whole":
            return
        if scope.kind == "units":
            for key in scope.params:
                value = params.get(key)
                named = [value] if isinstance(value, str) else list(value or [])
                self.check_units(tree, [v for v in named if v != ""])  # "": no unit named
            return
        units = [submission_unit(int(params[k])) if submission_unit else None for k in scope.params]
        if any(u is None for u in units):
            raise AccessDenied("acc_query_unknown", name=name)
        self.check_units(tree, units)


def administrator(login: str, name: str | None = None, tree: Tree | None = None) -> Principal:
    """The command line's principal: the administrator on the server (`--user` or the OS login)."""
    return Principal(login or "unknown", name or login or "unknown", "admin", tree.root.code if tree else "")


# --- the users' table: checking an entry -----------------------------------------------------------


def entry_problems(tree: Tree, login: str, name: str, role: str, unit: str, email: str = "",
                   mobile: str = "") -> list[str]:
    """What is wrong with one user entry (text keys with their fields, as both languages): an
    empty list when it can be kept."""
    out = []
    login = (login or "").strip()
    if not login:
        out.append(i18n.both("acc_entry_no_login"))
    elif len(login) > LOGIN_MAX or any(ch.isspace() or ord(ch) < 32 for ch in login):
        out.append(i18n.both("acc_entry_bad_login", login=login[:60]))
    if role not in ROLES:
        out.append(i18n.both("acc_entry_bad_role", role=role, roles=" / ".join(ROLES)))
    if not unit:
        out.append(i18n.both("acc_entry_no_unit"))
    elif unit not in tree:
        out.append(i18n.both("acc_entry_bad_unit", unit=unit))
    elif role == "admin" and unit != tree.root.code:
        out.append(i18n.both("acc_entry_admin_root", unit=unit, root=tree.root.code))
    if name and any(ord(ch) < 32 for ch in name):
        out.append(i18n.both("acc_entry_bad_name"))
    if email and not EMAIL.fullmatch(email):
        out.append(i18n.both("acc_entry_bad_email", email=email[:60]))
    if mobile and not MOBILE.fullmatch(mobile):
        out.append(i18n.both("acc_entry_bad_mobile", mobile=mobile[:30]))
    return out


# --- the sign-in mode --------------------------------------------------------------------------------

MODES = ("demo", "oidc", "none")
AUTH_SETTINGS = ("", "oidc", "none")


@dataclass(frozen=True)
class Mode:
    """How the app is served: `kind` one of MODES, or "refused" with the text key saying why."""

    kind: str
    reason: str | None = None
    fields: tuple[tuple[str, str], ...] = ()


def is_loopback(address: str | None) -> bool:
    """Whether the server listens on the loopback interface only (an empty address is every interface)."""
    if not address:
        return False
    if address.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def decide_mode(setting: str, provider: bool, missing: Iterable[str] = (), address: str | None = None) -> Mode:
    """The mode from DANGJIAN_AUTH (`setting`), whether secrets.toml has an [auth] section
    (`provider`; `missing`: the settings it lacks) and the server's address.

    - unset: [auth] present -> oidc; absent -> the open demo mode;
    - "oidc": everyone signs in; refused without a complete [auth];
    - "none": nobody signs in (the person at the machine is the administrator); refused unless
      the server listens on a loopback address only.
    """
    setting = (setting or "").strip().lower()
    missing = tuple(missing)
    if setting not in AUTH_SETTINGS:
        return Mode("refused", "auth_refused_setting", (("value", setting),))
    if setting == "none":
        if not is_loopback(address):
            return Mode("refused", "auth_refused_not_loopback", (("address", address or "0.0.0.0"),))
        return Mode("none")
    if not provider:
        return Mode("refused", "auth_refused_no_provider") if setting == "oidc" else Mode("demo")
    if missing:
        return Mode("refused", "auth_refused_incomplete", (("missing", ", ".join(missing)),))
    return Mode("oidc")


PROVIDER_KEYS = ("redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url")


# --- the users' table --------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserEntry:
    """One row of the users table."""

    login: str
    name: str
    role: str
    unit: str
    created_at: object = None  # a datetime once stored
    email: str = ""  # where e-mail reminders go ("" none)
    mobile: str = ""  # for the group robots' @-mention ("" none)

    def principal(self) -> Principal:
        return Principal(self.login, self.name or self.login, self.role, self.unit)


class UsersRejected(ValueError):
    """User entries that cannot be kept: `problems` lists each (row number or None, message)."""

    def __init__(self, problems: list[tuple[int | None, str]]):
        self.problems = problems
        super().__init__("; ".join(p for _, p in problems))


def clean_entry(tree: Tree, login: str, name: str | None, role: str, unit: str | None, email: str | None = "",
                mobile: str | None = "") -> UserEntry:
    """An entry as it is kept: the login normalised, names trimmed, an administrator's unit the
    root when left out, the e-mail the login's when the login is an address and none is given."""
    role = (role or "").strip().lower()
    unit = (unit or "").strip()
    if role == "admin" and not unit:
        unit = tree.root.code
    login = normal_login(login)
    email = (email or "").strip().lower() or (login if EMAIL.fullmatch(login) else "")
    return UserEntry(login, (name or "").strip(), role, unit, None, email, (mobile or "").strip())


def check_entries(tree: Tree, rows: list[tuple[int | None, UserEntry]]) -> list[tuple[int | None, str]]:
    """Every problem of every entry, with its row (None for a single entry): a login listed
    twice, a bad role, an unknown unit, an administrator below the root."""
    problems: list[tuple[int | None, str]] = []
    first: dict[str, int | None] = {}
    for row, e in rows:
        problems += [(row, p) for p in entry_problems(tree, e.login, e.name, e.role, e.unit, e.email, e.mobile)]
        if e.login and e.login in first:
            problems.append((row, i18n.both("acc_entry_duplicate", login=e.login, first=first[e.login])))
        first.setdefault(e.login, row)
    return problems
