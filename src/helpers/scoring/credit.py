"""The credit-scoring step for one customer: statistical and expert score, grade, reason codes,
the comparison with the Altman zone and the third-party rating, and an analyst's override.

An override never replaces the model's result silently: the section keeps the model grade and
records the override grade, the reason and who made it, and the report prints all of them.
"""
from __future__ import annotations

import pandas as pd

from ..analysis.assessment import answer_column, customer_assessment, with_answers
from ..analysis.assessment import assessment_answers as assessment_answers_of
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


def _assessment(portfolio, customer_id: str, answers, by, evidence) -> dict | None:
    """The customer's assessment at as_of with any notebook answers on top (None without a policy section)."""
    settings = portfolio.policy.assessment
    if settings is None:
        if answers:
            raise RiskbookError("assessment answers were given, but the policy has no `assessment` section")
        return None
    found = customer_assessment(portfolio.tables["assessments"], customer_id, portfolio.as_of, settings)
    return with_answers(found, answers, by=by, evidence=evidence, as_of=portfolio.as_of, settings=settings)


def _assessment_block(assessment: dict, expert: dict, settings) -> dict:
    """What the report's assessment section shows: every question with its answer, evidence and points."""
    items = {p["characteristic"]: p for p in expert["points"]}
    scored = assessment["status"] == "current"
    questions = []
    for q in settings.questions:
        given = assessment["answers"].get(q.name)
        level = settings.levels(q.name).get(given["answer"]) if given else None
        item = items[answer_column(q.name)]
        questions.append({"question": q.name, "text": q.text, "risk": q.risk, "scale": q.scale,
                          "answer": given["answer"] if given else None, "answer_label": level.label if level else None,
                          "share": level.share if level else None, "evidence": given["evidence"] if given else None,
                          "source": given["source"] if given else None, "scored": bool(scored and given),
                          "points": item["points"], "max_points": item["max_points"], "imputed": item["imputed"]})
    warnings = []
    if assessment["status"] == "missing":
        warnings.append({"code": "assessment.warning.missing", "args": {"treatment": settings.missing_treatment}})
    elif assessment["status"] == "stale":
        warnings.append({"code": "assessment.warning.stale", "args": {
            "date": assessment["date"], "months": assessment["age_months"], "limit": settings.max_age_months,
            "treatment": settings.missing_treatment}})
    elif assessment["unanswered"]:
        warnings.append({"code": "assessment.warning.unanswered", "args": {
            "n": len(assessment["unanswered"]), "questions": list(assessment["unanswered"]),
            "treatment": settings.missing_treatment}})
    no_evidence = [x["question"] for x in questions if x["scored"] and not x["evidence"]]
    if no_evidence:
        warnings.append({"code": "assessment.warning.no_evidence", "args": {"n": len(no_evidence), "questions": no_evidence}})
    return {**{k: assessment[k] for k in ("status", "date", "analyst", "age_months", "max_age_months", "earlier",
                                          "source", "unanswered")},
            "replaces": assessment.get("replaces"), "treatment": settings.missing_treatment,
            "missing_share": settings.missing_share, "group": settings.group, "questions": questions,
            "points": float(sum(x["points"] for x in questions)), "max_points": settings.total,
            "answered": sum(x["scored"] for x in questions), "warnings": warnings}


def credit_section(portfolio, customer_id: str, scorecard: Scorecard, *, override_grade: str | None = None,
                   override_reason: str | None = None, override_by: str | None = None,
                   assessment_answers: dict | None = None, assessment_by: str | None = None,
                   assessment_evidence: dict | None = None) -> dict:
    """Everything the credit-scoring notebook shows and the report prints for one customer.

    Parameters
    ----------
    portfolio : helpers.inputs.Portfolio
    customer_id : str
    scorecard : Scorecard
        The fitted statistical scorecard (loaded from its artifact).
    override_grade, override_reason, override_by : str, optional
        An analyst's override of the grade; all three or none.
    assessment_answers : dict, optional
        Question → answer code of the policy's assessment, given by the analyst in the notebook; they
        replace the stored answers to those questions (:func:`helpers.analysis.assessment.with_answers`).
    assessment_by : str, optional
        Who answered (required with answers).
    assessment_evidence : dict, optional
        Question → the evidence for the answer.

    Returns
    -------
    dict
        ``statistical`` (score, PD, grade, points, reason codes), ``expert`` (score, grade, points,
        reason codes), ``comparison`` (statistical, expert, third-party rating and Altman, with
        ``disagreements``), ``override`` (or None), ``industry_labels`` (code → the policy's label),
        ``assessment`` (the qualitative assessment scored, every question with answer, evidence and points;
        None without a policy section), ``master_scale`` and
        ``summary`` (``score, pd, grade, model_grade, reason_codes, model_version``, the expert score and grade
        and the assessment's status, date, analyst and points).
    """
    policy = portfolio.policy
    chars = portfolio_characteristics(portfolio)
    if customer_id not in chars.index:
        raise RiskbookError(f"customer {customer_id!r} is not in the portfolio")
    row = chars.loc[[customer_id]].copy()
    assessment = _assessment(portfolio, customer_id, assessment_answers, assessment_by, assessment_evidence)
    if assessment is not None:
        for col, answer in assessment_answers_of(assessment, policy.assessment).items():
            row[col] = pd.Series([answer], index=row.index, dtype=object)
    scale = scorecard.master_scale
    stat = scorecard.explain(row)[0]
    expert = ExpertScorecard(policy.scoring.expert, policy.assessment).explain(row)[0]
    qualitative = _assessment_block(assessment, expert, policy.assessment) if assessment is not None else None
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
        "assessment": qualitative,
        "grade": grade,
        "grade_name": names.get(grade, ""),
        "master_scale": [{"grade": g, "name": names.get(g, ""), "low": scale.band(g)[0], "high": scale.band(g)[1]}
                         for g in scale.grades],
        "model_version": scorecard.model_version_,
        # the policy's names of the industry codes a characteristic's value or bin may hold (the report's words)
        "industry_labels": {code: ind.label for code, ind in policy.industries.items()},
        "summary": {"score": stat["score"], "pd": stat["pd"], "grade": grade, "model_grade": stat["grade"],
                    "reason_codes": [r["code"] for r in stat["reason_codes"]],
                    "model_version": scorecard.model_version_, "expert_score": expert["score"],
                    "expert_grade": expert["grade"], "override": override,
                    "assessment": None if qualitative is None else {
                        k: qualitative[k] for k in ("status", "date", "analyst", "source", "points", "max_points",
                                                    "answered")}},
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
