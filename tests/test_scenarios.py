"""Stress scenarios (helpers.scenarios): the statement arithmetic, the balance-sheet identities
under any shock, and the re-scoring of the policy's scenarios."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from helpers.analysis.characteristics import portfolio_characteristics
from helpers.analysis.scenarios import SHOCKS, Scenario, policy_scenarios, stress_statements
from helpers.decisions import run_scenarios

FIGURES = ("revenue", "cost_of_sales", "ebit", "interest_expense", "income_tax", "net_income", "cash",
           "receivables", "inventory", "payables", "short_term_debt", "current_assets", "total_assets",
           "current_liabilities", "total_liabilities", "equity", "retained_earnings", "operating_cash_flow")


def _latest(portfolio, cid):
    return portfolio.customer(cid).statements.sort_values("fiscal_year").iloc[-1]


def _drawn_lines(portfolio, cid):
    """What run_scenarios passes as credit_lines: drawn credit lines and overdrafts not closed."""
    bank = portfolio.customer(cid).bank_credit
    lines = bank[(bank["status"] != "closed") & bank["facility_type"].isin(["credit_line", "overdraft"])]
    return float(lines["outstanding"].sum())


def _stress(portfolio, cid, scenario):
    c = portfolio.customer(cid)
    return stress_statements(_latest(portfolio, cid), scenario, export_share=c.record.get("export_share"),
                             foreign=not c.domestic, credit_lines=_drawn_lines(portfolio, cid),
                             days_in_year=portfolio.policy.days_in_year)


def _close(a, b, rel=1e-6):
    return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=rel)


# --------------------------------------------------------------------------- no shocks, no change
def test_zero_shocks_leave_every_customers_statements_unchanged(portfolio):
    # Every sample customer, including C054 (a 9-month latest year: DSO/DIO/DPO are annualised and
    # must round-trip) and the loss makers with a booked tax credit (C012, C042, C057), whose credit
    # the stressed tax used to drop even without any shock.
    zero = Scenario("zero", shocks={k: 0.0 for k in SHOCKS})
    for cid in portfolio.customer_ids:
        latest = _latest(portfolio, cid)
        out = _stress(portfolio, cid, zero)
        for k in FIGURES:
            assert _close(out[k], latest[k]), (cid, k, float(latest[k]), float(out[k]))
        assert out["emergency_borrowing"] == 0.0
    assert float(_latest(portfolio, "C054")["months"]) == 9  # the short year really is in the data
    assert float(_latest(portfolio, "C042")["income_tax"]) < 0  # and so is a tax credit


# --------------------------------------------------------------------------- identities under any shock
_SHOCK_RANGES = {"revenue": (-0.5, 0.3), "gross_margin": (-0.1, 0.05), "dso_days": (-20, 60),
                 "dpo_days": (-30, 30), "interest_rate": (-0.5, 1.0), "fx": (-0.3, 0.1), "credit_line_cut": (0.0, 1.0)}
_shocks = st.fixed_dictionaries({k: st.floats(lo, hi, allow_nan=False) for k, (lo, hi) in _SHOCK_RANGES.items()})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shocks=_shocks, cid=st.sampled_from(["CASE1", "CASE2"]))
def test_stressed_balance_sheet_balances(portfolio, shocks, cid):
    latest = _latest(portfolio, cid)
    s = _stress(portfolio, cid, Scenario("any", shocks=shocks))
    tol = dict(rel_tol=1e-9, abs_tol=1e-3)  # figures are in the millions
    assert math.isclose(s["total_assets"], s["total_liabilities"] + s["equity"], **tol)
    assert math.isclose(s["current_assets"],
                        s["cash"] + s["receivables"] + s["inventory"] + float(latest["other_current_assets"]), **tol)
    assert math.isclose(s["current_liabilities"],
                        s["payables"] + s["short_term_debt"] + float(latest["other_current_liabilities"]), **tol)
    assert s["cash"] >= 0.0
    assert s["emergency_borrowing"] >= 0.0
    assert s["cash"] == 0.0 or s["emergency_borrowing"] == 0.0  # borrow only when the cash is gone
    assert math.isclose(s["equity"] - float(latest["equity"]), s["net_income"] - float(latest["net_income"]), **tol)
    assert math.isclose(s["retained_earnings"] - float(latest["retained_earnings"]),
                        s["net_income"] - float(latest["net_income"]), **tol)
    # the input balanced, so the unchanged lines carry over
    assert math.isclose(s["total_assets"] - s["current_assets"], float(latest["fixed_assets"]), **tol)


# --------------------------------------------------------------------------- hand-worked statement
def _toy() -> pd.Series:
    """A small 12-month statement that balances.

    revenue 1000, cost of sales 700 (gross margin 30 %), opex 200 → EBIT 100; interest 20 →
    EBT 80; tax 16 (effective rate 20 %); net income 64. DSO = 200/1000·365 = 73 days,
    DIO = 140/700·365 = 73, DPO = 70/700·365 = 36.5.
    Assets: cash 100 + receivables 200 + inventory 140 + other 10 = 450 current, + fixed 550 = 1000.
    Liabilities: payables 70 + short-term debt 150 + other 30 = 250 current, + long-term 200 = 450;
    equity 550 (paid in 300, retained 250).
    """
    return pd.Series({
        "months": 12, "revenue": 1000.0, "cost_of_sales": 700.0, "operating_expenses": 200.0, "ebit": 100.0,
        "interest_expense": 20.0, "income_tax": 16.0, "net_income": 64.0, "other_non_operating": 0.0,
        "cash": 100.0, "receivables": 200.0, "inventory": 140.0, "other_current_assets": 10.0,
        "current_assets": 450.0, "fixed_assets": 550.0, "total_assets": 1000.0,
        "payables": 70.0, "short_term_debt": 150.0, "other_current_liabilities": 30.0, "current_liabilities": 250.0,
        "long_term_debt": 200.0, "other_noncurrent_liabilities": 0.0, "total_liabilities": 450.0,
        "paid_in_capital": 300.0, "retained_earnings": 250.0, "equity": 550.0, "operating_cash_flow": 120.0,
    })


def _toy_stress(shocks, credit_lines=0.0, export_share=None, foreign=False):
    return stress_statements(_toy(), Scenario("t", shocks=shocks), export_share=export_share, foreign=foreign,
                             credit_lines=credit_lines, days_in_year=365)


def test_revenue_and_margin_shock_by_hand():
    s = _toy_stress({"revenue": -0.2, "gross_margin": -0.02})
    # revenue′ = 1000 · 0.8 = 800; gross margin′ = 0.30 − 0.02 = 0.28; cost of sales′ = 800 · 0.72 = 576
    # EBIT′ = 800 − 576 − 200 = 24; interest stays 20; tax′ = (24 − 20) · 20 % = 0.8; NI′ = 4 − 0.8 = 3.2
    assert s["revenue"] == pytest.approx(800.0)
    assert s["cost_of_sales"] == pytest.approx(576.0)
    assert s["ebit"] == pytest.approx(24.0)
    assert s["interest_expense"] == pytest.approx(20.0)
    assert s["income_tax"] == pytest.approx(0.8)
    assert s["net_income"] == pytest.approx(3.2)
    # receivables′ = 800·73/365 = 160; inventory′ = 576·73/365 = 115.2; payables′ = 576·36.5/365 = 57.6
    assert s["receivables"] == pytest.approx(160.0)
    assert s["inventory"] == pytest.approx(115.2)
    assert s["payables"] == pytest.approx(57.6)
    # cash′ = 100 + (3.2 − 64) − (160 − 200) − (115.2 − 140) + (57.6 − 70) = 91.6; equity′ = 550 − 60.8
    assert s["cash"] == pytest.approx(91.6)
    assert s["equity"] == pytest.approx(489.2)
    assert s["operating_cash_flow"] == pytest.approx(120.0 - 60.8 + 40.0 + 24.8 - 12.4)  # 111.6
    assert s["emergency_borrowing"] == 0.0


def test_interest_and_fx_shocks_by_hand():
    # fx hits the export share only: revenue′ = 1000 · (1 − 0.1 · 0.5) = 950 with the margin unchanged
    s = _toy_stress({"fx": -0.1}, export_share=0.5, foreign=True)
    assert s["revenue"] == pytest.approx(950.0)
    assert s["cost_of_sales"] == pytest.approx(665.0)
    # a foreign customer without a known export share earns all its revenue abroad; a domestic one none
    assert _toy_stress({"fx": -0.1}, foreign=True)["revenue"] == pytest.approx(900.0)
    assert _toy_stress({"fx": -0.1}, foreign=False)["revenue"] == pytest.approx(1000.0)
    # interest +50 %: 30; tax′ = (100 − 30) · 20 % = 14; NI′ = 70 − 14 = 56; cash falls by 8
    s = _toy_stress({"interest_rate": 0.5})
    assert (s["interest_expense"], s["income_tax"], s["net_income"]) == pytest.approx((30.0, 14.0, 56.0))
    assert s["cash"] == pytest.approx(92.0)


def test_dso_shock_moves_receivables_and_cash_by_hand():
    base = _toy_stress({"revenue": -0.2, "gross_margin": -0.02})
    s = _toy_stress({"revenue": -0.2, "gross_margin": -0.02, "dso_days": 30})
    extra = 800.0 * 30 / 365  # revenue′ × 30 / 365 = 65.753…
    assert s["receivables"] == pytest.approx(800.0 * 103 / 365)
    assert s["receivables"] - base["receivables"] == pytest.approx(extra)
    assert s["cash"] == pytest.approx(91.6 - extra)  # 25.847
    assert base["cash"] - s["cash"] == pytest.approx(extra)
    # nothing else changes with the DSO shock
    for k in ("revenue", "net_income", "inventory", "payables", "equity", "short_term_debt"):
        assert s[k] == pytest.approx(base[k])
    # DPO −36.5 days: payables fall to 0 (floored), cash falls by the 70 of payables
    s = _toy_stress({"dpo_days": -50})
    assert s["payables"] == 0.0
    assert s["cash"] == pytest.approx(30.0)


def test_short_period_is_annualised_by_hand():
    # the same business over 6 months: revenue 500, cost of sales 350, receivables still 200 →
    # DSO = 200 / (500 · 2) · 365 = 73 days; +30 days adds 30 days of annual revenue′ (800 · 30 / 365)
    half = _toy()
    for k in ("revenue", "cost_of_sales", "operating_expenses", "ebit", "interest_expense", "income_tax",
              "net_income"):
        half[k] = half[k] / 2
    half["months"] = 6
    stress = lambda shocks: stress_statements(half, Scenario("h", shocks=shocks), export_share=None,  # noqa: E731
                                              foreign=False, credit_lines=0.0)
    base, s = stress({"revenue": -0.2}), stress({"revenue": -0.2, "dso_days": 30})
    assert base["receivables"] == pytest.approx(160.0)  # 400 · 2 · 73 / 365
    assert s["receivables"] - base["receivables"] == pytest.approx(800.0 * 30 / 365)
    assert base["cash"] - s["cash"] == pytest.approx(800.0 * 30 / 365)


def test_credit_line_cut_repays_out_of_cash_then_borrows_by_hand():
    # lines of 200 drawn, half withdrawn: repay 100 out of cash 100 → cash 0, no borrowing, STD 150 − 100
    s = _toy_stress({"credit_line_cut": 0.5}, credit_lines=200.0)
    assert s["cash"] == pytest.approx(0.0, abs=1e-9)
    assert s["emergency_borrowing"] == pytest.approx(0.0, abs=1e-9)
    assert s["short_term_debt"] == pytest.approx(50.0)
    # all withdrawn: repay 200, cash 100 runs out, the 100 short becomes emergency borrowing
    s = _toy_stress({"credit_line_cut": 1.0}, credit_lines=200.0)
    assert s["cash"] == 0.0
    assert s["emergency_borrowing"] == pytest.approx(100.0)
    assert s["short_term_debt"] == pytest.approx(150.0 - 200.0 + 100.0)
    # with the revenue/margin shock cash before the cut is 91.6: borrow 200 − 91.6 = 108.4
    s = _toy_stress({"revenue": -0.2, "gross_margin": -0.02, "credit_line_cut": 1.0}, credit_lines=200.0)
    assert s["emergency_borrowing"] == pytest.approx(108.4)
    assert s["short_term_debt"] == pytest.approx(58.4)
    assert s["total_assets"] == pytest.approx(s["total_liabilities"] + s["equity"])
    # the cut alone leaves income and equity alone
    assert s["equity"] == pytest.approx(489.2)


def test_tax_keeps_the_loss_years_credit_and_floors_a_profitable_years_tax():
    loss = _toy()
    # EBIT 10, interest 20 → EBT −10 with a booked tax credit of −2, net income −8
    loss["operating_expenses"], loss["ebit"], loss["income_tax"], loss["net_income"] = 290.0, 10.0, -2.0, -8.0
    s = stress_statements(loss, Scenario("z"), export_share=None, foreign=False, credit_lines=0.0)
    assert s["income_tax"] == pytest.approx(-2.0) and s["net_income"] == pytest.approx(-8.0)
    # deeper loss: revenue −10 % → EBIT′ = 900 − 630 − 290 = −20; the credit stays −2; NI′ = −40 + 2
    s = stress_statements(loss, Scenario("r", shocks={"revenue": -0.1}), export_share=None, foreign=False,
                          credit_lines=0.0)
    assert s["income_tax"] == pytest.approx(-2.0) and s["net_income"] == pytest.approx(-38.0)
    # a profitable year stressed into a loss pays no tax (never a negative tax)
    s = _toy_stress({"revenue": -0.5})  # EBIT′ = 500 − 350 − 200 = −50
    assert s["income_tax"] == pytest.approx(0.0, abs=1e-9) and s["net_income"] == pytest.approx(-70.0)


# --------------------------------------------------------------------------- scenario definitions
def test_scenario_rejects_an_unknown_shock():
    with pytest.raises(ValueError, match="oil_price"):
        Scenario("oil", shocks={"revenue": -0.1, "oil_price": 0.3})
    assert Scenario("ok", shocks={"revenue": -0.1}).get("dso_days") == 0.0
    assert Scenario("ok", shocks={"revenue": -0.1}).get("revenue") == -0.1


def test_policy_scenarios_with_ad_hoc_ones(portfolio):
    out = policy_scenarios(portfolio.policy, {"fx_crash": {"fx": -0.3}})
    assert [s.name for s in out] == ["base", "downturn", "severe", "fx_crash"]
    assert sum(s.weight for s in out[:3]) == pytest.approx(1.0)
    assert out[0].shocks == {} and out[1].get("revenue") == -0.15 and out[2].get("dpo_days") == -15
    assert out[3].weight == 0.0 and out[3].get("fx") == -0.3 and out[3].label is None  # the report calls it "ad hoc: fx_crash"
    with pytest.raises(ValueError, match="bogus"):
        policy_scenarios(portfolio.policy, {"bad": {"bogus": 1.0}})


# --------------------------------------------------------------------------- re-scoring
@pytest.fixture(scope="module")
def tables(portfolio, scorecard):
    return {cid: run_scenarios(portfolio, cid, scorecard, policy_scenarios(portfolio.policy))
            for cid in ("CASE1", "CASE2")}


@pytest.mark.parametrize("cid", ["CASE1", "CASE2"])
def test_base_row_is_the_models_pd(portfolio, scorecard, tables, cid):
    t = tables[cid]
    model_pd = float(scorecard.predict_pd(portfolio_characteristics(portfolio).loc[[cid]])[0])
    base = t.set_index("scenario").loc["base"]
    assert base["pd"] == pytest.approx(model_pd, abs=1e-9)
    latest = _latest(portfolio, cid)
    assert base["revenue"] == pytest.approx(float(latest["revenue"]))
    assert base["net_income"] == pytest.approx(float(latest["net_income"]))
    assert base["emergency_borrowing"] == 0.0


@pytest.mark.parametrize("cid", ["CASE1", "CASE2"])
def test_pd_rises_with_severity_and_grades_follow_the_master_scale(scorecard, tables, cid):
    t = tables[cid]
    assert list(t["scenario"]) == ["base", "downturn", "severe"]
    pds = t["pd"].to_numpy()
    assert np.all(np.diff(pds) >= -1e-12), pds
    assert pds[-1] > pds[0]  # the stress does bite
    assert list(t["grade"]) == [str(g) for g in scorecard.master_scale.grade(pds)]
    notches = [scorecard.master_scale.notch(g) for g in t["grade"]]
    assert notches == sorted(notches)
    assert list(t["weight"]) == [0.6, 0.3, 0.1]
    assert t.loc[t["scenario"] == "severe", "shock_credit_line_cut"].item() == 0.4


def test_dso_shock_also_slows_payments_to_us(portfolio, scorecard):
    # a pure DSO shock moves cash into receivables (current and quick ratio, leverage, ROA unchanged
    # while cash lasts), so the PD rises only through the days the customer pays us beyond terms:
    # CASE2 pays 4.96 days late; 10 more days (7,520,000 · 10 / 365 = 206,027 < cash 414,000) put it
    # in the scorecard's worst bin (≥ 12.15 days) and the expert card's 10–20 days (70 instead of 120 points)
    t = run_scenarios(portfolio, "CASE2", scorecard, [Scenario("base"), Scenario("slow", shocks={"dso_days": 10})])
    base, slow = t.iloc[0], t.iloc[1]
    assert slow["emergency_borrowing"] == 0.0
    for k in ("current_ratio", "quick_ratio", "debt_to_equity", "roa"):
        assert slow[k] == pytest.approx(base[k]), k
    assert slow["pd"] > base["pd"]
    assert slow["expert_score"] < base["expert_score"]


def test_scenario_revenue_by_hand(tables):
    # CASE1 (domestic, export share 5 %): downturn 17,600,000 · (1 − 0.15 − 0.05·0.05) = 14,916,000
    # CASE2 (foreign, export share 88 %): downturn 7,520,000 · (1 − 0.15 − 0.05·0.88) = 6,061,120;
    # severe 7,520,000 · (1 − 0.30 − 0.15·0.88) = 4,271,360
    r1 = tables["CASE1"].set_index("scenario")["revenue"]
    r2 = tables["CASE2"].set_index("scenario")["revenue"]
    assert r1["downturn"] == pytest.approx(14_916_000.0)
    assert r2["downturn"] == pytest.approx(6_061_120.0)
    assert r2["severe"] == pytest.approx(4_271_360.0)
    # CASE1's lines: 2,611,000 + 1,762,000 drawn (credit line, overdraft); trade finance is not a line.
    # A 20 % cut repays 874,600 out of 211,000 cash and whatever the downturn leaves: it must borrow.
    assert tables["CASE1"].set_index("scenario").loc["downturn", "emergency_borrowing"] > 0
