"""helpers.analysis.ecl: the provision matrix on a tiny hand-worked history (worked out in
tests/data/monitoring/expected.md, section "Provision matrix")."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.analysis.ecl import observations, provision_matrix
from helpers.analysis.monitoring import aging, open_amount_at

AS_OF = pd.Timestamp("2026-09-30")
T = pd.Timestamp
BUCKETS = ["not_due", "1_30", "31_60", "61_90", "over_90"]
LEDGER = Path(__file__).parent / "data" / "monitoring" / "ledger.csv"

#            id    cust  invoice       due           amount  paid   paid_date
HISTORY = [("E1", "X", "2026-03-01", "2026-03-31", 1000.0, 1000.0, "2026-04-20"),
           ("E2", "X", "2026-02-15", "2026-03-17", 2000.0, 500.0, "2026-05-10"),
           ("E3", "Y", "2026-04-10", "2026-05-10", 3000.0, 3000.0, "2026-06-20"),
           ("E4", "Y", "2026-05-20", "2026-06-19", 1000.0, 0.0, None),
           ("E5", "X", "2026-07-01", "2026-07-31", 4000.0, 0.0, None),       # default date 10-29: censored
           ("E6", "Y", "2025-12-01", "2025-12-31", 500.0, 500.0, "2026-01-15"),
           ("E7", "X", "2026-08-15", "2026-09-14", 800.0, 0.0, None),        # censored
           ("E8", "Y", "2026-06-03", "2026-07-03", 600.0, 0.0, None)]        # default date 10-01: censored

# (invoice, month end, bucket, open, defaulted) — expected.md, table "Observations"
OBSERVATIONS = {("E1", "2026-03-31", "not_due", 1000.0, 0.0),
                ("E2", "2026-03-31", "1_30", 2000.0, 1500.0),
                ("E2", "2026-04-30", "31_60", 2000.0, 1500.0),
                ("E2", "2026-05-31", "61_90", 1500.0, 1500.0),
                ("E2", "2026-06-30", "over_90", 1500.0, 1500.0),
                ("E2", "2026-07-31", "over_90", 1500.0, 1500.0),
                ("E2", "2026-08-31", "over_90", 1500.0, 1500.0),
                ("E3", "2026-04-30", "not_due", 3000.0, 0.0),
                ("E3", "2026-05-31", "1_30", 3000.0, 0.0),
                ("E4", "2026-05-31", "not_due", 1000.0, 1000.0),
                ("E4", "2026-06-30", "1_30", 1000.0, 1000.0),
                ("E4", "2026-07-31", "31_60", 1000.0, 1000.0),
                ("E4", "2026-08-31", "61_90", 1000.0, 1000.0)}


def history(rows=HISTORY) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["invoice_id", "customer_id", "invoice_date", "due_date", "amount",
                                        "paid_amount", "paid_date"])
    for c in ("invoice_date", "due_date", "paid_date"):
        frame[c] = pd.to_datetime(frame[c])
    frame["currency"] = "EUR"
    return frame


def as_set(obs: pd.DataFrame) -> set:
    return {(r.invoice_id, f"{r.date:%Y-%m-%d}", r.bucket, float(r.open), float(r.defaulted))
            for r in obs.itertuples()}


def rows(matrix: pd.DataFrame, group: str = "all") -> pd.DataFrame:
    return matrix[matrix["group"] == group].set_index("bucket")


def test_observations_by_hand():
    obs = observations(history(), AS_OF, history_months=6, default_days=90)
    assert len(obs) == 13
    assert as_set(obs) == OBSERVATIONS
    assert set(obs["customer_id"]) == {"X", "Y"}


def test_unknown_outcomes_are_censored():
    obs = observations(history(), AS_OF, history_months=6, default_days=90)
    assert not set(obs["invoice_id"]) & {"E5", "E7", "E8"}
    # E8 due one day earlier: its default date 2026-09-30 is as_of, so its outcome is known
    moved = [r if r[0] != "E8" else (*r[:3], "2026-07-02", *r[4:]) for r in HISTORY]
    obs = observations(history(moved), AS_OF, history_months=6, default_days=90)
    e8 = as_set(obs[obs["invoice_id"] == "E8"])
    assert e8 == {("E8", "2026-06-30", "not_due", 600.0, 600.0), ("E8", "2026-07-31", "1_30", 600.0, 600.0),
                  ("E8", "2026-08-31", "31_60", 600.0, 600.0)}


def test_observations_only_at_month_ends_before_as_of():
    obs = observations(history(), AS_OF, history_months=6, default_days=90)
    assert sorted(set(obs["date"])) == [T(d) for d in ("2026-03-31", "2026-04-30", "2026-05-31", "2026-06-30",
                                                         "2026-07-31", "2026-08-31")]


def test_pooled_matrix_by_hand():
    m = rows(provision_matrix(history(), AS_OF, lgd=0.45, history_months=6, default_days=90))
    assert list(m.index) == BUCKETS
    assert m["observations"].tolist() == [3, 3, 2, 2, 3]
    assert m["observed_amount"].tolist() == [5000.0, 6000.0, 3000.0, 2500.0, 4500.0]
    assert m["defaulted_amount"].tolist() == [1000.0, 2500.0, 2500.0, 2500.0, 4500.0]
    assert m["default_rate"].tolist() == pytest.approx([0.2, 2500 / 6000, 2500 / 3000, 1.0, 1.0])
    assert m["source"].tolist() == ["observed", "observed", "observed", "observed", "in_default"]
    assert (m["lgd"] == 0.45).all()
    assert m["loss_rate"].tolist() == pytest.approx([0.09, 0.1875, 0.375, 0.45, 0.45])
    assert np.allclose(m["loss_rate"], m["default_rate"] * 0.45)


def test_buckets_at_or_beyond_default_days_are_in_default_with_rate_one():
    # at default_days 60 the 61_90 bucket (lower bound 61) is in default too, 31_60 (lower bound 31) is not
    m = rows(provision_matrix(history(), AS_OF, lgd=0.5, history_months=6, default_days=60))
    assert m.at["61_90", "source"] == "in_default" and m.at["61_90", "default_rate"] == 1.0
    assert m.at["over_90", "source"] == "in_default" and m.at["over_90", "loss_rate"] == 0.5
    assert m.at["31_60", "source"] == "observed"
    # with E1 alone nothing was ever observed past due: the in-default buckets still have rate 1,
    # the others stay unknown
    m = rows(provision_matrix(history(HISTORY[:1]), AS_OF, lgd=0.5, history_months=6, default_days=60))
    assert m.at["61_90", "observations"] == 0 and m.at["61_90", "default_rate"] == 1.0
    assert m.at["31_60", "source"] == "none" and np.isnan(m.at["31_60", "default_rate"])


def test_longer_history_adds_older_month_ends():
    m = rows(provision_matrix(history(), AS_OF, lgd=0.45, history_months=12, default_days=90))
    # + E6 at 2025-12-31 (500, D 0) and E2 at 2026-02-28 (2000, D 1500)
    assert m.at["not_due", "observations"] == 5
    assert m.at["not_due", "observed_amount"] == 7500.0 and m.at["not_due", "defaulted_amount"] == 2500.0
    assert m.at["not_due", "default_rate"] == pytest.approx(1 / 3)


def test_group_matrices_borrow_the_pooled_rate_under_min_observations():
    groups = pd.Series({"X": "domestic", "Y": "foreign"})
    out = provision_matrix(history(), AS_OF, lgd=0.45, history_months=6, default_days=90, min_observations=2,
                           groups=groups)
    assert list(out["group"].unique()) == ["all", "domestic", "foreign"]
    pooled = [0.2, 2500 / 6000, 2500 / 3000, 1.0, 1.0]
    dom, fgn = rows(out, "domestic"), rows(out, "foreign")
    assert dom["observations"].tolist() == [1, 1, 1, 1, 3]
    assert dom["source"].tolist() == ["pooled", "pooled", "pooled", "pooled", "in_default"]
    assert dom["default_rate"].tolist() == pytest.approx(pooled)
    assert fgn["observations"].tolist() == [2, 2, 1, 1, 0]
    assert fgn["source"].tolist() == ["observed", "observed", "pooled", "pooled", "in_default"]
    assert fgn["default_rate"].tolist() == pytest.approx([0.25, 0.25, 2500 / 3000, 1.0, 1.0])
    assert fgn["loss_rate"].tolist() == pytest.approx([0.1125, 0.1125, 0.375, 0.45, 0.45])


def test_group_matrices_with_their_own_rates():
    groups = pd.Series({"X": "domestic", "Y": "foreign"})
    out = provision_matrix(history(), AS_OF, lgd=0.45, history_months=6, default_days=90, min_observations=1,
                           groups=groups)
    dom, fgn = rows(out, "domestic"), rows(out, "foreign")
    assert dom["default_rate"].tolist() == pytest.approx([0.0, 0.75, 0.75, 1.0, 1.0])
    assert fgn["default_rate"].tolist()[:4] == pytest.approx([0.25, 0.25, 1.0, 1.0])
    assert dom["source"].tolist()[:4] == ["observed"] * 4
    # a group without any observation in the in-default bucket still gets rate 1
    assert fgn.at["over_90", "observations"] == 0 and fgn.at["over_90", "default_rate"] == 1.0
    # the pooled rows add up the groups
    pooled = rows(out)
    assert np.allclose(pooled["observed_amount"], dom["observed_amount"] + fgn["observed_amount"])
    assert np.allclose(pooled["defaulted_amount"], dom["defaulted_amount"] + fgn["defaulted_amount"])


def test_buckets_without_any_observation_stay_nan_never_zero():
    m = rows(provision_matrix(history(HISTORY[:1]), AS_OF, lgd=0.45, history_months=6, default_days=90))
    assert m.at["not_due", "source"] == "observed" and m.at["not_due", "default_rate"] == 0.0
    for b in ("1_30", "31_60", "61_90"):
        assert m.at[b, "source"] == "none" and np.isnan(m.at[b, "default_rate"]) and np.isnan(m.at[b, "loss_rate"])
    assert m.at["over_90", "source"] == "in_default" and m.at["over_90", "default_rate"] == 1.0


def test_no_known_outcome_gives_an_empty_observation_table():
    obs = observations(history(HISTORY[4:5]), AS_OF, history_months=6, default_days=90)   # E5 only: censored
    assert obs.empty and list(obs.columns) == ["customer_id", "invoice_id", "date", "bucket", "open", "defaulted"]


def test_aging_over_customers_reconciles_with_the_ledger_open_amount():
    ledger = pd.read_csv(LEDGER, parse_dates=["invoice_date", "due_date", "paid_date"],
                         dtype={"amount": float, "paid_amount": float})
    per_customer = sum(aging(g, AS_OF)["amount"].sum() for _, g in ledger.groupby("customer_id"))
    assert per_customer == pytest.approx(float(open_amount_at(ledger, AS_OF).sum()))
    assert per_customer == pytest.approx(18300.0)   # 10300 (C1) + 8000 (C2), by hand
    # and bucket by bucket the whole-ledger aging is the sum of the customers'
    whole = aging(ledger, AS_OF).set_index("bucket")["amount"]
    parts = sum(aging(g, AS_OF).set_index("bucket")["amount"] for _, g in ledger.groupby("customer_id"))
    assert np.allclose(whole, parts)
    assert whole.to_dict() == {"not_due": 7000.0, "1_30": 600.0, "31_60": 1200.0, "61_90": 2500.0,
                               "over_90": 7000.0}


def test_defaulted_amount_never_exceeds_the_open_amount_after_a_late_part_payment():
    # E9: due 2026-02-04, default date 2026-05-05 with 1000 open; 400 paid only on 2026-05-20
    e9 = [("E9", "Y", "2026-01-05", "2026-02-04", 1000.0, 400.0, "2026-05-20")]
    obs = observations(history(e9), AS_OF, history_months=6, default_days=90)
    assert as_set(obs) == {("E9", "2026-03-31", "31_60", 1000.0, 1000.0),
                           ("E9", "2026-04-30", "61_90", 1000.0, 1000.0),
                           ("E9", "2026-05-31", "over_90", 600.0, 600.0),
                           ("E9", "2026-06-30", "over_90", 600.0, 600.0),
                           ("E9", "2026-07-31", "over_90", 600.0, 600.0),
                           ("E9", "2026-08-31", "over_90", 600.0, 600.0)}


@pytest.mark.parametrize("default_days, in_default", [(60, True), (61, True), (62, False)])
def test_in_default_is_decided_by_the_bucket_lower_bound(default_days, in_default):
    # 61_90 holds 61–90 days past due: in default when default_days ≤ 61
    m = rows(provision_matrix(history(HISTORY[:1]), AS_OF, lgd=0.5, history_months=6, default_days=default_days))
    assert (m.at["61_90", "source"] == "in_default") is in_default
    assert m.at["over_90", "source"] == "in_default" and m.at["over_90", "default_rate"] == 1.0
    if in_default:
        assert m.at["61_90", "default_rate"] == 1.0 and m.at["61_90", "loss_rate"] == 0.5
    else:
        assert np.isnan(m.at["61_90", "default_rate"])
