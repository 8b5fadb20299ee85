"""The monitoring part of a customer's report: payment behaviour with us, exposure against the limit,
large transactions, early-warning signals, the review schedule, the relationship and the expected credit
loss of its open receivables. Numbers and codes only; :mod:`helpers.report.localize` puts them in words.

Early-warning rules (policy ``monitoring.warnings``; each with ``severity`` and the parameters named):

===================== ====================================================================================
rule                  fires when
===================== ====================================================================================
dbt_worsening         the 3-month DBT rose by at least ``days`` over the last ``months`` months
utilization           exposure / limit ≥ ``threshold`` (high from ``high_threshold``)
large_over_headroom   a large invoice of the last ``months`` months exceeds the limit's headroom
grade_downgrade       the grade is worse than at the previous run (high from ``threshold`` notches)
bank_overdue          overdue days at its banks ≥ ``days`` (high from ``high_threshold``)
distress_zone         the latest Altman zone is ``distress``
revenue_falling       the latest revenue growth is below ``threshold``
negative_equity       the latest equity is negative
dispute_open          a complaint or dispute is unresolved for longer than ``days``
no_visit              no visit within the grade's ``contacts.visit_months``, or fewer than ``min_visits``
stale_statements      the latest statements end more than ``months`` months before ``as_of``
unaudited_statements  the latest statements are unaudited
overdue_items         an open invoice is more than ``days`` days past due (high when the amount that far
                      overdue is at least ``high_threshold`` of the open receivables)
assessment_due        no current qualitative assessment: none on file, or the latest older than the policy's
                      ``assessment.max_age_months`` (its questions then get the neutral treatment)
===================== ====================================================================================

Every signal carries its numbers (``args``) and a recommended action (the message ``warning.action.<rule>``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..analysis.characteristics import portfolio_characteristics
from ..analysis.ecl import base_ledger, customer_group, portfolio_matrix
from ..analysis.financial import analyse_portfolio
from ..analysis.monitoring import (aging, bucket_lower_bound, contact_summary, convert, dbt_windows, exposure,
                                   large_transactions, ledger_dso, monthly_trend, oldest_open_item, open_amount_at,
                                   paid_late_share, payment_index)
from ..analysis.peers import latest_rows
from ..config.policy import WarningRule
from ..data.portfolio import Portfolio
from .order_check import order_log_block
from .terms import retained_loss

__all__ = ["SEVERITY_ORDER", "early_warnings", "review_schedule", "customer_ecl", "ledger_ecl", "monitoring_section"]

SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


def _or(value, default):
    """``value`` unless it is None (a policy's 0 stays 0)."""
    return default if value is None else value


def _rule(rules: dict[str, WarningRule], name: str) -> WarningRule | None:
    r = rules.get(name)
    return r if r is not None and r.enabled else None


def early_warnings(facts: dict, rules: dict[str, WarningRule]) -> list[dict]:
    """Apply the policy's early-warning rules to a customer's facts.

    Parameters
    ----------
    facts : dict
        ``dbt_trend`` (3-month DBT at the last month ends, oldest first), ``utilization``, ``headroom``,
        ``large`` (records of :func:`~helpers.analysis.monitoring.large_transactions` with ``amount`` and
        ``invoice_date``), ``as_of``, ``grade_notches_down`` (None without a previous run), ``grade``,
        ``previous_grade``, ``bank_overdue_days``, ``altman_zone``, ``revenue_growth``, ``equity``,
        ``issues`` (from :func:`~helpers.analysis.monitoring.contact_summary`), ``needs_visit``,
        ``visit_due_reason``, ``days_since_visit``, ``statement_age_months``, ``latest_audited``,
        ``oldest_days_past_due``, ``over_days_amount``, ``open_total``, ``assessment`` (the credit section's
        assessment: ``status``, ``date``, ``age_months``, ``max_age_months``). Missing facts never fire a rule.
    rules : dict
        The policy's ``monitoring.warnings``.

    Returns
    -------
    list of dict
        ``rule``, ``severity``, ``args`` (the numbers that fired it), most severe first.
    """
    out = []

    def fire(name, severity, **args):
        out.append({"rule": name, "severity": severity, "args": args})

    def num(x):
        return x is not None and not (isinstance(x, float) and np.isnan(x))

    if (r := _rule(rules, "dbt_worsening")) and len(facts.get("dbt_trend") or []) > _or(r.months, 3):
        months, least = _or(r.months, 3), _or(r.days, 0.0)
        series = facts["dbt_trend"][-(months + 1):]
        if all(num(v) for v in series) and series[-1] - series[0] >= least and series[-1] > series[0]:
            fire("dbt_worsening", r.severity, months=months, start=series[0], end=series[-1],
                 increase=series[-1] - series[0], min_increase=least)
    if (r := _rule(rules, "utilization")) and num(facts.get("utilization")) and r.threshold is not None:
        u = facts["utilization"]
        if u >= r.threshold:
            high = r.high_threshold is not None and u >= r.high_threshold
            fire("utilization", "high" if high else r.severity, utilization=u,
                 threshold=r.high_threshold if high else r.threshold)
    if (r := _rule(rules, "large_over_headroom")) and num(facts.get("headroom")):
        since = pd.Timestamp(facts["as_of"]) - pd.DateOffset(months=_or(r.months, 3))
        # against the headroom before the invoice: today's headroom already counts its open part
        big = [t for t in facts.get("large") or [] if pd.Timestamp(t["invoice_date"]) > since
               and t["amount"] > max(facts["headroom"] + (t.get("open_amount") or 0.0), 0.0)]
        if big:
            top = max(big, key=lambda t: t["amount"])
            fire("large_over_headroom", r.severity, invoice_id=top["invoice_id"], amount=top["amount"],
                 headroom=facts["headroom"] + (top.get("open_amount") or 0.0), count=len(big))
    if (r := _rule(rules, "grade_downgrade")) and num(facts.get("grade_notches_down")) and facts["grade_notches_down"] > 0:
        n = facts["grade_notches_down"]
        high = r.threshold is not None and n >= r.threshold
        fire("grade_downgrade", "high" if high else r.severity, previous=facts["previous_grade"],
             grade=facts["grade"], notches=n)
    if (r := _rule(rules, "bank_overdue")) and num(facts.get("bank_overdue_days")):
        d = facts["bank_overdue_days"]
        if d >= (r.days if r.days is not None else 1):
            high = r.high_threshold is not None and d >= r.high_threshold
            fire("bank_overdue", "high" if high else r.severity, days=d)
    if (r := _rule(rules, "distress_zone")) and facts.get("altman_zone") == "distress":
        fire("distress_zone", r.severity, z=facts.get("z_score"), model=facts.get("z_model"))
    if (r := _rule(rules, "revenue_falling")) and num(facts.get("revenue_growth")) and r.threshold is not None:
        if facts["revenue_growth"] < r.threshold:
            fire("revenue_falling", r.severity, growth=facts["revenue_growth"], threshold=r.threshold,
                 year=facts.get("latest_year"))
    if (r := _rule(rules, "negative_equity")) and num(facts.get("equity")) and facts["equity"] < 0:
        fire("negative_equity", r.severity, equity=facts["equity"], year=facts.get("latest_year"))
    if (r := _rule(rules, "dispute_open")):
        days = _or(r.days, 0)
        old = [i for i in facts.get("issues") or [] if not i["resolved"] and i["age_days"] > days]
        if old:
            fire("dispute_open", r.severity, count=len(old), oldest_days=max(i["age_days"] for i in old), days=days)
    if (r := _rule(rules, "no_visit")) and facts.get("needs_visit"):
        fire("no_visit", r.severity, reason=facts.get("visit_due_reason"), days_since=facts.get("days_since_visit"),
             visit_months=facts.get("visit_months"), visits=facts.get("visits_12m"), min_visits=facts.get("min_visits"))
    if (r := _rule(rules, "stale_statements")) and num(facts.get("statement_age_months")):
        if facts["statement_age_months"] > _or(r.months, 15):
            fire("stale_statements", r.severity, age_months=facts["statement_age_months"], months=_or(r.months, 15),
                 period_end=facts.get("period_end"))
    if (r := _rule(rules, "unaudited_statements")) and facts.get("latest_audited") is False:
        fire("unaudited_statements", r.severity, year=facts.get("latest_year"))
    if (r := _rule(rules, "overdue_items")) and num(facts.get("oldest_days_past_due")):
        if facts["oldest_days_past_due"] > _or(r.days, 90):
            amount, open_total = facts.get("over_days_amount"), facts.get("open_total")
            share = amount / open_total if num(amount) and num(open_total) and open_total > 0 else None
            high = r.high_threshold is not None and share is not None and share >= r.high_threshold
            fire("overdue_items", "high" if high else r.severity, days_past_due=facts["oldest_days_past_due"],
                 amount=amount, share=share, days=_or(r.days, 90))
    qa = facts.get("assessment")
    if (r := _rule(rules, "assessment_due")) and qa and qa.get("status") in ("missing", "stale"):
        fire("assessment_due", r.severity, status=qa["status"], date=qa.get("date"), months=qa.get("age_months"),
             limit=qa.get("max_age_months"))
    return sorted(out, key=lambda w: SEVERITY_ORDER[w["severity"]])


def review_schedule(as_of, review_date, warnings: list[dict], *, severe_review_months: int,
                    previous_review=None, recheck: list[str] | None = None) -> dict:
    """When the customer must be reviewed next, and what the review must re-check.

    ``date`` = the grade's review date, brought forward to ``as_of + severe_review_months`` months when a
    high-severity signal fired (``brought_forward_by`` lists those rules); ``overdue_days`` = days from the
    previous run's review date to ``as_of`` when that date has passed (None otherwise).
    """
    as_of = pd.Timestamp(as_of)
    scheduled = pd.Timestamp(review_date)
    high = [w["rule"] for w in warnings if w["severity"] == "high"]
    date = scheduled
    if high:
        date = min(scheduled, (as_of + pd.DateOffset(months=severe_review_months)).normalize())
    overdue = None
    if previous_review is not None and pd.notna(pd.Timestamp(previous_review)) and pd.Timestamp(previous_review) < as_of:
        overdue = int((as_of - pd.Timestamp(previous_review)).days)
    return {"date": date, "scheduled": scheduled, "brought_forward": bool(high and date < scheduled),
            "brought_forward_by": high if date < scheduled else [], "previous_review": previous_review,
            "overdue_days": overdue, "recheck": recheck or []}


def customer_ecl(aging_table: pd.DataFrame, matrix: pd.DataFrame, multipliers: dict[str, float],
                 weights: dict[str, float], *, insurance: dict | None = None, default_days: int = 90) -> dict:
    """Expected credit loss of one customer's open receivables (IFRS 9 simplified approach).

    For scenario s with the policy's forward-looking multiplier mₛ (``monitoring.ecl.scenario_multipliers``;
    1 when a scenario has none): ECLₛ = Σ_b O_b × min(1, DR_b × mₛ) × LGD, O_b the open amount in bucket b,
    DR_b the matrix's default rate. The probability-weighted ECL = Σ wₛ × ECLₛ, wₛ the decisions' scenario
    weights. This is the figure to book: the data holds no credit insurance in force, so no cover is netted.

    ``insurance`` (the cover the decision *recommends*: ``cover``, ``insurer_limit``, ``deductible``) gives a
    memo only: what the ECL would be with that cover. Items already ``default_days`` past due are not
    insurable; the insurable open amount up to ``insurer_limit`` is covered at ``cover``; a default loses
    L = LGD × O (all open items at once), of which we keep R = :func:`~helpers.decisions.terms.retained_loss`\\
    (L, L × covered share × cover, deductible) — the deductible applies to the loss at default, as in the
    terms' expected loss —, so the memo ECL = ECL × R / L.

    Returns
    -------
    dict
        ``by_bucket`` (bucket, open, default_rate, loss_rate, ecl of the base multiplier), ``scenarios``
        ({s: {multiplier, ecl}}), ``weighted``, ``open``, ``coverage`` (weighted / open), ``insured_memo``
        (None, or {covered_share, retention, weighted}); ``reason`` ``no_loss_rate`` (and
        ``unknown_buckets``) when an open amount sits in a bucket the matrix has no rate for: the ECL is
        then NaN, never a silent zero.
    """
    m = matrix.set_index("bucket")
    o = aging_table.set_index("bucket")["amount"]
    dr = m["default_rate"].reindex(o.index)
    lgd = float(matrix["lgd"].iloc[0])
    total = float(o.sum())
    unknown = [b for b, amount in o.items() if amount > 0 and pd.isna(dr.get(b))]
    scen = {}
    for s in list(weights) or ["base"]:
        mult = float(multipliers.get(s, 1.0))
        ecl = float((o * np.minimum(1.0, dr * mult) * lgd).sum()) if total > 0 else 0.0
        scen[s] = {"multiplier": mult, "ecl": np.nan if unknown else ecl}
    weighted = float(sum(weights.get(s, 0.0) * v["ecl"] for s, v in scen.items())) if weights else scen["base"]["ecl"]
    base_mult = float(multipliers.get("base", 1.0))
    by_bucket = pd.DataFrame({"bucket": o.index, "open": o.values, "default_rate": dr.values,
                              "loss_rate": (dr * lgd).values,
                              "ecl": (o * np.minimum(1.0, dr * base_mult) * lgd).values})
    memo = None
    if insurance and total > 0:
        insurable = float(sum(a for b, a in o.items() if bucket_lower_bound(b) < default_days))
        cap = insurance.get("insurer_limit")
        covered_share = min(insurable, cap if cap is not None else insurable) / total
        at_default = lgd * total
        retention = retained_loss(at_default, at_default * covered_share * float(insurance.get("cover") or 0.0),
                                  float(insurance.get("deductible") or 0.0)) / at_default
        memo = {"covered_share": covered_share, "cover": float(insurance.get("cover") or 0.0), "retention": retention,
                "weighted": weighted * retention}
    return {"by_bucket": by_bucket.to_dict(orient="records"), "scenarios": scen, "weighted": weighted, "open": total,
            "coverage": weighted / total if total > 0 else np.nan, "insured_memo": memo, "lgd": lgd,
            "reason": "no_loss_rate" if unknown else None, "unknown_buckets": unknown}


def _months_between(later: pd.Timestamp, earlier: pd.Timestamp) -> int:
    """Calendar months from ``earlier`` to ``later`` (2025-12-31 → 2026-09-30 is 9)."""
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def _statement_facts(portfolio: Portfolio, customer_id: str) -> dict:
    fs = portfolio.statements
    own = fs[fs["customer_id"] == customer_id]
    if own.empty:
        return {}
    last = own.loc[own["fiscal_year"].idxmax()]
    analysis = analyse_portfolio(portfolio)
    ratios = latest_rows(analysis.ratios.values).set_index("customer_id")
    growth = ratios.at[customer_id, "revenue_growth"] if customer_id in ratios.index and "revenue_growth" in ratios else np.nan
    z = analysis.altman[analysis.altman["customer_id"] == customer_id]
    z = z.loc[z["fiscal_year"].idxmax()] if len(z) else None
    age = _months_between(portfolio.as_of, last["period_end"])
    return {"latest_year": int(last["fiscal_year"]), "period_end": last["period_end"], "equity": float(last["equity"]),
            "latest_audited": bool(last["audited"]) if pd.notna(last.get("audited")) else None,
            "revenue_growth": float(growth) if pd.notna(growth) else None, "statement_age_months": int(age),
            "altman_zone": z["zone"] if z is not None else None,
            "z_score": float(z["value"]) if z is not None and pd.notna(z["value"]) else None,
            "z_model": z["model"] if z is not None else None}


def _recheck(warnings: list[dict], contacts: dict, bank_report_age: int | None, bank_report_months: int) -> list[str]:
    fired = {w["rule"] for w in warnings}
    out = []
    if fired & {"stale_statements", "unaudited_statements", "revenue_falling", "negative_equity", "distress_zone"}:
        out.append("statements")
    if "bank_overdue" in fired or bank_report_age is None or bank_report_age > bank_report_months:
        out.append("bank_report")
    if fired & {"utilization", "large_over_headroom"}:
        out.append("limit_use")
    if contacts["open_issues"]:
        out.append("disputes")
    if fired & {"dbt_worsening", "overdue_items"}:
        out.append("payments")
    if contacts["needs_visit"]:
        out.append("visit")
    return out


def monitoring_section(portfolio: Portfolio, customer_id: str, credit: dict, decision: dict,
                       previous: dict | None = None, order_log: dict | None = None) -> dict:
    """Everything the monitoring part of the report shows, as JSON-able data.

    Parameters
    ----------
    credit, decision : dict
        The customer's credit and decision sections as saved by their notebooks (the decision's final
        grade, limit, insurance, review date and scenario PDs, the statistical base PD drive the rules).
    previous : dict, optional
        The customer's ``summary.json`` of the previous run in the same output folder: its grade and
        review date give the downgrade signal and an overdue review.
    order_log : dict, optional
        The batch's extract of the decision log for this customer (:func:`order_log_block`): the order
        checks, holds, releases and overrides of the recent days.
    """
    policy, as_of = portfolio.policy, portfolio.as_of
    mon = policy.monitoring
    c = portfolio.customer(customer_id)
    rates = portfolio.fx_rates
    inv = convert(c.invoices, rates, c.currency) if len(c.invoices) else c.invoices
    bounds = tuple(mon.aging_buckets)
    grade = decision.get("grade") or credit["grade"]  # the final grade the decisions used
    grades = [b.grade for b in policy.scoring.master_scale] if policy.scoring else [grade]
    limit = float(decision["limit"]["recommended"])
    ag = aging(inv, as_of, bounds)
    dbt = dbt_windows(inv, as_of, mon.dbt_windows)
    trend = monthly_trend(inv, as_of, mon.trend_months, bounds)
    pidx = payment_index(inv, as_of, mon.payment_index_months, mon.payment_index_min_experiences)
    exp = exposure(inv, as_of, limit)
    lt = mon.large_transactions
    large = large_transactions(inv, as_of, months=lt.months, amount_threshold=lt.amount, limit=limit,
                               limit_share=lt.limit_share, median_multiple=lt.median_multiple,
                               base_factor=rates[c.currency])
    oldest = oldest_open_item(inv, as_of)
    contacts = contact_summary(c.contacts, as_of, min_visits=mon.contacts.min_visits.get(grade),
                               min_calls=mon.contacts.min_calls.get(grade),
                               visit_months=mon.contacts.visit_months.get(grade))
    chars = portfolio_characteristics(portfolio).loc[customer_id]
    bank = c.bank_credit
    bank_date = bank["report_date"].max() if len(bank) else None
    bank_age = None if bank_date is None else _months_between(as_of, bank_date)
    prev_grade = (previous or {}).get("grade")
    notches = (grades.index(grade) - grades.index(prev_grade)) if prev_grade in grades and grade in grades else None
    overdue_rule = mon.warnings.get("overdue_items")
    over_days = overdue_rule.days if overdue_rule and overdue_rule.days is not None else 90
    facts = {"as_of": as_of, "grade": grade, "previous_grade": prev_grade,
             "grade_notches_down": notches, "utilization": exp["utilization"], "headroom": exp["headroom"],
             "open_total": exp["open_invoices"],
             "dbt_trend": list(trend["dbt_3m"]), "large": large.to_dict(orient="records"),
             "bank_overdue_days": None if pd.isna(chars["bank_overdue_days"]) else float(chars["bank_overdue_days"]),
             "issues": contacts["issues"], **{k: contacts[k] for k in ("needs_visit", "visit_due_reason",
                                                                      "days_since_visit", "visit_months",
                                                                      "visits_12m", "min_visits")},
             "oldest_days_past_due": oldest["days_past_due"] if oldest else None,
             **_statement_facts(portfolio, customer_id)}
    if credit.get("assessment") is not None:
        facts["assessment"] = credit["assessment"]
    facts["over_days_amount"] = _overdue_beyond(inv, as_of, over_days)
    warnings = early_warnings(facts, mon.warnings)
    review = review_schedule(as_of, decision["review_date"], warnings, severe_review_months=mon.severe_review_months,
                             previous_review=_previous_review(previous),
                             recheck=_recheck(warnings, contacts, bank_age, mon.bank_report_months))
    matrix = portfolio_matrix(portfolio)
    groups = customer_group(portfolio)
    group = groups[customer_id] if groups is not None else "all"
    own = matrix[matrix["group"] == group]
    weights = dict(decision["parameters"]["weights"])
    ins = decision["insurance"]
    ecl = customer_ecl(ag, own, mon.ecl.scenario_multipliers, weights, default_days=mon.ecl.default_days,
                       insurance={"cover": ins.get("cover_share"), "insurer_limit": ins.get("insurer_limit"),
                                  "deductible": ins.get("deductible")} if ins.get("recommended") else None)
    ecl["group"] = group
    ecl["labels"] = {s["scenario"]: s.get("label") for s in decision["scenarios"]}
    ecl["base_rate"] = rates[c.currency]
    orders = order_log_block(order_log)
    summary = {
        "aging": {r["bucket"]: r["amount"] for r in ag.to_dict(orient="records")},
        "dbt": {f"{d['months']}m": d["value"] for d in dbt},
        "payment_index": pidx["value"],
        "exposure": {k: exp[k] for k in ("open_invoices", "exposure", "limit", "utilization", "headroom")},
        "large_transactions": int(len(large)),
        "warnings": [{"rule": w["rule"], "severity": w["severity"], "args": w["args"]} for w in warnings],
        "next_review": {"date": review["date"], "brought_forward": review["brought_forward"],
                        "overdue_days": review["overdue_days"]},
        "contacts": {k: contacts[k] for k in ("last_visit", "visits_12m", "calls_12m", "open_issues", "needs_visit",
                                              "visit_due_reason")},
        "account_manager": c.record.get("account_manager"),
        "ecl": {"weighted": ecl["weighted"], "open": ecl["open"],
                "scenarios": {s: v["ecl"] for s, v in ecl["scenarios"].items()}, "base_rate": rates[c.currency]},
        "orders": None if orders is None else {
            "counts": orders["counts"], "since": orders["since"], "until": orders["until"], "days": orders["days"],
            # for the portfolio pack: the overrides and the orders still waiting
            "notable": [e for e in orders["entries"] if (e["figures"] or {}).get("override") or e["pending"]][:5]},
    }
    return {"currency": c.currency, "as_of": as_of, "grade": grade, "buckets": list(ag["bucket"]),
            "aging": ag.to_dict(orient="records"), "dso": ledger_dso(inv, as_of, policy.days_in_year), "dbt": dbt,
            "oldest_open_item": oldest, "paid_late": paid_late_share(inv, as_of, mon.payment_index_months),
            "trend": trend.to_dict(orient="records"), "payment_index": pidx, "exposure": exp,
            "large_transactions": large.to_dict(orient="records"),
            "large_settings": {"amount": lt.amount, "limit_share": lt.limit_share,
                               "median_multiple": lt.median_multiple, "months": lt.months,
                               "base_currency": policy.base_currency},
            "warnings": warnings, "review": review, "contacts": contacts,
            "account_manager": c.record.get("account_manager"), "bank_report_date": bank_date,
            "previous": {"grade": prev_grade, "review_date": _previous_review(previous),
                         "as_of": (previous or {}).get("as_of")} if previous else None,
            "ecl": ecl, "ecl_matrix": own.to_dict(orient="records"),
            "ecl_settings": mon.ecl.model_dump(), "days_in_year": policy.days_in_year,
            "payment_index_min_experiences": mon.payment_index_min_experiences, "orders": orders,
            "summary": summary}


def _previous_review(previous: dict | None):
    """The review date the previous run set: its effective (possibly brought-forward) ``next_review`` date,
    else its grade's ``review_date``."""
    if not previous:
        return None
    nxt = previous.get("next_review")
    return (nxt or {}).get("date") or previous.get("review_date")


def _overdue_beyond(inv: pd.DataFrame, as_of, days: float) -> float:
    """Σ open amounts more than ``days`` days past due at ``as_of``."""
    if inv.empty:
        return 0.0
    o = open_amount_at(inv, as_of)
    return float(o[(pd.Timestamp(as_of) - inv["due_date"]).dt.days > days].sum())


def ledger_ecl(portfolio: Portfolio) -> dict:
    """The expected credit loss of the whole ledger (every customer's open items, base currency): the
    provision matrix of each group applied to that group's aging, as :func:`customer_ecl` does per customer
    (so it equals the sum of the customers' ECL when every customer is reported).

    Returns
    -------
    dict
        ``open``, ``scenarios`` ({s: ecl}), ``weighted``, ``by_group`` ({group: {open, weighted}}).
    """
    policy = portfolio.policy
    mon = policy.monitoring
    inv = base_ledger(portfolio)
    groups = customer_group(portfolio)
    key = inv["customer_id"].map(groups) if groups is not None else pd.Series("all", index=inv.index)
    matrix = portfolio_matrix(portfolio)
    weights = {s.name: s.weight for s in policy.decisions.scenarios} if policy.decisions else {}
    by_group, scen, total = {}, {}, 0.0
    for g, part in inv.groupby(key):
        e = customer_ecl(aging(part, portfolio.as_of, tuple(mon.aging_buckets)), matrix[matrix["group"] == g],
                         mon.ecl.scenario_multipliers, weights)
        by_group[str(g)] = {"open": e["open"], "weighted": e["weighted"]}
        total += e["open"]
        for s, v in e["scenarios"].items():
            scen[s] = scen.get(s, 0.0) + v["ecl"]
    weighted = float(sum(weights.get(s, 0.0) * v for s, v in scen.items())) if weights else scen.get("base", 0.0)
    return {"open": total, "scenarios": scen, "weighted": weighted, "by_group": by_group}
