"""The qualitative assessment: which of a customer's questionnaires counts at ``as_of``, and the
answers the scorecard uses.

Conventions
-----------
- An assessment is the set of ``assessments`` rows of one customer and ``assessment_date``; the one that
  counts is the latest dated on or before ``as_of``.
- Its age is in whole calendar months from ``assessment_date`` to ``as_of``
  (:func:`helpers.data.validate.whole_months`: a day short of a month does not count). It is **current** when the age is at most the policy's ``assessment.max_age_months``,
  **stale** when older, **missing** when the customer has none. Only a current assessment's answers are
  scored; a stale one is shown for information, and the expert scorecard treats its questions as
  unanswered (:class:`helpers.scoring.expert.ExpertScorecard`, the policy's ``missing_treatment``).
- Answers given in the scoring notebook (``assessment_answers``) replace the stored answers to the same
  questions; the assessment then carries today's analyst and ``as_of`` as its date, and each answer
  records where it came from (``assessments`` or ``notebook``).
"""
from __future__ import annotations

import pandas as pd

from ..data.validate import whole_months
from ..exceptions import RiskbookError

__all__ = ["ANSWER_PREFIX", "answer_column", "customer_assessment", "with_answers", "assessment_answers"]

#: Characteristics frames carry the answer to question q in the column ``qa_<q>``.
ANSWER_PREFIX = "qa_"


def answer_column(question: str) -> str:
    """Column of the characteristics frame holding the answer to ``question``."""
    return f"{ANSWER_PREFIX}{question}"


def customer_assessment(table: pd.DataFrame, customer_id: str, as_of, settings) -> dict:
    """The assessment that counts for one customer at ``as_of``.

    Parameters
    ----------
    table : DataFrame
        The validated ``assessments`` table (possibly empty).
    customer_id : str
    as_of : date-like
    settings : helpers.config.policy.AssessmentSettings

    Returns
    -------
    dict
        ``status`` (``current``, ``stale`` or ``missing``), ``date``, ``analyst``, ``age_months``,
        ``max_age_months``, ``answers`` ({question: {answer, evidence, source}}, in the policy's question
        order, only questions answered), ``unanswered`` (policy questions without an answer),
        ``earlier`` (dates of older assessments) and ``source`` (``assessments`` or None).
    """
    as_of = pd.Timestamp(as_of)
    empty = {"status": "missing", "date": None, "analyst": None, "age_months": None,
             "max_age_months": settings.max_age_months, "answers": {},
             "unanswered": [q.name for q in settings.questions], "earlier": [], "source": None}
    if table is None or table.empty:
        return empty
    mine = table[table["customer_id"] == customer_id]
    if mine.empty:
        return empty
    dates = pd.to_datetime(mine["assessment_date"])
    mine = mine[dates <= as_of]
    dates = dates[dates <= as_of]
    if mine.empty:
        return empty
    latest = dates.max()
    rows = mine[dates == latest]
    by_question = {r["question"]: r for _, r in rows.iterrows()}
    answers = {}
    for q in settings.questions:
        if q.name in by_question:
            r = by_question[q.name]
            evidence = r.get("evidence")
            answers[q.name] = {"answer": str(r["answer"]),
                               "evidence": None if evidence is None or pd.isna(evidence) or not str(evidence).strip()
                               else str(evidence).strip(),
                               "source": "assessments"}
    age = whole_months(latest, as_of)
    return {"status": "current" if age <= settings.max_age_months else "stale",
            "date": latest.date().isoformat(), "analyst": str(rows["analyst"].iloc[0]), "age_months": age,
            "max_age_months": settings.max_age_months, "answers": answers,
            "unanswered": [q.name for q in settings.questions if q.name not in answers],
            "earlier": sorted({d.date().isoformat() for d in dates if d < latest}), "source": "assessments"}


def with_answers(assessment: dict, answers: dict | None, *, by: str | None, evidence: dict | None, as_of,
                 settings) -> dict:
    """``assessment`` with an analyst's answers from the notebook on top.

    Parameters
    ----------
    assessment : dict
        From :func:`customer_assessment`.
    answers : dict or None
        Question → answer code; None or empty leaves ``assessment`` as it is.
    by : str
        The analyst answering (required with answers).
    evidence : dict, optional
        Question → what the answer rests on.
    as_of : date-like
        The assessment's new date.
    settings : helpers.config.policy.AssessmentSettings

    Raises
    ------
    RiskbookError
        For an unknown question or answer, evidence for a question not answered, or answers without ``by``;
        the message lists every problem.
    """
    if not answers:
        return assessment
    evidence = dict(evidence or {})
    problems = []
    names = [q.name for q in settings.questions]
    for q, a in answers.items():
        if q not in names:
            problems.append(f"unknown question {q!r} (the policy asks: {', '.join(names)})")
        elif str(a) not in settings.levels(q):
            problems.append(f"{q}: {a!r} is not an answer of the '{settings.question(q).scale}' scale "
                            f"({', '.join(settings.levels(q))})")
    stray = sorted(set(evidence) - set(answers))
    if stray:
        problems.append(f"evidence given for questions not answered: {', '.join(stray)}")
    if not (by and str(by).strip()):
        problems.append("answers need the analyst's name (assessment_by)")
    if problems:
        raise RiskbookError("assessment answers: " + "; ".join(problems))
    current = assessment["answers"] if assessment["status"] == "current" else {}
    merged = {}
    for q in names:
        if q in answers:
            text = evidence.get(q)
            merged[q] = {"answer": str(answers[q]), "evidence": str(text).strip() if text else None,
                         "source": "notebook"}
        elif q in current:
            merged[q] = current[q]
    kept = any(v["source"] == "assessments" for v in merged.values())
    return {**assessment, "status": "current", "date": pd.Timestamp(as_of).date().isoformat(),
            "analyst": str(by).strip(), "age_months": 0, "answers": merged,
            "unanswered": [q for q in names if q not in merged],
            "earlier": sorted(set(assessment["earlier"]) | ({assessment["date"]} if assessment["date"] else set())),
            "source": "assessments+notebook" if kept else "notebook",
            "replaces": assessment["status"]}


def assessment_answers(assessment: dict, settings) -> dict[str, str | None]:
    """The answers the scorecard scores: ``qa_<question>`` → answer code, None for every question of a stale
    or missing assessment and for unanswered ones."""
    scored = assessment["answers"] if assessment["status"] == "current" else {}
    return {answer_column(q.name): (scored[q.name]["answer"] if q.name in scored else None)
            for q in settings.questions}
