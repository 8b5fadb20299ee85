"""The decision part of a customer's report: limit, payment terms, credit insurance, clauses and
review date put together from :mod:`~helpers.decisions.limit`, :mod:`~helpers.decisions.terms` and
:mod:`~helpers.decisions.clauses`, as JSON-able data."""
from __future__ import annotations

import pandas as pd

from ..analysis.characteristics import portfolio_characteristics
from ..data.portfolio import Portfolio
from ..scoring.scorecard import Scorecard
from .clauses import clause_checklist, review_date
from .limit import credit_limit
from .terms import evaluate_options, recommend

__all__ = ["decision_section"]


def decision_section(portfolio, customer_id: str, scorecard, credit: dict, scenario_table: pd.DataFrame) -> dict:
    """Everything the scenario and decision part of the report shows, as JSON-able data.

    Parameters
    ----------
    credit : dict
        The customer's credit section (its final grade, override included, drives the rules).
    scenario_table : DataFrame
        From :func:`helpers.scenarios.run_scenarios`.
    """
    policy = portfolio.policy
    dec = policy.decisions
    grade = credit["grade"]
    grades = scorecard.master_scale.grades
    c = portfolio.customer(customer_id)
    lim = credit_limit(portfolio, customer_id, grade)
    scen_pd = dict(zip(scenario_table["scenario"], scenario_table["pd"]))
    if "base" in scen_pd:
        scen_pd["base"] = credit["statistical"]["pd"]
    dbt = portfolio_characteristics(portfolio).at[customer_id, "days_beyond_terms"]
    options = evaluate_options(portfolio, customer_id, grade, scen_pd, lim["recommended"],
                               None if pd.isna(dbt) else float(dbt))
    best = recommend(options)
    acceptable = scenario_table[scenario_table["grade"].map(grades.index) <= grades.index(dec.acceptable_grade)]
    worst_ok = acceptable.iloc[-1]["scenario"] if len(acceptable) else None
    months = dec.grades[grade].review_months
    review = review_date(portfolio.as_of, months)
    insured = best["kind"] == "credit_insurance"
    terms = {"option": best["option"], "label": best["label"], "kind": best["kind"], "days": float(best["days"]),
             "prepayment_share": float(best["prepayment_share"]),
             "instrument": best["kind"] if best["kind"] in ("letter_of_credit", "credit_insurance", "guarantee") else None}
    base_pd = scen_pd.get("base", next(iter(scen_pd.values())))
    insurance = {"recommended": bool(insured), "kind": ("export" if not c.domestic else "domestic") if insured else None,
                 "cover_share": float(best["cover"]) if insured else None,
                 "premium": float(best["premium"]) if insured else None,
                 "insurer_limit": (None if best.get("insurer_limit") is None or pd.isna(best.get("insurer_limit"))
                                   else float(best["insurer_limit"])) if insured else None,
                 "deductible": float(best["deductible"]) if insured else None,
                 "el_transferred": float(base_pd * (dec.lgd * best["ead"] - best["retained_loss"])) if insured else None}
    ranked = options.sort_values(["admissible", "value"], ascending=[False, False])
    reasons = []  # why each other option lost: its own reasons, or a lower value
    for _, o in ranked.iterrows():
        if o["option"] == best["option"]:
            continue
        if not o["admissible"]:
            reasons.append({"option": o["option"], "label": o["label"], "why": o["why_not"]})
        else:
            reasons.append({"option": o["option"], "label": o["label"],
                            "why": [{"code": "lower_value", "args": {"value": float(o["value"]),
                                                                      "best": float(best["value"]),
                                                                      "currency": c.currency}}]})
    return {
        "currency": c.currency,
        "grade": grade,
        "limit": lim,
        "scenarios": scenario_table.to_dict(orient="records"),
        "worst_acceptable_scenario": worst_ok,
        "acceptable_grade": dec.acceptable_grade,
        "acceptable_pd": scorecard.master_scale.band(dec.acceptable_grade)[1],
        "options": options.to_dict(orient="records"),
        "recommended": best.to_dict(),
        "why_not": reasons,
        "terms": terms,
        "insurance": insurance,
        "clauses": clause_checklist(policy, grade=grade, domestic=c.domestic, option=best, grades=grades),
        "review_months": months,
        "review_date": review,
        "parameters": {"lgd": dec.lgd, "gross_margin": dec.gross_margin, "funding_rate": dec.funding_rate,
                       "max_el_rate": dec.max_el_rate, "insurer_max_pd": dec.insurer_max_pd,
                       "days_in_year": policy.days_in_year,
                       "weights": {s.name: s.weight for s in dec.scenarios}},
        "summary": {"limit": lim["recommended"], "limit_currency": c.currency, "terms": terms,
                    "insurance": {k: insurance[k] for k in ("recommended", "kind", "cover_share", "premium")},
                    "review_date": review,
                    "scenarios": {r["scenario"]: {"pd": r["pd"], "grade": r["grade"]}
                                  for r in scenario_table.to_dict(orient="records")}},
    }
