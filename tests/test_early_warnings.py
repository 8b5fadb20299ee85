"""helpers.decisions.monitoring: early-warning rules (each fired and just not fired), the review
schedule and a customer's expected credit loss (hand-worked in tests/data/monitoring/expected.md)."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from helpers.config.policy import WARNING_RULES, MonitoringSettings, WarningRule
from helpers.decisions.monitoring import SEVERITY_ORDER, customer_ecl, early_warnings, review_schedule

AS_OF = pd.Timestamp("2026-09-30")
T = pd.Timestamp

# the sample policy's monitoring.warnings (data/sample/policy.yaml)
RULES = {
    "dbt_worsening": WarningRule(severity="medium", months=3, days=5),
    "utilization": WarningRule(severity="medium", threshold=0.9, high_threshold=1.0),
    "large_over_headroom": WarningRule(severity="high", months=3),
    "grade_downgrade": WarningRule(severity="medium", threshold=2),
    "bank_overdue": WarningRule(severity="medium", days=1, high_threshold=60),
    "distress_zone": WarningRule(severity="high"),
    "revenue_falling": WarningRule(severity="medium", threshold=-0.10),
    "negative_equity": WarningRule(severity="high"),
    "dispute_open": WarningRule(severity="medium", days=60),
    "no_visit": WarningRule(severity="low"),
    "stale_statements": WarningRule(severity="medium", months=15),
    "unaudited_statements": WarningRule(severity="low"),
    "overdue_items": WarningRule(severity="high", days=90),
    "assessment_due": WarningRule(severity="low"),
}

LARGE = [{"invoice_id": "L1", "amount": 1500.0, "invoice_date": T("2026-07-01")},
         {"invoice_id": "L2", "amount": 1200.0, "invoice_date": T("2026-08-01")},
         {"invoice_id": "L3", "amount": 5000.0, "invoice_date": T("2026-06-30")}]   # 3 months back: outside

# rule → (facts that fire it, expected severity, expected args, facts just on the other side)
CASES = {
    "dbt_worsening": ({"dbt_trend": [0.0, 10.0, 12.0, 13.0, 15.0]}, "medium",
                      {"months": 3, "start": 10.0, "end": 15.0, "increase": 5.0, "min_increase": 5},
                      {"dbt_trend": [0.0, 10.0, 12.0, 13.0, 14.9]}),
    "utilization": ({"utilization": 0.9}, "medium", {"utilization": 0.9, "threshold": 0.9},
                    {"utilization": 0.8999}),
    "large_over_headroom": ({"as_of": AS_OF, "headroom": 1000.0, "large": LARGE}, "high",
                            {"invoice_id": "L1", "amount": 1500.0, "headroom": 1000.0, "count": 2},
                            {"as_of": AS_OF, "headroom": 1500.0, "large": LARGE}),
    "grade_downgrade": ({"grade_notches_down": 1, "grade": "4", "previous_grade": "3"}, "medium",
                        {"previous": "3", "grade": "4", "notches": 1},
                        {"grade_notches_down": 0, "grade": "3", "previous_grade": "3"}),
    "bank_overdue": ({"bank_overdue_days": 1.0}, "medium", {"days": 1.0}, {"bank_overdue_days": 0.0}),
    "distress_zone": ({"altman_zone": "distress", "z_score": 1.2, "z_model": "z_prime"}, "high",
                      {"z": 1.2, "model": "z_prime"}, {"altman_zone": "grey", "z_score": 2.0, "z_model": "z_prime"}),
    "revenue_falling": ({"revenue_growth": -0.11, "latest_year": 2025}, "medium",
                        {"growth": -0.11, "threshold": -0.10, "year": 2025},
                        {"revenue_growth": -0.10, "latest_year": 2025}),
    "negative_equity": ({"equity": -1.0, "latest_year": 2025}, "high", {"equity": -1.0, "year": 2025},
                        {"equity": 0.0, "latest_year": 2025}),
    "dispute_open": ({"issues": [{"resolved": False, "age_days": 61}, {"resolved": False, "age_days": 10},
                                 {"resolved": True, "age_days": 300}]}, "medium",
                     {"count": 1, "oldest_days": 61, "days": 60},
                     {"issues": [{"resolved": False, "age_days": 60}, {"resolved": True, "age_days": 300}]}),
    "no_visit": ({"needs_visit": True, "visit_due_reason": "visit_too_long_ago", "days_since_visit": 204,
                  "visit_months": 6, "visits_12m": 1, "min_visits": 2}, "low",
                 {"reason": "visit_too_long_ago", "days_since": 204, "visit_months": 6, "visits": 1, "min_visits": 2},
                 {"needs_visit": False, "visit_due_reason": None, "days_since_visit": 30, "visit_months": 6,
                  "visits_12m": 3, "min_visits": 2}),
    "stale_statements": ({"statement_age_months": 16, "period_end": T("2025-05-31")}, "medium",
                         {"age_months": 16, "months": 15, "period_end": T("2025-05-31")},
                         {"statement_age_months": 15, "period_end": T("2025-06-30")}),
    "unaudited_statements": ({"latest_audited": False, "latest_year": 2025}, "low", {"year": 2025},
                             {"latest_audited": True, "latest_year": 2025}),
    "overdue_items": ({"oldest_days_past_due": 91, "over_days_amount": 2000.0}, "high",
                      {"days_past_due": 91, "amount": 2000.0, "share": None, "days": 90},
                      {"oldest_days_past_due": 90, "over_days_amount": 0.0}),
    "assessment_due": ({"assessment": {"status": "stale", "date": "2025-07-31", "age_months": 14,
                                       "max_age_months": 12}}, "low",
                       {"status": "stale", "date": "2025-07-31", "months": 14, "limit": 12},
                       {"assessment": {"status": "current", "date": "2025-09-30", "age_months": 12,
                                       "max_age_months": 12}}),
}


def test_every_policy_rule_has_a_case():
    assert set(CASES) == set(WARNING_RULES) == set(RULES)
    MonitoringSettings(warnings=RULES)   # the rules are a valid policy section


@pytest.mark.parametrize("rule", WARNING_RULES)
def test_rule_fires_with_its_numbers(rule):
    facts, severity, args, _ = CASES[rule]
    out = early_warnings(facts, RULES)
    assert [w["rule"] for w in out] == [rule]
    assert out[0]["severity"] == severity
    assert out[0]["args"].keys() == args.keys()
    for k, v in args.items():
        got = out[0]["args"][k]
        assert got == (pytest.approx(v) if isinstance(v, float) else v), k


@pytest.mark.parametrize("rule", WARNING_RULES)
def test_rule_does_not_fire_just_on_the_other_side(rule):
    assert early_warnings(CASES[rule][3], RULES) == []


@pytest.mark.parametrize("rule", WARNING_RULES)
def test_disabled_rule_never_fires(rule):
    facts = CASES[rule][0]
    rules = {**RULES, rule: RULES[rule].model_copy(update={"enabled": False})}
    assert early_warnings(facts, rules) == []
    assert early_warnings(facts, {k: v for k, v in RULES.items() if k != rule}) == []   # absent from the policy


def test_missing_facts_never_fire():
    assert early_warnings({}, RULES) == []
    assert early_warnings({"as_of": AS_OF, "large": LARGE}, RULES) == []   # no headroom known
    nan = float("nan")
    facts = {"utilization": nan, "headroom": nan, "as_of": AS_OF, "large": LARGE, "grade_notches_down": None,
             "bank_overdue_days": nan, "revenue_growth": nan, "equity": nan, "statement_age_months": None,
             "latest_audited": None, "oldest_days_past_due": None, "dbt_trend": [nan, 10.0, 20.0, 30.0],
             "altman_zone": None, "issues": None, "needs_visit": None}
    assert early_warnings(facts, RULES) == []


@pytest.mark.parametrize("u, severity, threshold", [(0.99, "medium", 0.9), (1.0, "high", 1.0), (1.4, "high", 1.0)])
def test_utilization_escalates_to_high(u, severity, threshold):
    (w,) = early_warnings({"utilization": u}, RULES)
    assert w["severity"] == severity and w["args"]["threshold"] == threshold and w["args"]["utilization"] == u


@pytest.mark.parametrize("days, severity", [(59.0, "medium"), (60.0, "high"), (120.0, "high")])
def test_bank_overdue_escalates_to_high(days, severity):
    (w,) = early_warnings({"bank_overdue_days": days}, RULES)
    assert w["severity"] == severity and w["args"] == {"days": days}


@pytest.mark.parametrize("notches, severity", [(1, "medium"), (2, "high"), (4, "high")])
def test_grade_downgrade_escalates_to_high(notches, severity):
    (w,) = early_warnings({"grade_notches_down": notches, "grade": "6", "previous_grade": "2"}, RULES)
    assert w["severity"] == severity and w["args"]["notches"] == notches


def test_grade_upgrade_does_not_fire():
    assert early_warnings({"grade_notches_down": -2, "grade": "2", "previous_grade": "4"}, RULES) == []


def test_dbt_worsening_looks_only_at_the_last_months():
    # a rise of 30 days, but 15 → 15 over the last 3 months
    assert early_warnings({"dbt_trend": [-15.0, 15.0, 20.0, 10.0, 15.0]}, RULES) == []
    # too short a trend to span 3 months
    assert early_warnings({"dbt_trend": [0.0, 10.0, 20.0]}, RULES) == []


def test_large_over_headroom_with_negative_headroom_fires_for_any_recent_large_invoice():
    (w,) = early_warnings({"as_of": AS_OF, "headroom": -200.0, "large": LARGE}, RULES)
    assert w["args"]["count"] == 2 and w["args"]["invoice_id"] == "L1" and w["args"]["headroom"] == -200.0


def test_dispute_open_counts_only_unresolved_beyond_days():
    issues = [{"resolved": False, "age_days": 61}, {"resolved": False, "age_days": 90},
              {"resolved": True, "age_days": 300}]
    (w,) = early_warnings({"issues": issues}, RULES)
    assert w["args"] == {"count": 2, "oldest_days": 90, "days": 60}


def test_warnings_are_sorted_high_medium_low():
    facts = {"utilization": 0.95, "latest_audited": False, "equity": -5.0,
             "bank_overdue_days": 3.0, "oldest_days_past_due": 120}
    out = early_warnings(facts, RULES)
    assert [w["severity"] for w in out] == ["high", "high", "medium", "medium", "low"]
    assert {w["rule"] for w in out[:2]} == {"negative_equity", "overdue_items"}
    assert {w["rule"] for w in out[2:4]} == {"utilization", "bank_overdue"}
    assert out[4]["rule"] == "unaudited_statements"
    assert [SEVERITY_ORDER[w["severity"]] for w in out] == sorted(SEVERITY_ORDER[w["severity"]] for w in out)


# --- review schedule -----------------------------------------------------------------------------------

HIGH = {"rule": "overdue_items", "severity": "high", "args": {}}
MEDIUM = {"rule": "utilization", "severity": "medium", "args": {}}
LOW = {"rule": "no_visit", "severity": "low", "args": {}}


def test_review_brought_forward_by_a_high_signal():
    r = review_schedule(AS_OF, "2027-03-31", [MEDIUM, HIGH], severe_review_months=1)
    assert r["date"] == T("2026-10-30") and r["scheduled"] == T("2027-03-31")
    assert r["brought_forward"] is True and r["brought_forward_by"] == ["overdue_items"]
    r = review_schedule(AS_OF, "2027-03-31", [HIGH], severe_review_months=3)
    assert r["date"] == T("2026-12-30")


def test_review_not_brought_forward_by_medium_or_low_signals():
    r = review_schedule(AS_OF, "2027-03-31", [MEDIUM, LOW], severe_review_months=1)
    assert r["date"] == T("2027-03-31") and r["brought_forward"] is False and r["brought_forward_by"] == []


def test_review_never_later_than_scheduled():
    r = review_schedule(AS_OF, "2026-10-15", [HIGH], severe_review_months=1)
    assert r["date"] == T("2026-10-15") and r["brought_forward"] is False and r["brought_forward_by"] == []


def test_review_overdue_days_from_a_past_previous_review():
    r = review_schedule(AS_OF, "2027-03-31", [], severe_review_months=1, previous_review="2026-08-31")
    assert r["overdue_days"] == 30
    assert review_schedule(AS_OF, "2027-03-31", [], severe_review_months=1,
                           previous_review="2026-12-31")["overdue_days"] is None
    assert review_schedule(AS_OF, "2027-03-31", [], severe_review_months=1,
                           previous_review=AS_OF)["overdue_days"] is None
    assert review_schedule(AS_OF, "2027-03-31", [], severe_review_months=1)["overdue_days"] is None


def test_review_carries_the_recheck_list():
    r = review_schedule(AS_OF, "2027-03-31", [], severe_review_months=1, recheck=["statements", "visit"])
    assert r["recheck"] == ["statements", "visit"]


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2000), st.integers(-400, 1000), st.integers(0, 12),
       st.lists(st.sampled_from(["high", "medium", "low"]), max_size=4))
def test_review_date_never_after_scheduled(start, offset, months, severities):
    as_of = T("2024-01-01") + pd.Timedelta(days=start)
    scheduled = as_of + pd.Timedelta(days=offset)
    warnings = [{"rule": f"r{i}", "severity": s, "args": {}} for i, s in enumerate(severities)]
    r = review_schedule(as_of, scheduled, warnings, severe_review_months=months)
    assert r["date"] <= scheduled
    assert r["brought_forward"] == (r["date"] < scheduled)
    if "high" not in severities:
        assert r["date"] == scheduled
    else:
        assert r["date"] == min(scheduled, as_of + pd.DateOffset(months=months))


# --- customer ECL --------------------------------------------------------------------------------------

AGING = pd.DataFrame({"bucket": ["not_due", "1_30", "31_60", "61_90", "over_90"],
                      "amount": [1000.0, 500.0, 200.0, 0.0, 300.0]})
MATRIX = pd.DataFrame({"group": "all", "bucket": ["not_due", "1_30", "31_60", "61_90", "over_90"],
                       "default_rate": [0.02, 0.1, 0.4, 0.7, 1.0], "lgd": 0.5,
                       "loss_rate": [0.01, 0.05, 0.2, 0.35, 0.5]})
MULT = {"base": 1.0, "adverse": 2.5, "severe": 4.0}   # the policy's forward-looking multipliers
WEIGHTS = {"base": 0.5, "adverse": 0.3, "severe": 0.2}
INSURANCE = {"cover": 0.9, "insurer_limit": 1500.0, "deductible": 50.0}


def test_customer_ecl_by_hand_with_capped_scenario_rates():
    e = customer_ecl(AGING, MATRIX, MULT, WEIGHTS)
    s = e["scenarios"]
    assert [s[k]["multiplier"] for k in ("base", "adverse", "severe")] == [1.0, 2.5, 4.0]
    assert s["base"]["ecl"] == pytest.approx(225.0)      # 1000×.02×.5 + 500×.1×.5 + 200×.4×.5 + 300×1×.5
    assert s["adverse"]["ecl"] == pytest.approx(337.5)    # uncapped it would be 562.5
    assert s["severe"]["ecl"] == pytest.approx(390.0)     # uncapped it would be 900
    assert e["weighted"] == pytest.approx(291.75)         # .5×225 + .3×337.5 + .2×390
    assert e["open"] == 2000.0 and e["coverage"] == pytest.approx(291.75 / 2000)
    assert e["lgd"] == 0.5 and e["insured_memo"] is None and e["reason"] is None


def test_customer_ecl_by_bucket_is_the_base_case():
    e = customer_ecl(AGING, MATRIX, MULT, WEIGHTS)
    b = {r["bucket"]: r for r in e["by_bucket"]}
    assert [r["bucket"] for r in e["by_bucket"]] == list(AGING["bucket"])
    assert b["not_due"]["ecl"] == pytest.approx(10.0) and b["1_30"]["ecl"] == pytest.approx(25.0)
    assert b["31_60"]["ecl"] == pytest.approx(40.0) and b["61_90"]["ecl"] == 0.0
    assert b["over_90"]["ecl"] == pytest.approx(150.0) and b["over_90"]["loss_rate"] == pytest.approx(0.5)
    assert sum(r["ecl"] for r in e["by_bucket"]) == pytest.approx(e["scenarios"]["base"]["ecl"])


def test_customer_ecl_scenario_without_a_multiplier_uses_one():
    e = customer_ecl(AGING, MATRIX, {"base": 1.0}, {"base": 0.5, "adverse": 0.5})
    assert e["scenarios"]["adverse"]["multiplier"] == 1.0 and e["weighted"] == pytest.approx(225.0)
    e = customer_ecl(AGING, MATRIX, {}, {})           # no weights: the base case
    assert e["weighted"] == pytest.approx(225.0) and list(e["scenarios"]) == ["base"]


def test_customer_ecl_books_no_insurance_and_gives_the_recommended_cover_as_a_memo():
    # insurable: the buckets below 90 days past due, 1700, capped at the insurer's 1500 → covered share 0.75;
    # loss at default L = 0.5 × 2000 = 1000; covered 1000 × 0.75 × 0.9 = 675; kept R = 1000 − (675 − 50) = 375
    e = customer_ecl(AGING, MATRIX, MULT, WEIGHTS, insurance=INSURANCE)
    assert e["weighted"] == pytest.approx(291.75)  # the booked figure is unchanged
    memo = e["insured_memo"]
    assert memo["covered_share"] == pytest.approx(0.75) and memo["retention"] == pytest.approx(0.375)
    assert memo["cover"] == 0.9
    assert memo["weighted"] == pytest.approx(109.40625)


def test_customer_ecl_memo_deductible_applies_to_the_loss_at_default_and_old_items_are_not_insurable():
    # no insurer limit: insurable 1700 of 2000 (the 300 over 90 days past due are not) → covered share 0.85;
    # covered loss 1000 × 0.85 × 0.9 = 765; deductible 100 → kept 1000 − 665 = 335
    memo = customer_ecl(AGING, MATRIX, MULT, WEIGHTS, insurance={"cover": 0.9, "deductible": 100.0})["insured_memo"]
    assert memo["covered_share"] == pytest.approx(0.85) and memo["retention"] == pytest.approx(0.335)
    memo = customer_ecl(AGING, MATRIX, MULT, WEIGHTS, insurance={"cover": 0.9})["insured_memo"]
    assert memo["retention"] == pytest.approx(0.235)
    memo = customer_ecl(AGING, MATRIX, MULT, WEIGHTS, insurance={"cover": 0.9, "deductible": 1000.0})["insured_memo"]
    assert memo["retention"] == pytest.approx(1.0)  # a deductible above the covered loss keeps it all


def test_customer_ecl_of_zero_open_balance():
    zero = AGING.assign(amount=0.0)
    e = customer_ecl(zero, MATRIX, MULT, WEIGHTS, insurance=INSURANCE)
    assert e["open"] == 0.0 and e["weighted"] == 0.0 and e["insured_memo"] is None
    assert math.isnan(e["coverage"])
    assert all(v["ecl"] == 0.0 for v in e["scenarios"].values())


def test_customer_ecl_does_not_treat_an_unknown_rate_as_zero():
    aging_table = AGING.assign(amount=[1000.0, 500.0, 200.0, 400.0, 300.0])
    unknown = MATRIX.assign(default_rate=[0.02, 0.1, 0.4, np.nan, 1.0])
    zero = MATRIX.assign(default_rate=[0.02, 0.1, 0.4, 0.0, 1.0])
    got = customer_ecl(aging_table, unknown, MULT, WEIGHTS)["weighted"]
    as_if_zero = customer_ecl(aging_table, zero, MULT, WEIGHTS)["weighted"]
    assert not got == pytest.approx(as_if_zero)
    result = customer_ecl(aging_table, unknown, MULT, WEIGHTS)
    assert math.isnan(got) and result["reason"] == "no_loss_rate" and result["unknown_buckets"] == ["61_90"]


def test_overdue_items_is_high_only_when_material():
    rules = {"overdue_items": WarningRule(severity="medium", days=90, high_threshold=0.10)}
    small = early_warnings({"oldest_days_past_due": 400, "over_days_amount": 900.0, "open_total": 10_000.0}, rules)
    big = early_warnings({"oldest_days_past_due": 120, "over_days_amount": 1000.0, "open_total": 10_000.0}, rules)
    assert small[0]["severity"] == "medium" and small[0]["args"]["share"] == pytest.approx(0.09)
    assert big[0]["severity"] == "high" and big[0]["args"]["share"] == pytest.approx(0.10)


def test_missing_assessment_fires_and_reads_in_both_languages():
    from helpers.report.localize import text_for, warning_signal_text

    out = early_warnings({"assessment": {"status": "missing", "date": None, "age_months": None,
                                         "max_age_months": 12}}, RULES)
    assert [(w["rule"], w["severity"], w["args"]["status"]) for w in out] == [("assessment_due", "low", "missing")]
    stale = early_warnings(CASES["assessment_due"][0], RULES)[0]
    en = warning_signal_text(stale, text_for("en"), "CNY")["text"]
    zh = warning_signal_text(stale, text_for("zh"), "CNY")["text"]
    assert "14" in en and "12" in en and "2025" in en
    assert "14个月" in zh and "12个月" in zh
    assert warning_signal_text(out[0], text_for("en"), "CNY")["text"] != en
