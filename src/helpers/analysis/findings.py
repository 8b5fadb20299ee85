"""Findings: plain-language sentences from rules, with the numbers in them, ordered by severity.

Each rule reads the customer's ratios, peers, distress score and profile and may emit a
:class:`Finding`. The thresholds come from the policy (``thresholds`` and ``findings``); the
sentences name the figure, the year, the policy limit and, where it matters, the peer position,
e.g. "Quick ratio 0.43 is below the policy minimum 0.80 and in the weakest quartile of 12
Electronics & components peers."
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["Finding", "SEVERITIES", "financial_findings", "fmt_value"]

#: Severities, most severe first; ``positive`` marks a strength.
SEVERITIES = ("high", "medium", "low", "positive")


@dataclass(frozen=True)
class Finding:
    """One finding: how severe, which area, which rule fired, and the sentence."""

    severity: str
    area: str
    rule: str
    text: str

    def to_dict(self) -> dict:
        """Return the finding as a JSON-ready dict."""
        return asdict(self)


def fmt_value(value: float, unit: str, currency: str = "", extra: int = 0) -> str:
    """Format a ratio value by unit for a sentence (0.4321 ``x`` → ``0.43``; ``%`` → ``12.3 %``).

    ``extra`` adds decimals, to tell apart a value and a limit that would otherwise read alike.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "n/a"
    d = int(extra)
    if unit == "%":
        return f"{value * 100:,.{1 + d}f} %"
    if unit == "days":
        return f"{value:,.{d}f} days"
    if unit == "months":
        return f"{value:,.{1 + d}f} months"
    if unit == "amount":
        return f"{value / 1000:,.{d}f} thousand {currency}".strip()
    return f"{value:,.{2 + d}f}"


def _worse(direction: str, a: float, b: float) -> bool:
    """Whether b is worse than a for a ratio of ``direction``."""
    return b < a if direction == "higher_is_better" else b > a


def _distinct(value: float, limit: float, unit: str, currency: str) -> tuple[str, str]:
    """Format a value and its limit so that they never read the same (150 days vs 150 days)."""
    v, lim = fmt_value(value, unit, currency), fmt_value(limit, unit, currency)
    extra = 1
    while v == lim and value != limit and extra <= 4:
        v, lim = fmt_value(value, unit, currency, extra), fmt_value(limit, unit, currency, extra)
        extra += 1
    return v, lim


def _trend_clause(row: dict, years: list[str], n: int, currency: str) -> str:
    """'; it has worsened 2 years in a row: 1.09 (2023) → 0.92 (2024) → 0.81 (2025)' or ''."""
    if len(years) < n + 1:
        return ""
    last = years[-(n + 1):]
    series = [row.get(y) for y in last]
    if any(v is None for v in series) or not all(_worse(row["direction"], a, b) for a, b in zip(series, series[1:])):
        return ""
    path = " → ".join(f"{fmt_value(v, row['unit'], currency)} ({y})" for v, y in zip(series, last))
    return f"; it has worsened {n} years in a row: {path}"


def _peer_clause(peer: dict | None, direction: str, industry_label: str) -> str:
    if not peer or peer.get("percentile") is None:
        return ""
    pct = peer["percentile"]
    weak = pct < 25 if direction == "higher_is_better" else pct > 75
    strong = pct > 75 if direction == "higher_is_better" else pct < 25
    if not (weak or strong):
        return ""
    which = "weakest" if weak else "strongest"
    if peer.get("source") not in (None, "portfolio"):
        return f" and in the {which} quartile of {industry_label} ({peer['source']})"
    group = f"{industry_label} peers" if peer["peer_group"] != "all industries" else "portfolio customers"
    return f" and in the {which} quartile of {int(peer['n'])} {group}"


def financial_findings(*, ratios: dict, table: list[dict], peers: dict, z: dict | None, profile: dict,
                       policy, currency: str) -> list[Finding]:
    """Apply the finding rules to one customer.

    Parameters
    ----------
    ratios : dict
        Latest ratios ``{name: {value, note, change, fiscal_year}}`` (:func:`helpers.statements.latest_ratios`).
    table : list of dict
        The customer's ratio table records (values by year, label, unit, direction).
    peers : dict
        ``{ratio: {peer_group, n, q1, median, q3, percentile, source}}``.
    z : dict or None
        Latest Altman result ``{model, value, zone, ...}``.
    profile : dict
        The customer's profile (:func:`helpers.inputs.customer_profile`).
    policy : helpers.config.Policy
    currency : str

    Returns
    -------
    list of Finding
        Ordered by severity (high first), then by rule order.
    """
    rules = policy.findings
    cust = profile["customer"]
    industry = cust["industry_label"]
    rows = {r["ratio"]: r for r in table}
    years = sorted({k for r in table for k in r if k.isdigit()})
    latest_year = years[-1] if years else ""
    out: list[Finding] = []

    def add(severity, area, rule, text):
        out.append(Finding(severity, area, rule, text))

    # 1. policy thresholds with the peer position and the trend; strengths of key ratios
    n = rules.trend_years
    positives = 0
    for name, row in rows.items():
        t = policy.thresholds.get(name)
        value = ratios.get(name, {}).get("value")
        if t is None or value is None:
            continue
        label, unit, direction = row["label"], row["unit"], row["direction"]
        clause = _peer_clause(peers.get(name), direction, industry)
        trend = _trend_clause(row, years, n, currency)
        key = name in rules.key_ratios
        if row["light"] == "red":
            limit = t.min if direction == "higher_is_better" else t.max
            v_txt, l_txt = _distinct(value, limit, unit, currency)
            where = "below the policy minimum" if direction == "higher_is_better" else "above the policy maximum"
            add("high" if key else "medium", row["group"], f"threshold:{name}",
                f"{label} {v_txt} ({latest_year}) is {where} {l_txt}{clause}{trend}.")
        elif row["light"] == "amber" and key:
            v_txt, l_txt = _distinct(value, t.warn, unit, currency)
            where = "below the policy target" if direction == "higher_is_better" else "above the policy target"
            add("low", row["group"], f"threshold:{name}", f"{label} {v_txt} ({latest_year}) is {where} {l_txt}{clause}{trend}.")
        elif key and trend:
            add("low", row["group"], f"trend:{name}",
                f"{label} {fmt_value(value, unit, currency)} ({latest_year}) meets the policy target{trend}.")
        elif key and "strongest" in clause and positives < rules.max_positive:
            positives += 1
            add("positive", row["group"], f"strength:{name}",
                f"{label} {fmt_value(value, unit, currency)} ({latest_year}) meets the policy target"
                f"{clause.replace(' and in ', ' and is in ')}.")

    # 3. solvency and distress
    equity = rows.get("equity_ratio", {}).get(latest_year)
    if equity is not None and equity < 0:
        add("high", "leverage", "negative_equity",
            f"Equity is negative in {latest_year} (equity ratio {fmt_value(equity, '%')}): liabilities exceed "
            "assets, so debt to equity and return on equity are not meaningful.")
    if z and z.get("value") is not None:
        lo, hi = z["zones"]
        text = f"{z['label']} {z['value']:.2f} ({latest_year}) is in the {z['zone']} zone"
        if z["zone"] == "distress":
            add("high", "distress", "altman", f"{text} (below {lo:.2f}).")
        elif z["zone"] == "grey":
            add("medium", "distress", "altman", f"{text} ({lo:.2f}–{hi:.2f}).")
        elif positives < rules.max_positive:
            add("positive", "distress", "altman", f"{text} (above {hi:.2f}).")

    # 4. profit, cash and growth
    margin = ratios.get("net_margin", {}).get("value")
    if margin is not None and margin < 0 and rows.get("net_margin", {}).get("light") != "red":
        add("medium", "profitability", "net_loss",
            f"The customer made a net loss in {latest_year} (net margin {fmt_value(margin, '%')}).")
    fcf = ratios.get("free_cash_flow", {}).get("value")
    ocf_cl = ratios.get("ocf_to_current_liabilities", {}).get("value")
    if ocf_cl is not None and ocf_cl < 0:
        add("medium", "cash_flow", "negative_ocf", f"Operating cash flow was negative in {latest_year}.")
    elif fcf is not None and fcf < 0:
        add("low", "cash_flow", "negative_fcf",
            f"Free cash flow was negative in {latest_year} ({fmt_value(fcf, 'amount', currency)}).")

    # 5. market risk: foreign customers, exports, concentration
    if not cust.get("domestic", True):
        add("low", "market", "foreign",
            f"Foreign customer ({cust['country']}) invoiced in {cust['currency']}: collection depends on a foreign "
            "market, its law and the exchange rate.")
    export = cust.get("export_share")
    if export is not None and export >= rules.export_share:
        add("medium", "market", "export_dependence",
            f"Exports {fmt_value(export, '%')} of its sales: exposed to export-market demand and currency swings.")
    buyer = cust.get("largest_buyer_share")
    if buyer is not None and buyer >= rules.buyer_concentration:
        add("medium", "market", "concentration",
            f"Its largest buyer takes {fmt_value(buyer, '%')} of its sales (policy alert level "
            f"{fmt_value(rules.buyer_concentration, '%')}).")

    # 6. data quality
    years_on_file = profile.get("statement_years", [])
    audited = profile.get("audited_years", [])
    if years_on_file and years_on_file[-1] not in audited:
        add("low", "data", "unaudited", f"The latest statements ({years_on_file[-1]}) are not audited.")
    if len(years_on_file) < policy.validation.min_years:
        add("low", "data", "few_years",
            f"Only {len(years_on_file)} year(s) of statements on file; trends cannot be judged.")

    order = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(out, key=lambda f: order[f.severity])
