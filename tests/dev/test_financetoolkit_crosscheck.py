"""Dev-only cross-check: our catalogue against FinanceToolkit's formulas where both define a ratio.

Not part of `make test` (FinanceToolkit is not a dependency). Run it with
``make crosscheck`` (installs financetoolkit into .venv and runs this file).
"""
import numpy as np
import pytest

ft = pytest.importorskip("financetoolkit")
from financetoolkit.ratios import efficiency_model as eff  # noqa: E402
from financetoolkit.ratios import liquidity_model as liq  # noqa: E402
from financetoolkit.ratios import profitability_model as prof  # noqa: E402
from financetoolkit.ratios import solvency_model as solv  # noqa: E402

from helpers import load_portfolio  # noqa: E402
from helpers.analysis.statements import compute_ratios  # noqa: E402


@pytest.fixture(scope="module")
def data():
    fs = load_portfolio(as_of="2026-09-30").statements
    fs = fs[fs.months == 12].reset_index(drop=True)  # FinanceToolkit does not annualize
    return fs, compute_ratios(fs).values


def _same(ours, theirs):
    theirs = np.asarray(theirs, dtype=float)
    theirs = np.where(np.isfinite(theirs), theirs, np.nan)
    ok = ~np.isnan(ours.to_numpy()) & ~np.isnan(theirs)
    assert ok.sum() > 100
    np.testing.assert_allclose(ours.to_numpy()[ok], theirs[ok], rtol=1e-12)


def test_liquidity(data):
    fs, v = data
    _same(v.current_ratio, liq.get_current_ratio(fs.current_assets, fs.current_liabilities))
    # FinanceToolkit: (cash + marketable securities + receivables) / current liabilities; with other current
    # assets as the "securities" and receivables = current assets − inventory − cash − other, it is our quick ratio
    _same(v.quick_ratio, liq.get_quick_ratio(fs.cash, fs.other_current_assets, fs.receivables, fs.current_liabilities))
    _same(v.cash_ratio, liq.get_cash_ratio(fs.cash, 0.0, fs.current_liabilities))
    _same(v.working_capital, liq.get_working_capital(fs.current_assets, fs.current_liabilities))


def test_solvency_and_coverage(data):
    fs, v = data
    debt = fs.short_term_debt + fs.long_term_debt
    _same(v.debt_to_equity, solv.get_debt_to_equity_ratio(debt, fs.equity.where(fs.equity > 0)))
    _same(v.interest_coverage, solv.get_interest_coverage_ratio(fs.ebit, fs.interest_expense))
    _same(v.debt_to_ebitda, solv.get_gross_debt_to_ebitda_ratio(debt, fs.ebit, fs.depreciation_amortization))
    _same(v.equity_multiplier, solv.get_equity_multiplier(fs.total_assets, fs.equity.where(fs.equity > 0)))


def test_profitability_and_efficiency(data):
    fs, v = data
    _same(v.gross_margin, prof.get_gross_margin(fs.revenue, fs.cost_of_sales))
    _same(v.net_margin, prof.get_net_profit_margin(fs.net_income, fs.revenue))
    _same(v.roa, prof.get_return_on_assets(fs.net_income, fs.total_assets))
    _same(v.dso, eff.get_days_of_sales_outstanding(fs.receivables, fs.revenue))
    _same(v.dio, eff.get_days_of_inventory_outstanding(fs.inventory, fs.cost_of_sales))
    _same(v.dpo, eff.get_days_of_accounts_payable_outstanding(fs.cost_of_sales, fs.payables))
    _same(v.asset_turnover, eff.get_asset_turnover_ratio(fs.revenue, fs.total_assets))
