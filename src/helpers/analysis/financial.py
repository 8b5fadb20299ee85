"""The financial-analysis step: portfolio-wide computation once, then one customer's section.

:func:`analyse_portfolio` computes every ratio, the Altman score and the peer statistics for
the whole portfolio in a few vectorized calls and keeps the result on the portfolio (so the batch
computes it once, before the validated snapshot is written). :func:`financial_section` then
assembles what the notebook shows and the report prints for one customer.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..data.portfolio import Portfolio, customer_profile
from ..exceptions import RiskbookError
from .findings import financial_findings
from .peers import latest_rows, peer_table
from .statements import ALTMAN, CATALOGUE, RatioResult, altman_z, compute_ratios, latest_ratios, ratio_table, \
    statement_summary, statement_table

__all__ = ["PortfolioAnalysis", "analyse_portfolio", "financial_section", "GROUPS"]

#: Ratio groups in report order.
GROUPS: tuple[str, ...] = ("liquidity", "leverage", "coverage", "profitability", "efficiency", "growth", "cash_flow")


@dataclass
class PortfolioAnalysis:
    """Ratios, distress scores and peer positions of every customer of a portfolio."""

    ratios: RatioResult
    altman: pd.DataFrame
    peers: pd.DataFrame


def analyse_portfolio(portfolio: Portfolio) -> PortfolioAnalysis:
    """Ratios (policy basis), Altman scores and peers for the whole portfolio, computed once.

    Kept with the portfolio (:meth:`helpers.data.Portfolio.derived`) and returned again on later calls.
    """
    return portfolio.derived("financial_analysis", _analyse)


def _analyse(portfolio: Portfolio) -> PortfolioAnalysis:
    policy = portfolio.policy
    fs = portfolio.statements
    ratios = compute_ratios(fs, basis=policy.ratios.balance_basis, days_in_year=policy.days_in_year)
    cust = portfolio.customers.set_index("customer_id")
    manufacturing = cust["industry"].map(lambda k: policy.industries[k].manufacturing)
    z = altman_z(fs, manufacturing)
    benchmarks = portfolio.tables.get("industry_benchmarks")
    peers = peer_table(latest_rows(ratios.values), cust["industry"], min_group=policy.peers.min_group,
                       benchmarks=benchmarks if benchmarks is not None and len(benchmarks) else None,
                       ratios=[n for n in ratios.names if CATALOGUE[n].unit != "amount"])
    return PortfolioAnalysis(ratios, z, peers)


def _z_dict(row: pd.Series) -> dict:
    model = row["model"]
    return {"model": model,
            "value": None if pd.isna(row["value"]) else float(row["value"]), "zone": row["zone"],
            "zones": list(ALTMAN[model]["zones"]), "coefficients": list(ALTMAN[model]["coef"]),
            "x": [None if pd.isna(row[f"x{i}"]) else float(row[f"x{i}"]) for i in range(1, 6)],
            "fiscal_year": int(row["fiscal_year"]), "note": row["note"] or ""}


def _risk_dimensions(latest: dict, statements: pd.DataFrame, record: dict, domestic: bool, base: str) -> list[dict]:
    """The FAQ's other risk dimensions, as far as the data carries them: ``dimension`` (liquidity or
    market), ``indicator`` (a code the report names), ``value`` and ``unit``; ``args`` for the label or text."""
    fs = statements.sort_values("fiscal_year")
    last = fs.iloc[-1]
    first = fs.iloc[0]
    span = int(last["fiscal_year"] - first["fiscal_year"])
    rev_last = last["revenue"] * 12 / last["months"]
    rev_first = first["revenue"] * 12 / first["months"]
    cagr = (rev_last / rev_first) ** (1 / span) - 1 if span > 0 and rev_first > 0 and rev_last > 0 else None

    def val(name):
        return latest.get(name, {}).get("value")

    exposed = not (domestic and record["currency"] == base)
    return [
        {"dimension": "liquidity", "indicator": "cash_runway_months", "value": val("cash_runway_months"), "unit": "months"},
        {"dimension": "liquidity", "indicator": "cash_ratio", "value": val("cash_ratio"), "unit": "x"},
        {"dimension": "liquidity", "indicator": "cash_reserve",
         "value": float(last["cash"] / last["total_assets"]) if last["total_assets"] > 0 else None, "unit": "%"},
        {"dimension": "market", "indicator": "revenue_growth", "value": val("revenue_growth"), "unit": "%"},
        {"dimension": "market", "indicator": "revenue_cagr", "value": cagr, "unit": "%",
         "args": {"since": int(first["fiscal_year"])}},
        {"dimension": "market", "indicator": "export_share", "value": record.get("export_share"), "unit": "%"},
        {"dimension": "market", "indicator": "largest_buyer_share", "value": record.get("largest_buyer_share"), "unit": "%"},
        {"dimension": "market", "indicator": "currency_exposure", "value": None, "unit": "text",
         "text_code": "currency_exposure.foreign" if exposed else "currency_exposure.none",
         "args": {"currency": record["currency"], "base": base, "country": record["country"]}},
    ]


def financial_section(portfolio, customer_id: str) -> dict:
    """Everything the financial-analysis notebook shows and the report prints, as JSON-able data.

    Parameters
    ----------
    portfolio : helpers.inputs.Portfolio
    customer_id : str

    Returns
    -------
    dict
        ``currency, years, latest_year, basis, statements`` (amounts in thousands and common-size
        shares), ``statement_summary``, ``ratios`` (the ratio table with peer statistics),
        ``groups``, ``thresholds``, ``altman`` (latest and by year), ``risk_dimensions``,
        ``findings`` and ``summary`` (``ratios``, ``z_score``, ``findings`` for ``summary.json``).

    Raises
    ------
    RiskbookError
        When the customer has no financial statements.
    """
    customer = portfolio.customer(customer_id)
    if customer.statements.empty:
        raise RiskbookError(f"customer {customer_id} has no financial statements on file; "
                            "the financial analysis needs at least one year")
    policy = portfolio.policy
    analysis = analyse_portfolio(portfolio)
    table = ratio_table(analysis.ratios, customer_id, policy)
    peers = analysis.peers[analysis.peers["customer_id"] == customer_id].set_index("ratio")
    peer_info = {}
    for name, p in peers.iterrows():
        peer_info[name] = {k: (None if pd.isna(p[k]) else (float(p[k]) if k in ("n", "q1", "median", "q3", "percentile")
                                                         else p[k]))
                           for k in ("peer_group", "source", "n", "q1", "median", "q3", "percentile")}
    records = table.to_dict(orient="records")
    for r in records:
        r["peer"] = peer_info.get(r["ratio"])
    z_rows = analysis.altman[analysis.altman["customer_id"] == customer_id].sort_values("fiscal_year")
    z_latest = _z_dict(z_rows.iloc[-1]) if len(z_rows) else None
    latest = latest_ratios(analysis.ratios, customer_id)
    profile = customer_profile(portfolio, customer_id)
    findings = financial_findings(ratios=latest, table=records, peers=peer_info, z=z_latest, profile=profile,
                                  policy=policy, currency=customer.currency)
    summary = statement_summary(customer.statements)
    years = [c for c in summary.columns if c != "line_key"]
    lines = statement_table(customer.statements, scale=1_000.0).to_dict(orient="records")
    groups = [{"statement": name, "lines": [r for r in lines if r["statement"] == name]}
              for name in dict.fromkeys(r["statement"] for r in lines)]
    return {
        "currency": customer.currency,
        "years": years,
        "latest_year": years[-1],
        "basis": analysis.ratios.basis,
        "industry_label": customer.industry.label,
        "statements": lines,
        "statement_groups": groups,
        "statement_summary": summary.reset_index().to_dict(orient="records"),
        "ratios": records,
        "groups": [{"key": g} for g in GROUPS if any(r["group"] == g for r in records)],
        "thresholds": {k: v.model_dump() for k, v in policy.thresholds.items()},
        "altman": {"latest": z_latest, "by_year": [_z_dict(r) for _, r in z_rows.iterrows()]},
        "risk_dimensions": _risk_dimensions(latest, customer.statements, customer.record, customer.domestic,
                                            policy.base_currency),
        "findings": [f.to_dict() for f in findings],
        "summary": {
            "ratios": {k: v["value"] for k, v in latest.items()},
            "ratio_notes": {k: v["note"] for k, v in latest.items() if v["note"]},
            "z_score": None if z_latest is None else {k: z_latest[k] for k in ("model", "value", "zone")},
            "findings": [{"severity": f.severity, "code": f.code, "args": f.args} for f in findings],
        },
    }
