"""The scoring characteristics of every current customer, from its statements, bank record, our
invoice ledger and the contact log: one frame with the columns of the ``outcomes`` history."""
from __future__ import annotations

import pandas as pd

from ..data.facilities import credit_lines, open_facilities
from ..data.portfolio import Portfolio
from .assessment import assessment_answers, customer_assessment
from .financial import analyse_portfolio
from .monitoring import convert, days_beyond_terms, open_issues
from .peers import latest_rows

__all__ = ["customer_characteristics", "portfolio_characteristics"]

def customer_characteristics(portfolio: Portfolio) -> pd.DataFrame:
    """The scoring characteristics of every current customer, as of the portfolio's date.

    The same columns as the ``outcomes`` history, so one scorecard scores both:

    - ratios of the latest fiscal year (:func:`helpers.analysis.financial.analyse_portfolio`); ``revenue``
      annualized and converted to the base currency;
    - ``bank_overdue_days`` = worst current overdue days of active facilities (0 with a clean record,
      NaN without any bank record); ``credit_line_utilization`` = Σ outstanding / Σ limit of active
      credit lines and overdrafts; ``bank_past_defaults`` = Σ past defaults;
    - ``days_beyond_terms`` = :func:`helpers.analysis.monitoring.days_beyond_terms` over 12 months: the
      amount-weighted mean of the days paid after the due date (negative when paid early), over invoices
      due in the 12 months before ``as_of``; an invoice not fully paid counts its days past due at ``as_of``
      — the definition of the same column in ``outcomes``;
    - ``relationship_years`` = years from ``relationship_since`` to ``as_of``;
    - ``unresolved_disputes`` = complaints and disputes open at ``as_of``
      (:func:`helpers.analysis.monitoring.open_issues`);
    - plus ``industry``, ``country``, ``third_party_rating``, ``industry_risk_class`` and
      ``altman_zone`` for the expert scorecard;
    - with a policy ``assessment`` section: ``qa_<question>`` = the answer of the customer's current
      qualitative assessment (None when unanswered, stale or missing;
      :func:`helpers.analysis.assessment.customer_assessment`) and ``assessment_status``.

    Returns
    -------
    DataFrame
        One row per customer, index ``customer_id``.
    """
    policy, as_of = portfolio.policy, portfolio.as_of
    cu = portfolio.customers.set_index("customer_id")
    out = pd.DataFrame(index=cu.index)
    analysis = analyse_portfolio(portfolio)
    latest = latest_rows(analysis.ratios.values).set_index("customer_id")
    for col in ("current_ratio", "quick_ratio", "debt_to_equity", "interest_coverage", "ebit_margin", "roa"):
        out[col] = latest[col].reindex(out.index)
    fs = portfolio.statements
    last = fs.loc[fs.groupby("customer_id")["fiscal_year"].idxmax()].set_index("customer_id")
    rate = cu["currency"].map(portfolio.fx_rates).astype(float)
    out["revenue"] = (last["revenue"] * 12 / last["months"]).reindex(out.index) * rate
    z = analysis.altman.loc[analysis.altman.groupby("customer_id")["fiscal_year"].idxmax()].set_index("customer_id")
    out["altman_zone"] = z["zone"].reindex(out.index)
    # bank credit record
    bank = portfolio.tables["bank_credit"]
    active = open_facilities(bank)
    g = active.groupby("customer_id")
    out["bank_overdue_days"] = g["overdue_days"].max().reindex(out.index)
    out.loc[out.index.isin(bank["customer_id"]) & out["bank_overdue_days"].isna(), "bank_overdue_days"] = 0.0
    lines = credit_lines(bank).groupby("customer_id")[["outstanding", "limit"]].sum()
    out["credit_line_utilization"] = (lines["outstanding"] / lines["limit"].where(lines["limit"] > 0)).reindex(out.index)
    out["bank_past_defaults"] = bank.groupby("customer_id")["past_defaults"].sum().reindex(out.index)
    # payment behaviour with us: the 12-month DBT of helpers.analysis.monitoring, in the customer's currency
    inv, rates = portfolio.tables["invoices"], portfolio.fx_rates
    dbt = {cid: days_beyond_terms(convert(g, rates, cu.at[cid, "currency"]), as_of, 12)["value"]
           for cid, g in inv.groupby("customer_id") if cid in cu.index}
    out["days_beyond_terms"] = pd.Series(dbt, dtype=float).reindex(out.index)
    out["relationship_years"] = ((as_of - cu["relationship_since"]).dt.days / 365.25).clip(lower=0)
    issues = open_issues(portfolio.tables["contacts"], as_of)  # the same rule as the monitoring section's
    out["unresolved_disputes"] = issues.groupby("customer_id").size().reindex(out.index).fillna(0).astype(float)
    out["third_party_rating"] = cu["third_party_rating"]
    out["industry"] = cu["industry"]
    out["country"] = cu["country"]
    out["industry_risk_class"] = cu["industry"].map(lambda k: policy.industries[k].risk_class)
    if policy.assessment is not None:
        table = portfolio.tables["assessments"]
        # each customer's rows found once (a filter of the whole table per customer grew with the square
        # of the portfolio: 20 ms a customer at 35,000 customers)
        none = table.iloc[:0]
        rows = dict(tuple(table.groupby("customer_id", sort=False))) if not table.empty else {}
        found = {cid: customer_assessment(rows.get(cid, none), cid, as_of, policy.assessment) for cid in out.index}
        answers = pd.DataFrame({cid: assessment_answers(a, policy.assessment) for cid, a in found.items()}).T
        for col in answers.columns:
            out[col] = answers[col].reindex(out.index).astype(object)
        out["assessment_status"] = pd.Series({cid: a["status"] for cid, a in found.items()}).reindex(out.index)
    return out


def portfolio_characteristics(portfolio: Portfolio) -> pd.DataFrame:
    """:func:`customer_characteristics`, computed once per portfolio (kept in its derived results)."""
    return portfolio.derived("characteristics", customer_characteristics)
