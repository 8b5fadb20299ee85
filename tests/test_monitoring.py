"""helpers.analysis.monitoring on a hand-made ledger; every expected figure is worked out by hand in
tests/data/monitoring/expected.md (as_of 2026-09-30 unless said otherwise)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from helpers.analysis.monitoring import (PAYMENT_INDEX_ANCHORS, aging, bucket_keys, bucket_of, contact_summary,
                                         days_beyond_terms, dbt_windows, exposure, large_transactions, ledger_dso,
                                         monthly_trend, oldest_open_item, open_amount_at, paid_late_share,
                                         payment_index, payment_index_points)

DATA = Path(__file__).parent / "data" / "monitoring"
AS_OF = pd.Timestamp("2026-09-30")
BUCKETS = ["not_due", "1_30", "31_60", "61_90", "over_90"]
T = pd.Timestamp


def load_ledger() -> pd.DataFrame:
    return pd.read_csv(DATA / "ledger.csv", parse_dates=["invoice_date", "due_date", "paid_date"],
                       dtype={"amount": float, "paid_amount": float})


@pytest.fixture
def ledger() -> pd.DataFrame:
    return load_ledger()


@pytest.fixture
def c1(ledger) -> pd.DataFrame:
    return ledger[ledger["customer_id"] == "C1"].copy()


@pytest.fixture
def c2(ledger) -> pd.DataFrame:
    return ledger[ledger["customer_id"] == "C2"].copy()


def only(frame, *ids):
    return frame[frame["invoice_id"].isin(ids)].copy()


def by_bucket(table: pd.DataFrame, col: str = "amount") -> dict:
    return dict(zip(table["bucket"], table[col]))


def test_the_ledger_is_what_expected_md_describes(ledger):
    assert len(ledger) == 14 and set(ledger["customer_id"]) == {"C1", "C2"}
    assert set(ledger["currency"]) == {"EUR"}
    assert ledger["amount"].dtype == float and ledger["paid_amount"].dtype == float
    assert pd.api.types.is_datetime64_any_dtype(ledger["paid_date"])


# --- buckets -------------------------------------------------------------------------------------------

def test_bucket_keys_default_and_custom_bounds():
    assert bucket_keys() == BUCKETS
    assert bucket_keys((15, 45)) == ["not_due", "1_15", "16_45", "over_45"]


def test_bucket_of_puts_each_boundary_day_on_the_right_side():
    days = [-40, -1, 0, 1, 30, 31, 60, 61, 90, 91, 400]
    assert list(bucket_of(days)) == ["not_due", "not_due", "not_due", "1_30", "1_30", "31_60", "31_60",
                                     "61_90", "61_90", "over_90", "over_90"]
    assert list(bucket_of([15, 16, 45, 46], (15, 45))) == ["1_15", "16_45", "16_45", "over_45"]


# --- open amounts and aging ---------------------------------------------------------------------------

def test_open_amount_follows_invoice_date_and_last_payment_date(c1):
    a04 = only(c1, "A04")
    assert open_amount_at(a04, "2026-04-19").iloc[0] == 0.0      # before the invoice date
    assert open_amount_at(a04, "2026-04-20").iloc[0] == 3000.0   # from the invoice date
    assert open_amount_at(a04, "2026-06-30").iloc[0] == 3000.0   # part payment not made yet
    assert open_amount_at(a04, "2026-07-01").iloc[0] == 2000.0   # from the payment date
    a01 = only(c1, "A01")
    assert open_amount_at(a01, "2024-11-03").iloc[0] == 1000.0
    assert open_amount_at(a01, "2024-11-04").iloc[0] == 0.0
    assert open_amount_at(only(c1, "A10"), AS_OF).iloc[0] == 0.0  # invoiced after as_of


def test_aging_of_c1_by_hand(c1):
    table = aging(c1, AS_OF)
    assert list(table["bucket"]) == BUCKETS
    assert by_bucket(table) == {"not_due": 4000.0, "1_30": 600.0, "31_60": 1200.0, "61_90": 2500.0,
                                "over_90": 2000.0}
    assert by_bucket(table, "count") == {"not_due": 1, "1_30": 1, "31_60": 1, "61_90": 1, "over_90": 1}
    assert table["share"].tolist() == pytest.approx([4000 / 10300, 600 / 10300, 1200 / 10300, 2500 / 10300,
                                                     2000 / 10300])


def test_aging_of_c2_by_hand(c2):
    table = aging(c2, AS_OF)
    assert by_bucket(table) == {"not_due": 3000.0, "1_30": 0.0, "31_60": 0.0, "61_90": 0.0, "over_90": 5000.0}
    assert by_bucket(table, "count") == {"not_due": 1, "1_30": 0, "31_60": 0, "61_90": 0, "over_90": 1}
    assert by_bucket(table, "share")["over_90"] == pytest.approx(5000 / 8000)


def test_aging_with_nothing_open_has_zero_amounts_and_nan_shares(c1):
    table = aging(c1, "2024-12-31")
    assert table["amount"].tolist() == [0.0] * 5 and table["count"].tolist() == [0] * 5
    assert table["share"].isna().all()


def test_aging_with_custom_bounds(c1):
    table = aging(c1, AS_OF, (45, 90))
    # A08 6 d, A06 47 d, A05 82 d → 46_90; A04 133 d → over_90
    assert by_bucket(table) == {"not_due": 4000.0, "1_45": 600.0, "46_90": 3700.0, "over_90": 2000.0}


@st.composite
def ledgers(draw):
    n = draw(st.integers(1, 10))
    start = T("2025-01-01")
    rows = []
    for i in range(n):
        inv = start + pd.Timedelta(days=draw(st.integers(0, 600)))
        due = inv + pd.Timedelta(days=draw(st.sampled_from([0, 15, 30, 60, 90])))
        amount = float(draw(st.integers(1, 10_000)))
        paid_share = draw(st.sampled_from([0.0, 0.25, 0.5, 1.0]))
        delay = draw(st.integers(0, 300))
        paid_date = inv + pd.Timedelta(days=delay) if paid_share > 0 else pd.NaT
        rows.append({"invoice_id": f"I{i:02d}", "customer_id": "C", "invoice_date": inv, "due_date": due,
                     "currency": "EUR", "amount": amount, "paid_amount": amount * paid_share, "paid_date": paid_date})
    frame = pd.DataFrame(rows)
    frame["paid_date"] = pd.to_datetime(frame["paid_date"])
    as_of = start + pd.Timedelta(days=draw(st.integers(0, 900)))
    return frame, as_of


@settings(max_examples=150, deadline=None)
@given(ledgers())
def test_aging_buckets_add_up_to_the_open_amount(case):
    frame, as_of = case
    table = aging(frame, as_of)
    open_ = open_amount_at(frame, as_of)
    assert table["amount"].sum() == pytest.approx(open_.sum())
    assert table["count"].sum() == int((open_ > 0.005).sum())
    assert (table["amount"] >= 0).all()


# --- DSO -----------------------------------------------------------------------------------------------

def test_ledger_dso_by_hand(c1):
    dso = ledger_dso(c1, AS_OF)
    assert dso["open"] == 10300.0 and dso["sales"] == 12100.0 and dso["reason"] is None
    assert dso["value"] == pytest.approx(10300 / 12100 * 365)
    assert dso["value"] == pytest.approx(310.7025, abs=1e-4)
    assert ledger_dso(c1, AS_OF, days_in_year=360)["value"] == pytest.approx(306.4463, abs=1e-4)


def test_ledger_dso_without_sales_is_nan_with_reason(c1):
    dso = ledger_dso(only(c1, "A01", "A11"), AS_OF)
    assert np.isnan(dso["value"]) and dso["reason"] == "no_sales" and dso["sales"] == 0.0


# --- days beyond terms ---------------------------------------------------------------------------------

def test_dbt_windows_by_hand(c1):
    w = dbt_windows(c1, AS_OF)
    assert [d["months"] for d in w] == [3, 12, 24]
    assert [d["invoices"] for d in w] == [4, 6, 8]
    assert [d["amount"] for d in w] == [5100.0, 9600.0, 12600.0]
    assert w[0]["value"] == pytest.approx(261800 / 5100)      # 51.3333
    assert w[1]["value"] == pytest.approx(683300 / 9600)      # 71.1771
    assert w[2]["value"] == pytest.approx(733300 / 12600)     # 58.1984
    assert all(d["reason"] is None for d in w)
    assert days_beyond_terms(c1, AS_OF, 12) == w[1]


def test_dbt_counts_an_unpaid_invoice_by_its_days_so_far(c1):
    # A02 is due 2025-03-31 and paid only on 2025-04-30: at 2025-04-15 it is 15 days beyond terms
    assert days_beyond_terms(only(c1, "A02"), "2025-04-15", 3)["value"] == pytest.approx(15.0)
    # ... and once paid, its paid-late days: 30
    assert days_beyond_terms(only(c1, "A02"), "2025-05-31", 3)["value"] == pytest.approx(30.0)


def test_dbt_early_payment_is_negative(c1):
    assert days_beyond_terms(only(c1, "A07"), AS_OF, 3)["value"] == pytest.approx(-4.0)


def test_dbt_with_nothing_due_is_nan(c1):
    d = days_beyond_terms(c1, "2025-02-28", 3)
    assert np.isnan(d["value"]) and d["reason"] == "no_invoices_due" and d["invoices"] == 0


# --- oldest open item, paid late -----------------------------------------------------------------------

def test_oldest_open_item(c1, c2):
    o = oldest_open_item(c1, AS_OF)
    assert o["invoice_id"] == "A04" and o["days_past_due"] == 133 and o["open_amount"] == 2000.0
    assert o["due_date"] == T("2026-05-20") and o["invoice_date"] == T("2026-04-20")
    o = oldest_open_item(c2, AS_OF)
    assert o["invoice_id"] == "B01" and o["days_past_due"] == 203 and o["open_amount"] == 5000.0
    o = oldest_open_item(c2, "2026-02-01")
    assert o["invoice_id"] == "B01" and o["days_past_due"] == -38
    assert oldest_open_item(c1, "2024-12-31") is None


def test_oldest_open_item_is_the_earliest_due_not_the_earliest_invoiced(ledger):
    # B02 is invoiced 2026-09-01 (60 days' terms, due 10-31), A09 on 2026-09-15 (due 10-15)
    o = oldest_open_item(only(ledger, "A09", "B02"), AS_OF)
    assert o["invoice_id"] == "A09" and o["days_past_due"] == -15 and o["open_amount"] == 4000.0


def test_paid_late_share_by_hand(c1, c2):
    p = paid_late_share(c1, AS_OF, 24)
    assert (p["paid"], p["late"]) == (4, 2)
    assert p["count_share"] == pytest.approx(0.5)
    assert p["amount_share"] == pytest.approx(3500 / 5300)
    p = paid_late_share(c1, AS_OF, 12)
    assert (p["paid"], p["late"]) == (2, 1)
    assert p["amount_share"] == pytest.approx(1500 / 2300)
    p = paid_late_share(c2, "2026-06-01")
    assert p["paid"] == 0 and np.isnan(p["count_share"]) and np.isnan(p["amount_share"])
    assert p["reason"] == "no_paid_invoices"


def test_paid_on_the_due_date_is_not_late(c1):
    on_due = only(c1, "A01", "A02").assign(paid_date=lambda f: f["due_date"])
    p = paid_late_share(on_due, AS_OF, 24)
    assert (p["paid"], p["late"]) == (2, 0) and p["count_share"] == 0.0 and p["amount_share"] == 0.0
    one_day = on_due.assign(paid_date=lambda f: f["due_date"] + pd.Timedelta(days=1))
    assert paid_late_share(one_day, AS_OF, 24)["late"] == 2


# --- monthly trend -------------------------------------------------------------------------------------

def test_monthly_trend_dates_and_last_row_equal_aging(c1):
    trend = monthly_trend(c1, AS_OF, 24)
    assert len(trend) == 24
    assert trend["date"].iloc[0] == T("2024-10-31") and trend["date"].iloc[-1] == AS_OF
    assert all(d.is_month_end for d in trend["date"])
    assert trend["date"].is_monotonic_increasing
    last = trend.iloc[-1]
    for bucket, amount in by_bucket(aging(c1, AS_OF)).items():
        assert last[bucket] == pytest.approx(amount)
    assert last["open"] == pytest.approx(10300.0) and last["overdue"] == pytest.approx(6300.0)
    assert last["dbt_3m"] == pytest.approx(261800 / 5100)


def test_monthly_trend_buckets_sum_to_open(c1, ledger):
    for frame in (c1, ledger):
        trend = monthly_trend(frame, AS_OF, 24)
        assert np.allclose(trend[BUCKETS].sum(axis=1), trend["open"])
        assert np.allclose(trend["open"] - trend["not_due"], trend["overdue"])


@pytest.mark.parametrize("date, row", [
    ("2024-10-31", {"not_due": 1000, "1_30": 0, "31_60": 0, "61_90": 0, "over_90": 0, "open": 1000, "overdue": 0,
                    "dbt_3m": np.nan}),
    ("2026-06-30", {"not_due": 2500, "1_30": 0, "31_60": 3000, "61_90": 0, "over_90": 0, "open": 5500,
                    "overdue": 3000, "dbt_3m": 41.0}),
    ("2026-07-31", {"not_due": 1200, "1_30": 2500, "31_60": 0, "61_90": 2000, "over_90": 0, "open": 5700,
                    "overdue": 4500, "dbt_3m": 268500 / 5500}),
])
def test_monthly_trend_rows_by_hand(c1, date, row):
    trend = monthly_trend(c1, AS_OF, 24).set_index("date")
    got = trend.loc[T(date)]
    for k, v in row.items():
        if np.isnan(v):
            assert np.isnan(got[k]), k
        else:
            assert got[k] == pytest.approx(v), k


def test_monthly_trend_with_as_of_mid_month(c1):
    trend = monthly_trend(c1, "2026-09-15", 3)
    assert list(trend["date"]) == [T("2026-07-31"), T("2026-08-31"), T("2026-09-15")]
    # at 09-15: A09 (4000) invoiced that day, A08 not due, A07 paid, A06 32 days, A05 67, A04 118
    last = trend.iloc[-1]
    assert (last["not_due"], last["31_60"], last["61_90"], last["over_90"]) == (4600.0, 1200.0, 2500.0, 2000.0)


# --- payment index -------------------------------------------------------------------------------------

ANCHORS = [(-30, 100), (-20, 90), (0, 80), (15, 70), (22, 60), (30, 50), (60, 40), (90, 30), (120, 20)]


def test_anchor_table_is_the_published_scale():
    assert [tuple(map(float, a)) for a in ANCHORS] == list(PAYMENT_INDEX_ANCHORS)


@pytest.mark.parametrize("days, points", ANCHORS + [(-31, 100), (-100, 100), (-1000, 100)])
def test_payment_index_points_at_anchors(days, points):
    assert payment_index_points([days])[0] == pytest.approx(points)


@pytest.mark.parametrize("days, points", [(-25, 95), (-10, 85), (7.5, 75), (18.5, 65), (26, 55), (45, 45),
                                          (75, 35), (105, 25)])
def test_payment_index_points_linear_between_anchors(days, points):
    assert payment_index_points([days])[0] == pytest.approx(points)


@pytest.mark.parametrize("days, points", [(121, 20 - 1 / 3), (150, 10), (171, 3), (177, 1), (178, 1),
                                          (200, 1), (10_000, 1)])
def test_payment_index_points_beyond_120_fall_10_per_30_days_to_at_least_1(days, points):
    assert payment_index_points([days])[0] == pytest.approx(points)


def test_payment_index_points_vector_keeps_order():
    assert payment_index_points([0, 30, -30]).tolist() == pytest.approx([80, 50, 100])


@settings(max_examples=300, deadline=None)
@given(st.floats(-1e4, 1e4, allow_nan=False), st.floats(-1e4, 1e4, allow_nan=False))
def test_payment_index_points_monotone_non_increasing_between_1_and_100(a, b):
    lo, hi = sorted((a, b))
    p_lo, p_hi = payment_index_points([lo, hi])
    assert p_lo >= p_hi
    assert 1.0 <= p_hi <= p_lo <= 100.0


def test_payment_index_by_hand(c1):
    p = payment_index(c1, AS_OF, 24, 3)
    assert p["experiences"] == 8 and p["amount"] == 12600.0 and p["months"] == 24 and p["reason"] is None
    assert p["value"] == pytest.approx(583066.6666667 / 12600)   # 46.2751
    assert p["value"] == pytest.approx(46.2751, abs=1e-4)
    assert p["weighted_days"] == pytest.approx(733300 / 12600)


def test_payment_index_points_of_each_experience(c1):
    days = [-10, 30, 15, 133, 82, 47, -4, 6]   # A01..A08
    assert payment_index_points(days).tolist() == pytest.approx([85, 50, 70, 20 - 13 / 3, 40 - 22 / 3,
                                                                50 - 17 / 3, 82, 76])


def test_payment_index_is_amount_weighted_and_leaves_out_items_not_due(c1):
    p = payment_index(c1, AS_OF, 3, 3)   # A06, A07, A08; A09 is open and not due
    assert p["experiences"] == 3 and p["amount"] == 2600.0
    assert p["value"] == pytest.approx(164400 / 2600)            # 63.2308
    unweighted = (50 - 17 / 3 + 82 + 76) / 3
    assert abs(p["value"] - unweighted) > 4
    assert p["weighted_days"] == pytest.approx((1200 * 47 - 800 * 4 + 600 * 6) / 2600)


def test_payment_index_unavailable_with_too_few_experiences(c1):
    p = payment_index(c1, AS_OF, 3, 4)
    assert np.isnan(p["value"]) and np.isnan(p["weighted_days"])
    assert p["reason"] == "too_few_experiences" and p["experiences"] == 3


def test_payment_index_counts_a_payment_made_after_as_of_as_open(c1):
    # at 2025-04-15 A02 (due 03-31) is unpaid: one experience of 15 days beyond terms → 70 points,
    # A01 paid 10 days early → 85 points; (1000×85 + 2000×70)/3000 = 75
    p = payment_index(only(c1, "A01", "A02"), "2025-04-15", 24, 2)
    assert p["value"] == pytest.approx((1000 * 85 + 2000 * 70) / 3000)


# --- exposure ------------------------------------------------------------------------------------------

def test_exposure_by_hand(c1):
    e = exposure(c1, AS_OF, 12000.0)
    assert e["open_invoices"] == 10300.0 and e["exposure"] == 10300.0 and e["reason"] is None
    assert e["utilization"] == pytest.approx(10300 / 12000) and e["headroom"] == pytest.approx(1700.0)
    e = exposure(c1, AS_OF, 12000.0, open_orders=500.0)
    assert e["exposure"] == 10800.0 and e["utilization"] == pytest.approx(0.9) and e["headroom"] == pytest.approx(1200)
    e = exposure(c1, AS_OF, 8000.0)
    assert e["utilization"] == pytest.approx(1.2875) and e["headroom"] == pytest.approx(-2300.0)


@pytest.mark.parametrize("limit", [None, 0.0, -5.0, float("nan"), float("inf")])
def test_exposure_without_a_limit_is_nan_never_inf(c1, limit):
    e = exposure(c1, AS_OF, limit)
    assert np.isnan(e["utilization"]) and np.isnan(e["headroom"]) and e["reason"] == "no_limit"
    assert e["exposure"] == 10300.0


# --- large transactions --------------------------------------------------------------------------------

def ids(frame):
    return list(frame["invoice_id"])


def test_large_amount_rule_in_base_currency(c1):
    lt = large_transactions(c1, AS_OF, amount_threshold=3000.0)
    assert ids(lt) == ["A09"] and lt["rules"].tolist() == [["amount"]]      # A04 = 3000 is not above
    lt = large_transactions(c1, AS_OF, amount_threshold=1250.0, base_factor=0.5)
    assert ids(lt) == ["A09", "A04"]                                         # A05: 2500 × 0.5 = 1250, not above
    assert ids(large_transactions(c1, AS_OF, amount_threshold=5000.0)) == []


def test_large_limit_share_rule(c1):
    lt = large_transactions(c1, AS_OF, limit=12000.0, limit_share=0.25)     # above 3000
    assert ids(lt) == ["A09"] and lt["rules"].tolist() == [["limit_share"]]
    assert ids(large_transactions(c1, AS_OF, limit=20000.0, limit_share=0.25)) == []
    # without a limit the test is off
    assert ids(large_transactions(c1, AS_OF, limit=None, limit_share=0.25)) == []
    assert ids(large_transactions(c1, AS_OF, limit=0.0, limit_share=0.25)) == []


def test_large_median_rule(c1):
    lt = large_transactions(c1, AS_OF, median_multiple=1.5)                 # median 1500 → above 2250
    assert ids(lt) == ["A09", "A05", "A04"]
    assert all(r == ["median"] for r in lt["rules"])
    assert ids(large_transactions(c1, AS_OF, median_multiple=2.0)) == ["A09"]   # A04 = 3000 not above
    assert ids(large_transactions(c1, AS_OF, median_multiple=3.0)) == []


def test_large_median_is_the_median_of_the_window(c1):
    # 3 months: A06 1200, A07 800, A08 600, A09 4000 → median 1000, above 1500: A09 only
    assert ids(large_transactions(c1, AS_OF, months=3, median_multiple=1.5)) == ["A09"]
    assert ids(large_transactions(c1, AS_OF, months=3, amount_threshold=900.0)) == ["A09", "A06"]


def test_large_rules_listed_per_invoice(c1):
    lt = large_transactions(c1, AS_OF, amount_threshold=3000.0, limit=12000.0, limit_share=0.25,
                            median_multiple=1.5)
    assert dict(zip(lt["invoice_id"], lt["rules"])) == {"A09": ["amount", "limit_share", "median"],
                                                        "A05": ["median"], "A04": ["median"]}


def test_large_status_and_days(c1):
    lt = large_transactions(c1, AS_OF, amount_threshold=900.0)
    assert ids(lt) == ["A09", "A06", "A05", "A04", "A03", "A02", "A01"]     # newest first
    status = dict(zip(lt["invoice_id"], lt["status"]))
    assert status == {"A09": "open_not_due", "A06": "open_overdue", "A05": "open_overdue", "A04": "open_overdue",
                      "A03": "paid_late", "A02": "paid_late", "A01": "paid_on_time"}
    days = dict(zip(lt["invoice_id"], lt["days_beyond_terms"]))
    assert days == {"A09": -15, "A06": 47, "A05": 82, "A04": 133, "A03": 15, "A02": 30, "A01": -10}
    assert lt["terms_days"].tolist() == [30] * 7
    assert set(lt["amount"]) == {4000.0, 1200.0, 2500.0, 3000.0, 1500.0, 2000.0, 1000.0}


def test_large_paid_on_the_due_date_is_on_time():
    frame = pd.DataFrame({"invoice_id": ["Z"], "customer_id": ["C"], "invoice_date": [T("2026-08-01")],
                          "due_date": [T("2026-08-31")], "currency": ["EUR"], "amount": [100.0],
                          "paid_amount": [100.0], "paid_date": [T("2026-08-31")]})
    lt = large_transactions(frame, AS_OF, amount_threshold=50.0)
    assert lt["status"].tolist() == ["paid_on_time"] and lt["days_beyond_terms"].tolist() == [0]


def test_large_without_any_test_is_empty_with_columns(c1):
    lt = large_transactions(c1, AS_OF)
    assert lt.empty and "status" in lt.columns and "rules" in lt.columns


# --- contacts ------------------------------------------------------------------------------------------

def contacts_frame() -> pd.DataFrame:
    rows = [
        ("K1", "C1", "2025-08-15", "visit", "Li", "visit last year", pd.NA, None),
        ("K2", "C1", "2026-03-10", "meeting", "Li", "meeting at HQ", pd.NA, None),
        ("K3", "C1", "2026-05-05", "call", "Li", "call", pd.NA, None),
        ("K4", "C1", "2026-07-20", "email", "Wang", "email", pd.NA, None),
        ("K5", "C1", "2025-06-01", "call", "Li", "old call", pd.NA, None),
        ("K6", "C1", "2026-02-01", "complaint", "Li", "late delivery", True, "2026-02-21"),
        ("K7", "C1", "2026-06-15", "dispute", "Li", "price dispute", False, None),
        ("K8", "C1", "2026-09-01", "complaint", "Wang", "quality", pd.NA, None),
        ("K9", "C1", "2026-04-01", "feedback", "Li", "happy with service", pd.NA, None),
        ("K10", "C1", "2026-08-01", "feedback", "Wang", "wants longer terms", pd.NA, None),
        ("K11", "C1", "2026-10-10", "visit", "Zhao", "visit after as_of", pd.NA, None),
        ("K20", "C2", "2026-05-01", "call", "Chen", "call", pd.NA, None),
    ]
    frame = pd.DataFrame(rows, columns=["contact_id", "customer_id", "date", "kind", "account_manager", "summary",
                                        "resolved", "resolved_date"])
    frame["date"] = pd.to_datetime(frame["date"])
    frame["resolved_date"] = pd.to_datetime(frame["resolved_date"])
    frame["resolved"] = frame["resolved"].astype("boolean")
    return frame


@pytest.fixture
def contacts():
    return contacts_frame()


def test_contact_counts_in_12_months(contacts):
    s = contact_summary(contacts[contacts["customer_id"] == "C1"], AS_OF, min_calls=3)
    assert s["visits_12m"] == 1 and s["calls_12m"] == 2
    assert s["last_visit"] == T("2026-03-10") and s["days_since_visit"] == 204
    assert s["calls_short"] is True
    assert s["feedback_12m"] == 2 and [f["summary"] for f in s["feedback"]] == ["wants longer terms",
                                                                               "happy with service"]
    assert s["last_contact_by"] == "Wang"   # K8 of 2026-09-01; K11 is after as_of
    assert contact_summary(contacts[contacts["customer_id"] == "C1"], AS_OF, min_calls=2)["calls_short"] is False


def test_contact_issue_ages(contacts):
    s = contact_summary(contacts[contacts["customer_id"] == "C1"], AS_OF)
    issues = {i["contact_id"]: i for i in s["issues"]}
    assert [i["contact_id"] for i in s["issues"]] == ["K8", "K7", "K6"]   # newest first
    assert issues["K6"]["resolved"] is True and issues["K6"]["age_days"] == 20
    assert issues["K6"]["resolved_date"] == T("2026-02-21")
    assert issues["K7"]["resolved"] is False and issues["K7"]["age_days"] == 107
    assert issues["K8"]["resolved"] is False and issues["K8"]["age_days"] == 29   # resolved unknown → open
    assert s["open_issues"] == 2


@pytest.mark.parametrize("kw, needs, reason", [
    ({"visit_months": 6}, True, "visit_too_long_ago"),
    ({"visit_months": 12, "min_visits": 2}, True, "too_few_visits"),
    ({"visit_months": 12, "min_visits": 1}, False, None),
    ({}, False, None),
])
def test_needs_visit_reasons(contacts, kw, needs, reason):
    s = contact_summary(contacts[contacts["customer_id"] == "C1"], AS_OF, **kw)
    assert s["needs_visit"] is needs and s["visit_due_reason"] == reason


def test_no_visit_ever(contacts):
    s = contact_summary(contacts[contacts["customer_id"] == "C2"], AS_OF, visit_months=12, min_visits=1)
    assert s["needs_visit"] is True and s["visit_due_reason"] == "no_visit_ever"
    assert s["last_visit"] is None and s["days_since_visit"] is None and s["calls_12m"] == 1


def test_issue_resolved_after_as_of_is_open_at_as_of(contacts):
    c = contacts[contacts["contact_id"] == "K7"].copy()
    c["resolved"] = pd.array([True], dtype="boolean")
    c["resolved_date"] = T("2026-10-20")
    s = contact_summary(c, AS_OF)
    assert s["open_issues"] == 1
    assert s["issues"][0]["resolved"] is False and s["issues"][0]["age_days"] == 107
