"""The order desk: the credit check at order entry on the latest batch output, with every decision in
the decision log.

:class:`OrderDesk` loads, once, what the check needs: every customer's latest report
(``<reports>/<id>/summary.json``: limit, terms, grade, review date, active warnings), the ledger and the
exchange rates of the batch's data source, and the policy. It reloads them in the background when a
new batch lands (``<reports>/manifest.json`` changes), so a check never waits for a reload. A check
locks the customer's exposure row in the decision log, reads the open orders there, applies
:func:`helpers.decisions.order_check.evaluate_order` and appends its entry in the same transaction:
concurrent checks of one customer are serialized and never share headroom.

Open orders: an order approved (or released by a credit manager) counts in the exposure until it is
closed (``invoiced`` or ``cancelled``) or re-checked under the same order id. The ledger's open invoices
are read from the data source as of its last load; an order invoiced in the ERP should be closed here
(``POST /orders/{id}/close``) when the invoice reaches the ledger, so it is not counted twice.
"""
from __future__ import annotations

import datetime as dt
import math
import re
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..analysis.monitoring import convert
from ..analysis.open_items import OpenItems
from ..config import REPORTS_DIR
from ..config.policy import Policy
from ..data import load_portfolio
from ..data.decision_log import DecisionLog, default_log_url, utc_now
from ..data.store import read_json
from ..decisions.order_check import CustomerState, evaluate_order
from ..exceptions import OrderError, RiskbookError

__all__ = ["OrderDesk", "DeskState", "check_order", "MAX_AMOUNT", "ID_PATTERN"]

#: Largest order amount accepted (a typo guard, in the order's currency).
MAX_AMOUNT = 1e12
#: Customer and order ids: printable, no spaces at the ends, at most 64 characters.
ID_PATTERN = re.compile(r"^[^\x00-\x1f\x7f]{1,64}$")
MIN_REASON, MAX_REASON = 3, 2000


def _date(value) -> dt.date | None:
    if not value:
        return None
    return dt.date.fromisoformat(str(value)[:10])


def _check_id(value, what: str) -> str:
    if not isinstance(value, str) or not ID_PATTERN.match(value) or value != value.strip():
        raise OrderError("invalid_id", f"{what} must be 1 to 64 printable characters", field=what, value=repr(value)[:80])
    return value


@dataclass(frozen=True)
class DeskState:
    """Everything a check reads, loaded at once (replaced whole when a new batch lands)."""

    reports: Path
    loaded_at: dt.datetime
    manifest_mtime_ns: int
    policy: Policy
    data_label: str
    base_currency: str
    rates: dict[str, float]
    customers: dict[str, dict]                  # id → {name, currency}
    states: dict[str, CustomerState]            # id → latest report
    items: dict[str, OpenItems]                 # id → ledger, in the limit's currency
    ledger_day: str = ""                        # the last invoice date of the ledger (ISO): what it covers
    summaries: dict[str, dict] = field(default_factory=dict)  # id → headline figures for people
    pdfs: dict[str, Path] = field(default_factory=dict)


def _headline(s: dict) -> dict:
    return {k: s.get(k) for k in ("customer_id", "name", "grade", "score", "pd", "limit", "limit_currency",
                                  "review_date", "as_of", "status", "currency")} | {
        "terms_option": (s.get("terms") or {}).get("option"), "terms_label": (s.get("terms") or {}).get("label"),
        "utilization": (s.get("exposure") or {}).get("utilization"),
        "warnings": [{"rule": w.get("rule"), "severity": w.get("severity")} for w in s.get("warnings") or []]}


def _state(summary: dict, fallback_currency: str) -> CustomerState:
    terms = summary.get("terms") or {}
    reviews = [d for d in (_date(summary.get("review_date")), _date((summary.get("next_review") or {}).get("date")))
               if d is not None]
    limit = summary.get("limit")
    return CustomerState(
        customer_id=summary["customer_id"], name=summary.get("name") or "",
        limit=float(limit) if isinstance(limit, (int, float)) else math.nan,
        limit_currency=summary.get("limit_currency") or summary.get("currency") or fallback_currency,
        grade=summary.get("grade"), terms_option=terms.get("option"),
        terms_days=float(terms.get("days") or 0.0), prepayment_share=float(terms.get("prepayment_share") or 0.0),
        report_as_of=_date(summary.get("as_of")), report_status=summary.get("status") or "failed",
        review_date=min(reviews) if reviews else None,
        warnings=tuple((w.get("rule"), w.get("severity")) for w in summary.get("warnings") or []),
        model_version=summary.get("model_version"), policy_version=summary.get("policy_version"))


def load_state(reports: str | Path, data=None, policy=None) -> DeskState:
    """Read the latest batch output in ``reports`` and its data source (``data``, default: the source the
    batch's manifest names) into a :class:`DeskState`.

    Raises
    ------
    RiskbookError
        When ``reports`` holds no batch output or the data source cannot be loaded.
    """
    reports = Path(reports)
    manifest_path = reports / "manifest.json"
    if not manifest_path.is_file():
        raise RiskbookError(f"{reports} holds no batch output (no manifest.json): run riskbook batch first")
    mtime = manifest_path.stat().st_mtime_ns
    manifest = read_json(manifest_path)
    portfolio = load_portfolio(data or manifest.get("data"), policy)
    pol = portfolio.policy
    rates = portfolio.fx_rates
    customers = {r["customer_id"]: {"name": r["name"], "currency": r["currency"]}
                 for r in portfolio.customers.to_dict("records")}
    invoices = portfolio.tables["invoices"]
    by_customer = dict(tuple(invoices.groupby("customer_id", sort=False))) if len(invoices) else {}
    states, items, summaries, pdfs = {}, {}, {}, {}
    for path in sorted(reports.glob("*/summary.json")):
        s = read_json(path)
        cid = s.get("customer_id")
        if cid not in customers:
            continue  # a report of a customer no longer in the data
        state = _state(s, customers[cid]["currency"])
        inv = by_customer.get(cid)
        if inv is not None and len(inv):
            inv = convert(inv, rates, state.limit_currency)
            items[cid] = OpenItems(inv)
            if state.report_as_of is not None:
                as_of = pd.Timestamp(state.report_as_of)
                months = pol.monitoring.large_transactions.months
                window = inv[(inv["invoice_date"] > as_of - pd.DateOffset(months=months)) & (inv["invoice_date"] <= as_of)]
                if len(window):
                    state = CustomerState(**{**state.__dict__, "median_invoice": float(window["amount"].median())})
        states[cid] = state
        summaries[cid] = _headline(s)
        if (path.parent / "report.pdf").is_file():
            pdfs[cid] = path.parent / "report.pdf"
    for cid in customers:  # a customer without a report still has a ledger (in its own currency)
        if cid not in items and cid in by_customer:
            items[cid] = OpenItems(by_customer[cid])
    ledger_day = f"{invoices['invoice_date'].max():%Y-%m-%d}" if len(invoices) else ""
    return DeskState(reports=reports, loaded_at=utc_now(), manifest_mtime_ns=mtime, policy=pol, ledger_day=ledger_day,
                     data_label=portfolio.label, base_currency=pol.base_currency, rates=rates,
                     customers=customers, states=states, items=items, summaries=summaries, pdfs=pdfs)


class OrderDesk:
    """Order checks, releases and rejections on the latest batch output.

    Parameters
    ----------
    reports : str or Path
        The batch output folder (default ``reports/``).
    data, policy : optional
        The data source and policy (default: those of the batch's manifest).
    log : str or DecisionLog, optional
        The decision log, an SQLAlchemy URL (default ``sqlite:///<reports>/decisions.sqlite``).
    refresh_seconds : float
        How often, at most, a check looks whether a new batch has landed.
    """

    def __init__(self, reports: str | Path = REPORTS_DIR, *, data=None, policy=None,
                 log: str | DecisionLog | None = None, refresh_seconds: float = 1.0):
        self.reports, self._data, self._policy = Path(reports), data, policy
        self._state = load_state(self.reports, data, policy)
        self.log = log if isinstance(log, DecisionLog) else DecisionLog(log or default_log_url(self.reports))
        self.refresh_seconds = refresh_seconds
        self._looked = 0.0
        self._reloading = threading.Lock()
        self.reload_error: str | None = None

    # ------------------------------------------------------------------------------------ state
    @property
    def state(self) -> DeskState:
        """The loaded state; looks (at most every ``refresh_seconds``) for a new batch and reloads it in
        a background thread, serving the old state meanwhile."""
        now = dt.datetime.now().timestamp()
        if now - self._looked >= self.refresh_seconds:
            self._looked = now
            try:
                changed = (self.reports / "manifest.json").stat().st_mtime_ns != self._state.manifest_mtime_ns
            except OSError:
                changed = False
            if changed and self._reloading.acquire(blocking=False):
                threading.Thread(target=self._reload, daemon=True).start()
        return self._state

    def _reload(self) -> None:
        try:
            self._state = load_state(self.reports, self._data, self._policy)
            self.reload_error = None
        except Exception as exc:  # noqa: BLE001 - keep serving the last good state, and say why
            self.reload_error = f"{type(exc).__name__}: {exc}"
        finally:
            self._reloading.release()

    def reload(self) -> DeskState:
        """Reload now (blocking)."""
        with self._reloading:
            self._state = load_state(self.reports, self._data, self._policy)
        return self._state

    def _customer(self, st: DeskState, customer_id) -> str:
        customer_id = _check_id(customer_id, "customer_id")
        if customer_id not in st.customers:
            raise OrderError("unknown_customer", f"no customer {customer_id!r} in {st.data_label}",
                             customer_id=customer_id)
        return customer_id

    def _rate(self, st: DeskState, currency: str, to: str) -> float:
        if currency not in st.rates:
            raise OrderError("unknown_currency", f"no exchange rate for {currency!r}", currency=currency,
                             known=sorted(st.rates))
        return st.rates[currency] / st.rates[to]

    # ------------------------------------------------------------------------------------ the check
    def check(self, customer_id: str, amount, currency: str | None = None, due_days=None,
              order_id: str | None = None, *, on: dt.date | None = None, at: dt.datetime | None = None,
              actor: str = "riskbook") -> dict:
        """Check one order and log the decision.

        Parameters
        ----------
        customer_id : str
        amount : float
            Order value, positive, in ``currency``.
        currency : str, optional
            ISO 4217 code (default: the customer's invoicing currency).
        due_days : int, optional
            Days from invoice to due date the order asks for (default: the agreed terms).
        order_id : str, optional
            The ERP's order number (default: a new id). A re-check of an order replaces its earlier
            check: its earlier approval stops counting.
        on : date, optional
            The day of the order (default: today).
        at : datetime, optional
            Timezone-aware time of the log entry (default: now).
        actor : str
            Who asked (the API key's name, the command's user).

        Returns
        -------
        dict
            ``entry_id``, ``order_id``, ``customer_id``, ``outcome``, ``reasons`` (``code``, ``action``,
            ``args``), ``figures``, ``amount``, ``currency``, ``on``.

        Raises
        ------
        OrderError
            For an unknown customer or currency, or an amount, due days or id out of bounds.
        """
        st = self.state
        cid = self._customer(st, customer_id)
        try:
            value = float(amount)
        except (TypeError, ValueError):
            value = math.nan
        if isinstance(amount, bool) or not math.isfinite(value) or not 0 < value <= MAX_AMOUNT:
            raise OrderError("invalid_amount", f"amount must be a number above 0 and at most {MAX_AMOUNT:g}",
                             value=str(amount)[:40], max=f"{MAX_AMOUNT:,.0f}")
        state = st.states.get(cid)
        currency = (currency or st.customers[cid]["currency"]).strip().upper()
        limit_ccy = state.limit_currency if state else st.customers[cid]["currency"]
        to_limit = self._rate(st, currency, limit_ccy)
        to_base = self._rate(st, currency, st.base_currency)
        if due_days is None:
            due_days = state.terms_days if state else 0.0
        try:
            days = float(due_days)
        except (TypeError, ValueError):
            days = math.nan
        if isinstance(due_days, bool) or not math.isfinite(days) or not 0 <= days <= 3650 or days != int(days):
            raise OrderError("invalid_due_days", "due_days must be a whole number of days from 0 to 3650",
                             value=str(due_days)[:40])
        order_id = _check_id(order_id, "order_id") if order_id is not None else f"O-{uuid.uuid4().hex[:16]}"
        on = on or dt.date.today()
        settings = st.policy.order_check
        with self.log.transaction(cid, at) as tx:
            owner = tx.claim(order_id)
            if owner != cid:
                raise OrderError("order_of_other_customer", f"order {order_id} was checked for customer {owner}",
                                 order_id=order_id, customer_id=owner)
            open_orders, invoiced = tx.open_orders(exclude_order=order_id, ledger_day=st.ledger_day, rates=st.rates,
                                                   currency=limit_ccy)
            if invoiced:
                raise OrderError("order_invoiced", f"order {order_id} is invoiced; a new order needs a new id",
                                 order_id=order_id)
            result = evaluate_order(state, amount_limit_ccy=value * to_limit, amount_base_ccy=value * to_base,
                                    due_days=int(days), on=on, items=st.items.get(cid) if state else None,
                                    open_orders=open_orders, settings=settings,
                                    large=st.policy.monitoring.large_transactions,
                                    base_currency=st.base_currency)
            figures = {**result.figures, "fx_rate": to_limit, "on": on.isoformat()}
            reasons = [r.to_dict() for r in result.reasons]
            entry_id = tx.append(kind="check", order_id=order_id, outcome=result.outcome, actor=actor,
                                 order_day=on.isoformat(),
                                 reasons=reasons, figures=figures, amount=value, currency=currency,
                                 due_days=int(days), credit_amount=figures["credit_amount"], limit_currency=limit_ccy,
                                 report_as_of=figures["report_as_of"], policy_version=st.policy.policy_version,
                                 model_version=state.model_version if state else None)
            if result.outcome == "approve":
                tx.open(order_id, figures["credit_amount"], limit_ccy, entry_id)
            else:
                tx.close(order_id)
        return {"entry_id": entry_id, "order_id": order_id, "customer_id": cid, "outcome": result.outcome,
                "reasons": reasons, "figures": figures, "amount": value, "currency": currency, "due_days": int(days),
                "on": on.isoformat(), "at": tx.at.isoformat()}

    # ------------------------------------------------------------------------------------ the credit manager
    def _decide(self, kind: str, entry_id, actor: str, reason: str, at: dt.datetime | None,
                on: dt.date | None) -> dict:
        try:
            entry_id = int(entry_id)
        except (TypeError, ValueError):
            raise OrderError("unknown_entry", f"no check {entry_id!r}", entry_id=str(entry_id)[:40]) from None
        reason = (reason or "").strip()
        if len(reason) < MIN_REASON:
            raise OrderError("reason_required", f"a {kind} needs its reason (at least {MIN_REASON} characters)",
                             min=MIN_REASON)
        if len(reason) > MAX_REASON:
            raise OrderError("reason_too_long", f"a reason has at most {MAX_REASON} characters", max=MAX_REASON)
        actor = (actor or "").strip()
        if not actor:
            raise OrderError("actor_required", "a release or rejection needs the name of who decides")
        st = self.state
        on = on or dt.date.today()
        head = self._entry(entry_id)
        with self.log.transaction(head["customer_id"], at) as tx:
            check = tx.entry(entry_id)
            if check["kind"] != "check" or check["outcome"] not in ("hold", "escalate"):
                raise OrderError("not_pending", f"entry {entry_id} is not a held or escalated check", entry_id=entry_id)
            if tx.answers(entry_id) or tx.latest_check(check["order_id"])["entry_id"] != entry_id:
                raise OrderError("not_pending", f"entry {entry_id} is already decided or was re-checked",
                                 entry_id=entry_id)
            figures = {"on": on.isoformat(), "escalated": check["outcome"] == "escalate"}
            if kind == "release":
                cid = check["customer_id"]
                items = st.items.get(cid)
                open_inv = items.at(on).open_amount if items is not None and len(items) else 0.0
                state = st.states.get(cid)
                currency = state.limit_currency if state else check["limit_currency"]
                open_orders, _ = tx.open_orders(exclude_order=check["order_id"], ledger_day=st.ledger_day,
                                                rates=st.rates, currency=currency)
                credit = (check["credit_amount"] or 0.0) * self._rate(st, check["limit_currency"], currency)
                after = open_inv + open_orders + credit
                # the limit now (a new batch may have changed it since the check), else the check's
                limit = state.limit if state and math.isfinite(state.limit) else check["figures"].get("limit")
                beyond = limit is not None and after > limit
                figures.update(open_invoices=round(open_inv, 2), open_orders=round(open_orders, 2),
                               exposure_after=round(after, 2), limit=limit, beyond_limit=bool(beyond),
                               override=bool(beyond or check["outcome"] == "escalate"))
            new_id = tx.append(kind=kind, order_id=check["order_id"], outcome="released" if kind == "release" else "rejected",
                               actor=actor, note=reason, order_day=on.isoformat(), reasons=check["reasons"], figures=figures,
                               amount=check["amount"], currency=check["currency"], due_days=check["due_days"],
                               credit_amount=check["credit_amount"], limit_currency=check["limit_currency"],
                               refers_to=entry_id, report_as_of=check["report_as_of"],
                               policy_version=check["policy_version"], model_version=check["model_version"])
            if kind == "release":
                tx.open(check["order_id"], check["credit_amount"] or 0.0, check["limit_currency"], new_id)
        return {"entry_id": new_id, "refers_to": entry_id, "order_id": check["order_id"],
                "customer_id": check["customer_id"], "kind": kind, "actor": actor, "reason": reason, "figures": figures}

    def _entry(self, entry_id: int) -> dict:
        rows = self.log.entry(entry_id)
        if rows is None:
            raise OrderError("unknown_entry", f"no check {entry_id}", entry_id=entry_id)
        return rows

    def release(self, entry_id, *, actor: str, reason: str, at=None, on=None) -> dict:
        """Release a held or escalated order (it then counts in the exposure); ``reason`` is mandatory.
        A release that takes the exposure over the limit, or of an escalated order, is an override."""
        return self._decide("release", entry_id, actor, reason, at, on)

    def reject(self, entry_id, *, actor: str, reason: str, at=None, on=None) -> dict:
        """Reject a held or escalated order; ``reason`` is mandatory."""
        return self._decide("reject", entry_id, actor, reason, at, on)

    def close(self, order_id: str, outcome: str, *, actor: str, at=None, on: dt.date | None = None) -> dict:
        """Close an order.

        ``invoiced``: the ERP has invoiced an approved or released order; it keeps counting in the
        exposure until the ledger the desk reads covers the day of the invoice (``on``), so that it is
        never out of both. ``cancelled``: an open order, or a held one still waiting in the queue, is
        withdrawn; it stops counting (and leaves the queue) at once.
        """
        order_id = _check_id(order_id, "order_id")
        if outcome not in ("invoiced", "cancelled"):
            raise OrderError("invalid_outcome", "outcome must be invoiced or cancelled", value=str(outcome)[:40])
        on = on or dt.date.today()
        first = self.log.latest_check(order_id)  # its customer: an order id never changes customer
        if first is None:
            raise OrderError("unknown_order", f"no order {order_id} in the log", order_id=order_id)
        with self.log.transaction(first["customer_id"], at) as tx:
            last = tx.latest_check(order_id)
            row = tx.open_order(order_id)
            counted = row is not None and row["invoiced_on"] is None
            waiting = last["outcome"] in ("hold", "escalate") and not tx.answers(last["entry_id"])
            if not (counted or (outcome == "cancelled" and waiting)):
                raise OrderError("not_open", f"order {order_id} is not open (not approved, or already closed)",
                                 order_id=order_id)
            entry_id = tx.append(kind="close", order_id=order_id, outcome=outcome, actor=actor, order_day=on.isoformat(),
                                 credit_amount=row["credit_amount"] if row else last["credit_amount"],
                                 limit_currency=row["limit_currency"] if row else last["limit_currency"],
                                 refers_to=last["entry_id"], figures={"was_waiting": bool(waiting and not counted)})
            if outcome == "invoiced":
                tx.invoiced(order_id, on.isoformat())
            else:
                tx.close(order_id)
        return {"entry_id": entry_id, "order_id": order_id, "outcome": outcome}

    # ------------------------------------------------------------------------------------ reading
    def customer(self, customer_id: str, *, on: dt.date | None = None) -> dict:
        """The customer's current state: its latest report's headline figures and the live exposure."""
        st = self.state
        cid = self._customer(st, customer_id)
        on = on or dt.date.today()
        state = st.states.get(cid)
        items = st.items.get(cid)
        pos = items.at(on) if items is not None and len(items) and state else None
        currency = state.limit_currency if state else st.customers[cid]["currency"]
        open_orders = self.log.open_total(cid, ledger_day=st.ledger_day, rates=st.rates, currency=currency)
        limit = state.limit if state and math.isfinite(state.limit) else None
        exposure = (pos.open_amount if pos else 0.0) + open_orders
        return {"customer_id": cid, "name": st.customers[cid]["name"], "on": on.isoformat(),
                "report": st.summaries.get(cid), "has_report": state is not None,
                "report_status": state.report_status if state else None,
                "limit": limit, "limit_currency": state.limit_currency if state else None,
                "open_invoices": round(pos.open_amount, 2) if pos else 0.0,
                "overdue_amount": round(pos.overdue_amount, 2) if pos else 0.0,
                "oldest_overdue_days": pos.oldest_overdue_days if pos else 0,
                "open_orders": round(open_orders, 2), "exposure": round(exposure, 2),
                "headroom": round(limit - exposure, 2) if limit is not None else None,
                "review_date": state.review_date.isoformat() if state and state.review_date else None,
                "pdf": str(st.pdfs[cid]) if cid in st.pdfs else None}

    def queue(self) -> list[dict]:
        """Held and escalated orders waiting for a credit manager, oldest first, with the customer's
        headline figures."""
        st = self.state
        return [{**e, "customer": st.summaries.get(e["customer_id"]), "has_pdf": e["customer_id"] in st.pdfs}
                for e in self.log.pending()]


def check_order(customer_id: str, amount, currency: str | None = None, due_days=None, *,
                order_id: str | None = None, reports: str | Path = REPORTS_DIR, data=None, policy=None,
                log: str | None = None, on: dt.date | None = None, actor: str = "riskbook") -> dict:
    """Check one order against the latest batch output in ``reports`` (see :meth:`OrderDesk.check`).

    Opens an :class:`OrderDesk` for the one check; a program checking many orders keeps one desk.
    """
    desk = OrderDesk(reports, data=data, policy=policy, log=log)
    try:
        return desk.check(customer_id, amount, currency, due_days, order_id, on=on, actor=actor)
    finally:
        desk.log.dispose()
