"""Financial-statement analysis: the ratio catalogue, distress scores, statement views.

Every ratio is declared once in :data:`CATALOGUE` with its formula, unit, direction and group,
and computed vectorized over any number of customer-years (one call for the whole portfolio).

Conventions
-----------
- Input frames are normalized statements (:class:`helpers.inputs.Portfolio`): whole units of the
  customer's currency, one row per customer and fiscal year.
- **Flows are annualized** for ratios: each flow item × 12 / ``months`` (:data:`FLOWS`). Amount
  "ratios" (working capital, free cash flow) are shown as reported.
- **Balances are year-end** by default. With ``basis="average"`` (policy ``ratios.balance_basis``)
  the ratios that mix a flow with a balance (DSO, DIO, DPO, cash conversion cycle, ROA, ROE,
  turnovers, OCF / current liabilities, accruals ratio) use the average of this and the prior
  year-end when the prior year (``fiscal_year − 1``) is on file.
- A zero or negative denominator gives NaN, and :attr:`RatioResult.notes` says why — never
  ``inf`` and never a silently wrong value. Negative equity therefore removes debt/equity, ROE and
  the equity multiplier, while the equity ratio (which stays meaningful) shows the negative value.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np
import pandas as pd

from ..config import Policy
from ..data.contract import RATIO_NAMES

__all__ = ["Ratio", "CATALOGUE", "FLOWS", "RatioResult", "safe_divide", "compute_ratios", "altman_z",
           "ratio_table", "statement_table", "statement_summary", "latest_ratios"]

#: Flow items of the income and cash-flow statements (annualized for ratios).
FLOWS: tuple[str, ...] = ("revenue", "cost_of_sales", "operating_expenses", "depreciation_amortization", "ebit",
                          "interest_expense", "income_tax", "net_income", "other_non_operating",
                          "operating_cash_flow", "capital_expenditure")
#: Balances that get averaged under ``basis="average"`` in flow-over-balance ratios.
_AVERAGED = ("receivables", "inventory", "payables", "total_assets", "equity", "current_liabilities")


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
        ``"x"`` (times), ``"%"`` (a fraction shown as percent), ``"days"``, ``"months"`` or
        ``"amount"`` (currency).
    direction : str
        ``"higher_is_better"`` or ``"lower_is_better"``.
    group : str
        ``liquidity``, ``leverage``, ``coverage``, ``profitability``, ``efficiency``, ``growth``,
        ``cash_flow``.
    compute : callable
        ``compute(prepared) -> (values, reasons)`` over a frame prepared by :func:`_prepare`.
    """

    name: str
    label: str
    formula: str
    unit: str
    direction: str
    group: str
    compute: Callable[[pd.DataFrame], tuple[pd.Series, pd.Series]]


#: The ratio catalogue: name → :class:`Ratio`, in report order.
CATALOGUE: dict[str, Ratio] = {}
_GROUPS = ("liquidity", "leverage", "coverage", "profitability", "efficiency", "growth", "cash_flow")


def _ratio(label: str, formula: str, unit: str, direction: str, group: str):
    def register(fn):
        name = fn.__name__.lstrip("_")
        CATALOGUE[name] = Ratio(name, label, formula, unit, direction, group, fn)
        return fn
    return register


def _ok(f: pd.DataFrame) -> pd.Series:
    return pd.Series("", index=f.index, dtype=object)


# ---- liquidity
@_ratio("Current ratio", "current_assets / current_liabilities", "x", "higher_is_better", "liquidity")
def _current_ratio(f):
    """current_ratio = current_assets / current_liabilities."""
    return safe_divide(f["current_assets"], f["current_liabilities"], denominator_name="current_liabilities")


@_ratio("Quick ratio", "(current_assets − inventory) / current_liabilities", "x", "higher_is_better", "liquidity")
def _quick_ratio(f):
    """quick_ratio = (current_assets − inventory) / current_liabilities."""
    return safe_divide(f["current_assets"] - f["inventory"], f["current_liabilities"],
                       denominator_name="current_liabilities")


@_ratio("Cash ratio", "cash / current_liabilities", "x", "higher_is_better", "liquidity")
def _cash_ratio(f):
    """cash_ratio = cash / current_liabilities."""
    return safe_divide(f["cash"], f["current_liabilities"], denominator_name="current_liabilities")


@_ratio("Working capital", "current_assets − current_liabilities", "amount", "higher_is_better", "liquidity")
def _working_capital(f):
    """working_capital = current_assets − current_liabilities (an amount, as reported)."""
    return (f["current_assets"] - f["current_liabilities"]).astype(float), _ok(f)


@_ratio("Days sales outstanding", "receivables / revenue × days", "days", "lower_is_better", "liquidity")
def _dso(f):
    """dso = receivables / revenue × days_in_year (revenue annualized)."""
    v, r = safe_divide(f["avg_receivables"], f["revenue"], denominator_name="revenue")
    return v * f["days"], r


@_ratio("Days inventory outstanding", "inventory / cost_of_sales × days", "days", "lower_is_better", "liquidity")
def _dio(f):
    """dio = inventory / cost_of_sales × days_in_year (cost of sales annualized)."""
    v, r = safe_divide(f["avg_inventory"], f["cost_of_sales"], denominator_name="cost_of_sales")
    return v * f["days"], r


@_ratio("Days payables outstanding", "payables / cost_of_sales × days", "days", "lower_is_better", "liquidity")
def _dpo(f):
    """dpo = payables / cost_of_sales × days_in_year; long DPO means suppliers are paid late."""
    v, r = safe_divide(f["avg_payables"], f["cost_of_sales"], denominator_name="cost_of_sales")
    return v * f["days"], r


@_ratio("Cash conversion cycle", "dso + dio − dpo", "days", "lower_is_better", "liquidity")
def _cash_conversion_cycle(f):
    """cash_conversion_cycle = dso + dio − dpo (NaN when any part is NaN, with that part's reason)."""
    parts = [_dso(f), _dio(f), _dpo(f)]
    value = parts[0][0] + parts[1][0] - parts[2][0]
    reason = parts[0][1].where(parts[0][1] != "", parts[1][1].where(parts[1][1] != "", parts[2][1]))
    return value, reason.where(value.isna(), "")


# ---- leverage
@_ratio("Debt to equity", "(short_term_debt + long_term_debt) / equity", "x", "lower_is_better", "leverage")
def _debt_to_equity(f):
    """debt_to_equity = (short_term_debt + long_term_debt) / equity; NaN for negative equity."""
    return safe_divide(f["total_debt"], f["equity"], denominator_name="equity")


@_ratio("Liabilities to assets", "total_liabilities / total_assets", "%", "lower_is_better", "leverage")
def _liabilities_to_assets(f):
    """liabilities_to_assets = total_liabilities / total_assets."""
    return safe_divide(f["total_liabilities"], f["total_assets"], denominator_name="total_assets")


@_ratio("Equity ratio", "equity / total_assets", "%", "higher_is_better", "leverage")
def _equity_ratio(f):
    """equity_ratio = equity / total_assets (negative when liabilities exceed assets)."""
    return safe_divide(f["equity"], f["total_assets"], denominator_name="total_assets")


@_ratio("Debt to EBITDA", "(short_term_debt + long_term_debt) / (ebit + depreciation_amortization)", "x",
        "lower_is_better", "leverage")
def _debt_to_ebitda(f):
    """debt_to_ebitda = (short_term_debt + long_term_debt) / ebitda, ebitda = ebit + depreciation_amortization."""
    return safe_divide(f["total_debt"], f["ebitda"], denominator_name="ebitda")


# ---- coverage
@_ratio("Interest coverage", "ebit / interest_expense", "x", "higher_is_better", "coverage")
def _interest_coverage(f):
    """interest_coverage = ebit / interest_expense (NaN without interest expense)."""
    return safe_divide(f["ebit"], f["interest_expense"], denominator_name="interest_expense")


@_ratio("Operating cash flow to current liabilities", "operating_cash_flow / current_liabilities", "x",
        "higher_is_better", "coverage")
def _ocf_to_current_liabilities(f):
    """ocf_to_current_liabilities = operating_cash_flow / current_liabilities."""
    return safe_divide(f["operating_cash_flow"], f["avg_current_liabilities"], denominator_name="current_liabilities")


@_ratio("Debt-service coverage", "(ebit + depreciation_amortization) / (interest_expense + short_term_debt)", "x",
        "higher_is_better", "coverage")
def _dscr(f):
    """dscr = ebitda / (interest_expense + short_term_debt); short-term debt stands for the principal due
    within a year, since small-business statements rarely show the repayment schedule."""
    return safe_divide(f["ebitda"], f["interest_expense"] + f["short_term_debt"],
                       denominator_name="interest_expense + short_term_debt")


# ---- profitability
@_ratio("Gross margin", "(revenue − cost_of_sales) / revenue", "%", "higher_is_better", "profitability")
def _gross_margin(f):
    """gross_margin = (revenue − cost_of_sales) / revenue."""
    return safe_divide(f["revenue"] - f["cost_of_sales"], f["revenue"], denominator_name="revenue")


@_ratio("EBIT margin", "ebit / revenue", "%", "higher_is_better", "profitability")
def _ebit_margin(f):
    """ebit_margin = ebit / revenue."""
    return safe_divide(f["ebit"], f["revenue"], denominator_name="revenue")


@_ratio("Net margin", "net_income / revenue", "%", "higher_is_better", "profitability")
def _net_margin(f):
    """net_margin = net_income / revenue."""
    return safe_divide(f["net_income"], f["revenue"], denominator_name="revenue")


@_ratio("Return on assets", "net_income / total_assets", "%", "higher_is_better", "profitability")
def _roa(f):
    """roa = net_income / total_assets."""
    return safe_divide(f["net_income"], f["avg_total_assets"], denominator_name="total_assets")


@_ratio("Return on equity", "net_income / equity", "%", "higher_is_better", "profitability")
def _roe(f):
    """roe = net_income / equity (NaN for negative equity) = net_margin × asset_turnover × equity_multiplier."""
    return safe_divide(f["net_income"], f["avg_equity"], denominator_name="equity")


@_ratio("Equity multiplier", "total_assets / equity", "x", "lower_is_better", "profitability")
def _equity_multiplier(f):
    """equity_multiplier = total_assets / equity, the leverage factor of the DuPont decomposition."""
    return safe_divide(f["total_assets"], f["equity"], denominator_name="equity")


# ---- efficiency
@_ratio("Asset turnover", "revenue / total_assets", "x", "higher_is_better", "efficiency")
def _asset_turnover(f):
    """asset_turnover = revenue / total_assets."""
    return safe_divide(f["revenue"], f["avg_total_assets"], denominator_name="total_assets")


@_ratio("Receivables turnover", "revenue / receivables", "x", "higher_is_better", "efficiency")
def _receivables_turnover(f):
    """receivables_turnover = revenue / receivables."""
    return safe_divide(f["revenue"], f["avg_receivables"], denominator_name="receivables")


# ---- growth
def _growth(f, column: str):
    v, r = safe_divide(f[column], f[f"prev_{column}"], denominator_name=f"prior-year {column}")
    r = r.where(f["has_prev"], "no prior year")
    return (v - 1).where(f["has_prev"]), r


@_ratio("Revenue growth", "revenue / prior-year revenue − 1", "%", "higher_is_better", "growth")
def _revenue_growth(f):
    """revenue_growth = revenue_t / revenue_(t−1) − 1, both annualized; NaN without the prior year."""
    return _growth(f, "revenue")


@_ratio("Equity growth", "equity / prior-year equity − 1", "%", "higher_is_better", "growth")
def _equity_growth(f):
    """equity_growth = equity_t / equity_(t−1) − 1; NaN without the prior year or when it was not positive."""
    return _growth(f, "equity")


# ---- cash flow
@_ratio("Operating cash flow to net income", "operating_cash_flow / net_income", "x", "higher_is_better",
        "cash_flow")
def _ocf_to_net_income(f):
    """ocf_to_net_income = operating_cash_flow / net_income (NaN for a loss: the ratio means nothing then)."""
    return safe_divide(f["operating_cash_flow"], f["net_income"], denominator_name="net_income")


@_ratio("Free cash flow", "operating_cash_flow − capital_expenditure", "amount", "higher_is_better", "cash_flow")
def _free_cash_flow(f):
    """free_cash_flow = operating_cash_flow − capital_expenditure (an amount, as reported for the period)."""
    return (f["reported_operating_cash_flow"] - f["reported_capital_expenditure"]).astype(float), _ok(f)


@_ratio("Accruals ratio", "(net_income − operating_cash_flow) / total_assets", "%", "lower_is_better", "cash_flow")
def _accruals_ratio(f):
    """accruals_ratio = (net_income − operating_cash_flow) / total_assets; high values mean profit not backed by cash."""
    return safe_divide(f["net_income"] - f["operating_cash_flow"], f["avg_total_assets"],
                       denominator_name="total_assets")


@_ratio("Cash runway", "cash / ((cost_of_sales + operating_expenses − depreciation_amortization) / 12)", "months",
        "higher_is_better", "cash_flow")
def _cash_runway_months(f):
    """cash_runway_months = cash / monthly cash operating costs, where monthly cash operating costs =
    (cost_of_sales + operating_expenses − depreciation_amortization) / 12."""
    monthly = (f["cost_of_sales"] + f["operating_expenses"] - f["depreciation_amortization"]) / 12.0
    return safe_divide(f["cash"], monthly, denominator_name="monthly cash operating costs")


# --------------------------------------------------------------------------- computation
@dataclass
class RatioResult:
    """Ratios of many customer-years.

    Attributes
    ----------
    values : DataFrame
        ``customer_id``, ``fiscal_year`` and one float column per catalogue ratio.
    notes : DataFrame
        Same shape; ``""`` where the ratio is valid, else why it is NaN.
    changes : DataFrame
        Same shape; year-on-year change ``value_t − value_(t−1)``, NaN without the prior year.
    basis : str
        ``"year_end"`` or ``"average"``.
    """

    values: pd.DataFrame
    notes: pd.DataFrame
    changes: pd.DataFrame
    basis: str = "year_end"

    @property
    def names(self) -> list[str]:
        """Ratio names, in catalogue order."""
        return [c for c in self.values.columns if c not in ("customer_id", "fiscal_year")]


def _prepare(statements: pd.DataFrame, basis: str, days_in_year: int) -> pd.DataFrame:
    """Annualize flows, attach the prior year and the balances each ratio uses."""
    if basis not in ("year_end", "average"):
        raise ValueError(f"basis must be 'year_end' or 'average', not {basis!r}")
    f = statements.reset_index(drop=True).copy()
    for col in ("other_non_operating", "other_noncurrent_liabilities"):
        if col not in f:
            f[col] = 0.0
    months = f["months"].astype(float) if "months" in f else pd.Series(12.0, index=f.index)
    factor = 12.0 / months
    for col in ("operating_cash_flow", "capital_expenditure"):
        if col in f:
            f[f"reported_{col}"] = f[col].astype(float)
    for col in FLOWS:
        if col in f:
            f[col] = f[col].astype(float) * factor
    f["days"] = float(days_in_year)
    if {"ebit", "depreciation_amortization"} <= set(f.columns):
        f["ebitda"] = f["ebit"] + f["depreciation_amortization"]
    if {"short_term_debt", "long_term_debt"} <= set(f.columns):
        f["total_debt"] = f["short_term_debt"] + f["long_term_debt"]
    prev_cols = [c for c in ("revenue", "equity", *_AVERAGED) if c in f]
    prev_cols = list(dict.fromkeys(prev_cols))
    prev = f[["customer_id", "fiscal_year", *prev_cols]].copy()
    prev["fiscal_year"] = prev["fiscal_year"] + 1
    prev = prev.rename(columns={c: f"prev_{c}" for c in prev_cols})
    prev["has_prev"] = True
    f = f.merge(prev, on=["customer_id", "fiscal_year"], how="left", validate="one_to_one")
    f["has_prev"] = f["has_prev"].fillna(False).astype(bool)
    for col in _AVERAGED:
        if col in f:
            avg = (f[col] + f[f"prev_{col}"]) / 2.0
            f[f"avg_{col}"] = avg.where(f["has_prev"] & (basis == "average"), f[col])
    return f


if tuple(CATALOGUE) != RATIO_NAMES:  # the contract's vocabulary (helpers.data.contract) and the catalogue agree
    raise RuntimeError("the ratio catalogue and helpers.data.contract.RATIO_NAMES differ: "
                       f"{sorted(set(CATALOGUE) ^ set(RATIO_NAMES))}")


def compute_ratios(statements: pd.DataFrame, ratios: list[str] | None = None, *, basis: str = "year_end",
                   days_in_year: int = 365) -> RatioResult:
    """Compute catalogue ratios for every row of ``statements`` at once.

    Parameters
    ----------
    statements : DataFrame
        Normalized statements (one row per customer and fiscal year); only the columns the
        requested ratios use are needed.
    ratios : list of str, optional
        Names from :data:`CATALOGUE`; all of them by default.
    basis : {"year_end", "average"}
        Balance basis of flow-over-balance ratios (see the module docstring).
    days_in_year : int
        Day count for DSO, DIO and DPO.

    Returns
    -------
    RatioResult
        Values, NaN reasons and year-on-year changes, rows in the order of ``statements``.
    """
    names = list(CATALOGUE) if ratios is None else list(ratios)
    f = _prepare(statements, basis, days_in_year)
    keys = f[["customer_id", "fiscal_year"]]
    values = {}
    notes = {}
    for name in names:
        v, r = CATALOGUE[name].compute(f)
        v = v.astype(float)
        finite = np.isfinite(v)
        values[name] = v.where(finite).to_numpy(dtype=float)
        # every NaN says why: its own reason, else "not finite" (inf, or inf / inf from figures too large)
        notes[name] = r.where(finite | (r != ""), "not finite").where(~finite, "").to_numpy(dtype=object)
    vals = pd.concat([keys, pd.DataFrame(values, index=f.index)], axis=1)
    nts = pd.concat([keys, pd.DataFrame(notes, index=f.index, dtype=object)], axis=1)
    prior = vals.copy()
    prior["fiscal_year"] = prior["fiscal_year"] + 1
    merged = vals[["customer_id", "fiscal_year"]].merge(prior, on=["customer_id", "fiscal_year"], how="left")
    changes = keys.copy()
    for name in names:
        with np.errstate(over="ignore", invalid="ignore"):
            change = vals[name].to_numpy() - merged[name].to_numpy()
        changes[name] = np.where(np.isfinite(change), change, np.nan)  # a change too large for a float: NaN, never inf
    return RatioResult(vals, nts, changes, basis)


#: Altman (1995) models: coefficients of X1..X5 and the (distress, safe) zone cut-offs.
ALTMAN = {
    "Z'": {"coef": (0.717, 0.847, 3.107, 0.420, 0.998), "zones": (1.23, 2.90),
           "name": "Altman Z' (1995), private manufacturers"},
    "Z''": {"coef": (6.56, 3.26, 6.72, 1.05, 0.0), "zones": (1.10, 2.60),
            "name": "Altman Z'' (1995), non-manufacturers"},
}


def altman_z(statements: pd.DataFrame, manufacturing: Mapping[str, bool] | pd.Series) -> pd.DataFrame:
    """Altman's distress score per customer-year, the model chosen by industry.

    Z' (private manufacturers) = 0.717·X1 + 0.847·X2 + 3.107·X3 + 0.420·X4 + 0.998·X5, zones
    > 2.90 safe, 1.23–2.90 grey, < 1.23 distress. Z'' (non-manufacturers) = 6.56·X1 + 3.26·X2 +
    6.72·X3 + 1.05·X4, zones > 2.60 safe, 1.10–2.60 grey, < 1.10 distress. X1 = working capital /
    total assets, X2 = retained earnings / total assets, X3 = EBIT (annualized) / total assets,
    X4 = book equity / total liabilities, X5 = revenue (annualized) / total assets.

    Parameters
    ----------
    statements : DataFrame
        Normalized statements.
    manufacturing : mapping or Series
        customer_id → whether the customer's industry is manufacturing (the policy's industries).

    Returns
    -------
    DataFrame
        ``customer_id, fiscal_year, model, x1..x5, value, zone, note`` (x5 NaN for Z'').
    """
    f = _prepare(statements, "year_end", 365)
    manu = f["customer_id"].map(dict(manufacturing)).astype("boolean").fillna(False).astype(bool)
    out = f[["customer_id", "fiscal_year"]].copy()
    out["model"] = np.where(manu, "Z'", "Z''")
    x1, r1 = safe_divide(f["current_assets"] - f["current_liabilities"], f["total_assets"], denominator_name="total_assets")
    x2, _ = safe_divide(f["retained_earnings"], f["total_assets"], denominator_name="total_assets")
    x3, _ = safe_divide(f["ebit"], f["total_assets"], denominator_name="total_assets")
    x4, r4 = safe_divide(f["equity"], f["total_liabilities"], denominator_name="total_liabilities")
    x5, _ = safe_divide(f["revenue"], f["total_assets"], denominator_name="total_assets")
    x1, x2, x3, x4, x5 = (x.where(np.isfinite(x)) for x in (x1, x2, x3, x4, x5))  # huge figures: NaN, never inf
    out["x1"], out["x2"], out["x3"], out["x4"] = x1, x2, x3, x4
    out["x5"] = x5.where(manu)
    zp, zpp = ALTMAN["Z'"]["coef"], ALTMAN["Z''"]["coef"]
    with np.errstate(over="ignore", invalid="ignore"):
        value_p = zp[0] * x1 + zp[1] * x2 + zp[2] * x3 + zp[3] * x4 + zp[4] * x5
        value_pp = zpp[0] * x1 + zpp[1] * x2 + zpp[2] * x3 + zpp[3] * x4
    value = np.where(manu, value_p, value_pp)
    out["value"] = np.where(np.isfinite(value), value, np.nan)
    lo = np.where(manu, ALTMAN["Z'"]["zones"][0], ALTMAN["Z''"]["zones"][0])
    hi = np.where(manu, ALTMAN["Z'"]["zones"][1], ALTMAN["Z''"]["zones"][1])
    v = out["value"]
    out["zone"] = np.select([v.isna(), v > hi, v >= lo], [None, "safe", "grey"], "distress")
    out["note"] = r4.where(r4 != "", r1)
    out.loc[v.isna() & (out["note"] == ""), "note"] = "not finite"
    out.loc[v.notna(), "note"] = ""
    return out


# --------------------------------------------------------------------------- per-customer views
def latest_ratios(result: RatioResult, customer_id: str) -> dict[str, dict]:
    """Return the latest year's ratios of one customer as ``{name: {value, note, change, fiscal_year}}``."""
    rows = result.values[result.values["customer_id"] == customer_id]
    if rows.empty:
        return {}
    i = rows["fiscal_year"].idxmax()
    out = {}
    for name in result.names:
        v, c = result.values.at[i, name], result.changes.at[i, name]
        out[name] = {"value": None if np.isnan(v) else float(v), "note": result.notes.at[i, name],
                     "change": None if np.isnan(c) else float(c),
                     "fiscal_year": int(result.values.at[i, "fiscal_year"])}
    return out


def ratio_table(result: RatioResult, customer_id: str, policy: Policy) -> pd.DataFrame:
    """One customer's ratios by year, with formula, unit, direction and the latest year's light.

    Returns
    -------
    DataFrame
        One row per ratio: ``ratio, label, group, formula, unit, direction, <year>…, change,
        light, note``; ``light`` comes from the policy's thresholds (``grey`` when the policy sets
        none or the value is NaN), ``change`` is the latest year-on-year change and ``note``
        explains a NaN in the latest year.
    """
    v = result.values[result.values["customer_id"] == customer_id].sort_values("fiscal_year")
    n, ch = result.notes.loc[v.index], result.changes.loc[v.index]
    years = [int(y) for y in v["fiscal_year"]]
    rows = []
    for name in result.names:
        spec = CATALOGUE[name]
        row = {"ratio": name, "label": spec.label, "group": spec.group, "formula": spec.formula,
               "unit": spec.unit, "direction": spec.direction}
        for y, val in zip(years, v[name]):
            row[str(y)] = None if np.isnan(val) else float(val)
        latest = v[name].iloc[-1] if len(v) else np.nan
        change = ch[name].iloc[-1] if len(ch) else np.nan
        row["change"] = None if np.isnan(change) else float(change)
        threshold = policy.thresholds.get(name)
        row["light"] = threshold.light(latest) if threshold else "grey"
        row["note"] = n[name].iloc[-1] if len(n) else ""
        rows.append(row)
    return pd.DataFrame(rows)


#: Lines of the full statement table: (statement, label, expression, common-size base).
_STATEMENT_LINES: tuple[tuple[str, str, str, str], ...] = (
    ("Income statement", "Revenue", "revenue", "revenue"),
    ("Income statement", "Cost of sales", "cost_of_sales", "revenue"),
    ("Income statement", "Gross profit", "revenue - cost_of_sales", "revenue"),
    ("Income statement", "Operating expenses", "operating_expenses", "revenue"),
    ("Income statement", "of which depreciation and amortization", "depreciation_amortization", "revenue"),
    ("Income statement", "EBIT", "ebit", "revenue"),
    ("Income statement", "Interest expense", "interest_expense", "revenue"),
    ("Income statement", "Income tax", "income_tax", "revenue"),
    ("Income statement", "Other non-operating items", "other_non_operating", "revenue"),
    ("Income statement", "Net income", "net_income", "revenue"),
    ("Balance sheet", "Cash", "cash", "total_assets"),
    ("Balance sheet", "Receivables", "receivables", "total_assets"),
    ("Balance sheet", "Inventory", "inventory", "total_assets"),
    ("Balance sheet", "Other current assets", "other_current_assets", "total_assets"),
    ("Balance sheet", "Current assets", "current_assets", "total_assets"),
    ("Balance sheet", "Non-current assets", "fixed_assets", "total_assets"),
    ("Balance sheet", "Total assets", "total_assets", "total_assets"),
    ("Balance sheet", "Payables", "payables", "total_assets"),
    ("Balance sheet", "Short-term debt", "short_term_debt", "total_assets"),
    ("Balance sheet", "Other current liabilities", "other_current_liabilities", "total_assets"),
    ("Balance sheet", "Current liabilities", "current_liabilities", "total_assets"),
    ("Balance sheet", "Long-term debt", "long_term_debt", "total_assets"),
    ("Balance sheet", "Other non-current liabilities", "other_noncurrent_liabilities", "total_assets"),
    ("Balance sheet", "Total liabilities", "total_liabilities", "total_assets"),
    ("Balance sheet", "Paid-in capital", "paid_in_capital", "total_assets"),
    ("Balance sheet", "Retained earnings", "retained_earnings", "total_assets"),
    ("Balance sheet", "Equity", "equity", "total_assets"),
    ("Cash flow", "Operating cash flow", "operating_cash_flow", "revenue"),
    ("Cash flow", "Capital expenditure", "capital_expenditure", "revenue"),
    ("Cash flow", "Free cash flow", "operating_cash_flow - capital_expenditure", "revenue"),
)
_SUBTOTALS = {"Gross profit", "EBIT", "Net income", "Current assets", "Total assets", "Current liabilities",
              "Total liabilities", "Equity", "Free cash flow"}


def _key(label: str) -> str:
    """The stable key of a statement or line label ("Other current assets" → ``other_current_assets``)."""
    return "_".join(label.lower().replace("-", " ").split())


def statement_table(statements: pd.DataFrame, scale: float = 1.0) -> pd.DataFrame:
    """The customer's statements by year with their common-size view.

    Income-statement and cash-flow lines are also shown as a share of revenue, balance-sheet lines
    as a share of total assets (common-size statements); a share whose base is zero is NaN.

    Parameters
    ----------
    statements : DataFrame
        One customer's normalized statements.
    scale : float
        Divide amounts by this (e.g. 1,000 for thousands); shares are unaffected.

    Returns
    -------
    DataFrame
        ``statement, line, statement_key, line_key, subtotal, <year>…, cs_<year>…`` — amounts and common-size shares.
    """
    fs = statements.sort_values("fiscal_year").copy()
    for col in ("other_non_operating", "other_noncurrent_liabilities"):
        if col not in fs:
            fs[col] = 0.0
    years = [str(int(y)) for y in fs["fiscal_year"]]
    rows = []
    for statement, label, expr, base in _STATEMENT_LINES:
        amounts = fs.eval(expr).to_numpy(dtype=float)
        bases = fs[base].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            shares = np.where(bases > 0, amounts / np.where(bases > 0, bases, 1.0), np.nan)
        row = {"statement": statement, "line": label, "statement_key": _key(statement), "line_key": _key(label),
               "subtotal": label in _SUBTOTALS}
        row.update({y: a / scale for y, a in zip(years, amounts)})
        row.update({f"cs_{y}": s for y, s in zip(years, shares)})
        rows.append(row)
    return pd.DataFrame(rows)


def statement_summary(statements: pd.DataFrame, scale: float = 1.0) -> pd.DataFrame:
    """Key lines of one customer's statements, one column per fiscal year.

    The lines of :func:`statement_table` that are subtotals plus cash, receivables, inventory and
    operating cash flow; figures in whole units of the customer's currency divided by ``scale``.

    Returns
    -------
    DataFrame
        Index: line labels; columns: ``line_key`` and the fiscal years as strings, oldest first.
    """
    table = statement_table(statements, scale)
    keep = table["subtotal"] | table["line"].isin(["Revenue", "Cash", "Receivables", "Inventory",
                                                   "Operating cash flow"])
    years = [c for c in table.columns if c.isdigit()]
    return table.loc[keep].set_index("line")[["line_key", *years]]
