"""Peer quartiles, percentiles, the small-group fallback and external benchmarks."""
import numpy as np
import pandas as pd
import pytest

from helpers.analysis.peers import ALL, interpolate_percentile, latest_rows, peer_table


@pytest.fixture
def latest():
    # industry a: 5 customers with current ratios 1..5; industry b: only 2 customers
    ids = [f"A{i}" for i in range(1, 6)] + ["B1", "B2"]
    values = pd.DataFrame({"customer_id": ids, "fiscal_year": 2025,
                           "current_ratio": [1.0, 2.0, 3.0, 4.0, 5.0, 0.5, np.nan],
                           "dso": [30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0]})
    industries = pd.Series(["a"] * 5 + ["b"] * 2, index=ids)
    return values, industries


def test_quartiles_and_mid_rank_percentiles_by_industry(latest):
    values, industries = latest
    t = peer_table(values, industries, min_group=3).set_index(["customer_id", "ratio"])
    a3 = t.loc[("A3", "current_ratio")]
    assert (a3.n, a3.q1, a3["median"], a3.q3) == (5, 2.0, 3.0, 4.0)
    assert a3.peer_group == "a" and a3.source == "portfolio"
    assert t.loc[("A1", "current_ratio"), "percentile"] == pytest.approx(10.0)   # (1 − 0.5) / 5
    assert t.loc[("A5", "current_ratio"), "percentile"] == pytest.approx(90.0)   # (5 − 0.5) / 5


def test_small_industry_falls_back_to_the_whole_portfolio(latest):
    values, industries = latest
    t = peer_table(values, industries, min_group=3).set_index(["customer_id", "ratio"])
    b1 = t.loc[("B1", "current_ratio")]
    assert b1.peer_group == ALL and b1.n == 6  # 6 non-missing current ratios in the portfolio
    assert b1.percentile == pytest.approx((1 - 0.5) / 6 * 100)  # 0.5 is the lowest of all
    assert np.isnan(t.loc[("B2", "current_ratio"), "percentile"])  # a missing value has no rank


def test_external_benchmarks_replace_portfolio_quartiles(latest):
    values, industries = latest
    bench = pd.DataFrame({"industry": ["a"], "ratio": ["dso"], "q1": [40.0], "median": [50.0], "q3": [80.0],
                          "source": ["Statistics office 2025"]})
    t = peer_table(values, industries, min_group=3, benchmarks=bench).set_index(["customer_id", "ratio"])
    a4 = t.loc[("A4", "dso")]  # dso 60: between median 50 (→ 50) and q3 80 (→ 75)
    assert a4.source == "Statistics office 2025" and np.isnan(a4.n)
    assert (a4.q1, a4["median"], a4.q3) == (40.0, 50.0, 80.0)
    assert a4.percentile == pytest.approx(50 + 25 * (60 - 50) / (80 - 50))
    assert t.loc[("A4", "current_ratio"), "source"] == "portfolio"  # other ratios keep the portfolio


def test_interpolated_percentile_hits_the_quartiles_and_clips():
    q1, med, q3 = np.array([1.0]), np.array([2.0]), np.array([4.0])
    got = [interpolate_percentile(np.array([v]), q1, med, q3)[0] for v in (1.0, 2.0, 4.0, 3.0, 0.0, -5.0, 9.0)]
    assert got == pytest.approx([25.0, 50.0, 75.0, 62.5, 0.0, 0.0, 100.0])


def test_latest_rows_takes_each_customers_last_year():
    v = pd.DataFrame({"customer_id": ["x", "x", "y"], "fiscal_year": [2024, 2025, 2023], "r": [1.0, 2.0, 3.0]})
    assert latest_rows(v).set_index("customer_id")["r"].to_dict() == {"x": 2.0, "y": 3.0}
