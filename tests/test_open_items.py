"""helpers.analysis.open_items.OpenItems on a hand-built ledger, and its agreement with the monitoring
module's convention (helpers.analysis.monitoring.open_amount_at).

The hand-built ledger (amounts in one currency), D = 2026-09-30:

=====  ==========  ==========  ======  ====  ==========  ============================================
id     issued      due         amount  paid  paid on     at D
=====  ==========  ==========  ======  ====  ==========  ============================================
I1     2026-07-01  2026-07-31  1000    400   2026-09-10  partial payment counted: open 600, 61 days late
I2     2026-08-01  2026-08-31   500    500   2026-10-05  paid after D, not counted: open 500, 30 days late
I3     2026-09-15  2026-10-15   300      0   NaT         unpaid, not due: open 300
I4     2026-10-02  2026-11-01   700      0   NaT         issued after D: not open
I5     2026-06-01  2026-07-01   200    200   2026-09-30  paid in full on D itself: settled, not open
I6     2026-08-31  2026-09-30   150      0   NaT         due on D: open 150, not overdue (D > due needed)
=====  ==========  ==========  ======  ====  ==========  ============================================

Days late at D: I1 = Sep 30 − Jul 31 = 31 (Aug) + 30 (Sep) = 61; I2 = Sep 30 − Aug 31 = 30.
(The figures are small and each row is explained here, next to the code that checks it; this file may
only add tests, so the ledger is built in the test rather than in tests/data.)
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from helpers.analysis.monitoring import open_amount_at
from helpers.analysis.open_items import OpenItems, OpenPosition

T = pd.Timestamp
NaT = pd.NaT
D = T("2026-09-30")


def ledger(rows) -> pd.DataFrame:
    """A validated-looking invoices frame from (id, issued, due, amount, paid, paid_on) tuples."""
    frame = pd.DataFrame(
        [{"invoice_id": i, "customer_id": "C1", "invoice_date": T(a), "due_date": T(b), "currency": "CNY",
          "amount": float(amt), "paid_amount": float(paid), "paid_date": T(p) if p else NaT}
         for i, a, b, amt, paid, p in rows])
    for col in ("invoice_date", "due_date", "paid_date"):
        frame[col] = pd.to_datetime(frame[col])
    return frame


ROWS = [
    ("I1", "2026-07-01", "2026-07-31", 1000, 400, "2026-09-10"),
    ("I2", "2026-08-01", "2026-08-31", 500, 500, "2026-10-05"),
    ("I3", "2026-09-15", "2026-10-15", 300, 0, None),
    ("I4", "2026-10-02", "2026-11-01", 700, 0, None),
    ("I5", "2026-06-01", "2026-07-01", 200, 200, "2026-09-30"),
    ("I6", "2026-08-31", "2026-09-30", 150, 0, None),
]


@pytest.fixture
def items() -> OpenItems:
    return OpenItems(ledger(ROWS))


def test_position_at_the_date(items):
    # open: I1 600 (1000 − 400 paid on 09-10) + I2 500 (paid 10-05, after D) + I3 300 + I6 150 = 1550;
    # overdue (D > due): I1 600 + I2 500 = 1100; I6 is due on D itself; oldest: I1, 61 days.
    assert items.at(D) == OpenPosition(open_amount=1550.0, overdue_amount=1100.0, oldest_overdue_days=61,
                                       open_count=4)


def test_date_forms_agree(items):
    # a date, a Timestamp with a time of day and an ISO string all mean the day
    expected = items.at(D)
    assert items.at(dt.date(2026, 9, 30)) == expected
    assert items.at("2026-09-30") == expected
    assert items.at(T("2026-09-30 17:45")) == expected


def test_position_later_counts_new_invoices_and_payments(items):
    # at 2026-10-05: I2 is paid in full that day (gone); I4 (issued 10-02) is open 700;
    # open: I1 600 + I3 300 + I4 700 + I6 150 = 1750; overdue: I1 600 (Oct 5 − Jul 31 = 66 days) + I6 150 (5 days)
    pos = items.at("2026-10-05")
    assert pos == OpenPosition(open_amount=1750.0, overdue_amount=750.0, oldest_overdue_days=66, open_count=4)


def test_position_the_day_before_a_payment(items):
    # at 2026-09-09, I1's partial payment (09-10) is not yet made: I1 open in full, 1000, 40 days late;
    # I5 (paid 09-30) open 200, Sep 9 − Jul 1 = 31 + 31 + 8 = 70 days late; I2 500 (9 days); I3 (issued 09-15)
    # not yet; I6 150, not due.  open = 1000 + 500 + 200 + 150 = 1850; overdue = 1700; oldest 70.
    assert items.at("2026-09-09") == OpenPosition(open_amount=1850.0, overdue_amount=1700.0, oldest_overdue_days=70,
                                                 open_count=4)


def test_nothing_open_before_the_first_invoice(items):
    assert items.at("2026-05-31") == OpenPosition(open_amount=0.0, overdue_amount=0.0, oldest_overdue_days=0,
                                                 open_count=0)


def test_open_but_not_overdue_has_zero_oldest_days(items):
    # 2026-06-15: only I5 (issued 06-01, due 07-01) is open, not due yet
    assert items.at("2026-06-15") == OpenPosition(open_amount=200.0, overdue_amount=0.0, oldest_overdue_days=0,
                                                 open_count=1)


@pytest.mark.parametrize("days, expected", [
    (0, 1100.0),    # I1 (61) and I2 (30) are more than 0 days late; I6 (0 days, due on D) is not
    (29, 1100.0),
    (30, 600.0),    # I2 is exactly 30 days late: not *more* than 30
    (60, 600.0),
    (61, 0.0),      # I1 is exactly 61 days late
])
def test_overdue_beyond(items, days, expected):
    assert items.overdue_beyond(D, days) == expected


def test_overdue_beyond_ignores_settled_and_future_invoices(items):
    # on 2026-10-05: I2 (would be 35 days late) is paid that day; I5 paid 09-30; I4 not due.
    # beyond 4 days: I1 600 (66 days) + I6 150 (5 days) = 750; beyond 5: I1 only.
    assert items.overdue_beyond("2026-10-05", 4) == 750.0
    assert items.overdue_beyond("2026-10-05", 5) == 600.0


def test_overpayment_is_not_negative_open():
    # paid more than the amount: open is clipped at 0, not −50, and the invoice is not counted as open
    items = OpenItems(ledger([("A", "2026-09-01", "2026-09-10", 100, 150, "2026-09-05"),
                              ("B", "2026-09-01", "2026-09-10", 80, 0, None)]))
    assert items.at(D) == OpenPosition(open_amount=80.0, overdue_amount=80.0, oldest_overdue_days=20, open_count=1)


def test_len_and_median(items):
    assert len(items) == 6
    # amounts 150, 200, 300, 500, 700, 1000: median (300 + 500) / 2
    assert items.median_amount == 400.0
    empty = OpenItems(ledger(ROWS).iloc[0:0])
    assert len(empty) == 0 and np.isnan(empty.median_amount)
    assert empty.at(D) == OpenPosition(0.0, 0.0, 0, 0)


# ------------------------------------------------------------------------------------ property
BASE = dt.date(2026, 1, 1)


@st.composite
def ledgers(draw):
    n = draw(st.integers(0, 12))
    rows = []
    for i in range(n):
        issued = BASE + dt.timedelta(days=draw(st.integers(0, 300)))
        due = issued + dt.timedelta(days=draw(st.integers(0, 120)))
        amount = draw(st.floats(0.01, 1e7, allow_nan=False, allow_infinity=False))
        kind = draw(st.sampled_from(["unpaid", "partial", "full"]))
        if kind == "unpaid":
            paid, paid_on = 0.0, None
        else:
            paid = amount if kind == "full" else draw(st.floats(0.0, amount))
            paid_on = issued + dt.timedelta(days=draw(st.integers(0, 200)))
        rows.append((f"I{i}", issued.isoformat(), due.isoformat(), amount, paid, paid_on and paid_on.isoformat()))
    return ledger(rows) if rows else ledger(ROWS).iloc[0:0]


@settings(max_examples=200, deadline=None)
@given(df=ledgers(), offset=st.integers(-10, 550))
def test_open_amount_agrees_with_monitoring(df, offset):
    date = BASE + dt.timedelta(days=offset)
    items = OpenItems(df)
    pos = items.at(date)
    expected = open_amount_at(df, date)
    assert pos.open_amount == pytest.approx(float(expected.sum()), rel=1e-12, abs=1e-6)
    # the same invoices are open, and overdue ones are a part of them
    assert pos.open_count == int((expected > 0).sum())
    due_before = (df["due_date"] < pd.Timestamp(date)).to_numpy()
    assert pos.overdue_amount == pytest.approx(float(expected[due_before].sum()), rel=1e-12, abs=1e-6)
    assert pos.overdue_amount <= pos.open_amount + 1e-6
    late = (pd.Timestamp(date) - df["due_date"]).dt.days[(expected > 0).to_numpy() & due_before]
    assert pos.oldest_overdue_days == (int(late.max()) if len(late) else 0)
    assert items.overdue_beyond(date, 0) == pytest.approx(pos.overdue_amount, rel=1e-12, abs=1e-6)
