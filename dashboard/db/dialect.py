"""The PostgreSQL form of every named query, derived from the one written (in DuckDB's dialect).

Each query is written once, under queries/, for DuckDB.  PostgreSQL runs what sqlglot makes of
it (`transpile(read="duckdb", write="postgres")`), after a few rewrites of the parsed statement
where sqlglot's output does not run on PostgreSQL 15 or means something else there:

- `len($list)` is `cardinality` (PostgreSQL's `length` is for text), `list_contains(l, x)` is
  `x = ANY(l)` (so an index on x still serves);
- `arg_max(v, k)` is the first of `array_agg(v ORDER BY k DESC)` over the rows with both set;
  `any_value(x)` is `min(x)` (its uses take one value per group);
- `GROUP BY ALL` names the non-aggregate select items; `ORDER BY ALL` of `SELECT * FROM t`
  orders by the whole row of t;
- `round(x, n)` goes through numeric and back (PostgreSQL has no round(double, int));
- `make_date`, `to_days(n)` as PostgreSQL spells them; `INSERT OR IGNORE` is `ON CONFLICT DO
  NOTHING`; `(a, b) IN (SELECT (x, y) ...)` selects two columns, not one row value; a subquery
  in FROM gets the name PostgreSQL 15 insists on.

Where no rewrite can do it, a hand-written file `queries/postgres/<name>.sql` (PostgreSQL's
dialect, the same `$name` parameters) overrides the derived form; the same folder holds the
few statements only PostgreSQL runs (the writer's advisory lock, indexes, the tables a lent
DataFrame becomes).  Parameters are bound by name in psycopg's style, `%(name)s`.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from functools import cache

import numpy as np
import sqlglot
from sqlglot import exp

from . import queries

_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")
_LONE_PERCENT = re.compile(r"%(?!\([a-z_][a-z0-9_]*\)s)")


def override(name: str) -> str | None:
    """The hand-written PostgreSQL text of a query, if there is one."""
    path = queries.POSTGRES_DIR / f"{name}.sql"
    return path.read_text(encoding="utf-8") if path.exists() else None


@cache
def sql(name: str) -> str:
    """The PostgreSQL text of the named query (psycopg's `%(name)s` parameters)."""
    written = override(name)
    if written is not None:
        return _bind_style(written)
    statements = transpile(queries.sql(name))
    if len(statements) != 1:
        raise ValueError(f"query {name} is not one statement")
    return statements[0]


def transpile(text: str) -> list[str]:
    """DuckDB statements as PostgreSQL runs them (each with psycopg parameters)."""
    out = []
    for tree in sqlglot.parse(text, read="duckdb"):
        if tree is None:
            continue
        tree = tree.transform(_rewrite)
        out.append(_LONE_PERCENT.sub("%%", tree.sql(dialect="postgres", comments=False)))
    return out


def _bind_style(text: str) -> str:
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    return _PARAM.sub(r"%(\1)s", _LONE_PERCENT.sub("%%", text)).strip().rstrip(";")


def _rewrite(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Length) and isinstance(node.this, exp.Placeholder):
        return exp.Anonymous(this="CARDINALITY", expressions=[node.this.copy()])
    if isinstance(node, exp.ArrayContains):
        return exp.EQ(this=node.expression.copy(), expression=exp.Any(this=exp.Paren(this=node.this.copy())))
    if isinstance(node, exp.ArgMax):
        value, key = node.this.copy(), node.expression.copy()
        agg = exp.ArrayAgg(this=exp.Order(this=value.copy(), expressions=[exp.Ordered(this=key.copy(), desc=True)]))
        both = exp.and_(exp.Not(this=exp.Is(this=value.copy(), expression=exp.Null())),
                        exp.Not(this=exp.Is(this=key.copy(), expression=exp.Null())))
        filtered = exp.Filter(this=agg, expression=exp.Where(this=both))
        return exp.Bracket(this=exp.Paren(this=filtered), expressions=[exp.Literal.number(0)])  # sqlglot counts from 0
    if isinstance(node, exp.IgnoreNulls) and isinstance(node.this, exp.AnyValue):
        return exp.Min(this=node.this.this.copy())
    if isinstance(node, exp.AnyValue):
        return exp.Min(this=node.this.copy())
    if isinstance(node, exp.Round) and node.args.get("decimals") is not None:
        numeric = exp.Cast(this=node.this.copy(), to=exp.DataType.build("NUMERIC"))
        rounded = exp.Round(this=numeric, decimals=node.args["decimals"].copy())
        return exp.Cast(this=rounded, to=exp.DataType.build("DOUBLE PRECISION", dialect="postgres"))
    if isinstance(node, exp.DateFromParts):
        return exp.Anonymous(this="MAKE_DATE", expressions=[node.args[k].copy() for k in ("year", "month", "day")])
    if isinstance(node, exp.ToDays):
        return exp.Mul(this=exp.Paren(this=node.this.copy()),
                       expression=exp.Interval(this=exp.Literal.string("1"), unit=exp.Var(this="DAY")))
    # (transform works on a copy of the statement: the nodes below are changed in place, so
    # their children are still visited)
    if isinstance(node, exp.Insert) and node.args.get("alternative") == "IGNORE":
        node.set("alternative", None)
        node.set("conflict", exp.OnConflict(action=exp.var("DO NOTHING")))
        return node
    if isinstance(node, exp.In) and isinstance(node.args.get("query"), exp.Subquery):
        inner = node.args["query"].this
        if isinstance(inner, exp.Select) and len(inner.expressions) == 1 and isinstance(inner.expressions[0], exp.Tuple):
            inner.set("expressions", [e.copy() for e in inner.expressions[0].expressions])
            return node
    if isinstance(node, exp.Subquery) and not node.alias and isinstance(node.parent, (exp.From, exp.Join)):
        node.set("alias", exp.TableAlias(this=exp.to_identifier("unnamed_subquery")))
        return node
    if isinstance(node, exp.Select):
        return _expand_all(node)
    return node


def _expand_all(select: exp.Select) -> exp.Select:
    group, order = select.args.get("group"), select.args.get("order")
    group_all = group is not None and group.args.get("all")
    order_all = (order is not None and len(order.expressions) == 1
                 and isinstance(order.expressions[0].this, exp.Var) and order.expressions[0].this.name.upper() == "ALL")
    if not group_all and not order_all:
        return select
    if group_all:
        keys = [e.unalias().copy() for e in select.expressions
                if not e.find(exp.AggFunc) and not e.find(exp.Window)]
        select.set("group", exp.Group(expressions=keys))
    if order_all:
        tables = list(select.find_all(exp.Table))
        if not (len(tables) == 1 and isinstance(select.expressions[0], exp.Star)):
            raise ValueError("ORDER BY ALL is translated only for all the columns of one table")
        whole_row = exp.column(tables[0].alias_or_name)
        select.set("order", exp.Order(expressions=[exp.Ordered(this=whole_row)]))
    return select


# --- parameters ----------------------------------------------------------------------------------


class TextList(list):
    """A list psycopg must send as text[] though it holds no string to tell it so (empty, or
    all NULL): dumped by postgres.TextListDumper."""


def bind(value):
    """One parameter as psycopg binds it: numpy scalars as Python ones, lists as typed arrays
    (numbers all float if any is, lists of lists as text arrays' literals, empty or all-NULL
    lists as text[])."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple, np.ndarray)):
        items = [bind(v) for v in value]
        present = [v for v in items if v is not None]
        if not present:
            return TextList(items)
        if all(isinstance(v, list) for v in present):
            return [None if v is None else _array_literal(v) for v in items]
        if any(isinstance(v, float) for v in present) and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
            return [None if v is None else float(v) for v in items]
        return items
    return value


def _array_literal(items: list) -> str:
    quoted = ('"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in items)
    return "{" + ",".join(quoted) + "}"


def plain(value):
    """A value read from PostgreSQL as DuckDB would have handed it over (Decimal as float)."""
    if isinstance(value, Decimal):
        return float(value)
    return value


def is_date(value) -> bool:
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)
