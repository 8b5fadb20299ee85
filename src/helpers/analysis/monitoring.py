"""How a customer pays us, from our own receivables ledger (``invoices``) and the contact log
(``contacts``): aging, DSO, days beyond terms, a payment index, exposure, large transactions and the
relationship. Pure functions of the tables and dates; they return numbers and codes, never sentences.

Conventions used throughout (every function says which it uses):

- An invoice's **open amount at a date** ``d`` is 0 before ``invoice_date``; from ``invoice_date`` it is
  ``amount``, and from ``paid_date`` (when ``paid_date <= d``) it is ``amount − paid_amount``. The ledger
  keeps the date of the last payment only, so a part payment counts from that date.
- **Days past due** at ``d`` = ``(d − due_date)`` in days; an open item is *not due* when this is ≤ 0.
- **Days beyond terms** of an invoice seen at ``d``: when fully paid by ``d``, ``paid_date − due_date``
  (negative when paid early); otherwise ``d − due_date`` (its days past due so far).
- Amounts are converted to one currency (the customer's, or the base currency) with the rates of the
  ``fx_rates`` table: ``amount × rate(invoice currency) / rate(target currency)``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["BUCKETS_DEFAULT", "bucket_keys", "bucket_lower_bound", "bucket_of", "convert", "open_amount_at", "aging", "ledger_dso",
           "days_beyond_terms", "dbt_windows", "oldest_open_item", "paid_late_share", "monthly_trend",
           "PAYMENT_INDEX_ANCHORS", "payment_index_points", "payment_index", "exposure", "large_transactions",
           "contact_summary", "open_issues"]

BUCKETS_DEFAULT = (30, 60, 90)


def bucket_keys(bounds=BUCKETS_DEFAULT) -> list[str]:
    """Bucket codes for upper bounds ``(30, 60, 90)``: ``not_due, 1_30, 31_60, 61_90, over_90``."""
    keys, lo = ["not_due"], 1
    for b in bounds:
        keys.append(f"{lo}_{b}")
        lo = b + 1
    keys.append(f"over_{bounds[-1]}")
    return keys


def bucket_lower_bound(code: str) -> int:
    """The least days past due of a bucket code: ``not_due`` 0, ``1_30`` 1, ``31_60`` 31, ``over_90`` 91."""
    if code == "not_due":
        return 0
    if code.startswith("over_"):
        return int(code[5:]) + 1
    return int(code.split("_")[0])


def bucket_of(days_past_due, bounds=BUCKETS_DEFAULT) -> np.ndarray:
    """The bucket code of each days-past-due value: ``not_due`` at ≤ 0, ``1_30`` for 1–30, …,
    ``over_90`` above the last bound."""
    days = np.asarray(days_past_due, dtype=float)
    keys = np.array(bucket_keys(bounds), dtype=object)
    idx = np.searchsorted(np.array([0, *bounds], dtype=float), days, side="left")
    return keys[idx]


def convert(invoices: pd.DataFrame, rates: dict[str, float], currency: str) -> pd.DataFrame:
    """The invoices with ``amount`` and ``paid_amount`` in ``currency`` (see the module's conventions).

    Raises
    ------
    KeyError
        When a rate is missing (validation makes sure every currency used has one).
    """
    out = invoices.copy()
    factor = out["currency"].map(lambda c: rates[c] / rates[currency]).astype(float)
    out["amount"] = out["amount"] * factor
    out["paid_amount"] = out["paid_amount"] * factor
    out["currency"] = currency
    return out


def open_amount_at(invoices: pd.DataFrame, date) -> pd.Series:
    """Open amount of each invoice at ``date`` (module conventions); 0 before its invoice date."""
    date = pd.Timestamp(date)
    paid = invoices["paid_date"].notna() & (invoices["paid_date"] <= date)
    open_ = invoices["amount"].where(~paid, invoices["amount"] - invoices["paid_amount"])
    open_ = open_.where(invoices["invoice_date"] <= date, 0.0)
    return open_.clip(lower=0.0)


def aging(invoices: pd.DataFrame, as_of, bounds=BUCKETS_DEFAULT) -> pd.DataFrame:
    """Open receivables by aging bucket at ``as_of``.

    Bucket of an open item = its days past due at ``as_of`` (``not_due`` at ≤ 0, then 1–30, 31–60,
    61–90 and over 90 for the default bounds).

    Returns
    -------
    DataFrame
        One row per bucket in order: ``bucket``, ``amount`` (Σ open amounts), ``count``, ``share``
        (of the total open amount; NaN when nothing is open).
    """
    as_of = pd.Timestamp(as_of)
    open_ = open_amount_at(invoices, as_of)
    live = open_ > 0.005
    days = (as_of - invoices.loc[live, "due_date"]).dt.days
    frame = pd.DataFrame({"bucket": bucket_of(days, bounds), "amount": open_[live]})
    keys = bucket_keys(bounds)
    g = frame.groupby("bucket")["amount"]
    out = pd.DataFrame({"bucket": keys, "amount": g.sum().reindex(keys).fillna(0.0).values,
                        "count": g.size().reindex(keys).fillna(0).astype(int).values})
    total = out["amount"].sum()
    out["share"] = out["amount"] / total if total > 0 else np.nan
    return out


def ledger_dso(invoices: pd.DataFrame, as_of, days_in_year: int = 365) -> dict:
    """Days sales outstanding from the ledger.

    DSO = open receivables at ``as_of`` / Σ invoiced in the ``days_in_year`` days to ``as_of`` × ``days_in_year``.

    Returns
    -------
    dict
        ``value`` (NaN with ``reason`` ``no_sales`` when nothing was invoiced in the year),
        ``open`` and ``sales``.
    """
    as_of = pd.Timestamp(as_of)
    open_total = float(open_amount_at(invoices, as_of).sum())
    window = invoices[(invoices["invoice_date"] > as_of - pd.Timedelta(days=days_in_year))
                      & (invoices["invoice_date"] <= as_of)]
    sales = float(window["amount"].sum())
    if sales <= 0:
        return {"value": np.nan, "reason": "no_sales", "open": open_total, "sales": sales}
    return {"value": open_total / sales * days_in_year, "reason": None, "open": open_total, "sales": sales}


def _settled(invoices: pd.DataFrame, date: pd.Timestamp) -> pd.Series:
    """Whether each invoice is paid in full (to half a cent) by ``date``."""
    return (invoices["paid_date"].notna() & (invoices["paid_date"] <= date)
            & (invoices["paid_amount"] >= invoices["amount"] - 0.005))


def _beyond_terms(invoices: pd.DataFrame, date: pd.Timestamp) -> pd.Series:
    """Days beyond terms of each invoice seen at ``date`` (module conventions)."""
    end = invoices["paid_date"].where(_settled(invoices, date), date)
    return (end - invoices["due_date"]).dt.days.astype(float)


def days_beyond_terms(invoices: pd.DataFrame, as_of, months: int) -> dict:
    """Amount-weighted days beyond terms (DBT) of the invoices due in the ``months`` months to ``as_of``.

    DBT = Σ amountᵢ × daysᵢ / Σ amountᵢ over invoices with ``as_of − months < due_date ≤ as_of``, where
    daysᵢ is the invoice's days beyond terms at ``as_of`` (negative when paid early). Over 12 months this
    is the scoring characteristic ``days_beyond_terms``.

    Returns
    -------
    dict
        ``months``, ``value`` (NaN with ``reason`` ``no_invoices_due`` when none fell due), ``invoices``
        (count) and ``amount``.
    """
    as_of = pd.Timestamp(as_of)
    w = invoices[(invoices["due_date"] > as_of - pd.DateOffset(months=months)) & (invoices["due_date"] <= as_of)]
    amount = float(w["amount"].sum())
    if w.empty or amount <= 0:
        return {"months": months, "value": np.nan, "reason": "no_invoices_due", "invoices": int(len(w)),
                "amount": amount}
    value = float((w["amount"] * _beyond_terms(w, as_of)).sum() / amount)
    return {"months": months, "value": value, "reason": None, "invoices": int(len(w)), "amount": amount}


def dbt_windows(invoices: pd.DataFrame, as_of, windows=(3, 12, 24)) -> list[dict]:
    """:func:`days_beyond_terms` over each window (months)."""
    return [days_beyond_terms(invoices, as_of, m) for m in windows]


def oldest_open_item(invoices: pd.DataFrame, as_of) -> dict | None:
    """The open invoice with the earliest due date at ``as_of`` (None when nothing is open):
    ``invoice_id``, ``invoice_date``, ``due_date``, ``days_past_due`` (negative when not yet due),
    ``open_amount``."""
    as_of = pd.Timestamp(as_of)
    open_ = open_amount_at(invoices, as_of)
    live = invoices[open_ > 0.005]
    if live.empty:
        return None
    row = live.sort_values(["due_date", "invoice_date", "invoice_id"]).iloc[0]
    return {"invoice_id": row["invoice_id"], "invoice_date": row["invoice_date"], "due_date": row["due_date"],
            "days_past_due": int((as_of - row["due_date"]).days), "open_amount": float(open_.loc[row.name])}


def paid_late_share(invoices: pd.DataFrame, as_of, months: int = 24) -> dict:
    """Of the invoices fully paid in the ``months`` months to ``as_of``, the share paid after their due date.

    ``count_share`` = late invoices / paid invoices; ``amount_share`` = Σ late amounts / Σ paid amounts;
    NaN with ``reason`` ``no_paid_invoices`` when none was paid.
    """
    as_of = pd.Timestamp(as_of)
    paid = invoices[_settled(invoices, as_of) & (invoices["paid_date"] > as_of - pd.DateOffset(months=months))]
    if paid.empty:
        return {"count_share": np.nan, "amount_share": np.nan, "paid": 0, "late": 0, "reason": "no_paid_invoices"}
    late = paid["paid_date"] > paid["due_date"]
    return {"count_share": float(late.mean()), "amount_share": float(paid.loc[late, "amount"].sum() / paid["amount"].sum()),
            "paid": int(len(paid)), "late": int(late.sum()), "reason": None}


def monthly_trend(invoices: pd.DataFrame, as_of, months: int = 24, bounds=BUCKETS_DEFAULT) -> pd.DataFrame:
    """The ledger month by month: at each of the last ``months`` month ends (the last one is ``as_of``),
    the open amount by aging bucket (:func:`aging` at that date) and the 3-month DBT
    (:func:`days_beyond_terms` at that date over 3 months).

    Returns
    -------
    DataFrame
        ``date``, one column per bucket code, ``open``, ``overdue`` (Σ past-due buckets), ``dbt_3m``.
    """
    as_of = pd.Timestamp(as_of)
    ends = [as_of] + [(as_of - pd.DateOffset(months=k)) + pd.offsets.MonthEnd(0) for k in range(1, months)]
    rows = []
    for d in sorted(set(ends)):
        seen = invoices[invoices["invoice_date"] <= d]
        a = aging(seen, d, bounds).set_index("bucket")["amount"]
        row = {"date": d, **a.to_dict(), "open": float(a.sum()), "overdue": float(a.drop("not_due").sum()),
               "dbt_3m": days_beyond_terms(seen, d, 3)["value"]}
        rows.append(row)
    return pd.DataFrame(rows)


#: The payment index's anchor points: days beyond terms → index, after D&B's published PAYDEX scale
#: (100 anticipates, 90 discounts, 80 prompt, 70 = 15 days beyond terms, 60 = 22, 50 = 30, 40 = 60,
#: 30 = 90, 20 = 120). PAYDEX names the first two by behaviour; riskbook places them at 30 and 20 days
#: before the due date. Beyond 120 days the index keeps falling 10 points per 30 days, to at least 1.
PAYMENT_INDEX_ANCHORS: tuple[tuple[float, float], ...] = (
    (-30.0, 100.0), (-20.0, 90.0), (0.0, 80.0), (15.0, 70.0), (22.0, 60.0), (30.0, 50.0), (60.0, 40.0),
    (90.0, 30.0), (120.0, 20.0))


def payment_index_points(days) -> np.ndarray:
    """The payment index of each experience's days beyond terms ``d``.

    Piecewise linear through :data:`PAYMENT_INDEX_ANCHORS`: 100 at ``d ≤ −30``; between two anchors
    (d₀, p₀) and (d₁, p₁), p₀ + (d − d₀)(p₁ − p₀)/(d₁ − d₀); beyond 120 days, max(1, 20 − (d − 120)/3).
    """
    d = np.asarray(days, dtype=float)
    xs = np.array([a[0] for a in PAYMENT_INDEX_ANCHORS])
    ys = np.array([a[1] for a in PAYMENT_INDEX_ANCHORS])
    out = np.interp(d, xs, ys)
    beyond = d > xs[-1]
    out[beyond] = np.maximum(1.0, ys[-1] - (d[beyond] - xs[-1]) / 3.0)
    return out


def payment_index(invoices: pd.DataFrame, as_of, months: int = 24, min_experiences: int = 3) -> dict:
    """A payment index 0–100 in the spirit of D&B's PAYDEX, from our own ledger.

    Experiences are the invoices with ``as_of − months < invoice_date ≤ as_of`` that are either fully paid
    by ``as_of`` (days beyond terms = ``paid_date − due_date``) or open and past due (``as_of − due_date``);
    open items not yet due have no payment experience yet and are left out. Each experience scores
    :func:`payment_index_points` of its days; the index is the amount-weighted mean
    Σ amountᵢ × pointsᵢ / Σ amountᵢ.

    Returns
    -------
    dict
        ``value`` (NaN with ``reason`` ``too_few_experiences`` under ``min_experiences``),
        ``experiences``, ``amount``, ``weighted_days`` (amount-weighted days beyond terms of the same
        experiences), ``months``.
    """
    as_of = pd.Timestamp(as_of)
    w = invoices[(invoices["invoice_date"] > as_of - pd.DateOffset(months=months)) & (invoices["invoice_date"] <= as_of)]
    days = _beyond_terms(w, as_of)
    exp = _settled(w, as_of) | (as_of > w["due_date"])
    w, days = w[exp], days[exp]
    base = {"experiences": int(len(w)), "amount": float(w["amount"].sum()), "months": months}
    if len(w) < min_experiences or base["amount"] <= 0:
        return {**base, "value": np.nan, "weighted_days": np.nan, "reason": "too_few_experiences"}
    points = payment_index_points(days.to_numpy())
    amt = w["amount"].to_numpy()
    return {**base, "value": float((amt * points).sum() / amt.sum()),
            "weighted_days": float((amt * days.to_numpy()).sum() / amt.sum()), "reason": None}


def exposure(invoices: pd.DataFrame, as_of, limit: float | None, open_orders: float | None = None) -> dict:
    """The customer's exposure against its limit.

    exposure = open invoices at ``as_of`` + open orders (when the data carries them; the contract has no
    orders table, so ``open_orders`` is None unless given); utilization = exposure / limit and
    headroom = limit − exposure (NaN with ``reason`` ``no_limit`` when the limit is missing or ≤ 0).
    """
    open_inv = float(open_amount_at(invoices, as_of).sum())
    total = open_inv + (open_orders or 0.0)
    out = {"open_invoices": open_inv, "open_orders": open_orders, "exposure": total, "limit": limit}
    if limit is None or not np.isfinite(limit) or limit <= 0:
        return {**out, "utilization": np.nan, "headroom": np.nan, "reason": "no_limit"}
    return {**out, "utilization": total / limit, "headroom": limit - total, "reason": None}


def large_transactions(invoices: pd.DataFrame, as_of, *, months: int = 24, amount_threshold: float | None = None,
                       limit: float | None = None, limit_share: float | None = None,
                       median_multiple: float | None = None, base_factor: float = 1.0) -> pd.DataFrame:
    """Invoices of the last ``months`` months above any of the thresholds.

    Tests (each off when its setting is None): ``amount`` — amount × ``base_factor`` (to the base currency)
    > ``amount_threshold``; ``limit_share`` — amount > ``limit_share`` × ``limit``; ``median`` — amount >
    ``median_multiple`` × the median amount of the customer's invoices in the same window.

    Returns
    -------
    DataFrame
        ``invoice_id``, ``invoice_date``, ``due_date``, ``amount``, ``open_amount`` (at ``as_of``),
        ``terms_days`` (due − invoice date),
        ``rules`` (the tests it exceeded), ``status`` (``paid_on_time``, ``paid_late``, ``open_not_due``,
        ``open_overdue``), ``days_beyond_terms``; newest first.
    """
    as_of = pd.Timestamp(as_of)
    w = invoices[(invoices["invoice_date"] > as_of - pd.DateOffset(months=months)) & (invoices["invoice_date"] <= as_of)]
    cols = ["invoice_id", "invoice_date", "due_date", "amount", "open_amount", "terms_days", "rules", "status",
            "days_beyond_terms"]
    if w.empty:
        return pd.DataFrame(columns=cols)
    median = float(w["amount"].median())
    tests = {}
    if amount_threshold is not None:
        tests["amount"] = w["amount"] * base_factor > amount_threshold
    if limit_share is not None and limit is not None and np.isfinite(limit) and limit > 0:
        tests["limit_share"] = w["amount"] > limit_share * limit
    if median_multiple is not None:
        tests["median"] = w["amount"] > median_multiple * median
    if not tests:
        return pd.DataFrame(columns=cols)
    hit = pd.concat(tests, axis=1)
    big = w[hit.any(axis=1)].copy()
    if big.empty:
        return pd.DataFrame(columns=cols)
    big["rules"] = [[k for k in tests if hit.at[i, k]] for i in big.index]
    days = _beyond_terms(big, as_of)
    big["status"] = np.where(_settled(big, as_of), np.where(days <= 0, "paid_on_time", "paid_late"),
                             np.where(as_of > big["due_date"], "open_overdue", "open_not_due"))
    big["days_beyond_terms"] = days
    big["open_amount"] = open_amount_at(big, as_of)
    big["terms_days"] = (big["due_date"] - big["invoice_date"]).dt.days
    return big.sort_values(["invoice_date", "invoice_id"], ascending=False)[cols].reset_index(drop=True)


VISITS = ("visit", "meeting")
CALLS = ("call", "email")
ISSUES = ("complaint", "dispute")


def open_issues(contacts: pd.DataFrame, as_of) -> pd.DataFrame:
    """Complaints and disputes open at ``as_of``: raised on or before it and not resolved by it (not marked
    resolved, or resolved with a ``resolved_date`` after ``as_of``)."""
    as_of = pd.Timestamp(as_of)
    c = contacts[contacts["kind"].isin(ISSUES) & (contacts["date"] <= as_of)]
    return c[~_resolved_at(c, as_of)]


def _resolved_at(issues: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """Whether each complaint or dispute is resolved at ``as_of``: marked resolved, and not with a
    ``resolved_date`` after ``as_of``."""
    done = issues["resolved"].fillna(False).astype(bool)
    if "resolved_date" in issues:
        done &= ~(issues["resolved_date"].notna() & (issues["resolved_date"] > as_of))
    return done




def contact_summary(contacts: pd.DataFrame, as_of, *, min_visits: int | None = None, min_calls: int | None = None,
                    visit_months: int | None = None, feedback_items: int = 3) -> dict:
    """The relationship from the contact log, as of ``as_of``.

    - ``last_visit``: latest visit or meeting (None without one); ``visits_12m`` (visits and meetings) and
      ``calls_12m`` (calls and e-mails) in the 12 months to ``as_of``, against the minimum for the
      customer's grade;
    - ``issues``: every complaint and dispute with its ``age_days`` (to ``resolved_date`` when resolved,
      else to ``as_of``) and whether resolved at ``as_of`` (a resolution dated later does not count yet);
      ``open_issues`` counts the unresolved;
    - ``feedback``: the number of feedback entries in 12 months and the latest ``feedback_items`` summaries;
    - ``needs_visit``: True when there was no visit within ``visit_months`` or fewer visits than
      ``min_visits``; ``visit_due_reason`` says which (``no_visit_ever``, ``visit_too_long_ago``,
      ``too_few_visits``).
    """
    as_of = pd.Timestamp(as_of)
    c = contacts[contacts["date"] <= as_of]
    year = c[c["date"] > as_of - pd.DateOffset(months=12)]
    visits = c[c["kind"].isin(VISITS)]
    last_visit = visits["date"].max() if len(visits) else None
    n_visits = int(year["kind"].isin(VISITS).sum())
    n_calls = int(year["kind"].isin(CALLS).sum())
    issues = c[c["kind"].isin(ISSUES)].sort_values("date", ascending=False)
    done = _resolved_at(issues, as_of)
    rows = []
    for i, r in issues.iterrows():
        resolved = bool(done.at[i])
        end = r.get("resolved_date") if resolved and pd.notna(r.get("resolved_date")) else as_of
        rows.append({"contact_id": r["contact_id"], "date": r["date"], "kind": r["kind"], "resolved": resolved,
                     "resolved_date": r.get("resolved_date") if resolved else None,
                     "age_days": int((end - r["date"]).days), "summary": r.get("summary")})
    fb = year[year["kind"] == "feedback"].sort_values("date", ascending=False)
    reason = None
    if visit_months is not None:
        if last_visit is None:
            reason = "no_visit_ever"
        elif last_visit <= as_of - pd.DateOffset(months=visit_months):
            reason = "visit_too_long_ago"
    if reason is None and min_visits is not None and n_visits < min_visits:
        reason = "too_few_visits"
    managers = c.sort_values("date")["account_manager"].dropna() if "account_manager" in c else pd.Series(dtype=object)
    return {"last_visit": last_visit, "days_since_visit": int((as_of - last_visit).days) if last_visit is not None else None,
            "visits_12m": n_visits, "calls_12m": n_calls, "min_visits": min_visits, "min_calls": min_calls,
            "visit_months": visit_months, "calls_short": min_calls is not None and n_calls < min_calls,
            "issues": rows, "open_issues": sum(not r["resolved"] for r in rows),
            "feedback_12m": int(len(fb)), "feedback": [{"date": r["date"], "summary": r["summary"]}
                                                      for _, r in fb.head(feedback_items).iterrows()],
            "last_contact_by": managers.iloc[-1] if len(managers) else None,
            "needs_visit": reason is not None, "visit_due_reason": reason}
