"""The customer under stress: the policy's (and ad-hoc) scenarios applied to its latest statements
(:func:`helpers.analysis.scenarios.stress_statements`), the ratios recomputed and the customer re-scored
with the statistical and the expert scorecard."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..analysis.assessment import answer_column
from ..analysis.characteristics import portfolio_characteristics
from ..analysis.scenarios import SHOCKS, Scenario, stress_statements
from ..analysis.statements import compute_ratios
from ..data.contract import STATEMENT_MONEY_COLUMNS
from ..data.facilities import credit_lines
from ..data.portfolio import Portfolio
from ..scoring.expert import ExpertScorecard
from ..scoring.scorecard import Scorecard

__all__ = ["run_scenarios"]


def run_scenarios(portfolio: Portfolio, customer_id: str, scorecard: Scorecard, scenarios: list[Scenario],
                  credit: dict | None = None) -> pd.DataFrame:
    """Stress the customer's latest statements under each scenario, recompute ratios and re-score.

    Parameters
    ----------
    credit : dict, optional
        The credit section the scenarios start from (:func:`helpers.scoring.final_credit`): its qualitative
        assessment's scored answers (with any the analyst gave in the scoring notebook) are used by the
        expert scorecard; without it, the stored assessment's.

    Returns
    -------
    DataFrame
        One row per scenario: ``scenario, label, weight``, the shocks (``shock_<name>``), key ratios (current,
        quick, debt/equity, interest coverage, EBIT margin, ROA), ``revenue``,
        ``emergency_borrowing``, ``score, pd, grade`` of the statistical scorecard and the expert
        ``expert_score, expert_grade``.
    """
    policy = portfolio.policy
    customer = portfolio.customer(customer_id)
    fs = customer.statements.sort_values("fiscal_year")
    latest = fs.iloc[-1]
    prior = fs[fs["fiscal_year"] == latest["fiscal_year"] - 1]
    lines = credit_lines(customer.bank_credit)
    drawn, granted = float(lines["outstanding"].sum()), float(lines["limit"].sum())
    base = portfolio_characteristics(portfolio).loc[[customer_id]].copy()
    qa = (credit or {}).get("assessment")
    if qa is not None:  # the answers the credit section scored, the notebook's included
        for item in qa["questions"]:
            base[answer_column(item["question"])] = pd.Series([item["answer"] if item["scored"] else None],
                                                              index=base.index, dtype=object)
    expert = ExpertScorecard(policy.scoring.expert, policy.assessment)
    rows = []
    for sc in scenarios:
        stressed = stress_statements(latest, sc, export_share=customer.record.get("export_share"),
                                     foreign=not customer.domestic, credit_lines=drawn,
                                     days_in_year=policy.days_in_year)
        frame = pd.concat([prior, pd.DataFrame([stressed.to_dict()])], ignore_index=True)
        for col in (*STATEMENT_MONEY_COLUMNS, "fiscal_year", "months"):
            if col in frame:
                frame[col] = frame[col].astype(float)
        ratios = compute_ratios(frame, basis=policy.ratios.balance_basis, days_in_year=policy.days_in_year).values.iloc[-1]
        chars = base.copy()
        for col in ("current_ratio", "quick_ratio", "debt_to_equity", "interest_coverage", "ebit_margin", "roa"):
            chars[col] = ratios[col]
        chars["revenue"] = base["revenue"] * (stressed["revenue"] / latest["revenue"] if latest["revenue"] > 0 else 1.0)
        chars["days_beyond_terms"] = base["days_beyond_terms"] + sc.get("dso_days")
        if granted > 0:
            new_limit = granted * (1.0 - sc.get("credit_line_cut"))
            chars["credit_line_utilization"] = min(drawn, new_limit) / new_limit if new_limit > 0 else np.nan
        pd_ = float(scorecard.predict_pd(chars)[0])
        rows.append({"scenario": sc.name, "label": sc.label, "weight": sc.weight,
                     **{f"shock_{k}": sc.get(k) for k in SHOCKS},
                     "revenue": float(stressed["revenue"]), "net_income": float(stressed["net_income"]),
                     "emergency_borrowing": float(stressed["emergency_borrowing"]),
                     **{k: float(ratios[k]) for k in ("current_ratio", "quick_ratio", "debt_to_equity",
                                                      "interest_coverage", "ebit_margin", "roa")},
                     "score": float(scorecard.score(chars)[0]), "pd": pd_,
                     "grade": str(scorecard.master_scale.grade([pd_])[0]),
                     "expert_score": float(expert.score(chars)[0]), "expert_grade": str(expert.grade(chars)[0])})
    return pd.DataFrame(rows)
