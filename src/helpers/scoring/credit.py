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
        {"source": "Statistical scorecard", "grade": stat["grade"], "detail": f"score {stat['score']:.0f}, PD {stat['pd']:.2%}"},
        {"source": "Expert scorecard", "grade": expert["grade"],
         "detail": f"{expert['score']:.0f} of {policy.scoring.expert.total:.0f} points"},
        {"source": "Third-party rating", "grade": rating_grade,
         "detail": (f"{rating} ({record.get('rating_agency') or 'agency not given'}), implied PD {rating_pd:.2%}"
                    if rating_grade else "none on file")},
        {"source": "Altman distress score", "grade": None, "detail": f"{zone} zone" if zone else "not available"},
    ]
    disagreements = []
    for item in comparison[1:3]:
        if item["grade"] is not None and abs(scale.notch(item["grade"]) - notch) > limit:
            disagreements.append(f"{item['source']} grade {item['grade']} is {abs(scale.notch(item['grade']) - notch)} "
                                 f"notches from the statistical grade {stat['grade']} (policy tolerance {limit}).")
    conflict = policy.scoring.distress_conflict_grade
    if zone == "distress" and conflict is not None and notch <= scale.notch(conflict):
        disagreements.append(f"Altman places the customer in the distress zone while the statistical grade is {stat['grade']}.")
    if zone == "safe" and notch >= len(scale.grades) - 2:
        disagreements.append(f"Altman places the customer in the safe zone while the statistical grade is {stat['grade']}.")
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
                    "reason_codes": [r["text"] for r in stat["reason_codes"]],
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
