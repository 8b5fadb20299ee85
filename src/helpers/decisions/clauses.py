"""The contract clauses a customer's contract needs, and the date of its next review."""
from __future__ import annotations

import pandas as pd

from ..exceptions import RiskbookError

__all__ = ["clause_checklist", "review_date"]


def clause_checklist(policy, *, grade: str, domestic: bool, option: pd.Series, grades: list[str]) -> list[dict]:
    """The policy's contract clauses with whether each applies to this customer and terms."""
    notch = grades.index(grade) + 1
    facts = {"always": True, "domestic": domestic, "foreign": not domestic,
             "insured": option["kind"] == "credit_insurance", "prepayment": option["prepayment_share"] > 0,
             "secured": option["cover"] >= 1.0}
    out = []
    for cl in policy.decisions.clauses:
        ok = True
        for token in cl.when:
            if token.startswith("grade>="):
                ok &= notch >= grades.index(token.split(">=")[1]) + 1
            elif token in facts:
                ok &= facts[token]
            else:
                raise RiskbookError(f"clause {cl.name}: unknown condition {token!r}")
        out.append({"name": cl.name, "title": cl.title, "text": cl.text, "required": bool(ok),
                    "when": ", ".join(cl.when)})
    return out


def review_date(as_of: pd.Timestamp, months: int) -> pd.Timestamp:
    """as_of plus the grade's review period in months."""
    return (pd.Timestamp(as_of) + pd.DateOffset(months=months)).normalize()
