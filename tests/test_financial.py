"""The financial-analysis step on the sample portfolio: the seed's case 1, findings, caching, edge cases."""
import copy

import pytest

from helpers import load_portfolio
from helpers.exceptions import RiskbookError
from helpers.analysis.financial import analyse_portfolio, financial_section
from helpers.report.localize import financial_text, ratio_frame
from helpers.analysis.statements import CATALOGUE


@pytest.fixture(scope="module")
def sample():
    return load_portfolio(as_of="2026-09-30")


def test_case1_shows_weak_short_term_solvency_in_ratios_and_findings(sample):
    section = financial_section(sample, "CASE1")
    ratios = section["summary"]["ratios"]
    policy = sample.policy.thresholds
    assert ratios["current_ratio"] < policy["current_ratio"].min
    assert ratios["quick_ratio"] < policy["quick_ratio"].min
    lights = {r["ratio"]: r["light"] for r in section["ratios"]}
    assert lights["current_ratio"] == "red" and lights["quick_ratio"] == "red"
    fs = sample.customer("CASE1").statements.sort_values("fiscal_year").iloc[-1]
    assert ratios["quick_ratio"] == pytest.approx((fs.current_assets - fs.inventory) / fs.current_liabilities)
    high = [f["text"] for f in financial_text(section, "en")["findings"] if f["severity"] == "high"]
    assert any(t.startswith(f"Quick ratio {ratios['quick_ratio']:.2f}") and "policy minimum 0.80" in t
               and "weakest quartile" in t and "Electronics" in t for t in high)
    assert any(t.startswith(f"Current ratio {ratios['current_ratio']:.2f}") for t in high)
    # the findings are ordered by severity
    order = ["high", "medium", "low", "positive"]
    sev = [order.index(f["severity"]) for f in section["findings"]]
    assert sev == sorted(sev)


def test_summary_carries_every_catalogue_ratio_and_the_z_score(sample):
    section = financial_section(sample, "CASE2")
    assert set(section["summary"]["ratios"]) == set(CATALOGUE)
    z = section["summary"]["z_score"]
    assert z["model"] == "Z'" and z["zone"] in ("safe", "grey", "distress")  # textiles are manufacturing
    lo, hi = section["altman"]["latest"]["zones"]
    assert (z["zone"] == "grey") == (lo <= z["value"] <= hi)
    # summary.json is for machines: codes and numbers, no prose in any language
    assert section["summary"]["findings"] and all(set(f) == {"severity", "code", "args"}
                                                  for f in section["summary"]["findings"])


def test_non_manufacturer_gets_z_double_prime(sample):
    cid = sample.customers.loc[sample.customers.industry == "wholesale", "customer_id"].iloc[0]
    assert financial_section(sample, cid)["summary"]["z_score"]["model"] == "Z''"


def test_peer_statistics_are_the_industry_quartiles(sample):
    import numpy as np

    section = financial_section(sample, "CASE1")
    peer = {r["ratio"]: r["peer"] for r in section["ratios"]}["current_ratio"]
    ids = sample.customers.loc[sample.customers.industry == "electronics", "customer_id"]
    analysis = analyse_portfolio(sample)
    v = analysis.ratios.values
    latest = v[v.customer_id.isin(ids)].sort_values("fiscal_year").groupby("customer_id").tail(1)["current_ratio"]
    assert peer["n"] == len(ids) and peer["peer_group"] == "electronics"
    assert peer["median"] == pytest.approx(float(np.median(latest)))
    assert peer["q1"] == pytest.approx(float(np.quantile(latest, 0.25)))
    rank = (latest < section["summary"]["ratios"]["current_ratio"]).sum() + 0.5
    assert peer["percentile"] == pytest.approx(rank / len(ids) * 100)


def test_portfolio_analysis_is_computed_once(sample):
    assert analyse_portfolio(sample) is analyse_portfolio(sample)


def test_customer_without_statements_is_refused(sample):
    broken = copy.deepcopy(sample)
    fs = broken.tables["financial_statements"]
    broken.tables["financial_statements"] = fs[fs.customer_id != "CASE1"].reset_index(drop=True)
    if hasattr(broken, "_financial_analysis"):
        delattr(broken, "_financial_analysis")
    with pytest.raises(RiskbookError, match="no financial statements"):
        financial_section(broken, "CASE1")


def test_negative_equity_customer_is_flagged_and_ratios_excluded(sample):
    fs = sample.statements
    neg = fs[fs.equity < 0].sort_values("fiscal_year").groupby("customer_id").tail(1)
    assert len(neg), "the sample has customers with negative equity"
    cid = neg.customer_id.iloc[0]
    section = financial_section(sample, cid)
    latest = section["summary"]["ratios"]
    assert latest["debt_to_equity"] is None and latest["roe"] is None and latest["equity_ratio"] < 0
    assert "equity is negative" in section["summary"]["ratio_notes"]["debt_to_equity"]
    assert any(f["rule"] == "negative_equity" and f["severity"] == "high" for f in section["findings"])


def test_ratio_frame_has_one_row_per_ratio(sample):
    frame = ratio_frame(financial_section(sample, "CASE1"))
    assert len(frame) == len(CATALOGUE)
    assert {"change", "light", "peer_median", "percentile"} <= set(frame.columns)
