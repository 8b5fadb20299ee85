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

__all__ = ["PortfolioAnalysis", "analyse_portfolio", "financial_section", "ratio_frame", "GROUP_LABELS"]

GROUP_LABELS = {"liquidity": "Liquidity", "leverage": "Leverage", "coverage": "Coverage",
                "profitability": "Profitability", "efficiency": "Efficiency", "growth": "Growth",
                "cash_flow": "Cash-flow quality"}


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
    return {"model": model, "label": f"Altman {model}", "name": ALTMAN[model]["name"],
            "value": None if pd.isna(row["value"]) else float(row["value"]), "zone": row["zone"],
            "zones": list(ALTMAN[model]["zones"]), "coefficients": list(ALTMAN[model]["coef"]),
            "x": [None if pd.isna(row[f"x{i}"]) else float(row[f"x{i}"]) for i in range(1, 6)],
            "fiscal_year": int(row["fiscal_year"]), "note": row["note"] or ""}


def _risk_dimensions(latest: dict, statements: pd.DataFrame, record: dict, domestic: bool, base: str) -> list[dict]:
    """The FAQ's other risk dimensions, as far as the data carries them."""
    fs = statements.sort_values("fiscal_year")
    last = fs.iloc[-1]
    first = fs.iloc[0]
    span = int(last["fiscal_year"] - first["fiscal_year"])
    rev_last = last["revenue"] * 12 / last["months"]
    rev_first = first["revenue"] * 12 / first["months"]
    cagr = (rev_last / rev_first) ** (1 / span) - 1 if span > 0 and rev_first > 0 and rev_last > 0 else None

    def val(name):
        return latest.get(name, {}).get("value")

    rows = [
        {"dimension": "Liquidity risk", "label": "Cash runway in months (cash / monthly cash operating costs)",
         "value": val("cash_runway_months"), "unit": "months"},
        {"dimension": "Liquidity risk", "label": "Cash ratio (cash / current liabilities)",
         "value": val("cash_ratio"), "unit": "x"},
        {"dimension": "Liquidity risk", "label": "Cash reserve (cash / total assets)",
         "value": float(last["cash"] / last["total_assets"]) if last["total_assets"] > 0 else None, "unit": "%"},
        {"dimension": "Market risk", "label": "Revenue growth, latest year", "value": val("revenue_growth"), "unit": "%"},
        {"dimension": "Market risk", "label": f"Revenue growth per year since {int(first['fiscal_year'])}",
         "value": cagr, "unit": "%"},
        {"dimension": "Market risk", "label": "Export share of sales", "value": record.get("export_share"), "unit": "%"},
        {"dimension": "Market risk", "label": "Largest buyer's share of sales",
         "value": record.get("largest_buyer_share"), "unit": "%"},
        {"dimension": "Market risk", "label": "Currency exposure",
         "value": None, "unit": "text",
         "text": ("none: domestic customer invoiced in the base currency" if domestic and record["currency"] == base
                  else f"invoiced in {record['currency']} (base {base}); customer in {record['country']}")},
    ]
    return rows


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
    years = list(summary.columns)
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
        "groups": [{"key": g, "label": GROUP_LABELS[g]} for g in GROUP_LABELS if any(r["group"] == g for r in records)],
        "thresholds": {k: v.model_dump() for k, v in policy.thresholds.items()},
        "altman": {"latest": z_latest, "by_year": [_z_dict(r) for _, r in z_rows.iterrows()]},
        "risk_dimensions": _risk_dimensions(latest, customer.statements, customer.record, customer.domestic,
                                            policy.base_currency),
        "findings": [f.to_dict() for f in findings],
        "summary": {
            "ratios": {k: v["value"] for k, v in latest.items()},
            "ratio_notes": {k: v["note"] for k, v in latest.items() if v["note"]},
            "z_score": None if z_latest is None else {k: z_latest[k] for k in ("model", "value", "zone")},
            "findings": [{"severity": f.severity, "text": f.text} for f in findings],
        },
    }


def ratio_frame(section: dict) -> pd.DataFrame:
    """The section's ratio table as a DataFrame for display: values by year, change, light, peers."""
    rows = []
    for r in section["ratios"]:
        peer = r.get("peer") or {}
        row = {"group": GROUP_LABELS[r["group"]], "ratio": r["label"]}
        row.update({y: r.get(y) for y in section["years"]})
        row.update(change=r["change"], light=r["light"], peer_median=peer.get("median"),
                   percentile=peer.get("percentile"), peers=peer.get("peer_group"), note=r["note"])
        rows.append(row)
    return pd.DataFrame(rows).set_index(["group", "ratio"])
