"""Findings: what the rules say about a customer's figures, as codes with their numbers, ordered by
severity.

Each rule reads the customer's ratios, peers, distress score and profile and may emit a
:class:`Finding`. The thresholds come from the policy (``thresholds`` and ``findings``). A finding
carries no sentence: its ``code`` and ``args`` (the figure, the year, the policy limit, the peer
position, the trend) are turned into text in the report's language by
:func:`helpers.report.localize.finding_text`, e.g. "Quick ratio 0.43 (2025) is below the policy
minimum 0.80 and in the weakest quartile of 12 Electronics & components peers." or
"速动比率0.43（2025年）低于政策下限0.80，且处于12家电子及元器件同业中最弱的四分位。"
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

__all__ = ["Finding", "SEVERITIES", "financial_findings"]

#: Severities, most severe first; ``positive`` marks a strength.
SEVERITIES = ("high", "medium", "low", "positive")


@dataclass(frozen=True)
class Finding:
    """One finding: how severe, which area, which rule fired, the message code and its arguments.

    ``args`` holds plain JSON values: numbers as fractions or in the ratio's own unit, years, ratio
    names, and for threshold rules ``peer`` ({position: weakest|strongest, n, group: industry|portfolio,
    source}) and ``trend`` ([[year, value], ...]) when they apply.
    """

    severity: str
    area: str
    rule: str
    code: str
    args: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Return the finding as a JSON-ready dict."""
        return asdict(self)


def _worse(direction: str, a: float, b: float) -> bool:
    """Whether b is worse than a for a ratio of ``direction``."""
    return b < a if direction == "higher_is_better" else b > a


def _trend(row: dict, years: list[str], n: int) -> list | None:
    """[[year, value], ...] of the last n + 1 years when the ratio worsened n years in a row, else None."""
    if len(years) < n + 1:
        return None
    last = years[-(n + 1):]
    series = [row.get(y) for y in last]
    if any(v is None for v in series) or not all(_worse(row["direction"], a, b) for a, b in zip(series, series[1:])):
        return None
    return [[int(y), float(v)] for y, v in zip(last, series)]


def _peer(peer: dict | None, direction: str) -> dict | None:
    """The customer's peer position when it is in the weakest or strongest quartile, else None."""
    if not peer or peer.get("percentile") is None:
        return None
    pct = peer["percentile"]
    weak = pct < 25 if direction == "higher_is_better" else pct > 75
    strong = pct > 75 if direction == "higher_is_better" else pct < 25
    if not (weak or strong):
        return None
    external = peer.get("source") not in (None, "portfolio")
    return {"position": "weakest" if weak else "strongest",
            "group": "external" if external else ("industry" if peer["peer_group"] != "all industries" else "portfolio"),
            "n": None if peer.get("n") is None else int(peer["n"]), "source": peer.get("source") if external else None}


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
    rows = {r["ratio"]: r for r in table}
    years = sorted({k for r in table for k in r if k.isdigit()})
    latest_year = int(years[-1]) if years else None
    out: list[Finding] = []

    def add(severity, area, rule, code, **args):
        out.append(Finding(severity, area, rule, code, args))

    # 1. policy thresholds with the peer position and the trend; strengths of key ratios
    n = rules.trend_years
    positives = 0
    for name, row in rows.items():
        t = policy.thresholds.get(name)
        value = ratios.get(name, {}).get("value")
        if t is None or value is None:
            continue
        unit, direction = row["unit"], row["direction"]
        peer = _peer(peers.get(name), direction)
        trend = _trend(row, years, n)
        key = name in rules.key_ratios
        higher = direction == "higher_is_better"
        common = {"ratio": name, "unit": unit, "value": float(value), "year": latest_year}
        if row["light"] == "red":
            add("high" if key else "medium", row["group"], f"threshold:{name}",
                "finding.threshold.below_min" if higher else "finding.threshold.above_max",
                **common, limit=float(t.min if higher else t.max), peer=peer, trend=trend)
        elif row["light"] == "amber" and key:
            add("low", row["group"], f"threshold:{name}",
                "finding.threshold.below_target" if higher else "finding.threshold.above_target",
                **common, limit=float(t.warn), peer=peer, trend=trend)
        elif key and trend:
            add("low", row["group"], f"trend:{name}", "finding.trend.meets_target", **common, peer=peer, trend=trend)
        elif key and peer and peer["position"] == "strongest" and positives < rules.max_positive:
            positives += 1
            add("positive", row["group"], f"strength:{name}", "finding.strength", **common, peer=peer)

    # 3. solvency and distress
    equity = rows.get("equity_ratio", {}).get(years[-1] if years else "")
    if equity is not None and equity < 0:
        add("high", "leverage", "negative_equity", "finding.negative_equity", year=latest_year, equity_ratio=float(equity))
    if z and z.get("value") is not None:
        lo, hi = z["zones"]
        zone_args = {"model": z["model"], "value": float(z["value"]), "year": latest_year, "low": lo, "high": hi}
        if z["zone"] == "distress":
            add("high", "distress", "altman", "finding.altman.distress", **zone_args)
        elif z["zone"] == "grey":
            add("medium", "distress", "altman", "finding.altman.grey", **zone_args)
        elif positives < rules.max_positive:
            add("positive", "distress", "altman", "finding.altman.safe", **zone_args)

    # 4. profit, cash and growth
    margin = ratios.get("net_margin", {}).get("value")
    if margin is not None and margin < 0 and rows.get("net_margin", {}).get("light") != "red":
        add("medium", "profitability", "net_loss", "finding.net_loss", year=latest_year, net_margin=float(margin))
    fcf = ratios.get("free_cash_flow", {}).get("value")
    ocf_cl = ratios.get("ocf_to_current_liabilities", {}).get("value")
    if ocf_cl is not None and ocf_cl < 0:
        add("medium", "cash_flow", "negative_ocf", "finding.negative_ocf", year=latest_year)
    elif fcf is not None and fcf < 0:
        add("low", "cash_flow", "negative_fcf", "finding.negative_fcf", year=latest_year, amount=float(fcf),
            currency=currency)

    # 5. market risk: foreign customers, exports, concentration
    if not cust.get("domestic", True):
        add("low", "market", "foreign", "finding.foreign", country=cust["country"], currency=cust["currency"])
    export = cust.get("export_share")
    if export is not None and export >= rules.export_share:
        add("medium", "market", "export_dependence", "finding.export_dependence", share=float(export))
    buyer = cust.get("largest_buyer_share")
    if buyer is not None and buyer >= rules.buyer_concentration:
        add("medium", "market", "concentration", "finding.concentration", share=float(buyer),
            limit=float(rules.buyer_concentration))

    # 6. data quality
    years_on_file = profile.get("statement_years", [])
    audited = profile.get("audited_years", [])
    if years_on_file and years_on_file[-1] not in audited:
        add("low", "data", "unaudited", "finding.unaudited", year=int(years_on_file[-1]))
    if len(years_on_file) < policy.validation.min_years:
        add("low", "data", "few_years", "finding.few_years", n=len(years_on_file))

    order = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(out, key=lambda f: order[f.severity])
