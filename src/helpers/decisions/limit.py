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
        ``log`` (list of {step, formula, value}).
    """
    policy = portfolio.policy
    rules, terms = policy.decisions.limit, policy.decisions.grades[grade]
    c = portfolio.customer(customer_id)
    cur = c.currency
    fs = c.statements.sort_values("fiscal_year").iloc[-1]
    log = []

    def step(name, formula, value):
        log.append({"step": name, "formula": formula, "value": float(value), "currency": cur})
        return float(value)

    equity, wc = float(fs["equity"]), float(fs["current_assets"] - fs["current_liabilities"])
    nw = step("Net-worth basis", f"{rules.net_worth_share:.0%} × equity {equity:,.0f}",
              max(0.0, equity) * rules.net_worth_share)
    wcb = step("Working-capital basis", f"{rules.working_capital_share:.0%} × working capital {wc:,.0f}",
               max(0.0, wc) * rules.working_capital_share)
    capacity = step("Capacity", "larger of the two bases", max(nw, wcb))
    monthly = c.record.get("expected_monthly_purchases")
    if monthly is None or (isinstance(monthly, float) and math.isnan(monthly)):
        need = step("Need", "expected monthly purchases not on file: need not limiting", math.inf)
    else:
        need = step("Need", f"monthly purchases {monthly:,.0f} × ({terms.max_days:.0f} days / 30 + "
                            f"{rules.extra_months:g} month)", monthly * (terms.max_days / 30.0 + rules.extra_months))
    rate = portfolio.fx_rates[cur]
    cap = step("Grade cap", f"grade {grade} cap {terms.limit_cap:,.0f} {policy.base_currency} ÷ {rate:g}",
               terms.limit_cap / rate)
    bank = c.bank_credit
    active = open_facilities(bank)
    granted = float(active["limit"].sum()) if len(active) else 0.0
    if granted > 0:
        bank_cap = step("Bank-credit cap", f"{rules.bank_lines_share:.0%} × bank credit granted {granted:,.0f}",
                        granted * rules.bank_lines_share)
    else:
        bank_cap = step("Bank-credit cap", "no bank credit on file: not limiting", math.inf)
    candidates = {"capacity": capacity, "need": need, "grade cap": cap, "bank-credit cap": bank_cap}
    binding = min(candidates, key=candidates.get)
    raw = candidates[binding]
    limit = math.floor(raw / rules.rounding) * rules.rounding if math.isfinite(raw) else 0.0
    step("Limit", f"smallest of the above ({binding}), rounded down to {rules.rounding:,.0f}", limit)
    requested = c.record.get("requested_limit")
    requested = None if requested is None or (isinstance(requested, float) and math.isnan(requested)) else float(requested)
    recommended = min(limit, requested) if requested is not None else limit
    if requested is not None:
        step("Recommended", f"smaller of limit and requested {requested:,.0f}", recommended)
    return {"limit": limit, "requested": requested, "recommended": recommended, "binding": binding,
            "currency": cur, "log": log}
