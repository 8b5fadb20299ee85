"""Expected credit loss of trade receivables under IFRS 9's simplified approach: a provision matrix of
loss rates per aging bucket, derived from the ledger's own history.

Method (observed default rates, amount-weighted):

1. Observations: at each of the ``history_months`` month ends *t* before ``as_of``, every invoice with an
   open amount Oᵢ(t) > 0 is placed in its aging bucket at *t*
   (:func:`helpers.analysis.monitoring.bucket_of`).
2. Outcome: the invoice's *default date* is ``due_date + default_days``. An observation counts only when
   its outcome is known, i.e. the default date is on or before ``as_of`` (later ones are censored and left
   out, so recent months do not look better than they are). Its defaulted amount is
   Dᵢ(t) = min(Oᵢ(t), open amount at the default date).
3. Default rate of bucket b = Σ Dᵢ(t) / Σ Oᵢ(t) over the observations in b; a bucket whose lower bound is
   at or beyond ``default_days`` is in default already (rate 1).
4. Loss rate = default rate × LGD (the ledger records no recoveries, so the policy's LGD is used).
5. Groups: with ``split = domestic`` the matrix is estimated for domestic and foreign customers apart; a
   group's bucket with fewer than ``min_observations`` observations borrows the pooled rate (and says so).

The forward-looking adjustment and insurance are applied per customer by
:func:`helpers.decisions.monitoring.customer_ecl`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.portfolio import Portfolio
from .monitoring import bucket_keys, bucket_lower_bound, bucket_of, convert, open_amount_at

__all__ = ["observations", "provision_matrix", "base_ledger", "portfolio_matrix", "customer_group", "ledger_open_balance"]


def observations(invoices: pd.DataFrame, as_of, *, history_months: int = 24, default_days: int = 90,
                 bounds=(30, 60, 90)) -> pd.DataFrame:
    """The month-end observations of step 1–2 of the module's method.

    Returns
    -------
    DataFrame
        ``customer_id``, ``invoice_id``, ``date`` (month end), ``bucket``, ``open`` (Oᵢ(t)),
        ``defaulted`` (Dᵢ(t)); only observations whose outcome is known.
    """
    as_of = pd.Timestamp(as_of)
    ends = sorted({(as_of - pd.DateOffset(months=k)) + pd.offsets.MonthEnd(0) for k in range(1, history_months + 1)})
    ends = [d for d in ends if d < as_of]
    default_date = invoices["due_date"] + pd.Timedelta(days=default_days)
    known = invoices[default_date <= as_of]
    if known.empty:
        return pd.DataFrame(columns=["customer_id", "invoice_id", "date", "bucket", "open", "defaulted"])
    at_default = _open_at_own_dates(known, default_date.loc[known.index])
    parts = []
    for d in ends:
        o = open_amount_at(known, d)
        live = o > 0.005
        if not live.any():
            continue
        k = known[live]
        parts.append(pd.DataFrame({"customer_id": k["customer_id"].values, "invoice_id": k["invoice_id"].values,
                                   "date": d, "bucket": bucket_of((d - k["due_date"]).dt.days, bounds),
                                   "open": o[live].values,
                                   "defaulted": np.minimum(o[live].values, at_default[live].values)}))
    if not parts:
        return pd.DataFrame(columns=["customer_id", "invoice_id", "date", "bucket", "open", "defaulted"])
    return pd.concat(parts, ignore_index=True)


def _open_at_own_dates(invoices: pd.DataFrame, dates: pd.Series) -> pd.Series:
    """Open amount of each invoice at its own date (vectorized :func:`open_amount_at`)."""
    paid = invoices["paid_date"].notna() & (invoices["paid_date"] <= dates)
    o = invoices["amount"].where(~paid, invoices["amount"] - invoices["paid_amount"])
    return o.where(invoices["invoice_date"] <= dates, 0.0).clip(lower=0.0)


def _rates(obs: pd.DataFrame, keys: list[str], default_days: int) -> pd.DataFrame:
    g = obs.groupby("bucket")
    out = pd.DataFrame({"bucket": keys})
    out["observations"] = g.size().reindex(keys).fillna(0).astype(int).values
    out["invoices"] = g["invoice_id"].nunique().reindex(keys).fillna(0).astype(int).values
    # as floats: with no observation at all the empty frame's object columns made 0 / 0 a ZeroDivisionError
    out["observed_amount"] = g["open"].sum().reindex(keys).fillna(0.0).to_numpy(dtype=float)
    out["defaulted_amount"] = g["defaulted"].sum().reindex(keys).fillna(0.0).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["default_rate"] = np.where(out["observed_amount"] > 0, out["defaulted_amount"] / out["observed_amount"], np.nan)
    out.loc[[bucket_lower_bound(b) >= default_days for b in keys], "default_rate"] = 1.0
    return out


def provision_matrix(invoices: pd.DataFrame, as_of, *, lgd: float, history_months: int = 24, default_days: int = 90,
                     min_observations: int = 20, bounds=(30, 60, 90), groups: pd.Series | None = None) -> pd.DataFrame:
    """The provision matrix of the module's method.

    Parameters
    ----------
    invoices : DataFrame
        The ledger, amounts in one currency (:func:`helpers.analysis.monitoring.convert`).
    lgd : float
        Loss given default applied to the default rates.
    groups : Series, optional
        customer_id → group code (``domestic`` / ``foreign``); None for one pooled matrix.

    Returns
    -------
    DataFrame
        ``group`` (``all`` for the pooled rows), ``bucket``, ``observations`` (invoice × month-end pairs; an
        invoice open over several month ends counts at each), ``invoices`` (distinct invoices), ``observed_amount``,
        ``defaulted_amount``, ``default_rate``, ``source`` (``observed``, ``pooled`` when borrowed,
        ``in_default``, ``none`` when no observation exists anywhere: rate 0 is never assumed, the rate stays
        NaN), ``lgd``, ``loss_rate``.
    """
    keys = bucket_keys(bounds)
    obs = observations(invoices, as_of, history_months=history_months, default_days=default_days, bounds=bounds)
    pooled = _rates(obs, keys, default_days)
    pooled["group"] = "all"
    pooled["source"] = ["in_default" if bucket_lower_bound(b) >= default_days else "observed" if n else "none"
                        for b, n in zip(pooled["bucket"], pooled["observations"])]
    frames = [pooled]
    if groups is not None:
        obs = obs.assign(group=obs["customer_id"].map(groups))
        for name in sorted(groups.dropna().unique()):
            own = _rates(obs[obs["group"] == name], keys, default_days)
            own["group"] = name
            src = []
            for i, r in own.iterrows():
                if bucket_lower_bound(r["bucket"]) >= default_days:
                    src.append("in_default")
                elif r["observations"] < min_observations:
                    own.at[i, "default_rate"] = pooled.at[i, "default_rate"]
                    src.append("pooled" if pooled.at[i, "observations"] else "none")
                else:
                    src.append("observed")
            own["source"] = src
            frames.append(own)
    out = pd.concat(frames, ignore_index=True)
    out["lgd"] = lgd
    out["loss_rate"] = out["default_rate"] * lgd
    return out[["group", "bucket", "observations", "invoices", "observed_amount", "defaulted_amount", "default_rate", "source",
                "lgd", "loss_rate"]]


def customer_group(portfolio: Portfolio) -> pd.Series | None:
    """customer_id → ``domestic`` / ``foreign`` when the policy splits the matrix, else None."""
    if portfolio.policy.monitoring.ecl.split == "none":
        return None
    cu = portfolio.customers.set_index("customer_id")
    return pd.Series(np.where(cu["country"] == portfolio.policy.home_country, "domestic", "foreign"), index=cu.index)


def base_ledger(portfolio: Portfolio) -> pd.DataFrame:
    """The whole ledger with its amounts in the base currency (computed once, kept in the derived results)."""
    return portfolio.derived("ledger_base", lambda p: convert(p.tables["invoices"], p.fx_rates, p.policy.base_currency))


def portfolio_matrix(portfolio: Portfolio) -> pd.DataFrame:
    """The portfolio's provision matrix, from the whole ledger in the base currency (computed once and
    kept in the portfolio's derived results)."""

    def compute(p: Portfolio) -> pd.DataFrame:
        m = p.policy.monitoring
        lgd = m.ecl.lgd if m.ecl.lgd is not None else (p.policy.decisions.lgd if p.policy.decisions else 0.6)
        return provision_matrix(base_ledger(p), p.as_of, lgd=lgd, history_months=m.ecl.history_months,
                                default_days=m.ecl.default_days, min_observations=m.ecl.min_observations,
                                bounds=tuple(m.aging_buckets), groups=customer_group(p))

    return portfolio.derived("provision_matrix", compute)


def ledger_open_balance(portfolio: Portfolio) -> dict:
    """The ledger's open balance at ``as_of`` in the base currency: ``total``, ``by_group`` (the matrix's
    groups, or ``all``) and ``customers`` (how many have an open amount) — what the portfolio's ECL must
    reconcile to."""
    inv = base_ledger(portfolio)
    o = open_amount_at(inv, portfolio.as_of)
    groups = customer_group(portfolio)
    g = inv["customer_id"].map(groups) if groups is not None else pd.Series("all", index=inv.index)
    by_customer = o.groupby(inv["customer_id"]).sum()
    return {"total": float(o.sum()), "by_group": {str(k): float(v) for k, v in o.groupby(g).sum().items()},
            "customers": int((by_customer > 0.005).sum())}
