"""The rules a return is checked against, read from `data/rules.csv`: defined once, used everywhere.

Two kinds:

- `at_most` (a cross-field rule; breaking it is an error): the sum of `left` must not exceed
  the sum of `right`, plus the unit's own value of `plus_previous` at the end of the quarter
  before, plus what earlier quarters left open of `plus_carried` (cumulative first minus
  cumulative second), plus the branches under the unit when `plus_branches` is set.
- `compliance` (三会一课, 支部工作条例; falling short is a warning, never a refusal): a branch
  must hold at least `minimum` of `left` in a quarter.
- `total_of` (a total without its parts): `left` is a total a unit that knows no split enters
  alone (四种形态 60 人次, no form given: the forms read 未填写), `right` its parts; entered
  together they must agree (an error at the total's cell), and agreeing, the parts stand for it.
  The derived total sums the parts and the entered total (catalog.csv), so nothing counts twice.

The validator, the study page's 三会一课 shares (bound into queries/charts/compliance_*.sql),
the template's 填报说明 and docs/reporters.md's rule table all read these rows.  A rule may only name
stored indicators: a rule on a derived figure could never fire (catalog.check_catalog refuses it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .datafile import codes, read_rows

KINDS = ("at_most", "compliance", "total_of")


@dataclass(frozen=True)
class Rule:
    code: str
    kind: str
    left: tuple[str, ...]
    right: tuple[str, ...] = ()
    plus_previous: str | None = None
    plus_carried: tuple[str, str] | None = None
    plus_branches: bool = False
    minimum: float | None = None
    message: str = ""  # the text key of the problem it raises (dashboard/text/validation.toml)
    statement_zh: str = ""
    statement_en: str = ""
    sort_order: int = 0

    @property
    def indicators(self) -> tuple[str, ...]:
        """Every indicator the rule reads."""
        return (*self.left, *self.right, *([self.plus_previous] if self.plus_previous else []),
                *(self.plus_carried or ()))

    @property
    def needs_history(self) -> bool:
        """Whether checking it reads earlier quarters' returns."""
        return bool(self.plus_previous or self.plus_carried)

    def statement(self, lang: str = "zh") -> str:
        return self.statement_en if lang == "en" else self.statement_zh

    def problems(self, indicators: dict) -> list[str]:
        """What is wrong with the rule against the catalog's indicators (by code)."""
        out = []
        if self.kind not in KINDS:
            out.append(f"unknown kind {self.kind!r} (one of {', '.join(KINDS)})")
        if not self.left:
            out.append("names no indicator on its left")
        for code in self.indicators:
            ind = indicators.get(code)
            if ind is None:
                out.append(f"unknown indicator {code!r}")
            elif not ind.is_stored:
                out.append(f"{code} is derived, so the rule could never fire; name the stored figures")
        if self.kind == "compliance" and (self.minimum is None or len(self.left) != 1):
            out.append("a compliance rule names one indicator and its minimum")
        if self.kind == "at_most" and not (self.right or self.plus_previous or self.plus_branches):
            out.append("an at_most rule needs something on its right")
        if self.kind == "total_of" and (len(self.left) != 1 or not self.right):
            out.append("a total_of rule names one entered total and its parts")
        if not (self.message and self.statement_zh and self.statement_en):
            out.append("needs a message key and a statement in both languages")
        return out


def read_rules(path: Path) -> tuple[Rule, ...]:
    rules = []
    for r in read_rows(path):
        carried = codes(r["plus_carried"])
        rules.append(Rule(
            code=r["code"], kind=r["kind"], left=codes(r["left"]), right=codes(r["right"]),
            plus_previous=r["plus_previous"].strip() or None,
            plus_carried=(carried[0], carried[1]) if len(carried) == 2 else None,
            plus_branches=r["plus_branches"].strip() == "1",
            minimum=float(r["minimum"]) if r["minimum"].strip() else None,
            message=r["message"].strip(), statement_zh=r["statement_zh"].strip(),
            statement_en=r["statement_en"].strip(), sort_order=int(r["sort_order"]),
        ))
    return tuple(sorted(rules, key=lambda r: r.sort_order))
