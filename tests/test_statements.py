"""Ratios against hand-worked figures, edge cases and the scaling property."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from helpers import load_portfolio
from helpers.analysis.statements import (CATALOGUE, compute_ratios, latest_ratios, ratio_table, safe_divide,
                                statement_summary, statement_table)

DATA = Path(__file__).parent / "data"
LIQUIDITY = ["current_ratio", "quick_ratio", "cash_ratio", "working_capital"]


@pytest.fixture(scope="module")
def handworked():
    frame = pd.read_csv(DATA / "liquidity_handworked.csv")
    expected = pd.read_csv(DATA / "liquidity_expected.csv", comment="#", keep_default_na=False)
    return frame, expected


@pytest.fixture(scope="module")
def sample():
    return load_portfolio(as_of="2026-09-30")


def test_liquidity_ratios_match_hand_worked_figures(handworked):
    frame, expected = handworked
    result = compute_ratios(frame, LIQUIDITY)
    for name in ("current_ratio", "quick_ratio", "cash_ratio", "working_capital"):
        want = pd.to_numeric(expected[name].replace("", np.nan)).to_numpy(dtype=float)
        np.testing.assert_allclose(result.values[name].to_numpy(), want, rtol=1e-12, equal_nan=True, err_msg=name)


def test_zero_denominator_gives_nan_with_reason_never_inf(handworked):
    frame, expected = handworked
    result = compute_ratios(frame, LIQUIDITY)
    row = result.values.index[result.values["customer_id"] == "C"][0]
    for name in ("current_ratio", "quick_ratio", "cash_ratio"):
        assert np.isnan(result.values.at[row, name])
        assert result.notes.at[row, name] == expected.loc[expected.customer_id == "C", "note"].item()
    assert not np.isinf(result.values.drop(columns=["customer_id"]).to_numpy(dtype=float)).any()
    assert (result.notes.loc[result.values["customer_id"] != "C", "current_ratio"] == "").all()


def test_safe_divide_negative_denominator_is_nan_unless_allowed():
    num, den = pd.Series([1.0, 1.0, 1.0]), pd.Series([2.0, -4.0, 0.0])
    v, r = safe_divide(num, den, denominator_name="equity")
    assert v.iloc[0] == 0.5 and np.isnan(v.iloc[1]) and np.isnan(v.iloc[2])
    assert list(r) == ["", "equity is negative", "equity is zero"]
    v, r = safe_divide(num, den, denominator_name="equity", allow_negative=True)
    assert v.iloc[1] == -0.25 and r.iloc[1] == ""


def test_catalogue_entries_name_their_formula():
    for name, ratio in CATALOGUE.items():
        assert ratio.formula and ratio.group and ratio.direction in ("higher_is_better", "lower_is_better")
        assert ratio.unit in ("x", "%", "days", "months", "amount")
        # the compute function's docstring names the same formula as the catalogue entry
        assert name in (ratio.compute.__doc__ or ""), name


_positive = st.floats(min_value=1.0, max_value=1e9, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(cash=_positive, rec=_positive, inv=_positive, other=_positive, cl=_positive,
       factor=st.floats(min_value=1e-3, max_value=1e6, allow_nan=False))
def test_ratios_do_not_change_when_every_figure_is_scaled(cash, rec, inv, other, cl, factor):
    ca = cash + rec + inv + other
    base = pd.DataFrame([dict(customer_id="X", fiscal_year=2024, cash=cash, receivables=rec, inventory=inv,
                              other_current_assets=other, current_assets=ca, current_liabilities=cl)])
    scaled = base.copy()
    money = ["cash", "receivables", "inventory", "other_current_assets", "current_assets", "current_liabilities"]
    scaled[money] = scaled[money] * factor
    a, b = compute_ratios(base, LIQUIDITY).values, compute_ratios(scaled, LIQUIDITY).values
    for name in LIQUIDITY:
        if CATALOGUE[name].unit == "amount":
            assert b[name].iloc[0] == pytest.approx(a[name].iloc[0] * factor, rel=1e-9, abs=1e-6)
        else:
            # rel 1e-6, not exact: (current_assets − inventory) cancels digits when inventory dwarfs the rest
            assert b[name].iloc[0] == pytest.approx(a[name].iloc[0], rel=1e-6)


def test_portfolio_wide_call_equals_per_customer_calls(sample):
    whole = compute_ratios(sample.statements)
    for cid in ("CASE1", "CASE2", sample.customer_ids[0]):
        one = compute_ratios(sample.customer(cid).statements)
        mine = whole.values[whole.values.customer_id == cid].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, one.values)


def test_ratio_table_years_and_lights(sample):
    cust = sample.customer("CASE1")
    result = compute_ratios(cust.statements)
    table = ratio_table(result, "CASE1", sample.policy)
    years = [str(y) for y in cust.statements.fiscal_year]
    assert list(table.columns) == ["ratio", "label", "group", "formula", "unit", "direction", *years, "change",
                                   "light", "note"]
    assert table.set_index("ratio").loc["gross_margin", "light"] == "grey"  # no threshold in the policy
    latest = latest_ratios(result, "CASE1")
    assert latest["current_ratio"]["fiscal_year"] == int(years[-1])


def test_statement_summary_lines_and_scale(sample):
    cust = sample.customer("CASE2")
    full, thousands = statement_summary(cust.statements), statement_summary(cust.statements, scale=1000)
    fs = cust.statements.sort_values("fiscal_year")
    y = str(int(fs.fiscal_year.iloc[-1]))
    assert full.loc["Gross profit", y] == pytest.approx(fs.revenue.iloc[-1] - fs.cost_of_sales.iloc[-1])
    assert full.loc["Equity", y] == pytest.approx(fs.total_assets.iloc[-1] - fs.total_liabilities.iloc[-1])
    assert thousands.loc["Revenue", y] == pytest.approx(full.loc["Revenue", y] / 1000)


def test_statement_table_common_size_shares(sample):
    cust = sample.customer("CASE1")
    table = statement_table(cust.statements, scale=1000).set_index("line")
    fs = cust.statements.sort_values("fiscal_year").iloc[-1]
    y = str(int(fs.fiscal_year))
    assert table.loc["Inventory", y] == pytest.approx(fs.inventory / 1000)
    assert table.loc["Inventory", f"cs_{y}"] == pytest.approx(fs.inventory / fs.total_assets)
    assert table.loc["Net income", f"cs_{y}"] == pytest.approx(fs.net_income / fs.revenue)
    assert table.loc["Total assets", f"cs_{y}"] == pytest.approx(1.0)
    assert table.loc["Free cash flow", y] == pytest.approx((fs.operating_cash_flow - fs.capital_expenditure) / 1000)
