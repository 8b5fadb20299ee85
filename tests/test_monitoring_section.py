"""The monitoring section on sample customers: what the notebook saves, and how the previous run, the
insurance and the provision matrix enter it."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from helpers.analysis.ecl import portfolio_matrix
from helpers.analysis.monitoring import convert, open_amount_at
from helpers.analysis.scenarios import policy_scenarios
from helpers.data.store import to_jsonable
from helpers.decisions import decision_section, monitoring_section, run_scenarios
from helpers.report.localize import monitoring_text
from helpers.scoring.credit import credit_section


@pytest.fixture(scope="module")
def saved(portfolio, scorecard):
    """Credit and decision sections of CASE1 and CASE2 as their notebooks save them (JSON round trip)."""
    out = {}
    for cid in ("CASE1", "CASE2"):
        credit = credit_section(portfolio, cid, scorecard)
        table = run_scenarios(portfolio, cid, scorecard, policy_scenarios(portfolio.policy))
        decision = decision_section(portfolio, cid, scorecard, credit, table)
        out[cid] = json.loads(json.dumps(to_jsonable(credit))), json.loads(json.dumps(to_jsonable(decision)))
    return out


def test_grade_downgrade_and_overdue_review_come_from_the_previous_run(portfolio, saved):
    credit, decision = saved["CASE1"]
    first = monitoring_section(portfolio, "CASE1", credit, decision, previous=None)
    assert "grade_downgrade" not in {w["rule"] for w in first["warnings"]}
    assert first["review"]["overdue_days"] is None and first["previous"] is None
    better = str(int(decision["grade"]) - 3)
    again = monitoring_section(portfolio, "CASE1", credit, decision,
                               previous={"grade": better, "review_date": "2026-08-31", "as_of": "2026-02-28"})
    down = [w for w in again["warnings"] if w["rule"] == "grade_downgrade"]
    assert down and down[0]["args"] == {"previous": better, "grade": decision["grade"], "notches": 3}
    assert down[0]["severity"] == "high"  # the sample policy escalates from 2 notches
    assert again["review"]["overdue_days"] == 30  # 2026-08-31 → 2026-09-30
    same = monitoring_section(portfolio, "CASE1", credit, decision, previous={"grade": decision["grade"]})
    assert "grade_downgrade" not in {w["rule"] for w in same["warnings"]}


def test_severe_signals_bring_the_review_forward_and_it_is_never_later(portfolio, saved):
    for cid, (credit, decision) in saved.items():
        sec = monitoring_section(portfolio, cid, credit, decision)
        scheduled = pd.Timestamp(decision["review_date"])
        assert sec["review"]["date"] <= scheduled
        high = [w for w in sec["warnings"] if w["severity"] == "high"]
        if high:
            limit = portfolio.as_of + pd.DateOffset(months=portfolio.policy.monitoring.severe_review_months)
            assert sec["review"]["date"] == min(scheduled, limit.normalize())
        else:
            assert sec["review"]["date"] == scheduled


def test_ecl_ties_to_the_aging_the_matrix_and_the_weights(portfolio, saved):
    weights = {s.name: s.weight for s in portfolio.policy.decisions.scenarios}
    for cid, (credit, decision) in saved.items():
        sec = monitoring_section(portfolio, cid, credit, decision)
        ecl = sec["ecl"]
        assert ecl["open"] == pytest.approx(sum(r["amount"] for r in sec["aging"]))
        assert ecl["open"] == pytest.approx(sec["exposure"]["open_invoices"])
        assert ecl["weighted"] == pytest.approx(sum(weights[s] * v["ecl"] for s, v in ecl["scenarios"].items()))
        matrix = {r["bucket"]: r for r in sec["ecl_matrix"]}
        base = sum(r["open"] * matrix[r["bucket"]]["loss_rate"] for r in ecl["by_bucket"])
        assert ecl["scenarios"]["base"]["ecl"] == pytest.approx(base)  # the sample's base multiplier is 1
        mult = portfolio.policy.monitoring.ecl.scenario_multipliers
        assert {s: v["multiplier"] for s, v in ecl["scenarios"].items()} == {s: mult.get(s, 1.0) for s in weights}
        if decision["insurance"]["recommended"]:  # the recommended cover is a memo: it would lower what we keep
            assert ecl["insured_memo"]["weighted"] < ecl["weighted"]
        else:
            assert ecl["insured_memo"] is None
        json.dumps(to_jsonable(sec))  # what the notebook saves is plain JSON


def test_case2_is_insured_and_domestic_customers_use_their_own_matrix(portfolio, saved):
    credit, decision = saved["CASE2"]
    assert decision["insurance"]["recommended"]
    sec = monitoring_section(portfolio, "CASE2", credit, decision)
    c = portfolio.customer("CASE2")
    assert sec["ecl"]["group"] == ("domestic" if c.domestic else "foreign")
    assert {r["group"] for r in sec["ecl_matrix"]} == {sec["ecl"]["group"]}


def test_ledger_ecl_is_the_sum_of_the_customers_ecl(portfolio):
    """The whole ledger's ECL equals the customers' ECL summed in the base currency (gross of insurance)."""
    from helpers.analysis.monitoring import aging
    from helpers.analysis.ecl import customer_group
    from helpers.decisions.monitoring import customer_ecl, ledger_ecl

    policy = portfolio.policy
    weights = {s.name: s.weight for s in policy.decisions.scenarios}
    matrix, groups = portfolio_matrix(portfolio), customer_group(portfolio)
    inv = convert(portfolio.tables["invoices"], portfolio.fx_rates, policy.base_currency)
    total = sum(customer_ecl(aging(g, portfolio.as_of), matrix[matrix["group"] == groups[cid]],
                             policy.monitoring.ecl.scenario_multipliers, weights)["weighted"]
                for cid, g in inv.groupby("customer_id"))
    led = ledger_ecl(portfolio)
    assert led["weighted"] == pytest.approx(total) and led["open"] == pytest.approx(open_amount_at(inv, portfolio.as_of).sum())
    assert sum(g["open"] for g in led["by_group"].values()) == pytest.approx(led["open"])


def test_portfolio_matrix_reconciles_with_the_ledger(portfolio):
    """Σ of every customer's aging (base currency) = the ledger's open balance; the matrix is estimated once."""
    from helpers.analysis.monitoring import aging

    inv = convert(portfolio.tables["invoices"], portfolio.fx_rates, portfolio.policy.base_currency)
    total = open_amount_at(inv, portfolio.as_of).sum()
    by_customer = sum(aging(g, portfolio.as_of)["amount"].sum() for _, g in inv.groupby("customer_id"))
    assert by_customer == pytest.approx(total) and total > 0
    assert portfolio_matrix(portfolio) is portfolio_matrix(portfolio)
    m = portfolio_matrix(portfolio)
    assert set(m["group"]) == {"all", "domestic", "foreign"}
    pooled = m[m["group"] == "all"].set_index("bucket")["default_rate"]
    assert pooled.is_monotonic_increasing  # older buckets default more often, on the sample's history
    assert pooled["over_90"] == 1.0
    assert (m["invoices"] <= m["observations"]).all() and (m["invoices"] > 0).all()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_monitoring_words_in_both_languages(portfolio, saved, lang):
    credit, decision = saved["CASE1"]
    sec = json.loads(json.dumps(to_jsonable(monitoring_section(portfolio, "CASE1", credit, decision))))
    words = monitoring_text(sec, lang)
    assert len(words["warnings"]) == len(sec["warnings"]) and all(w["text"] and w["action"] for w in words["warnings"])
    assert [r["label"] for r in words["aging"]][0] == ("Not yet due" if lang == "en" else "未到期")
    util = f"{sec['exposure']['utilization'] * 100:.0f}"
    assert any(util in w["text"] for w in words["warnings"] if w["rule"] == "utilization")
