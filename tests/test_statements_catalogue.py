"""The full ratio catalogue and Altman Z against figures WORKED BY HAND from the spec.

Data: ``tests/data/statements_handworked.csv`` (hand-designed statements that keep the accounting
identities), ``tests/data/ratios_expected.csv`` and ``tests/data/altman_expected.csv`` (expected values,
every one with its arithmetic in a ``#`` comment line). Nothing here is derived from the implementation.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from helpers.analysis import statements as stm

DATA = Path(__file__).parent / "data"
RTOL = 1e-9
ATOL = 1e-12  # only matters where the expected value is exactly 0

#: Spec ratios by group, in the order of the spec.
SPEC_GROUPS: dict[str, str] = {
    **dict.fromkeys(["current_ratio", "quick_ratio", "cash_ratio", "working_capital", "dso", "dio", "dpo",
                     "cash_conversion_cycle"], "liquidity"),
    **dict.fromkeys(["debt_to_equity", "liabilities_to_assets", "equity_ratio", "debt_to_ebitda"], "leverage"),
    **dict.fromkeys(["interest_coverage", "ocf_to_current_liabilities", "dscr"], "coverage"),
    **dict.fromkeys(["gross_margin", "ebit_margin", "net_margin", "roa", "roe", "equity_multiplier"],
                    "profitability"),
    **dict.fromkeys(["asset_turnover", "receivables_turnover"], "efficiency"),
    **dict.fromkeys(["revenue_growth", "equity_growth"], "growth"),
    **dict.fromkeys(["ocf_to_net_income", "free_cash_flow", "accruals_ratio", "cash_runway_months"], "cash_flow"),
}
RATIOS = list(SPEC_GROUPS)
AMOUNTS = {"working_capital", "free_cash_flow"}
#: Mixed flow/balance ratios whose balance is averaged under basis="average" (spec list).
AVERAGED = {"dso", "dio", "dpo", "cash_conversion_cycle", "roa", "roe", "asset_turnover", "receivables_turnover",
            "ocf_to_current_liabilities", "accruals_ratio"}
#: Mix a flow with a balance but are not in the spec's averaged list: not compared under basis="average".
NOT_COMPARED_UNDER_AVERAGE = {"debt_to_ebitda", "dscr", "cash_runway_months"}

FLOWS = ["revenue", "cost_of_sales", "operating_expenses", "depreciation_amortization", "ebit", "interest_expense",
         "income_tax", "net_income", "other_non_operating", "operating_cash_flow", "capital_expenditure"]
BALANCES = ["cash", "receivables", "inventory", "other_current_assets", "current_assets", "fixed_assets",
            "total_assets", "payables", "short_term_debt", "other_current_liabilities", "current_liabilities",
            "long_term_debt", "other_noncurrent_liabilities", "total_liabilities", "paid_in_capital",
            "retained_earnings", "equity"]
MONEY = FLOWS + BALANCES

NO_PRIOR = ("no prior year",)
#: Every expected NaN of ratios_expected.csv and the words its note must contain (``()``: any non-empty note).
NAN_REASONS: dict[tuple[str, int], dict[str, tuple[str, ...]]] = {
    ("H1", 2023): {"revenue_growth": NO_PRIOR, "equity_growth": NO_PRIOR},
    ("H2", 2023): {"revenue_growth": NO_PRIOR, "equity_growth": NO_PRIOR},
    ("H3", 2024): {
        "debt_to_equity": ("equity", "negative"),
        "debt_to_ebitda": ("ebitda", "negative"),
        "interest_coverage": ("interest_expense", "zero"),
        "roe": ("equity", "negative"),
        "equity_multiplier": ("equity", "negative"),
        "revenue_growth": NO_PRIOR, "equity_growth": NO_PRIOR,
        "ocf_to_net_income": ("net_income", "negative"),
    },
    ("H4", 2022): {
        "current_ratio": ("current_liabilities", "zero"),
        "quick_ratio": ("current_liabilities", "zero"),
        "cash_ratio": ("current_liabilities", "zero"),
        "ocf_to_current_liabilities": ("current_liabilities", "zero"),
        "interest_coverage": ("interest_expense", "zero"),
        "dscr": ("interest_expense + short_term_debt", "zero"),
        "revenue_growth": NO_PRIOR, "equity_growth": NO_PRIOR,
    },
    ("H4", 2024): {
        "dso": ("revenue", "zero"),
        "dio": ("cost_of_sales", "zero"),
        "dpo": ("cost_of_sales", "zero"),
        "cash_conversion_cycle": (),
        "debt_to_ebitda": ("ebitda", "negative"),
        "gross_margin": ("revenue", "zero"),
        "ebit_margin": ("revenue", "zero"),
        "net_margin": ("revenue", "zero"),
        "revenue_growth": NO_PRIOR, "equity_growth": NO_PRIOR,  # gap year: 2022 and 2024, no 2023
        "ocf_to_net_income": ("net_income", "negative"),
    },
    ("H4", 2025): {"revenue_growth": ("prior-year revenue", "zero")},
    ("P1", 2024): {"revenue_growth": NO_PRIOR, "equity_growth": NO_PRIOR},
}


# --------------------------------------------------------------------------- fixtures and helpers
@pytest.fixture(scope="module")
def statements() -> pd.DataFrame:
    return pd.read_csv(DATA / "statements_handworked.csv", comment="#")


@pytest.fixture(scope="module")
def expected() -> pd.DataFrame:
    return pd.read_csv(DATA / "ratios_expected.csv", comment="#")


@pytest.fixture(scope="module")
def year_end(statements) -> stm.RatioResult:
    return stm.compute_ratios(statements)


@pytest.fixture(scope="module")
def average(statements) -> stm.RatioResult:
    return stm.compute_ratios(statements, basis="average")


@pytest.fixture(scope="module")
def altman_expected() -> pd.DataFrame:
    return pd.read_csv(DATA / "altman_expected.csv", comment="#", keep_default_na=False,
                       na_values={c: [""] for c in ("x1", "x2", "x3", "x4", "x5", "value")})


def _keys(frame: pd.DataFrame) -> list[tuple[str, int]]:
    return list(zip(frame["customer_id"].astype(str), frame["fiscal_year"].astype(int)))


def _expected_rows(expected: pd.DataFrame, basis: str) -> pd.DataFrame:
    return expected[expected["basis"] == basis].drop(columns="basis").reset_index(drop=True)


def _close(got, want) -> bool:
    if np.isnan(want):
        return bool(np.isnan(got))
    return bool(np.isclose(got, want, rtol=RTOL, atol=ATOL))


def _manufacturing(altman_expected) -> dict[str, bool]:
    return {str(c): str(m) == "True" for c, m in zip(altman_expected["customer_id"], altman_expected["manufacturing"])}


# --------------------------------------------------------------------------- the data itself
def test_handworked_statements_keep_the_accounting_identities(statements, expected):
    f = statements
    assert (f.current_assets == f.cash + f.receivables + f.inventory + f.other_current_assets).all()
    assert (f.total_assets == f.current_assets + f.fixed_assets).all()
    assert (f.current_liabilities == f.payables + f.short_term_debt + f.other_current_liabilities).all()
    assert (f.total_liabilities == f.current_liabilities + f.long_term_debt + f.other_noncurrent_liabilities).all()
    assert (f.equity == f.total_assets - f.total_liabilities).all()
    assert (f.equity == f.paid_in_capital + f.retained_earnings).all()
    assert (f.ebit == f.revenue - f.cost_of_sales - f.operating_expenses).all()
    assert (f.net_income == f.ebit - f.interest_expense - f.income_tax + f.other_non_operating).all()
    # the expected table lists the statements in the same order, and its NaNs are exactly NAN_REASONS
    exp = _expected_rows(expected, "year_end")
    assert _keys(exp) == _keys(statements)
    nan_cells = {(k, name) for k, row in zip(_keys(exp), exp.itertuples(index=False))
                 for name in RATIOS if np.isnan(getattr(row, name))}
    assert nan_cells == {(k, name) for k, reasons in NAN_REASONS.items() for name in reasons}


# --------------------------------------------------------------------------- catalogue and result shape
def test_catalogue_declares_every_spec_ratio():
    missing = [n for n in RATIOS if n not in stm.CATALOGUE]
    assert not missing, f"CATALOGUE lacks {missing}"
    for name, ratio in stm.CATALOGUE.items():
        assert ratio.name == name
        assert isinstance(ratio.formula, str) and ratio.formula.strip(), name
        assert ratio.unit in {"x", "%", "days", "amount", "months"}, (name, ratio.unit)
        assert ratio.direction in {"higher_is_better", "lower_is_better"}, (name, ratio.direction)
        assert callable(ratio.compute), name
    for name, group in SPEC_GROUPS.items():
        assert stm.CATALOGUE[name].group == group, (name, stm.CATALOGUE[name].group)
    for name in AMOUNTS:
        assert stm.CATALOGUE[name].unit == "amount", name


def test_values_notes_and_changes_share_one_shape_in_input_order(statements, year_end):
    for frame in (year_end.values, year_end.notes, year_end.changes):
        assert list(frame.columns[:2]) == ["customer_id", "fiscal_year"]
        assert set(RATIOS) <= set(frame.columns)
        assert _keys(frame) == _keys(statements)
    assert list(year_end.values.columns) == list(year_end.notes.columns) == list(year_end.changes.columns)
    for name in RATIOS:
        assert year_end.values[name].dtype == np.float64, name
        assert year_end.changes[name].dtype == np.float64, name


def test_rows_follow_the_input_order_whatever_it_is(statements, year_end):
    reversed_input = statements.iloc[::-1].reset_index(drop=True)
    result = stm.compute_ratios(reversed_input)
    assert _keys(result.values) == _keys(reversed_input)
    pd.testing.assert_frame_equal(result.values[RATIOS].iloc[::-1].reset_index(drop=True),
                                  year_end.values[RATIOS].reset_index(drop=True))


# --------------------------------------------------------------------------- hand-worked values
@pytest.mark.parametrize("name", RATIOS)
def test_ratio_matches_hand_worked_value(name, year_end, expected):
    exp = _expected_rows(expected, "year_end")
    got = year_end.values[name].to_numpy(dtype=float)
    want = exp[name].to_numpy(dtype=float)
    bad = [f"{k}: got {g!r}, want {w!r}" for k, g, w in zip(_keys(exp), got, want) if not _close(g, w)]
    assert not bad, f"{name}: " + "; ".join(bad)


def test_nan_ratios_carry_the_specified_reason(year_end):
    keys = _keys(year_end.values)
    bad = []
    for key, reasons in NAN_REASONS.items():
        i = keys.index(key)
        for name, words in reasons.items():
            value, note = year_end.values.at[i, name], year_end.notes.at[i, name]
            if not np.isnan(value):
                bad.append(f"{key} {name}: value {value!r}, expected NaN")
            if not isinstance(note, str) or not note.strip():
                bad.append(f"{key} {name}: empty note {note!r}")
                continue
            for word in words:
                if word.lower() not in note.lower():
                    bad.append(f"{key} {name}: note {note!r} lacks {word!r}")
    assert not bad, "\n".join(bad)


def test_valid_ratios_have_an_empty_note(year_end, expected):
    exp = _expected_rows(expected, "year_end")
    bad = [f"{k} {name}: {year_end.notes.at[i, name]!r}"
           for i, k in enumerate(_keys(exp)) for name in RATIOS
           if not np.isnan(exp.at[i, name]) and year_end.notes.at[i, name] != ""]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("basis", ["year_end", "average"])
def test_no_inf_anywhere(statements, basis):
    result = stm.compute_ratios(statements, basis=basis)
    for frame in (result.values, result.changes):
        numbers = frame.drop(columns=["customer_id", "fiscal_year"]).to_numpy(dtype=float)
        assert not np.isinf(numbers).any()


@pytest.mark.parametrize("key", [("H1", 2024), ("H2", 2024), ("H4", 2025), ("P1", 2024)])
def test_dupont_identity(year_end, key):
    # roe = net_margin × asset_turnover × equity_multiplier, e.g. H1 2024: 0.1 × 1.0 × 2.0 = 0.2
    row = year_end.values.iloc[_keys(year_end.values).index(key)]
    assert row["roe"] == pytest.approx(row["net_margin"] * row["asset_turnover"] * row["equity_multiplier"],
                                       rel=RTOL)


def test_negative_equity_keeps_a_negative_equity_ratio_but_no_leverage_multiples(year_end):
    i = _keys(year_end.values).index(("H3", 2024))
    v, n = year_end.values.iloc[i], year_end.notes.iloc[i]
    assert v["equity_ratio"] == pytest.approx(-0.25, rel=RTOL) and n["equity_ratio"] == ""  # -100 / 400
    for name in ("debt_to_equity", "roe", "equity_multiplier"):
        assert np.isnan(v[name]) and "negative" in n[name] and "equity" in n[name], name


# --------------------------------------------------------------------------- partial year, days, growth
def test_partial_year_flows_are_annualized_but_amounts_are_not(statements, year_end):
    h2 = statements[statements.customer_id == "H2"].reset_index(drop=True)   # 2023 (12 m), 2024 (6 m)
    doubled = h2.copy()
    doubled.loc[doubled.fiscal_year == 2024, FLOWS] *= 2                    # 6-month flows × 12/6
    doubled.loc[doubled.fiscal_year == 2024, "months"] = 12
    a, b = stm.compute_ratios(h2).values, stm.compute_ratios(doubled).values
    for name in RATIOS:
        if name == "free_cash_flow":
            continue
        np.testing.assert_allclose(a[name], b[name], rtol=RTOL, atol=ATOL, equal_nan=True, err_msg=name)
    i = _keys(year_end.values).index(("H2", 2024))
    row = year_end.values.iloc[i]
    assert row["free_cash_flow"] == 40       # 60 − 20 as reported (annualized would be 80)
    assert b.loc[b.fiscal_year == 2024, "free_cash_flow"].item() == 80
    assert row["working_capital"] == 300     # 600 − 300, a balance
    assert row["revenue_growth"] == pytest.approx(0.2, rel=RTOL)   # 600 × 2 / 1,000 − 1, not 600 / 1,000 − 1
    assert row["dso"] == pytest.approx(91.25, rel=RTOL)            # 300 / 1,200 × 365


def test_days_in_year_parameter(statements):
    result = stm.compute_ratios(statements, days_in_year=360)
    row = result.values.iloc[_keys(result.values).index(("H1", 2024))]
    assert row["dso"] == pytest.approx(72.0, rel=RTOL)                     # 200 / 1,000 × 360
    assert row["dio"] == pytest.approx(90.0, rel=RTOL)                     # 150 / 600 × 360
    assert row["dpo"] == pytest.approx(72.0, rel=RTOL)                     # 120 / 600 × 360
    assert row["cash_conversion_cycle"] == pytest.approx(90.0, rel=RTOL)   # 72 + 90 − 72
    assert row["current_ratio"] == pytest.approx(2.0, rel=RTOL)            # unaffected


def test_growth_needs_the_fiscal_year_just_before(year_end):
    keys = _keys(year_end.values)
    for key in [("H1", 2023), ("H4", 2022), ("H4", 2024)]:   # first years and the 2022 → 2024 gap
        i = keys.index(key)
        for name in ("revenue_growth", "equity_growth"):
            assert np.isnan(year_end.values.at[i, name]), (key, name)
            assert "no prior year" in year_end.notes.at[i, name].lower(), (key, name)
    # H1 2024 is listed BEFORE H1 2023 and still finds it: 1,000 / 800 − 1 = 0.25; 500 / 400 − 1 = 0.25
    i = keys.index(("H1", 2024))
    assert year_end.values.at[i, "revenue_growth"] == pytest.approx(0.25, rel=RTOL)
    assert year_end.values.at[i, "equity_growth"] == pytest.approx(0.25, rel=RTOL)


def test_changes_are_value_minus_prior_year_value(year_end):
    # input order: H1 2024, H1 2023, H2 2023, H2 2024, H3 2024, H4 2022, H4 2024, H4 2025, P1 2024
    nan = np.nan
    want = {
        # H1 2024: 0.2 − 0.12 = 0.08; H2 2024: 0.3 − 0.1875 = 0.1125; H4 2025: 0.08 − (−0.375) = 0.455;
        # H4 2024 has no 2023 row → NaN
        "roe": [0.08, nan, nan, 0.1125, nan, nan, nan, 0.455, nan],
        # H1 2024: 250 − 200 = 50; H2 2024: 300 − 250 = 50; H4 2025: 50 − 40 = 10
        "working_capital": [50, nan, nan, 50, nan, nan, nan, 10, nan],
        # H1 2024: 91.25 − 94.9 = −3.65; H2 2024: 36.5 − 36.5 = 0; H4 2025: prior (H4 2024) dio is NaN → NaN
        "dio": [-3.65, nan, nan, 0.0, nan, nan, nan, nan, nan],
    }
    for name, values in want.items():
        np.testing.assert_allclose(year_end.changes[name].to_numpy(dtype=float), values, rtol=RTOL, atol=ATOL,
                                   equal_nan=True, err_msg=name)


# --------------------------------------------------------------------------- basis="average"
def test_average_basis_matches_hand_worked_values(statements, expected, average):
    exp_avg = _expected_rows(expected, "average")
    exp_ye = _expected_rows(expected, "year_end")
    avg_keys = _keys(exp_avg)
    keys = _keys(average.values)
    bad = []
    for i, key in enumerate(keys):
        if key in avg_keys:   # has a fiscal_year − 1 row: averaged balances
            want_row, skip = exp_avg.iloc[avg_keys.index(key)], NOT_COMPARED_UNDER_AVERAGE
        else:                 # no prior row: year-end balances, every ratio as on the year_end basis
            want_row, skip = exp_ye.iloc[_keys(exp_ye).index(key)], set()
        for name in RATIOS:
            if name in skip:
                continue
            got, want = average.values.at[i, name], float(want_row[name])
            if not _close(got, want):
                bad.append(f"{key} {name}: got {got!r}, want {want!r}")
    assert not bad, "\n".join(bad)


def test_average_basis_leaves_pure_balance_sheet_ratios_at_year_end(year_end, average):
    for name in ("current_ratio", "quick_ratio", "cash_ratio", "working_capital", "debt_to_equity",
                 "liabilities_to_assets", "equity_ratio", "equity_multiplier"):
        np.testing.assert_allclose(average.values[name], year_end.values[name], rtol=RTOL, equal_nan=True,
                                   err_msg=name)
    # H1 2024 dso on average receivables: (200 + 160) / 2 / 1,000 × 365 = 65.7 (year-end: 73.0)
    i = _keys(average.values).index(("H1", 2024))
    assert average.values.at[i, "dso"] == pytest.approx(65.7, rel=RTOL)


# --------------------------------------------------------------------------- vectorization
@pytest.mark.parametrize("basis", ["year_end", "average"])
def test_one_call_over_many_customers_equals_per_customer_calls(statements, basis):
    whole = stm.compute_ratios(statements, basis=basis)
    for cid in statements.customer_id.unique():
        mask = (statements.customer_id == cid).to_numpy()
        one = stm.compute_ratios(statements[mask].reset_index(drop=True), basis=basis)
        for attr in ("values", "notes", "changes"):
            mine = getattr(whole, attr)[mask].reset_index(drop=True)
            pd.testing.assert_frame_equal(mine, getattr(one, attr).reset_index(drop=True), obj=f"{cid} {attr}")


# --------------------------------------------------------------------------- Altman Z' / Z''
def test_altman_matches_hand_worked_scores(statements, altman_expected):
    result = stm.altman_z(statements, _manufacturing(altman_expected))
    assert {"customer_id", "fiscal_year", "model", "x1", "x2", "x3", "x4", "x5", "value", "zone", "note"} \
        <= set(result.columns)
    got = result.assign(customer_id=result.customer_id.astype(str), fiscal_year=result.fiscal_year.astype(int))
    got = got.set_index(["customer_id", "fiscal_year"])
    bad = []
    for row in altman_expected.itertuples(index=False):
        key = (str(row.customer_id), int(row.fiscal_year))
        g = got.loc[key]
        if g["model"] != row.model:
            bad.append(f"{key} model {g['model']!r} != {row.model!r}")
        if np.isnan(row.value):   # H4 2022: total_liabilities = 0
            if not np.isnan(g["value"]):
                bad.append(f"{key} value {g['value']!r}, expected NaN")
            for word in row.note_contains.split("|"):
                if word not in str(g["note"]).lower():
                    bad.append(f"{key} note {g['note']!r} lacks {word!r}")
            if g["zone"] in ("safe", "grey", "distress"):
                bad.append(f"{key} zone {g['zone']!r} for an undefined score")
            continue
        for name in ("x1", "x2", "x3", "x4", "x5", "value"):
            if not _close(float(g[name]), float(getattr(row, name))):
                bad.append(f"{key} {name}: got {g[name]!r}, want {getattr(row, name)!r}")
        if g["zone"] != row.zone:
            bad.append(f"{key} zone {g['zone']!r} != {row.zone!r}")
    assert not bad, "\n".join(bad)


def test_altman_published_style_check(statements, altman_expected):
    # P1 2024 is built so that X1 = 200/1,000 = 0.2, X2 = 300/1,000 = 0.3, X3 = 100/1,000 = 0.1,
    # X4 = 600/400 = 1.5, X5 = 1,800/1,000 = 1.8, hence
    # Z' = 0.717·0.2 + 0.847·0.3 + 3.107·0.1 + 0.420·1.5 + 0.998·1.8
    #    = 0.1434 + 0.2541 + 0.3107 + 0.63 + 1.7964 = 3.1346  (> 2.90 → "safe")
    p1 = statements[statements.customer_id == "P1"].reset_index(drop=True)
    row = stm.altman_z(p1, {"P1": True}).iloc[0]
    assert row["model"] == "Z'"
    for name, want in (("x1", 0.2), ("x2", 0.3), ("x3", 0.1), ("x4", 1.5), ("x5", 1.8), ("value", 3.1346)):
        assert row[name] == pytest.approx(want, rel=RTOL), name
    assert row["zone"] == "safe"


def test_altman_negative_book_equity_still_scores(statements):
    # H3 2024: X4 = −100 / 500 = −0.2, Z' = −0.3585 − 0.317625 − 0.9321 − 0.084 + 1.2475 = −0.444725
    h3 = statements[statements.customer_id == "H3"].reset_index(drop=True)
    row = stm.altman_z(h3, {"H3": True}).iloc[0]
    assert row["x4"] == pytest.approx(-0.2, rel=RTOL)
    assert row["value"] == pytest.approx(-0.444725, rel=RTOL)
    assert row["zone"] == "distress"


def test_altman_non_manufacturer_has_no_x5(statements, altman_expected):
    result = stm.altman_z(statements, _manufacturing(altman_expected))
    z2 = result[result.model == "Z''"]
    assert len(z2) == 5 and z2["x5"].isna().all()


def test_altman_accepts_a_series_as_well_as_a_dict(statements, altman_expected):
    as_dict = _manufacturing(altman_expected)
    a = stm.altman_z(statements, as_dict)
    b = stm.altman_z(statements, pd.Series(as_dict))
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))


# --------------------------------------------------------------------------- property: scale invariance
_part = st.integers(min_value=0, max_value=100_000)
_signed = st.integers(min_value=-100_000, max_value=100_000)


@st.composite
def _statement(draw, customer_id: str, fiscal_year: int) -> dict:
    """One statement that keeps every identity: parts are drawn, subtotals computed."""
    r = dict(customer_id=customer_id, fiscal_year=fiscal_year, months=draw(st.sampled_from([3, 6, 9, 12])))
    r["revenue"], r["cost_of_sales"] = draw(_part), draw(_part)
    r["depreciation_amortization"] = draw(_part)
    r["operating_expenses"] = r["depreciation_amortization"] + draw(_part)   # D&A is an operating expense
    r["ebit"] = r["revenue"] - r["cost_of_sales"] - r["operating_expenses"]
    r["interest_expense"], r["income_tax"], r["other_non_operating"] = draw(_part), draw(_signed), draw(_signed)
    r["net_income"] = r["ebit"] - r["interest_expense"] - r["income_tax"] + r["other_non_operating"]
    for c in ("cash", "receivables", "inventory", "other_current_assets", "fixed_assets", "payables",
              "short_term_debt", "other_current_liabilities", "long_term_debt", "other_noncurrent_liabilities",
              "paid_in_capital"):
        r[c] = draw(_part)
    r["current_assets"] = r["cash"] + r["receivables"] + r["inventory"] + r["other_current_assets"]
    r["total_assets"] = r["current_assets"] + r["fixed_assets"]
    r["current_liabilities"] = r["payables"] + r["short_term_debt"] + r["other_current_liabilities"]
    r["total_liabilities"] = r["current_liabilities"] + r["long_term_debt"] + r["other_noncurrent_liabilities"]
    r["equity"] = r["total_assets"] - r["total_liabilities"]
    r["retained_earnings"] = r["equity"] - r["paid_in_capital"]
    r["operating_cash_flow"], r["capital_expenditure"] = draw(_signed), draw(_part)
    return r


@st.composite
def _portfolio(draw) -> pd.DataFrame:
    rows = []
    for k in range(draw(st.integers(min_value=1, max_value=3))):
        for year in draw(st.sampled_from([[2024], [2023, 2024], [2022, 2024]])):
            rows.append(draw(_statement(f"R{k}", year)))
    return pd.DataFrame(rows)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=_portfolio(), factor=st.floats(min_value=1e-3, max_value=1e6, allow_nan=False, allow_infinity=False),
       basis=st.sampled_from(["year_end", "average"]))
def test_scaling_every_money_figure_changes_only_the_amounts(frame, factor, basis):
    scaled = frame.copy()
    scaled[MONEY] = scaled[MONEY].astype(float) * factor
    a, b = stm.compute_ratios(frame, basis=basis), stm.compute_ratios(scaled, basis=basis)
    for result in (a, b):
        numbers = result.values[RATIOS].to_numpy(dtype=float)
        assert not np.isinf(numbers).any()
    for name in RATIOS:
        base, new = a.values[name].to_numpy(dtype=float), b.values[name].to_numpy(dtype=float)
        np.testing.assert_array_equal(np.isnan(base), np.isnan(new), err_msg=f"NaN pattern of {name}")
        assert list(a.notes[name]) == list(b.notes[name]), name
        if name in AMOUNTS:
            np.testing.assert_allclose(new, base * factor, rtol=RTOL, atol=ATOL * factor, equal_nan=True,
                                       err_msg=name)
        elif name == "cash_conversion_cycle":
            # dso + dio − dpo may cancel: allow rounding relative to the size of its parts
            parts = sum(np.abs(a.values[p].to_numpy(dtype=float)) for p in ("dso", "dio", "dpo"))
            ok = np.isnan(base) | (np.abs(new - base) <= RTOL * np.nan_to_num(parts) + ATOL)
            assert ok.all(), (name, base, new)
        else:
            np.testing.assert_allclose(new, base, rtol=RTOL, atol=ATOL, equal_nan=True, err_msg=name)
