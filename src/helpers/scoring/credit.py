"""The credit-scoring step for one customer: statistical and expert score, grade, reason codes,
the comparison with the Altman zone and the third-party rating, and an analyst's override.

An override never replaces the model's result silently: the section keeps the model grade and
records the override grade, the reason and who made it, and the report prints all of them.
"""
from __future__ import annotations

import pandas as pd

from ..analysis.characteristics import portfolio_characteristics
from ..analysis.financial import analyse_portfolio
from ..exceptions import RiskbookError
from .expert import ExpertScorecard
from .scorecard import Scorecard

__all__ = ["credit_section", "final_credit"]

def _override(model_grade: str, grade: str | None, reason: str | None, by: str | None, scale) -> dict | None:
    if grade in (None, ""):
        return None
    grade = str(grade)
    if grade not in scale.grades:
        raise RiskbookError(f"override grade {grade!r} is not on the master scale ({', '.join(scale.grades)})")
    if not (reason and str(reason).strip()) or not (by and str(by).strip()):
        raise RiskbookError("an override needs a reason and the analyst's name (override_reason, override_by)")
    return {"grade": grade, "model_grade": model_grade, "reason": str(reason).strip(), "by": str(by).strip(),
            "notches": scale.notch(grade) - scale.notch(model_grade)}


def credit_section(portfolio, customer_id: str, scorecard: Scorecard, *, override_grade: str | None = None,
                   override_reason: str | None = None, override_by: str | None = None) -> dict:
    """Everything the credit-scoring notebook shows and the report prints for one customer.

    Parameters
    ----------
    portfolio : helpers.inputs.Portfolio
    customer_id : str
    scorecard : Scorecard
        The fitted statistical scorecard (loaded from its artifact).
    override_grade, override_reason, override_by : str, optional
        An analyst's override of the grade; all three or none.

    Returns
    -------
    dict
        ``statistical`` (score, PD, grade, points, reason codes), ``expert`` (score, grade, points,
        reason codes), ``comparison`` (statistical, expert, third-party rating and Altman, with
        ``disagreements``), ``override`` (or None), ``master_scale`` and ``summary`` (``score, pd,
        grade, model_grade, reason_codes, model_version`` and the expert score and grade).
    """
    policy = portfolio.policy
    chars = portfolio_characteristics(portfolio)
    if customer_id not in chars.index:
        raise RiskbookError(f"customer {customer_id!r} is not in the portfolio")
    row = chars.loc[[customer_id]]
    scale = scorecard.master_scale
    stat = scorecard.explain(row)[0]
    expert = ExpertScorecard(policy.scoring.expert).explain(row)[0]
    record = portfolio.customer(customer_id).record
    rating = record.get("third_party_rating")
    rating_pd = policy.scoring.rating_pd.get(rating) if rating else None
    rating_grade = str(scale.grade([rating_pd])[0]) if rating_pd is not None else None
    z = analyse_portfolio(portfolio).altman
    z = z[z["customer_id"] == customer_id].sort_values("fiscal_year")
    zone = z["zone"].iloc[-1] if len(z) else None
    notch = scale.notch(stat["grade"])
    limit = policy.scoring.disagreement_notches
    comparison = [
        {"source": "statistical", "grade": stat["grade"],
         "detail": {"code": "comparison.statistical", "args": {"score": stat["score"], "pd": stat["pd"]}}},
        {"source": "expert", "grade": expert["grade"],
         "detail": {"code": "comparison.expert", "args": {"score": expert["score"], "total": policy.scoring.expert.total}}},
        {"source": "third_party", "grade": rating_grade,
         "detail": ({"code": "comparison.rating", "args": {"rating": rating, "agency": record.get("rating_agency"),
                                                           "pd": rating_pd}}
                    if rating_grade else {"code": "comparison.rating_none", "args": {}})},
        {"source": "altman", "grade": None,
         "detail": ({"code": "comparison.altman", "args": {"zone": zone}} if zone
                    else {"code": "comparison.altman_none", "args": {}})},
    ]
    disagreements = []
    for item in comparison[1:3]:
        if item["grade"] is not None and abs(scale.notch(item["grade"]) - notch) > limit:
            disagreements.append({"code": "disagreement.notches", "args": {
                "source": item["source"], "grade": item["grade"], "notches": abs(scale.notch(item["grade"]) - notch),
                "statistical": stat["grade"], "tolerance": limit}})
    distress_grade = policy.scoring.distress_conflict_grade
    if zone == "distress" and distress_grade is not None and notch <= scale.notch(distress_grade):
        disagreements.append({"code": "disagreement.altman_distress", "args": {"grade": stat["grade"]}})
    safe_grade = policy.scoring.safe_conflict_grade
    if zone == "safe" and safe_grade is not None and notch >= scale.notch(safe_grade):
        disagreements.append({"code": "disagreement.altman_safe", "args": {"grade": stat["grade"]}})
    override = _override(stat["grade"], override_grade, override_reason, override_by, scale)
    grade = override["grade"] if override else stat["grade"]
    names = dict(zip(scale.grades, scale.names))
    return {
        "statistical": stat,
        "expert": expert,
        "comparison": comparison,
        "disagreements": disagreements,
        "override": override,
        "grade": grade,
        "grade_name": names.get(grade, ""),
        "master_scale": [{"grade": g, "name": names.get(g, ""), "low": scale.band(g)[0], "high": scale.band(g)[1]}
                         for g in scale.grades],
        "model_version": scorecard.model_version_,
        "summary": {"score": stat["score"], "pd": stat["pd"], "grade": grade, "model_grade": stat["grade"],
                    "reason_codes": [r["code"] for r in stat["reason_codes"]],
                    "model_version": scorecard.model_version_, "expert_score": expert["score"],
                    "expert_grade": expert["grade"], "override": override},
    }


def final_credit(portfolio, customer_id: str, scorecard: Scorecard, saved: dict | None = None) -> dict:
    """The credit section the decisions rest on: ``saved`` (the scoring notebook's result, override
    included) when it was made with this scorecard, else the section computed afresh without an override.

    Parameters
    ----------
    saved : dict, optional
        ``results/credit_scoring.json`` of the customer's output folder, read by the caller
        (:func:`helpers.data.store.load_results`).
    """
    if saved is not None and saved.get("model_version") == scorecard.model_version_:
        return saved
    return credit_section(portfolio, customer_id, scorecard)
