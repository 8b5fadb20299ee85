"""Peer benchmarks: quartiles of each ratio by industry and each customer's percentile.

Peers are the customers of the same industry in the portfolio (each at its latest fiscal year).
Where an industry has fewer customers than the policy's ``peers.min_group``, the whole portfolio
is the peer group, and the report says so. Where the input carries an ``industry_benchmarks``
table (external quartiles, e.g. from a statistics office or a data vendor), those quartiles are
used for that industry and ratio instead, and the source is named.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["latest_rows", "peer_table", "interpolate_percentile"]

ALL = "all industries"


def latest_rows(values: pd.DataFrame) -> pd.DataFrame:
    """Each customer's latest fiscal year from a ``RatioResult.values``-like frame."""
    idx = values.groupby("customer_id")["fiscal_year"].idxmax()
    return values.loc[idx].reset_index(drop=True)


def interpolate_percentile(value: np.ndarray, q1: np.ndarray, median: np.ndarray, q3: np.ndarray) -> np.ndarray:
    """Percentile of ``value`` from quartiles only, by linear interpolation.

    Maps q1 → 25, median → 50, q3 → 75, extends the nearest segment's slope beyond the quartiles
    and clips to [0, 100]. Used for external benchmarks, which publish quartiles, not data.
    """
    value, q1, median, q3 = (np.asarray(a, dtype=float) for a in (value, q1, median, q3))
    with np.errstate(divide="ignore", invalid="ignore"):
        low = 25.0 + 25.0 * (value - q1) / (median - q1)
        high = 50.0 + 25.0 * (value - median) / (q3 - median)
    pct = np.where(value <= median, low, high)
    pct = np.where((value <= median) & (median == q1), np.where(value < q1, 0.0, 50.0), pct)
    pct = np.where((value > median) & (q3 == median), 100.0, pct)
    return np.clip(pct, 0.0, 100.0)


def _stats(long: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    g = long.dropna(subset=["value"]).groupby(keys)["value"]
    return pd.DataFrame({"n": g.count(), "q1": g.quantile(0.25), "median": g.median(),
                         "q3": g.quantile(0.75)}).reset_index()


def peer_table(latest: pd.DataFrame, industries: pd.Series, *, min_group: int = 5,
               benchmarks: pd.DataFrame | None = None, ratios: list[str] | None = None) -> pd.DataFrame:
    """Peer statistics and percentiles for every customer and ratio, in one call.

    Parameters
    ----------
    latest : DataFrame
        One row per customer: ``customer_id`` and ratio columns (see :func:`latest_rows`).
    industries : Series
        customer_id → industry key.
    min_group : int
        Smallest industry group used on its own; smaller groups fall back to all customers.
    benchmarks : DataFrame, optional
        External quartiles: ``industry, ratio, q1, median, q3, source``.
    ratios : list of str, optional
        Ratio columns to use (default: every column but the keys).

    Returns
    -------
    DataFrame
        ``customer_id, ratio, value, industry, peer_group, source, n, q1, median, q3, percentile``.
        ``percentile`` is the mid-rank percentile ``(rank − 0.5) / n × 100`` of the value among
        its peers (NaN values take no rank), or interpolated from external quartiles.
    """
    ratios = ratios or [c for c in latest.columns if c not in ("customer_id", "fiscal_year")]
    long = latest.melt(id_vars=["customer_id"], value_vars=ratios, var_name="ratio", value_name="value")
    long["industry"] = long["customer_id"].map(industries)
    by_ind = _stats(long, ["industry", "ratio"])
    everyone = _stats(long, ["ratio"]).assign(industry=ALL)
    out = long.merge(by_ind, on=["industry", "ratio"], how="left")
    small = out["n"].isna() | (out["n"] < min_group)
    fallback = long[["ratio"]].merge(everyone, on="ratio", how="left")
    for col in ("n", "q1", "median", "q3"):
        out[col] = np.where(small, fallback[col], out[col])
    out["peer_group"] = np.where(small, ALL, out["industry"])
    out["source"] = "portfolio"
    # mid-rank percentile within the chosen group
    grp = out["peer_group"].where(~small, ALL)
    rank = out.groupby([grp, out["ratio"]])["value"].rank(method="average")
    rank_all = out.groupby("ratio")["value"].rank(method="average")
    rank = np.where(small, rank_all, rank)
    out["percentile"] = (rank - 0.5) / out["n"] * 100.0
    if benchmarks is not None and len(benchmarks):
        ext = benchmarks.rename(columns={"q1": "e_q1", "median": "e_median", "q3": "e_q3", "source": "e_source"})
        out = out.merge(ext[["industry", "ratio", "e_q1", "e_median", "e_q3", "e_source"]],
                        on=["industry", "ratio"], how="left")
        has = out["e_median"].notna()
        out.loc[has, "q1"], out.loc[has, "median"], out.loc[has, "q3"] = (
            out.loc[has, "e_q1"], out.loc[has, "e_median"], out.loc[has, "e_q3"])
        out.loc[has, "percentile"] = interpolate_percentile(out.loc[has, "value"], out.loc[has, "q1"],
                                                            out.loc[has, "median"], out.loc[has, "q3"])
        out.loc[has, "peer_group"] = out.loc[has, "industry"]
        out.loc[has, "source"] = out.loc[has, "e_source"]
        out.loc[has, "n"] = np.nan
        out = out.drop(columns=["e_q1", "e_median", "e_q3", "e_source"])
    out.loc[out["value"].isna(), "percentile"] = np.nan
    return out[["customer_id", "ratio", "value", "industry", "peer_group", "source", "n", "q1", "median", "q3",
                "percentile"]]
