"""Decisions (helpers.decisions): the seed cases, the option arithmetic, the limit caps, the
tightening of terms with risk, the fallback, the clauses and the review date."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from helpers.config import Clause, TermOption
from helpers.analysis.characteristics import portfolio_characteristics
from helpers.scoring.credit import credit_section
from helpers.decisions import (clause_checklist, credit_limit, decision_section, evaluate_options, recommend,
                               review_date)
from helpers.exceptions import RiskbookError
from helpers.analysis.scenarios import policy_scenarios
from helpers.decisions import run_scenarios

OPEN_ACCOUNT = ("open_30", "open_60", "open_90", "instalments_3x30")
SECTION_CUSTOMERS = ("CASE1", "CASE2", "C001", "C003", "C012", "C032")


def _section(portfolio, scorecard, cid):
    """As the notebooks build it."""
    credit = credit_section(portfolio, cid, scorecard)
    table = run_scenarios(portfolio, cid, scorecard, policy_scenarios(portfolio.policy))
    return credit, table, decision_section(portfolio, cid, scorecard, credit, table)


@pytest.fixture(scope="module")
def sections(portfolio, scorecard):
    return {cid: _section(portfolio, scorecard, cid) for cid in SECTION_CUSTOMERS}


def _options(sections, cid) -> pd.DataFrame:
    return pd.DataFrame(sections[cid][2]["options"]).set_index("option")


def _late(portfolio, cid):
    dbt = portfolio_characteristics(portfolio).at[cid, "days_beyond_terms"]
    return None if pd.isna(dbt) else float(dbt)


def _evaluate(portfolio, cid, grade, base_pd, limit):
    pds = {"base": base_pd, "downturn": min(1.0, 2 * base_pd), "severe": min(1.0, 3 * base_pd)}
    return evaluate_options(portfolio, cid, grade, pds, limit, _late(portfolio, cid))


def _with_decisions(portfolio, **changes):
    """A copy of the portfolio whose policy has other decision settings (the characteristics cache is shared)."""
    policy = portfolio.policy
    dec = policy.decisions.model_copy(update=changes)
    other = dataclasses.replace(portfolio, policy=policy.model_copy(update={"decisions": dec}))
    other._characteristics = portfolio_characteristics(portfolio)
    return other


# --------------------------------------------------------------------------- the seed cases
def test_case1_gets_half_prepayment(sections):
    _credit, _table, d = sections["CASE1"]
    assert d["recommended"]["option"] == "prepay_50"
    assert d["summary"]["terms"]["option"] == "prepay_50"
    assert d["summary"]["terms"]["prepayment_share"] == 0.5
    assert d["summary"]["terms"]["kind"] == "prepayment"
    assert d["summary"]["insurance"]["recommended"] is False
    o = _options(sections, "CASE1")
    # why: grade 8 needs 50 % prepayment or full security, so no open-account terms are possible ...
    assert d["grade"] == "8"
    assert not o.loc[list(OPEN_ACCOUNT), "admissible"].any()
    assert o.loc["prepay_30", "admissible"] == False  # noqa: E712 (30 % < the 50 % grade 8 needs)
    # ... its banks see it 30 days overdue, so no letter of credit or bank guarantee ...
    assert not o.loc[["letter_of_credit", "bank_guarantee"], "admissible"].any()
    assert [r["code"] for r in o.loc["bank_guarantee", "why_not"]] == ["bank_overdue"]
    # ... and half prepayment is worth more than full prepayment, which loses 45 % of the sales
    assert o.loc["prepay_50", "admissible"] and o.loc["prepay_100", "admissible"]
    assert o.loc["prepay_50", "value"] > o.loc["prepay_100", "value"]
    assert o.loc["prepay_50", "value"] == o.loc[o["admissible"], "value"].max()


def test_case2_gets_export_credit_insurance(sections):
    _credit, _table, d = sections["CASE2"]
    assert d["recommended"]["option"] == "export_insurance"
    ins = d["summary"]["insurance"]
    assert ins["recommended"] is True
    assert ins["kind"] == "export"
    assert ins["cover_share"] == 0.9
    # premium 0.6 % of the insured sales: 25,300 · 12 = 303,600 planned, none lost, all on credit
    assert ins["premium"] == pytest.approx(0.006 * 303_600)
    assert d["summary"]["terms"]["instrument"] == "credit_insurance"
    o = _options(sections, "CASE2")
    ok = o[o["admissible"]]
    assert "export_insurance" in ok.index
    assert (ok.drop(index="export_insurance")["value"] < o.loc["export_insurance", "value"]).all()
    # domestic cover is not for a Vietnamese buyer; the grade's 60 days rule out open account at 90
    assert not o.loc["domestic_insurance", "admissible"]
    assert not o.loc["open_90", "admissible"]


# --------------------------------------------------------------------------- every option's arithmetic
@pytest.mark.parametrize("cid", SECTION_CUSTOMERS)
def test_every_option_recomputes_from_its_parts(portfolio, sections, cid):
    credit, table, d = sections[cid]
    dec = portfolio.policy.decisions
    weights = {s.name: s.weight for s in dec.scenarios}
    pds = dict(zip(table["scenario"], table["pd"]))
    assert pds["base"] == pytest.approx(credit["statistical"]["pd"], abs=1e-12)
    limit = d["limit"]["recommended"]
    late = max(0.0, _late(portfolio, cid) or 0.0)
    planned = 12.0 * portfolio.customer(cid).record["expected_monthly_purchases"]
    spec = {o.name: o for o in dec.options}
    rows = pd.DataFrame(d["options"])
    assert list(rows["option"]) == list(spec)
    cust = portfolio.customer(cid)
    fx = dict(zip(portfolio.tables["fx_rates"]["currency"], portfolio.tables["fx_rates"]["rate_to_base"]))
    fx[portfolio.policy.base_currency] = 1.0
    il = cust.record.get("insurer_limit")
    il = math.inf if il is None or pd.isna(il) else float(il)
    for _, r in rows.iterrows():
        o = spec[r["option"]]
        cap = il if o.kind == "credit_insurance" else math.inf
        deductible = o.deductible / fx[cust.currency] if o.kind == "credit_insurance" else 0.0
        period = o.days * (o.installments + 1) / (2 * o.installments) if o.kind == "installments" else o.days
        assert r["days_outstanding"] == pytest.approx(period + late if o.days > 0 else 0.0)
        assert r["planned_sales"] == pytest.approx(planned)
        assert r["ead"] == pytest.approx(r["sales"] * (1 - r["prepayment_share"]) * r["days_outstanding"] / 365)
        assert r["covered"] == pytest.approx(r["cover"] * min(r["ead"], cap))
        assert r["net_ead"] == pytest.approx(r["ead"] - r["covered"])
        # the loss we keep: the uncovered loss plus the insured loss up to the deductible
        retained = dec.lgd * r["ead"] - max(0.0, dec.lgd * r["covered"] - deductible)
        assert r["retained_loss"] == pytest.approx(retained, rel=1e-9, abs=1e-9)
        if deductible == 0.0:
            assert retained == pytest.approx(dec.lgd * r["net_ead"], rel=1e-9, abs=1e-9)
        for name, p in pds.items():
            assert r[f"el_{name}"] == pytest.approx(p * retained, rel=1e-9, abs=1e-9)
        assert r["el_weighted"] == pytest.approx(sum(weights[n] * r[f"el_{n}"] for n in weights), abs=1e-9)
        assert r["financing"] == pytest.approx(r["ead"] * dec.funding_rate)
        if o.kind == "credit_insurance":
            assert r["premium"] == pytest.approx(o.premium_rate * r["sales"] * (1 - o.prepayment_share))
        else:
            assert r["premium"] == 0.0
        if o.kind == "letter_of_credit":
            assert r["fees"] == pytest.approx(max(o.fee_rate * r["sales"], o.min_fee * o.shipments_per_year))
        else:
            assert r["fees"] == 0.0
        assert r["margin"] == pytest.approx(dec.gross_margin * r["sales"])
        assert r["value"] == pytest.approx(r["margin"] - r["el_weighted"] - r["financing"] - r["premium"] - r["fees"])
        assert r["sales"] <= planned * (1 - r["lost_sales"]) + 1e-6
        assert r["ead"] - r["covered"] <= limit + 1e-6
        # the limit or the demand binds: sales are as large as both allow
        e = (1 - r["prepayment_share"]) * r["days_outstanding"] / 365
        if r["cover"] >= 1.0 and math.isinf(cap):
            ead_cap = math.inf
        else:
            first = limit / (1 - r["cover"]) if r["cover"] < 1.0 else math.inf
            ead_cap = first if first <= cap else limit + r["cover"] * cap
        assert r["sales"] == pytest.approx(min(planned * (1 - r["lost_sales"]), ead_cap / e if e > 0 else math.inf))
        if r["admissible"]:
            assert r["el_weighted"] <= dec.max_el_rate * r["sales"] + 1e-9


def test_case2_open_60_by_hand(sections):
    # CASE2 pays 4.957 days late; open 60: days outstanding 64.957; foreign: 5 % of 303,600 lost →
    # wanted 288,420; e = 64.957/365 = 0.17797 → EAD = 288,420 · e = 51,328.9 < limit 56,000.
    o = _options(sections, "CASE2").loc["open_60"]
    assert o["sales"] == pytest.approx(288_420.0)
    assert o["ead"] == pytest.approx(288_420.0 * o["days_outstanding"] / 365)
    assert o["days_outstanding"] == pytest.approx(60 + 4.9575, abs=1e-3)
    # open 90: e = 94.957/365; 303,600 · e = 78,984 > 56,000, so the limit cuts sales to 56,000 / e
    o = _options(sections, "CASE2").loc["open_90"]
    assert o["ead"] == pytest.approx(56_000.0)
    assert o["sales"] == pytest.approx(56_000.0 * 365 / o["days_outstanding"])


# --------------------------------------------------------------------------- the limit
def test_limit_never_exceeds_the_policy_caps(portfolio):
    policy = portfolio.policy
    rounding = policy.decisions.limit.rounding
    fx = dict(zip(portfolio.tables["fx_rates"]["currency"], portfolio.tables["fx_rates"]["rate_to_base"]))
    fx[policy.base_currency] = 1.0
    for cid in portfolio.customer_ids:
        c = portfolio.customer(cid)
        for grade, terms in policy.decisions.grades.items():
            lim = credit_limit(portfolio, cid, grade)
            log = {s["step"].removesuffix("_unknown").removesuffix("_none"): s["value"] for s in lim["log"]}
            assert log["grade_cap"] == pytest.approx(terms.limit_cap / fx[c.currency])
            assert log["capacity"] == max(log["net_worth"], log["working_capital"])
            assert log["net_worth"] >= 0 and log["working_capital"] >= 0
            cap = min(log["grade_cap"], log["capacity"], log["need"], log["bank_cap"])
            assert 0.0 <= lim["limit"] <= cap + 1e-9, (cid, grade)
            assert lim["limit"] > cap - rounding, (cid, grade)  # rounded down, by less than one step
            assert lim["limit"] % rounding == 0, (cid, grade)
            assert log["limit"] == lim["limit"]
            if lim["requested"] is not None:
                assert lim["recommended"] == min(lim["limit"], lim["requested"])
                assert lim["recommended"] <= lim["requested"]
            else:
                assert lim["recommended"] == lim["limit"]


def test_case2_limit_log_by_hand(portfolio):
    lim = credit_limit(portfolio, "CASE2", "6")
    log = {s["step"].removesuffix("_unknown").removesuffix("_none"): s["value"] for s in lim["log"]}
    assert log["net_worth"] == pytest.approx(352_700.0)         # 10 % × equity 3,527,000
    assert log["working_capital"] == pytest.approx(359_750.0)   # 25 % × (4,707,000 − 3,268,000)
    assert log["capacity"] == pytest.approx(359_750.0)
    assert log["need"] == pytest.approx(75_900.0)                     # 25,300 × (60 / 30 + 1)
    assert log["grade_cap"] == pytest.approx(400_000 / 7.12)          # 56,179.78 USD
    assert log["bank_cap"] == pytest.approx(0.5 * (3_007_200 + 831_000))  # the closed loan is out
    assert lim["binding"] == "grade_cap"
    assert lim["limit"] == 56_000.0 and lim["requested"] == 112_000.0 and lim["recommended"] == 56_000.0
    assert lim["currency"] == "USD"
    # a better grade lifts the cap: grade 4's 1,000,000 CNY / 7.12 = 140,449 > need 25,300 × (90/30 + 1)
    lim4 = credit_limit(portfolio, "CASE2", "4")
    assert lim4["binding"] == "need" and lim4["limit"] == 101_000.0 and lim4["recommended"] == 101_000.0


# --------------------------------------------------------------------------- terms tighten with risk
PD_GRID = np.geomspace(0.001, 0.5, 25)


def _net_rate(r):
    return r["net_ead"] / r["planned_sales"]


@pytest.mark.parametrize("cid", ["C001", "CASE2"])
@pytest.mark.parametrize("grade", ["4", "6"])
def test_terms_tighten_as_pd_rises(portfolio, cid, grade):
    dec = portfolio.policy.decisions
    limit = credit_limit(portfolio, cid, grade)["recommended"]
    prev = prev_plain = None
    seen_plain = []
    for b in PD_GRID:
        opts = _evaluate(portfolio, cid, grade, float(b), limit)
        best = recommend(opts)
        plain = recommend(opts[opts["cover"] == 0].reset_index(drop=True))  # no instrument: only terms
        seen_plain.append(plain["option"])
        if b > dec.insurer_max_pd:
            assert best["kind"] != "credit_insurance"
        if prev is not None:
            # a riskier customer is never worth more
            assert best["value"] <= prev["value"] + 1e-9
            # revealed preference: while the earlier choice is still on the table, the new choice
            # leaves us no more net exposure (the PD only adds EL ∝ net exposure to every option)
            if opts.set_index("option").at[prev["option"], "admissible"]:
                assert _net_rate(best) <= _net_rate(prev) + 1e-12, (b, prev["option"], best["option"])
            # without instruments the terms only tighten: less exposure, no less prepayment
            assert _net_rate(plain) <= _net_rate(prev_plain) + 1e-12, (b, prev_plain["option"], plain["option"])
            assert plain["prepayment_share"] >= prev_plain["prepayment_share"], (b, prev_plain["option"],
                                                                                 plain["option"])
        prev, prev_plain = best, plain
    assert len(set(seen_plain)) >= 2  # the grid does move the decision
    assert seen_plain[-1] in ("prepay_30", "prepay_50", "prepay_100")


@pytest.mark.parametrize("cid", ["C001", "C003", "CASE1", "CASE2"])
def test_terms_tighten_down_the_grades(portfolio, scorecard, cid):
    scale = scorecard.master_scale
    prev = None
    chosen = []
    for grade in scale.grades:
        limit = credit_limit(portfolio, cid, grade)["recommended"]
        opts = _evaluate(portfolio, cid, grade, scale.band(grade)[1], limit)
        best = recommend(opts[opts["cover"] == 0].reset_index(drop=True))
        chosen.append(best["option"])
        if prev is not None:
            assert best["prepayment_share"] >= prev["prepayment_share"], (grade, chosen)
            assert best["days"] <= prev["days"], (grade, chosen)
        prev = best
    assert chosen[-1] == "prepay_100"   # grade 8 at PD 1: every loss is certain
    assert chosen[0] != chosen[-1]


# --------------------------------------------------------------------------- fallback
def test_recommend_falls_back_to_full_prepayment(sections):
    o = pd.DataFrame(sections["CASE1"][2]["options"])
    assert o["admissible"].any()
    o["admissible"] = False
    best = recommend(o)
    assert best["option"] == "prepay_100" and best["prepayment_share"] == 1.0
    # a hand-built table: the full-prepayment row is neither first nor the most valuable
    t = pd.DataFrame({"option": ["a", "b", "c", "d"], "kind": ["open_account", "prepayment", "prepayment", "guarantee"],
                      "prepayment_share": [0.0, 0.5, 1.0, 0.0], "value": [9.0, 8.0, 1.0, 7.0],
                      "admissible": [False, False, False, False]})
    assert recommend(t)["option"] == "c"
    # with something admissible the highest admissible value wins, not the highest value
    t.loc[[1, 3], "admissible"] = True
    assert recommend(t)["option"] == "b"


def test_recommend_ignores_a_more_valuable_inadmissible_option(sections):
    o = _options(sections, "CASE1")
    assert o["value"].idxmax() != "prepay_50"  # domestic insurance would be worth more, but grade 8 ...
    assert not o.loc[o["value"].idxmax(), "admissible"]


# --------------------------------------------------------------------------- clauses
def _option(kind="open_account", prepayment=0.0, cover=0.0):
    return pd.Series({"kind": kind, "prepayment_share": prepayment, "cover": cover})


def test_clause_checklist_conditions(portfolio, scorecard):
    policy, grades = portfolio.policy, scorecard.master_scale.grades
    always = {"delivery", "quality", "default_liability", "late_interest"}
    options = [_option(), _option("prepayment", 0.5), _option("prepayment", 1.0),
               _option("credit_insurance", 0.0, 0.9), _option("guarantee", 0.0, 1.0),
               _option("letter_of_credit", 0.0, 1.0)]
    for grade in grades:
        notch = grades.index(grade) + 1
        for domestic in (True, False):
            for opt in options:
                got = {c["name"]: c["required"]
                       for c in clause_checklist(policy, grade=grade, domestic=domestic, option=opt, grades=grades)}
                assert set(got) == {c.name for c in policy.decisions.clauses}
                assert all(got[n] for n in always)
                assert got["arbitration"] is (not domestic)
                assert got["jurisdiction"] is domestic
                assert got["retention_of_title"] is (notch >= 5)
                assert got["acceleration"] is (notch >= 5)
                assert got["security"] is (notch >= 7)
                assert got["insurer"] is (opt["kind"] == "credit_insurance")
                assert got["prepayment"] is (opt["prepayment_share"] > 0)


def test_section_clauses(sections):
    need = {cid: {c["name"] for c in sections[cid][2]["clauses"] if c["required"]} for cid in ("CASE1", "CASE2")}
    # CASE1: grade 8, domestic, 50 % prepayment
    assert {"jurisdiction", "retention_of_title", "security", "prepayment"} <= need["CASE1"]
    assert not {"arbitration", "insurer"} & need["CASE1"]
    # CASE2: grade 6, foreign, export credit insurance
    assert {"arbitration", "insurer", "retention_of_title"} <= need["CASE2"]
    assert not {"jurisdiction", "security", "prepayment"} & need["CASE2"]


def test_unknown_clause_condition_raises(portfolio, scorecard):
    dec = portfolio.policy.decisions.model_copy(
        update={"clauses": [Clause(name="odd", title="Odd", text="x", when=["always", "weekend"])]})
    policy = portfolio.policy.model_copy(update={"decisions": dec})
    with pytest.raises(RiskbookError, match="weekend"):
        clause_checklist(policy, grade="3", domestic=True, option=_option(), grades=scorecard.master_scale.grades)


# --------------------------------------------------------------------------- review date
def test_review_date():
    as_of = pd.Timestamp("2026-09-30")
    assert review_date(as_of, 3) == pd.Timestamp("2026-12-30")
    assert review_date(as_of, 6) == pd.Timestamp("2027-03-30")
    assert review_date(as_of, 12) == pd.Timestamp("2027-09-30")
    assert review_date(pd.Timestamp("2026-11-30 15:45"), 3) == pd.Timestamp("2027-02-28")  # month end, no time


def test_section_review_date_follows_the_grade(portfolio, sections):
    for cid in SECTION_CUSTOMERS:
        d = sections[cid][2]
        months = portfolio.policy.decisions.grades[d["grade"]].review_months
        assert d["review_months"] == months
        assert d["review_date"] == review_date(portfolio.as_of, months)
        assert d["summary"]["review_date"] == d["review_date"]
    assert sections["CASE1"][2]["review_date"] == pd.Timestamp("2026-12-30")  # grade 8: 3 months
    assert sections["CASE2"][2]["review_date"] == pd.Timestamp("2027-03-30")  # grade 6: 6 months


# --------------------------------------------------------------------------- summary
def test_summary_keys(sections):
    for cid in SECTION_CUSTOMERS:
        credit, table, d = sections[cid]
        s = d["summary"]
        assert {"limit", "terms", "insurance", "review_date", "scenarios"} <= set(s)
        assert {"kind", "days", "prepayment_share", "instrument"} <= set(s["terms"])
        assert set(s["insurance"]) == {"recommended", "kind", "cover_share", "premium"}
        assert s["limit"] == d["limit"]["recommended"]
        assert list(s["scenarios"]) == list(table["scenario"])
        assert {k: v["grade"] for k, v in s["scenarios"].items()} == dict(zip(table["scenario"], table["grade"]))
        assert s["terms"]["option"] == d["recommended"]["option"]
        if not s["insurance"]["recommended"]:
            assert s["insurance"]["kind"] is None and s["insurance"]["premium"] is None


# --------------------------------------------------------------------------- regressions of fixed bugs
def test_insurance_for_any_buyer_covers_foreign_and_domestic(portfolio):
    # scope "any" (the TermOption default) used to be refused for foreign buyers as
    # "domestic cover is for domestic buyers"
    opts = [o for o in portfolio.policy.decisions.options if o.kind != "credit_insurance"]
    anywhere = TermOption(name="any_insurance", label="Credit insurance, 60 days", kind="credit_insurance",
                          scope="any", days=60, cover=0.9, premium_rate=0.005)
    other = _with_decisions(portfolio, options=[*opts, anywhere])
    for cid in ("CASE2", "C003"):  # foreign, domestic
        assert portfolio.customer(cid).domestic is (cid == "C003")
        row = _evaluate(other, cid, "4", 0.02, 100_000.0).set_index("option").loc["any_insurance"]
        assert row["admissible"], (cid, row["why_not"])


def test_decision_section_without_a_scenario_named_base(portfolio, scorecard):
    # decision_section used to put a PD of None under "base" when the policy names no such scenario
    renamed = [s.model_copy(update={"name": "central" if s.name == "base" else s.name})
               for s in portfolio.policy.decisions.scenarios]
    other = _with_decisions(portfolio, scenarios=renamed)
    credit = credit_section(other, "CASE2", scorecard)
    table = run_scenarios(other, "CASE2", scorecard, policy_scenarios(other.policy))
    d = decision_section(other, "CASE2", scorecard, credit, table)
    o = pd.DataFrame(d["options"]).set_index("option")
    assert "el_base" not in o.columns
    assert o.loc["export_insurance", "el_central"] == pytest.approx(
        credit["statistical"]["pd"] * o.loc["export_insurance", "retained_loss"])
    assert d["recommended"]["option"] == "export_insurance"



def test_insurer_limit_and_deductible_by_hand(portfolio, sections):
    # CASE2: export insurance at 90 days, 90 % cover, the insurer's own limit 100,000 USD, deductible
    # 5,000 CNY / 7.12 = 702.25 USD per loss. EAD 78,984 < 100,000, so covered = 0.9 × 78,984 = 71,085.6;
    # retained = 0.6 × 78,984 − (0.6 × 71,085.6 − 702.25) = 47,390.4 − 41,949.1 = 5,441.3
    o = _options(sections, "CASE2").loc["export_insurance"]
    assert o["insurer_limit"] == 100_000.0
    assert o["deductible"] == pytest.approx(5000 / 7.12)
    assert o["covered"] == pytest.approx(0.9 * o["ead"])
    assert o["retained_loss"] == pytest.approx(0.6 * o["ead"] - (0.6 * 0.9 * o["ead"] - 5000 / 7.12))
    d = sections["CASE2"][2]
    assert d["insurance"]["insurer_limit"] == 100_000.0 and d["insurance"]["deductible"] == pytest.approx(5000 / 7.12)


def test_exposure_above_the_insurer_limit_stays_our_risk(portfolio):
    import copy

    from helpers.decisions import evaluate_options

    other = copy.deepcopy(portfolio)
    cu = other.tables["customers"]
    cu.loc[cu.customer_id == "CASE2", "insurer_limit"] = 20_000.0
    o = evaluate_options(other, "CASE2", "6", {"base": 0.06, "downturn": 0.12, "severe": 0.18}, 56_000.0, 5.0
                         ).set_index("option").loc["export_insurance"]
    # own risk = EAD − 0.9 × 20,000 ≤ 56,000 → EAD ≤ 74,000 (below what the sales would need)
    assert o["covered"] == pytest.approx(0.9 * 20_000.0)
    assert o["ead"] == pytest.approx(min(74_000.0, o["sales"] * o["days_outstanding"] / 365))
    assert o["ead"] - o["covered"] <= 56_000.0 + 1e-6
