"""The credit check at order entry: approve, hold or escalate one sales order.

Modelled on SAP FSCM Credit Management's check at order entry. The customer's **credit exposure** is
its open invoices in our ledger plus the orders already approved and not yet invoiced; the order's
**credit part** is what it adds:

    credit part       = order amount (in the limit's currency) × (1 − prepayment share of the terms)
    exposure after    = open invoices + open orders + credit part
    utilization after = exposure after / limit  (none when the limit rounds to zero cents)

Rules (the policy's ``order_check.rules``; each is off when absent or ``enabled: false``, and its
``action`` is ``hold`` or ``escalate``):

``no_report``
    no current customer report: none, a failed one, or one whose as-of date is more than
    ``order_check.report_max_days`` before the order.
``over_limit``
    the order adds credit and exposure after > limit.
``far_over_limit``
    the order adds credit and exposure after > ``share`` × limit.
``large_order``
    the order is large by the tests of ``monitoring.large_transactions``: its amount in the base
    currency > ``amount``; its amount > ``limit_share`` × limit; its amount > ``median_multiple`` × the
    customer's median invoice.
``beyond_terms``
    due days > the agreed terms' days + ``days``.
``overdue_items`` / ``long_overdue_items``
    an open invoice more than ``days`` past due on the day of the order.
``severe_warnings``
    an active early warning of the report at ``severity`` or worse.
``review_overdue``
    the credit review date (the earlier of the decision's review date and monitoring's next review)
    is before the day of the order.

The outcome is ``escalate`` when any escalating rule fires, else ``hold`` when any rule fires, else
``approve``. Domain code: it returns codes and numbers; the report layer makes the sentences.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from ..analysis.open_items import OpenItems
from ..config.policy import LargeTransactionSettings, OrderCheckSettings

__all__ = ["CustomerState", "OrderCheck", "Reason", "evaluate_order", "order_log_block", "OUTCOMES", "SEVERITY_RANK"]

#: From the mildest to the strictest outcome.
OUTCOMES = ("approve", "hold", "escalate")
SEVERITY_RANK = {"low": 0, "medium": 1, "high": 2}


@dataclass(frozen=True)
class CustomerState:
    """What the latest customer report decided, as the order check reads it.

    ``report_status`` is ``ok`` or ``failed``; a customer without any report has no state (None).
    Dates are :class:`datetime.date`; ``warnings`` holds ``(rule, severity)`` of the report's active
    early warnings.
    """

    customer_id: str
    name: str
    limit: float
    limit_currency: str
    grade: str | None
    terms_option: str | None
    terms_days: float
    prepayment_share: float
    report_as_of: dt.date | None
    report_status: str = "ok"
    review_date: dt.date | None = None
    warnings: tuple[tuple[str, str], ...] = ()
    model_version: str | None = None
    policy_version: str | None = None
    median_invoice: float = math.nan   # of the look-back window of monitoring.large_transactions


@dataclass(frozen=True)
class Reason:
    """One rule that fired: its code (``order.<rule>``), the action it asks and its figures."""

    code: str
    action: str
    args: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {"code": self.code, "action": self.action, "args": dict(self.args)}


@dataclass(frozen=True)
class OrderCheck:
    """The result of :func:`evaluate_order`: ``outcome`` (one of :data:`OUTCOMES`), the reasons in rule
    order, and the figures the rules used."""

    outcome: str
    reasons: tuple[Reason, ...]
    figures: dict

    @property
    def codes(self) -> list[str]:
        """The reason codes, in rule order."""
        return [r.code for r in self.reasons]


def _rule(settings: OrderCheckSettings, name: str):
    rule = settings.rules.get(name)
    return rule if rule is not None and rule.enabled else None


def _round(x: float) -> float:
    return float(round(x, 2)) if math.isfinite(x) else x


def utilization(exposure: float, limit: float) -> float | None:
    """exposure / limit, or None when the limit is under half a cent (it rounds to a zero limit, and the
    quotient would overflow to inf) or the quotient is not finite."""
    if not limit >= 0.005:
        return None
    u = exposure / limit
    return u if math.isfinite(u) else None


def evaluate_order(state: CustomerState | None, *, amount_limit_ccy: float, amount_base_ccy: float,
                   due_days: float, on: dt.date, items: OpenItems | None, open_orders: float,
                   settings: OrderCheckSettings, large: LargeTransactionSettings,
                   base_currency: str = "") -> OrderCheck:
    """Apply the order-entry rules (see the module) to one order.

    Parameters
    ----------
    state : CustomerState or None
        The customer's latest report; None when it has none.
    amount_limit_ccy, amount_base_ccy : float
        The order amount converted to the limit's currency and to the base currency (positive).
    due_days : float
        Days from the order's invoice to its due date.
    on : date
        The day of the order.
    items : OpenItems or None
        The customer's ledger (amounts in the limit's currency); None when it has no invoices.
    open_orders : float
        Credit part of the orders approved and not yet invoiced, in the limit's currency.
    settings, large : policy sections
        ``order_check`` and ``monitoring.large_transactions``.
    base_currency : str
        The policy's base currency (named in a large-order reason).

    Returns
    -------
    OrderCheck
    """
    reasons: list[Reason] = []

    def fire(name: str, **args):
        args = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in args.items()}  # JSON-ready
        reasons.append(Reason(f"order.{name}", settings.rules[name].action, args))

    position = items.at(on) if items is not None and len(items) else None
    open_invoices = position.open_amount if position else 0.0
    share = state.prepayment_share if state else 0.0
    credit = amount_limit_ccy * (1.0 - share)
    before = open_invoices + open_orders
    after = before + credit
    limit = state.limit if state else math.nan
    has_limit = math.isfinite(limit)
    age = (on - state.report_as_of).days if state and state.report_as_of else None

    if _rule(settings, "no_report"):
        if state is None:
            fire("no_report", status="missing")
        elif state.report_status != "ok":
            fire("no_report", status="failed", as_of=state.report_as_of)
        elif age is None or age > settings.report_max_days:
            fire("no_report", status="stale", as_of=state.report_as_of, age_days=age,
                 max_days=settings.report_max_days)
    if has_limit and credit > 0:
        if _rule(settings, "over_limit") and after > limit:
            fire("over_limit", exposure_after=_round(after), limit=limit, excess=_round(after - limit),
                 currency=state.limit_currency)
        rule = _rule(settings, "far_over_limit")
        if rule and after > rule.share * limit:
            fire("far_over_limit", exposure_after=_round(after), limit=limit, share=rule.share,
                 currency=state.limit_currency)
    if _rule(settings, "large_order"):
        tests = {}
        if large.amount is not None and amount_base_ccy > large.amount:
            tests["amount"] = large.amount
        if large.limit_share is not None and has_limit and limit > 0 and amount_limit_ccy > large.limit_share * limit:
            tests["limit_share"] = large.limit_share
        median = state.median_invoice if state else math.nan
        if large.median_multiple is not None and math.isfinite(median) and amount_limit_ccy > large.median_multiple * median:
            tests["median"] = large.median_multiple
        if tests:
            fire("large_order", tests=sorted(tests), amount=_round(amount_limit_ccy),
                 currency=state.limit_currency if state else None, base_currency=base_currency,
                 amount_base=_round(amount_base_ccy), median=_round(median) if math.isfinite(median) else None,
                 **{f"{k}_threshold": v for k, v in tests.items()})
    rule = _rule(settings, "beyond_terms")
    if rule and state is not None and due_days > state.terms_days + (rule.days or 0.0):
        fire("beyond_terms", due_days=due_days, terms_days=state.terms_days, tolerance_days=rule.days or 0.0)
    for name in ("long_overdue_items", "overdue_items"):
        rule = _rule(settings, name)
        if rule and position and position.oldest_overdue_days > rule.days:
            fire(name, days=rule.days, oldest_days=position.oldest_overdue_days,
                 amount=_round(items.overdue_beyond(on, rule.days)),
                 currency=state.limit_currency if state else None)
            break  # the longer one says it all
    rule = _rule(settings, "severe_warnings")
    if rule and state is not None:
        floor = SEVERITY_RANK[rule.severity]
        severe = [w for w, sev in state.warnings if SEVERITY_RANK.get(sev, 0) >= floor]
        if severe:
            fire("severe_warnings", rules=severe, count=len(severe))
    if _rule(settings, "review_overdue") and state is not None and state.review_date and state.review_date < on:
        fire("review_overdue", review_date=state.review_date, days=(on - state.review_date).days)

    actions = {r.action for r in reasons}
    outcome = "escalate" if "escalate" in actions else "hold" if actions else "approve"
    figures = {
        "amount_limit_ccy": _round(amount_limit_ccy), "amount_base_ccy": _round(amount_base_ccy),
        "prepayment_share": share, "credit_amount": _round(credit),
        "open_invoices": _round(open_invoices), "open_orders": _round(open_orders),
        "exposure_before": _round(before), "exposure_after": _round(after),
        "limit": limit if has_limit else None, "limit_currency": state.limit_currency if state else None,
        "headroom_after": _round(limit - after) if has_limit else None,
        "utilization_after": utilization(after, limit) if has_limit else None,
        "due_days": due_days, "terms_days": state.terms_days if state else None,
        "terms_option": state.terms_option if state else None,
        "oldest_overdue_days": position.oldest_overdue_days if position else 0,
        "overdue_amount": _round(position.overdue_amount) if position else 0.0,
        "grade": state.grade if state else None,
        "report_as_of": state.report_as_of.isoformat() if state and state.report_as_of else None,
        "report_age_days": age,
        "review_date": state.review_date.isoformat() if state and state.review_date else None,
    }
    return OrderCheck(outcome=outcome, reasons=tuple(reasons), figures=figures)


def order_log_block(extract: dict | None, *, max_rows: int = 12) -> dict | None:
    """The report's block on the order log: what the credit check at order entry did for the customer.

    Parameters
    ----------
    extract : dict or None
        The batch's extract of the decision log for one customer: ``since``, ``until`` (the window, the
        policy's ``order_check.recent_days`` up to the as-of date), ``days``, ``source`` and ``entries``
        (log rows, oldest first). None when the batch had no decision log.
    max_rows : int
        Entries listed, newest first: held and escalated checks, releases, rejections (approvals are
        counted, not listed).

    Returns
    -------
    dict or None
        ``counts`` (checks, approvals, holds = held or escalated checks, releases, overrides = releases of
        an escalated order or beyond the limit, rejections, pending = holds not yet answered), ``entries``
        (the listed rows), ``total`` (rows that could be listed), ``since``, ``until``, ``days``, ``source``.
    """
    if extract is None:
        return None
    entries = list(extract.get("entries") or [])
    checks = [e for e in entries if e["kind"] == "check"]
    answered = {e.get("refers_to") for e in entries if e["kind"] in ("release", "reject")}
    latest = {}
    for e in checks:
        latest[e["order_id"]] = e["entry_id"]
    holds = [e for e in checks if e["outcome"] in ("hold", "escalate")]
    releases = [e for e in entries if e["kind"] == "release"]
    counts = {"checks": len(checks), "approvals": sum(e["outcome"] == "approve" for e in checks),
              "holds": len(holds), "releases": len(releases),
              "overrides": sum(bool((e.get("figures") or {}).get("override")) for e in releases),
              "rejections": sum(e["kind"] == "reject" for e in entries),
              "pending": sum(e["entry_id"] not in answered and latest[e["order_id"]] == e["entry_id"] for e in holds)}
    # (pending: a held check with no release or rejection in the window, and not replaced by a later check)
    notable = [e for e in entries if (e["kind"] == "check" and e["outcome"] != "approve")
               or e["kind"] in ("release", "reject")]
    keep = ("entry_id", "at", "kind", "order_id", "outcome", "amount", "currency", "actor", "note", "reasons",
            "refers_to")
    waiting = {e["entry_id"] for e in holds if e["entry_id"] not in answered and latest[e["order_id"]] == e["entry_id"]}
    rows = [{**{k: e.get(k) for k in keep}, "pending": e["entry_id"] in waiting,
             "figures": {k: (e.get("figures") or {}).get(k) for k in ("override", "beyond_limit", "exposure_after", "limit")}}
            for e in reversed(notable)][:max_rows]
    return {"counts": counts, "entries": rows, "total": len(notable), "since": extract.get("since"),
            "until": extract.get("until"), "days": extract.get("days"), "source": extract.get("source")}
