"""Stress scenarios: shock the customer's latest statements and behaviour (the re-scoring is
:func:`helpers.decisions.stress.run_scenarios`).

A scenario (policy ``scenarios``, or ad hoc from a notebook parameter) has these shocks, all
optional and zero by default:

- ``revenue``: relative change of revenue (−0.2 = revenue falls 20 %);
- ``gross_margin``: change of the gross margin in percentage points as a fraction (−0.03);
- ``dso_days`` / ``dpo_days``: days added to days sales / payables outstanding; DSO days are
  also added to the days the customer pays us beyond terms;
- ``interest_rate``: relative change of the interest expense (0.5 = rates up by half);
- ``fx``: relative change of the foreign-currency part of revenue for a foreign customer
  (revenue × export_share × fx; −0.1 = its export receipts lose 10 % in its reporting currency);
- ``credit_line_cut``: share of the customer's bank credit lines withdrawn (0.3 = 30 % cut).

How the statements move (so that the balance sheet still balances):
revenue′ = revenue · (1 + revenue + fx · export_share); cost of sales′ = revenue′ · (1 − gross margin′)
with gross margin′ = gross margin + shock; operating expenses stay (they are mostly fixed);
EBIT′ = revenue′ − cost of sales′ − operating expenses; interest′ = interest · (1 + rate shock);
tax′ = tax + (max(0, EBIT′ − interest′) − max(0, EBIT − interest)) · effective tax rate (of the
latest year, else 25 %): max(0, EBIT′ − interest′) · rate after a profitable year (tax ≥ 0), while a
loss year keeps the tax (or tax credit) it booked, so that zero shocks leave the statements unchanged;
net income′ = EBIT′ − interest′ − tax′ + other items. Receivables′ = revenue′ · (DSO + shock) / days,
payables′ = cost of sales′ · (DPO + shock) / days, inventory′ = cost of sales′ · DIO / days.
Cash absorbs the changes: cash′ = cash + Δnet income − Δreceivables − Δinventory + Δpayables −
repayment of the credit-line cut; a negative cash balance is met by emergency short-term
borrowing (cash floors at 0). Equity′ = equity + Δnet income; operating cash flow moves with
Δnet income and the working-capital changes.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


__all__ = ["Scenario", "SHOCKS", "policy_scenarios", "stress_statements"]

#: The shocks a scenario may set.
SHOCKS = ("revenue", "gross_margin", "dso_days", "dpo_days", "interest_rate", "fx", "credit_line_cut")
_DEFAULT_TAX = 0.25


@dataclass(frozen=True)
class Scenario:
    """A named set of shocks (see the module docstring)."""

    name: str
    label: dict | None = None  # the policy's text {en, zh}; None for an ad-hoc scenario
    weight: float = 0.0
    shocks: dict = field(default_factory=dict)

    def __post_init__(self):
        unknown = set(self.shocks) - set(SHOCKS)
        if unknown:
            raise ValueError(f"scenario {self.name}: unknown shock(s) {', '.join(sorted(unknown))}; "
                             f"known: {', '.join(SHOCKS)}")

    def get(self, name: str) -> float:
        """The size of one shock (0 when the scenario does not set it)."""
        return float(self.shocks.get(name, 0.0) or 0.0)


def policy_scenarios(policy, extra: dict | None = None) -> list[Scenario]:
    """The policy's named scenarios, plus ad-hoc ones ``{name: {shock: size}}`` (weight 0)."""
    out = [Scenario(s.name, s.label, s.weight, dict(s.shocks)) for s in policy.decisions.scenarios]
    for name, shocks in (extra or {}).items():
        out.append(Scenario(name, None, 0.0, dict(shocks)))  # no label: the report calls it "ad hoc: <name>"
    return out


def stress_statements(latest: pd.Series, scenario: Scenario, *, export_share: float | None, foreign: bool,
                      credit_lines: float, days_in_year: int = 365) -> pd.Series:
    """Apply a scenario to one year of normalized statements (see the module docstring)."""
    s = latest.copy().astype(object)
    f = {k: float(latest[k]) for k in ("revenue", "cost_of_sales", "operating_expenses", "interest_expense",
                                        "income_tax", "net_income", "ebit", "receivables", "inventory", "payables",
                                        "cash", "short_term_debt", "equity", "operating_cash_flow",
                                        "other_non_operating", "months")}
    annual = 12.0 / f["months"]
    days = float(days_in_year)
    revenue = f["revenue"]
    gm = (revenue - f["cost_of_sales"]) / revenue if revenue > 0 else 0.0
    dso = f["receivables"] / (revenue * annual) * days if revenue > 0 else 0.0
    dio = f["inventory"] / (f["cost_of_sales"] * annual) * days if f["cost_of_sales"] > 0 else 0.0
    dpo = f["payables"] / (f["cost_of_sales"] * annual) * days if f["cost_of_sales"] > 0 else 0.0
    fx_part = scenario.get("fx") * (export_share if export_share is not None else (1.0 if foreign else 0.0))
    revenue2 = max(0.0, revenue * (1.0 + scenario.get("revenue") + fx_part))
    gm2 = min(1.0, gm + scenario.get("gross_margin"))
    # without revenue (or cost of sales) there is no margin (or DIO, DPO) to apply: keep the figures as booked
    cogs2 = revenue2 * (1.0 - gm2) if revenue > 0 else f["cost_of_sales"]
    ebit2 = revenue2 - cogs2 - f["operating_expenses"]
    interest2 = f["interest_expense"] * (1.0 + scenario.get("interest_rate"))
    ebt = f["ebit"] - f["interest_expense"]
    rate = f["income_tax"] / ebt if ebt > 0 and f["income_tax"] >= 0 else _DEFAULT_TAX
    tax2 = f["income_tax"] + (max(0.0, ebit2 - interest2) - max(0.0, ebt)) * rate
    ni2 = ebit2 - interest2 - tax2 + f["other_non_operating"]
    rec2 = revenue2 * annual * max(0.0, dso + scenario.get("dso_days")) / days if revenue > 0 else f["receivables"]
    inv2 = cogs2 * annual * dio / days if f["cost_of_sales"] > 0 else f["inventory"]
    pay2 = cogs2 * annual * max(0.0, dpo + scenario.get("dpo_days")) / days if f["cost_of_sales"] > 0 else f["payables"]
    repay = credit_lines * scenario.get("credit_line_cut")
    d_ni = ni2 - f["net_income"]
    cash2 = f["cash"] + d_ni - (rec2 - f["receivables"]) - (inv2 - f["inventory"]) + (pay2 - f["payables"]) - repay
    borrow = max(0.0, -cash2)
    cash2 = max(0.0, cash2)
    s["revenue"], s["cost_of_sales"], s["ebit"] = revenue2, cogs2, ebit2
    s["interest_expense"], s["income_tax"], s["net_income"] = interest2, tax2, ni2
    s["receivables"], s["inventory"], s["payables"], s["cash"] = rec2, inv2, pay2, cash2
    s["short_term_debt"] = f["short_term_debt"] - repay + borrow
    s["current_assets"] = cash2 + rec2 + inv2 + float(latest["other_current_assets"])
    s["total_assets"] = s["current_assets"] + float(latest["fixed_assets"])
    s["current_liabilities"] = pay2 + s["short_term_debt"] + float(latest["other_current_liabilities"])
    s["total_liabilities"] = (s["current_liabilities"] + float(latest["long_term_debt"])
                              + float(latest.get("other_noncurrent_liabilities", 0.0) or 0.0))
    s["equity"] = f["equity"] + d_ni
    s["retained_earnings"] = float(latest["retained_earnings"]) + d_ni
    s["operating_cash_flow"] = (f["operating_cash_flow"] + d_ni - (rec2 - f["receivables"]) - (inv2 - f["inventory"])
                                + (pay2 - f["payables"]))
    s["emergency_borrowing"] = borrow
    return s
