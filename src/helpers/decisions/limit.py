"""The credit limit, with its calculation shown.

Credit limit (:func:`credit_limit`)
    capacity = the larger of net_worth_share × equity and working_capital_share × working capital
    (both floored at 0); need = expected monthly purchases × (longest credit period of the grade /
    30 + extra months); the limit is the smallest of capacity, need, the grade's cap (converted
    from the base currency) and bank_lines_share × the customer's bank credit (lines and loans
    granted, when it has any), rounded down. Every step is written to a calculation log.
"""
from __future__ import annotations

import math

from ..data.facilities import open_facilities
from ..data.portfolio import Portfolio

__all__ = ["credit_limit"]


def credit_limit(portfolio: Portfolio, customer_id: str, grade: str) -> dict:
    """The credit limit of a customer with its calculation log (see the module docstring).

    Returns
    -------
    dict
        ``limit`` (customer currency), ``requested``, ``recommended`` (the smaller of limit and
        request when the customer asked for less), ``binding`` (which rule set the limit) and
        ``log`` (list of {step, args, value, currency, total}: each step a code with its figures;
        the report names them). ``binding`` is ``capacity``, ``need``, ``grade_cap`` or ``bank_cap``.
    """
    policy = portfolio.policy
    rules, terms = policy.decisions.limit, policy.decisions.grades[grade]
    c = portfolio.customer(customer_id)
    cur = c.currency
    fs = c.statements.sort_values("fiscal_year").iloc[-1]
    log = []

    def step(code, value, total=False, **args):
        log.append({"step": code, "args": args, "value": float(value), "currency": cur, "total": total})
        return float(value)

    equity, wc = float(fs["equity"]), float(fs["current_assets"] - fs["current_liabilities"])
    nw = step("net_worth", max(0.0, equity) * rules.net_worth_share, share=rules.net_worth_share, equity=equity)
    wcb = step("working_capital", max(0.0, wc) * rules.working_capital_share, share=rules.working_capital_share,
               working_capital=wc)
    capacity = step("capacity", max(nw, wcb))
    monthly = c.record.get("expected_monthly_purchases")
    if monthly is None or (isinstance(monthly, float) and math.isnan(monthly)):
        need = step("need_unknown", math.inf)
    else:
        need = step("need", monthly * (terms.max_days / 30.0 + rules.extra_months), monthly=float(monthly),
                    days=terms.max_days, extra_months=rules.extra_months)
    rate = portfolio.fx_rates[cur]
    cap = step("grade_cap", terms.limit_cap / rate, grade=grade, cap=terms.limit_cap, base=policy.base_currency,
               rate=rate)
    bank = c.bank_credit
    active = open_facilities(bank)
    granted = float(active["limit"].sum()) if len(active) else 0.0
    if granted > 0:
        bank_cap = step("bank_cap", granted * rules.bank_lines_share, share=rules.bank_lines_share, granted=granted)
    else:
        bank_cap = step("bank_cap_none", math.inf)
    candidates = {"capacity": capacity, "need": need, "grade_cap": cap, "bank_cap": bank_cap}
    binding = min(candidates, key=candidates.get)
    raw = candidates[binding]
    limit = math.floor(raw / rules.rounding) * rules.rounding if math.isfinite(raw) else 0.0
    step("limit", limit, total=True, binding=binding, rounding=rules.rounding)
    requested = c.record.get("requested_limit")
    requested = None if requested is None or (isinstance(requested, float) and math.isnan(requested)) else float(requested)
    recommended = min(limit, requested) if requested is not None else limit
    if requested is not None:
        step("recommended", recommended, total=True, requested=requested)
    return {"limit": limit, "requested": requested, "recommended": recommended, "binding": binding,
            "currency": cur, "log": log}
