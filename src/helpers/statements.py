"""Financial-statement analysis: the ratio catalogue and the statement summary.

Every ratio is declared once in :data:`CATALOGUE` with its formula, unit, direction and group,
and computed vectorized over any number of customer-years (one call for the whole portfolio).
A ratio whose denominator is zero or negative is NaN, and :func:`compute_ratios` says why in
its ``notes`` frame — never ``inf`` and never a silently wrong value.

Input frames are the normalized statements of :class:`helpers.inputs.Portfolio`
(whole currency units, one row per customer and fiscal year).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from .config import Policy
from .exceptions import RiskbookError

__all__ = ["Ratio", "CATALOGUE", "RatioResult", "safe_divide", "compute_ratios", "ratio_table",
           "statement_summary", "latest_ratios", "financial_section"]


def safe_divide(numerator: pd.Series, denominator: pd.Series, *, denominator_name: str,
                allow_negative: bool = False) -> tuple[pd.Series, pd.Series]:
    """Divide element-wise; NaN with a reason where the denominator is unusable.

    Parameters
    ----------
    numerator, denominator : Series
        Aligned figures.
    denominator_name : str
        Name used in the reason, e.g. ``"current_liabilities"``.
    allow_negative : bool
        When False (the default) a negative denominator also gives NaN.

    Returns
    -------
    values : Series of float
        ``numerator / denominator`` or NaN.
    reasons : Series of str
        ``""`` where the value is valid, else why it is NaN.
    """
    num = numerator.astype(float)
    den = denominator.astype(float)
    zero = den == 0
    neg = (den < 0) & (not allow_negative)
    missing = num.isna() | den.isna()
    bad = zero | neg | missing
    with np.errstate(divide="ignore", invalid="ignore"):
        values = (num / den.where(~bad)).where(~bad)
    reasons = pd.Series("", index=num.index, dtype=object)
    reasons[missing] = "figure missing"
    reasons[neg & ~missing] = f"{denominator_name} is negative"
    reasons[zero & ~missing] = f"{denominator_name} is zero"
    return values, reasons


@dataclass(frozen=True)
class Ratio:
    """One entry of the ratio catalogue.

    Attributes
    ----------
    name : str
        Column name of the ratio.
    label : str
        Name for people.
    formula : str
        The formula, in contract column names.
    unit : str
        ``"x"`` (times), ``"%"`` (a fraction shown as percent), ``"days"`` or ``"amount"``.
    direction : str
        ``"higher_is_better"`` or ``"lower_is_better"``.
    group : str
        ``liquidity``, ``leverage``, ``coverage``, ``profitability``, ``efficiency``, ``cash_flow``.
    compute : callable
        ``compute(frame) -> (values, reasons)`` over a statements frame.
    """

    name: str
    label: str
    formula: str
    unit: str
    direction: str
    group: str
    compute: Callable[[pd.DataFrame], tuple[pd.Series, pd.Series]]


def _current_ratio(f):
    """current_ratio = current_assets / current_liabilities."""
    return safe_divide(f["current_assets"], f["current_liabilities"], denominator_name="current_liabilities")


def _quick_ratio(f):
    """quick_ratio = (current_assets − inventory) / current_liabilities."""
    return safe_divide(f["current_assets"] - f["inventory"], f["current_liabilities"],
                       denominator_name="current_liabilities")


def _cash_ratio(f):
    """cash_ratio = cash / current_liabilities."""
    return safe_divide(f["cash"], f["current_liabilities"], denominator_name="current_liabilities")


def _working_capital(f):
    """working_capital = current_assets − current_liabilities (an amount, never NaN for valid input)."""
    values = (f["current_assets"] - f["current_liabilities"]).astype(float)
    return values, pd.Series("", index=f.index, dtype=object)


#: The ratio catalogue: name → :class:`Ratio`. Formulas are in contract column names.
CATALOGUE: dict[str, Ratio] = {r.name: r for r in (
    Ratio("current_ratio", "Current ratio", "current_assets / current_liabilities", "x",
          "higher_is_better", "liquidity", _current_ratio),
    Ratio("quick_ratio", "Quick ratio", "(current_assets − inventory) / current_liabilities", "x",
          "higher_is_better", "liquidity", _quick_ratio),
    Ratio("cash_ratio", "Cash ratio", "cash / current_liabilities", "x",
          "higher_is_better", "liquidity", _cash_ratio),
    Ratio("working_capital", "Working capital", "current_assets − current_liabilities", "amount",
          "higher_is_better", "liquidity", _working_capital),
)}


@dataclass
class RatioResult:
    """Ratios of many customer-years.

    Attributes
    ----------
    values : DataFrame
        ``customer_id``, ``fiscal_year`` and one float column per catalogue ratio.
    notes : DataFrame
        Same shape; ``""`` where the ratio is valid, else why it is NaN.
    """

    values: pd.DataFrame
    notes: pd.DataFrame


def compute_ratios(statements: pd.DataFrame, ratios: list[str] | None = None) -> RatioResult:
    """Compute catalogue ratios for every row of ``statements`` at once.

    Parameters
    ----------
    statements : DataFrame
        Normalized statements (one row per customer and fiscal year).
    ratios : list of str, optional
        Names from :data:`CATALOGUE`; all of them by default.

    Returns
    -------
    RatioResult
        Values and NaN reasons, rows in the order of ``statements``.
    """
    names = list(CATALOGUE) if ratios is None else ratios
    keys = statements[["customer_id", "fiscal_year"]].reset_index(drop=True)
    frame = statements.reset_index(drop=True)
    values, notes = keys.copy(), keys.copy()
    for name in names:
        v, r = CATALOGUE[name].compute(frame)
        values[name] = v.to_numpy(dtype=float)
        notes[name] = r.to_numpy(dtype=object)
    return RatioResult(values, notes)


def latest_ratios(result: RatioResult, customer_id: str) -> dict[str, dict]:
    """Return the latest year's ratios of one customer as ``{name: {value, note, fiscal_year}}``."""
    rows = result.values[result.values["customer_id"] == customer_id]
    if rows.empty:
        return {}
    i = rows["fiscal_year"].idxmax()
    out = {}
    for name in result.values.columns.drop(["customer_id", "fiscal_year"]):
        v = result.values.at[i, name]
        out[name] = {"value": None if np.isnan(v) else float(v), "note": result.notes.at[i, name],
                     "fiscal_year": int(result.values.at[i, "fiscal_year"])}
    return out


def ratio_table(result: RatioResult, customer_id: str, policy: Policy) -> pd.DataFrame:
    """One customer's ratios by year, with formula, unit and the latest year's traffic light.

    Returns
    -------
    DataFrame
        One row per ratio: ``ratio, label, formula, unit, <year>…, light, note``, where ``light``
        comes from the policy's thresholds (``grey`` when the policy sets none or the value is NaN)
        and ``note`` explains a NaN in the latest year.
    """
    v = result.values[result.values["customer_id"] == customer_id].sort_values("fiscal_year")
    n = result.notes.loc[v.index]
    years = [int(y) for y in v["fiscal_year"]]
    rows = []
    for name in v.columns.drop(["customer_id", "fiscal_year"]):
        spec = CATALOGUE[name]
        row = {"ratio": name, "label": spec.label, "formula": spec.formula, "unit": spec.unit}
        for y, val in zip(years, v[name]):
            row[str(y)] = None if np.isnan(val) else float(val)
        latest = v[name].iloc[-1] if len(v) else np.nan
        threshold = policy.thresholds.get(name)
        row["light"] = threshold.light(latest) if threshold else "grey"
        row["note"] = n[name].iloc[-1] if len(n) else ""
        rows.append(row)
    return pd.DataFrame(rows)


#: Lines of the statement summary: (label, expression over the statements frame).
_SUMMARY_LINES: tuple[tuple[str, str], ...] = (
    ("Revenue", "revenue"),
    ("Gross profit", "revenue - cost_of_sales"),
    ("EBIT", "ebit"),
    ("Net income", "net_income"),
    ("Operating cash flow", "operating_cash_flow"),
    ("Cash", "cash"),
    ("Receivables", "receivables"),
    ("Inventory", "inventory"),
    ("Current assets", "current_assets"),
    ("Total assets", "total_assets"),
    ("Current liabilities", "current_liabilities"),
    ("Total debt", "short_term_debt + long_term_debt"),
    ("Total liabilities", "total_liabilities"),
    ("Equity", "equity"),
)


def statement_summary(statements: pd.DataFrame, scale: float = 1.0) -> pd.DataFrame:
    """Key lines of one customer's statements, one column per fiscal year.

    Gross profit = revenue − cost_of_sales; total debt = short_term_debt + long_term_debt; the
    other lines are contract columns. Figures are in whole units of the customer's currency,
    divided by ``scale`` (e.g. 1,000 for thousands).

    Returns
    -------
    DataFrame
        Index: line labels; columns: fiscal years as strings, oldest first.
    """
    fs = statements.sort_values("fiscal_year")
    data = {label: fs.eval(expr).to_numpy(dtype=float) / scale for label, expr in _SUMMARY_LINES}
    table = pd.DataFrame(data, index=[str(int(y)) for y in fs["fiscal_year"]]).T
    table.index.name = "line"
    return table


def financial_section(customer, ratios: RatioResult | None = None) -> dict:
    """Everything the report's financial section shows, as JSON-able data.

    Parameters
    ----------
    customer : helpers.inputs.CustomerData
    ratios : RatioResult, optional
        Precomputed ratios (e.g. for the whole portfolio); computed for the customer otherwise.

    Returns
    -------
    dict
        ``years``, ``statement_summary`` (records with ``line`` and one key per year),
        ``ratios`` (the ratio table records), ``latest`` ({ratio: value}) and ``summary``
        (``ratios`` {current_ratio, quick_ratio, ...} for ``summary.json``).
    """
    if customer.statements.empty:
        raise RiskbookError(f"customer {customer.customer_id} has no financial statements on file; "
                            "the financial analysis needs at least one year")
    ratios = ratios if ratios is not None else compute_ratios(customer.statements)
    table = ratio_table(ratios, customer.customer_id, customer.policy)
    summary = statement_summary(customer.statements)
    latest = latest_ratios(ratios, customer.customer_id)
    years = list(summary.columns)
    return {
        "currency": customer.currency,
        "years": years,
        "latest_year": years[-1] if years else None,
        "statement_summary": summary.reset_index().to_dict(orient="records"),
        "ratios": table.to_dict(orient="records"),
        "thresholds": {k: v.model_dump() for k, v in customer.policy.thresholds.items()},
        "summary": {"ratios": {k: v["value"] for k, v in latest.items()},
                    "ratio_notes": {k: v["note"] for k, v in latest.items() if v["note"]}},
    }
