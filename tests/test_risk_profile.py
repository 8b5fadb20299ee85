"""The four-risk profile of page one (:mod:`helpers.decisions.risk_profile`): levels from the policy's
thresholds, the worst driver setting the risk, every driver checked against the raw tables on sample
customers, a policy change moving a level, and the words layer in English and Chinese.

Hand-worked assessment drivers: tests/data/assessment/expected.md (as_of 2026-09-30).
"""
from __future__ import annotations

import math
import re
import shutil

import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from helpers import (credit_section, decision_section, load_portfolio, monitoring_section, policy_scenarios,
                     risk_profile, run_scenarios)
from helpers.analysis.characteristics import portfolio_characteristics
from helpers.analysis.financial import analyse_portfolio
from helpers.config import DATA_SAMPLE
from helpers.config.policy import RISKS
from helpers.decisions.risk_profile import LEVELS, worst_level
from helpers.report.localize import assessment_text, risk_profile_text

AS_OF = pd.Timestamp("2026-09-30")
CUSTOMERS = ("CASE1", "CASE2", "C005")      # C005 has no assessment on file
RANK = {None: -1, "low": 0, "medium": 1, "high": 2}
# the docstring's order of each risk's drivers (ties keep it)
ORDER = {
    "credit": ["credit.grade", "credit.days_beyond_terms", "credit.payment_index"],
    "liquidity": ["liquidity.cash_runway", "liquidity.quick_ratio", "liquidity.operating_cash_flow",
                  "liquidity.bank_lines"],
    "market": ["market.industry_outlook", "market.revenue_growth", "market.largest_buyer", "market.export_share",
               "market.currency"],
    "operational": ["operational.complaints", "operational.open_disputes", "operational.unaudited",
                    "operational.no_assessment"],
}
PLACEHOLDER = re.compile(r"[{}]")
CJK = re.compile(r"[\u4e00-\u9fff]")


def level(value, medium, high):
    """Thresholds worked independently: beyond ``medium`` is medium, beyond ``high`` is high, strictly, in
    the direction the order of the two says."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if high > medium:
        return "high" if value > high else "medium" if value > medium else "low"
    return "high" if value < high else "medium" if value < medium else "low"


def drivers(profile: dict, risk: str) -> dict[str, dict]:
    entry = next(r for r in profile["risks"] if r["risk"] == risk)
    return {d["code"]: d for d in entry["drivers"]}


def risk_of(profile: dict, risk: str) -> dict:
    return next(r for r in profile["risks"] if r["risk"] == risk)


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def built(portfolio, scorecard):
    """The sections the way the notebooks build them, for CASE1, CASE2 and C005."""
    out = {}
    for cid in CUSTOMERS:
        credit = credit_section(portfolio, cid, scorecard)
        table = run_scenarios(portfolio, cid, scorecard, policy_scenarios(portfolio.policy, None), credit)
        decision = decision_section(portfolio, cid, scorecard, credit, table)
        mon = monitoring_section(portfolio, cid, credit, decision)
        out[cid] = {"credit": credit, "monitoring": mon, "profile": risk_profile(portfolio, cid, credit, mon)}
    return out


@pytest.fixture(scope="module")
def bare(portfolio, scorecard, built):
    """Profiles without the monitoring section (the payment drivers are then unavailable); C003's assessment
    is stale."""
    out = {cid: risk_profile(portfolio, cid, built[cid]["credit"]) for cid in CUSTOMERS}
    c003 = credit_section(portfolio, "C003", scorecard)
    out["C003"] = risk_profile(portfolio, "C003", c003)
    out["C003:credit"] = c003
    return out


@pytest.fixture(scope="module")
def ratios(portfolio) -> pd.DataFrame:
    """Each customer's latest fiscal year of ratios, picked here."""
    v = analyse_portfolio(portfolio).ratios.values
    return v.sort_values("fiscal_year").groupby("customer_id").tail(1).set_index("customer_id")


def statements(portfolio, cid) -> pd.DataFrame:
    fs = portfolio.statements
    return fs[fs["customer_id"] == cid].sort_values("fiscal_year")


def all_profiles(built, bare) -> list[dict]:
    return [b["profile"] for b in built.values()] + [v for k, v in bare.items() if not k.endswith(":credit")]


# --------------------------------------------------------------------------- worst_level
@pytest.mark.parametrize("levels, worst", [
    (["low", "high", "medium"], "high"), (["medium", None, "low"], "medium"), ([None, "low"], "low"),
    ([None, None], None), ([], None), (iter(["low", "medium"]), "medium"), (("high",), "high"),
])
def test_worst_level(levels, worst):
    assert worst_level(levels) == worst


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([None, "low", "medium", "high"]), max_size=8))
def test_property_worst_level(levels):
    known = [lv for lv in levels if lv is not None]
    assert worst_level(levels) == (max(known, key=LEVELS.index) if known else None)
    assert worst_level(levels) in ([None] if not known else known)


# --------------------------------------------------------------------------- structure of every profile
def test_a_risk_is_its_worst_driver_and_drivers_are_worst_first(built, bare):
    for profile in all_profiles(built, bare):
        assert [r["risk"] for r in profile["risks"]] == list(RISKS)
        assert profile["max_drivers"] == 3
        for r in profile["risks"]:
            levels = [d["level"] for d in r["drivers"]]
            known = [lv for lv in levels if lv is not None]
            assert r["level"] == (max(known, key=RANK.__getitem__) if known else None)
            ranks = [RANK[lv] for lv in levels]
            assert ranks == sorted(ranks, reverse=True), (r["risk"], levels)
            assert r["shown"] == [d for d in r["drivers"] if d["level"] is not None][:3]
            assert len(r["shown"]) <= 3 and all(d["level"] for d in r["shown"])
            # among equals, the risk's own drivers keep the docstring's order
            own = [d for d in r["drivers"] if d["code"] in ORDER[r["risk"]]]
            for a, b in zip(own, own[1:]):
                if a["level"] == b["level"]:
                    assert ORDER[r["risk"]].index(a["code"]) < ORDER[r["risk"]].index(b["code"])
            assert {d["code"] for d in own} <= set(ORDER[r["risk"]])


def test_without_monitoring_the_payment_drivers_are_none_and_ignored(built, bare, portfolio):
    for cid in CUSTOMERS:
        got = drivers(bare[cid], "credit")
        assert got["credit.days_beyond_terms"]["level"] is None and got["credit.days_beyond_terms"]["value"] is None
        assert got["credit.payment_index"]["level"] is None
        assert risk_of(bare[cid], "credit")["level"] == got["credit.grade"]["level"]
        assert [d["code"] for d in risk_of(bare[cid], "credit")["shown"]] == ["credit.grade"]
    # CASE1's grade is high on its own; CASE2's payment behaviour is low: the risk stays the grade's medium
    assert risk_of(built["CASE2"]["profile"], "credit")["level"] == "medium"


def test_the_summary_has_exactly_the_four_risks(built):
    for b in built.values():
        profile = b["profile"]
        summary = profile["summary"]["risk_profile"]
        assert list(summary) == ["credit", "liquidity", "market", "operational"]
        for r in profile["risks"]:
            assert summary[r["risk"]] == {"level": r["level"],
                                          "drivers": [{"code": d["code"], "level": d["level"]} for d in r["shown"]]}
    summary = built["CASE1"]["profile"]["summary"]["risk_profile"]
    assert {k: v["level"] for k, v in summary.items()} == {"credit": "high", "liquidity": "high", "market": "medium",
                                                          "operational": "high"}
    assert [d["code"] for d in summary["liquidity"]["drivers"]] == ["liquidity.cash_runway", "liquidity.quick_ratio",
                                                                   "liquidity.bank_lines"]


# --------------------------------------------------------------------------- every driver against the raw tables
@pytest.mark.parametrize("cid, grade_level", [("CASE1", "high"), ("CASE2", "medium"), ("C005", "low")])
def test_credit_drivers(built, portfolio, cid, grade_level):
    b = built[cid]
    got = drivers(b["profile"], "credit")
    rp = portfolio.policy.risk_profile.credit
    grades = [g.grade for g in portfolio.policy.scoring.master_scale]
    grade = b["credit"]["grade"]
    assert got["credit.grade"]["value"] == grade and got["credit.grade"]["args"]["pd"] == b["credit"]["statistical"]["pd"]
    notch = grades.index(grade)
    want = "high" if notch > grades.index(rp.grade.high) else "medium" if notch > grades.index(rp.grade.medium) else "low"
    assert got["credit.grade"]["level"] == want == grade_level
    dbt = next(d for d in b["monitoring"]["dbt"] if d["months"] == 12)
    assert got["credit.days_beyond_terms"]["value"] == dbt["value"]
    chars = portfolio_characteristics(portfolio)
    assert dbt["value"] == pytest.approx(chars.at[cid, "days_beyond_terms"])  # the same 12-month DBT
    assert got["credit.days_beyond_terms"]["level"] == level(dbt["value"], 10, 30)
    index = b["monitoring"]["payment_index"]["value"]
    assert got["credit.payment_index"]["value"] == index
    assert got["credit.payment_index"]["level"] == level(index, 60, 40)


def test_the_grade_driver_takes_the_override(portfolio, scorecard, built):
    credit = credit_section(portfolio, "CASE2", scorecard, override_grade="7", override_reason="fraud suspected",
                            override_by="Tester")
    got = drivers(risk_profile(portfolio, "CASE2", credit), "credit")["credit.grade"]
    assert (got["value"], got["level"], got["args"]["overridden"]) == ("7", "high", True)  # 7 is weaker than 6
    assert got["args"]["pd"] == built["CASE2"]["credit"]["statistical"]["pd"]  # the model's PD is kept
    assert drivers(built["CASE2"]["profile"], "credit")["credit.grade"]["args"]["overridden"] is False
    for lang in ("en", "zh"):
        words = risk_profile_text(risk_profile(portfolio, "CASE2", credit), lang)
        text = next(d["text"] for d in words["rows"][0]["drivers"] if d["code"] == "credit.grade")
        assert "7" in text and not PLACEHOLDER.search(text)


@pytest.mark.parametrize("cid", CUSTOMERS)
def test_liquidity_drivers(built, portfolio, ratios, cid):
    got = drivers(built[cid]["profile"], "liquidity")
    fs = statements(portfolio, cid)
    last = fs.iloc[-1]
    runway = last["cash"] / ((last["cost_of_sales"] + last["operating_expenses"] - last["depreciation_amortization"]) / 12)
    quick = (last["current_assets"] - last["inventory"]) / last["current_liabilities"]
    assert got["liquidity.cash_runway"]["value"] == pytest.approx(runway)
    assert got["liquidity.cash_runway"]["value"] == pytest.approx(ratios.at[cid, "cash_runway_months"])
    assert got["liquidity.cash_runway"]["level"] == level(runway, 1.0, 0.5)
    assert got["liquidity.quick_ratio"]["value"] == pytest.approx(quick)
    assert got["liquidity.quick_ratio"]["value"] == pytest.approx(ratios.at[cid, "quick_ratio"])
    assert got["liquidity.quick_ratio"]["level"] == level(quick, 1.0, 0.8)
    ocf = (fs["operating_cash_flow"] * 12 / fs["months"]).tolist()
    latest, prior = ocf[-1], ocf[-2]
    d = got["liquidity.operating_cash_flow"]
    assert (d["args"]["latest"], d["args"]["prior"], d["args"]["year"]) == (latest, prior, int(last["fiscal_year"]))
    want = "high" if latest < 0 else "medium" if prior > 0 and (latest - prior) / prior < -0.25 else "low"
    assert d["level"] == want
    bank = portfolio.tables["bank_credit"]
    lines = bank[(bank["customer_id"] == cid) & (bank["status"] == "active")
                 & bank["facility_type"].isin(["credit_line", "overdraft"])]
    d = got["liquidity.bank_lines"]
    if len(lines):
        share = lines["outstanding"].sum() / lines["limit"].sum()
        assert d["value"] == pytest.approx(share) and d["level"] == level(share, 0.75, 0.9)
    else:
        assert d["value"] is None and d["level"] is None


def test_liquidity_hand_figures(built):
    case1 = drivers(built["CASE1"]["profile"], "liquidity")
    # credit line 2,611,000 + overdraft 1,762,000 over 2,901,000 + 1,958,000; trade finance is not a credit line
    assert case1["liquidity.bank_lines"]["value"] == pytest.approx(4373000 / 4859000)
    assert case1["liquidity.bank_lines"]["level"] == "medium"  # 0.89998 is not beyond 0.9
    # 2024: −493,000; 2025: +302,000: the latest is positive and the prior was negative → low
    assert case1["liquidity.operating_cash_flow"]["level"] == "low"
    assert drivers(built["CASE2"]["profile"], "liquidity")["liquidity.bank_lines"]["level"] is None  # no credit line


@pytest.mark.parametrize("cid", CUSTOMERS)
def test_market_drivers(built, portfolio, cid):
    got = drivers(built[cid]["profile"], "market")
    record = portfolio.tables["customers"].set_index("customer_id").loc[cid]
    policy = portfolio.policy
    outlook = policy.industries[record["industry"]].outlook
    assert got["market.industry_outlook"]["value"] == outlook
    assert got["market.industry_outlook"]["level"] == {"improving": "low", "stable": "low", "uncertain": "medium",
                                                        "deteriorating": "high"}[outlook]
    fs = statements(portfolio, cid)
    rev = (fs["revenue"] * 12 / fs["months"]).tolist()
    growth = rev[-1] / rev[-2] - 1
    assert got["market.revenue_growth"]["value"] == pytest.approx(growth)
    assert got["market.revenue_growth"]["level"] == level(growth, 0.0, -0.10)
    assert got["market.largest_buyer"]["value"] == record["largest_buyer_share"]
    assert got["market.largest_buyer"]["level"] == level(record["largest_buyer_share"], 0.3, 0.5)
    assert got["market.export_share"]["value"] == record["export_share"]
    assert got["market.export_share"]["level"] == level(record["export_share"], 0.5, 0.8)
    assert got["market.currency"]["value"] == record["currency"]
    assert got["market.currency"]["level"] == ("low" if record["currency"] == policy.base_currency else "medium")


def test_market_hand_figures(built):
    case2 = drivers(built["CASE2"]["profile"], "market")
    assert {c: d["level"] for c, d in case2.items()} == {
        "market.industry_outlook": "high",   # textiles: deteriorating
        "market.revenue_growth": "high",     # −15.0 % is below −10 %
        "market.largest_buyer": "medium",    # 35 %
        "market.export_share": "high",       # 88 %
        "market.currency": "medium",         # invoiced in USD
        "market.assessment": "medium",       # dependence "high": share 0.3
    }
    assert drivers(built["C005"]["profile"], "market")["market.largest_buyer"]["level"] == "medium"  # 41 %


@pytest.mark.parametrize("cid", CUSTOMERS)
def test_operational_drivers(built, portfolio, cid):
    got = drivers(built[cid]["profile"], "operational")
    c = portfolio.tables["contacts"]
    c = c[c["customer_id"] == cid]
    since = AS_OF - pd.DateOffset(months=12)
    complaints = int(((c["kind"] == "complaint") & (c["date"] > since) & (c["date"] <= AS_OF)).sum())
    assert got["operational.complaints"]["value"] == complaints
    assert got["operational.complaints"]["level"] == level(complaints, 1, 3)
    issues = c[c["kind"].isin(["complaint", "dispute"]) & (c["date"] <= AS_OF)]
    resolved = issues["resolved"].fillna(False).astype(bool) & ~(issues["resolved_date"] > AS_OF)
    open_ = issues[~resolved]
    d = got["operational.open_disputes"]
    assert d["value"] == len(open_) and d["level"] == level(len(open_), 0, 1)
    assert d["args"]["oldest_days"] == ((AS_OF - open_["date"].min()).days if len(open_) else None)
    audited = bool(statements(portfolio, cid)["audited"].iloc[-1])
    assert got["operational.unaudited"]["value"] is audited
    assert got["operational.unaudited"]["level"] == ("low" if audited else "medium")
    has_current = built[cid]["credit"]["assessment"]["status"] == "current"
    assert ("operational.no_assessment" in got) is (not has_current)
    if not has_current:
        assert got["operational.no_assessment"]["level"] == "medium"
        assert got["operational.no_assessment"]["args"]["status"] == "missing"


def test_operational_hand_figures(built, bare):
    case1 = drivers(built["CASE1"]["profile"], "operational")
    # open at as_of: disputes of 2025-01-11, 2025-11-28 and 2026-08-11 (the others were resolved)
    assert case1["operational.open_disputes"]["value"] == 3 and case1["operational.open_disputes"]["level"] == "high"
    assert case1["operational.open_disputes"]["args"]["oldest_days"] == 627  # 2025-01-11 → 2026-09-30
    assert case1["operational.complaints"]["value"] == 1                      # 2026-07-08
    assert case1["operational.unaudited"]["level"] == "medium"                # 2025 unaudited
    c005 = drivers(built["C005"]["profile"], "operational")
    assert c005["operational.open_disputes"]["value"] == 1 and c005["operational.open_disputes"]["level"] == "medium"
    stale = drivers(bare["C003"], "operational")["operational.no_assessment"]
    assert stale["level"] == "medium" and stale["args"] == {"status": "stale", "date": "2025-03-07", "months": 18,
                                                           "limit": 12}


def test_assessment_drivers(built, bare):
    """expected.md: CASE1 market low (0.65) / operational medium (internal_controls 0.3); CASE2 market medium
    (0.3, two weak) / operational low; without a current assessment the driver has no level."""
    c1m = drivers(built["CASE1"]["profile"], "market")["market.assessment"]
    assert (c1m["level"], c1m["value"], c1m["args"]["weak"], c1m["args"]["answered"]) == ("low", 0.65, 0, 2)
    assert c1m["args"]["question"] == "customer_supplier_dependence"
    c1o = drivers(built["CASE1"]["profile"], "operational")["operational.assessment"]
    assert (c1o["level"], c1o["value"], c1o["args"]["question"], c1o["args"]["weak"], c1o["args"]["answered"]) == (
        "medium", 0.3, "internal_controls", 1, 6)
    assert c1o["args"]["answer"] == "weak" and c1o["section"] == "sec-assessment"
    c2m = drivers(built["CASE2"]["profile"], "market")["market.assessment"]
    assert (c2m["level"], c2m["value"], c2m["args"]["weak"]) == ("medium", 0.3, 2)
    c2o = drivers(built["CASE2"]["profile"], "operational")["operational.assessment"]
    assert (c2o["level"], c2o["value"], c2o["args"]["question"], c2o["args"]["weak"]) == (
        "low", 0.65, "ownership_succession", 0)
    for profile in (built["C005"]["profile"], bare["C003"]):
        for risk in ("market", "operational"):
            d = drivers(profile, risk)[f"{risk}.assessment"]
            assert d["level"] is None and d not in risk_of(profile, risk)["shown"]
    for b in built.values():  # no sample question names credit or liquidity risk
        assert "credit.assessment" not in drivers(b["profile"], "credit")
        assert "liquidity.assessment" not in drivers(b["profile"], "liquidity")


def test_the_driver_levels_follow_the_policy_thresholds(built, portfolio):
    """Every LevelThreshold-driven driver's level is the policy threshold's level of its value."""
    rp = portfolio.policy.risk_profile
    thresholds = {"credit.days_beyond_terms": rp.credit.days_beyond_terms, "credit.payment_index": rp.credit.payment_index,
                  "liquidity.cash_runway": rp.liquidity.cash_runway_months, "liquidity.quick_ratio": rp.liquidity.quick_ratio,
                  "liquidity.bank_lines": rp.liquidity.bank_line_utilization,
                  "market.revenue_growth": rp.market.revenue_growth, "market.largest_buyer": rp.market.largest_buyer_share,
                  "market.export_share": rp.market.export_share, "operational.complaints": rp.operational.complaints,
                  "operational.open_disputes": rp.operational.open_disputes}
    seen = 0
    for b in built.values():
        for r in b["profile"]["risks"]:
            for d in r["drivers"]:
                if d["code"] in thresholds:
                    t = thresholds[d["code"]]
                    assert d["level"] == level(d["value"], t.medium, t.high), d
                    seen += 1
    assert seen == 30


# --------------------------------------------------------------------------- a policy change moves a level
@pytest.fixture(scope="module")
def changed(tmp_path_factory, scorecard):
    """The sample with market.industry_outlook stable → high and max_drivers 1."""
    folder = tmp_path_factory.mktemp("rp") / "sample"
    shutil.copytree(DATA_SAMPLE, folder)
    path = folder / "policy.yaml"
    text = path.read_text(encoding="utf-8")
    old = "industry_outlook: {improving: low, stable: low, uncertain: medium, deteriorating: high}"
    assert text.count(old) == 1 and text.count("max_drivers: 3") == 1
    text = text.replace(old, old.replace("stable: low", "stable: high")).replace("max_drivers: 3", "max_drivers: 1")
    path.write_text(text, encoding="utf-8")
    p = load_portfolio(folder, as_of="2026-09-30")
    assert p.policy.risk_profile.market.industry_outlook["stable"] == "high"
    return {cid: risk_profile(p, cid, credit_section(p, cid, scorecard)) for cid in CUSTOMERS}


@pytest.mark.parametrize("cid", ["CASE1", "C005"])  # electronics: outlook stable
def test_a_stable_industry_becomes_high_market_risk(built, bare, changed, cid):
    assert risk_of(built[cid]["profile"], "market")["level"] == "medium"
    assert drivers(bare[cid], "market")["market.industry_outlook"]["level"] == "low"
    market = risk_of(changed[cid], "market")
    assert market["level"] == "high"
    assert market["drivers"][0]["code"] == "market.industry_outlook" and market["drivers"][0]["level"] == "high"
    assert [d["code"] for d in market["shown"]] == ["market.industry_outlook"]
    for risk in ("credit", "liquidity", "operational"):  # nothing else moved
        assert risk_of(changed[cid], risk)["level"] == risk_of(bare[cid], risk)["level"]


def test_max_drivers_limits_what_is_shown(changed):
    for profile in changed.values():
        assert profile["max_drivers"] == 1
        for r in profile["risks"]:
            assert r["shown"] == [d for d in r["drivers"] if d["level"] is not None][:1]
            assert len(profile["summary"]["risk_profile"][r["risk"]]["drivers"]) == len(r["shown"]) <= 1
    case2 = drivers(changed["CASE2"], "market")  # textiles: deteriorating, high before and after
    assert case2["market.industry_outlook"]["level"] == "high"


# --------------------------------------------------------------------------- the words layer
def _strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for v in node.values():
            yield from _strings(v)
    elif isinstance(node, (list, tuple)):
        for v in node:
            yield from _strings(v)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_driver_of_every_risk_has_a_text(built, bare, lang):
    for profile in all_profiles(built, bare):
        words = risk_profile_text(profile, lang)
        assert [r["risk"] for r in words["rows"]] == list(RISKS)
        for r, row in zip(profile["risks"], words["rows"]):
            assert len(row["drivers"]) == len(r["drivers"]) and len(row["shown"]) == len(r["shown"])
            assert [d["code"] for d in row["drivers"]] == [d["code"] for d in r["drivers"]]
            for text in [row["label"], row["level_label"], row["summary"]] + \
                    [d["text"] for d in row["drivers"]] + [d["level_label"] for d in row["drivers"]]:
                assert isinstance(text, str) and text.strip() and not PLACEHOLDER.search(text), (r["risk"], text)
            for d in row["drivers"]:
                if lang == "zh":
                    assert CJK.search(d["text"]), d
                else:
                    assert not CJK.search(d["text"]), d


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_assessment_block_in_words(built, bare, portfolio, scorecard, lang):
    notebook = credit_section(portfolio, "C005", scorecard, assessment_answers={"site_visit": "good"},
                              assessment_by="Tester")
    blocks = [built[c]["credit"]["assessment"] for c in CUSTOMERS] + [bare["C003:credit"]["assessment"],
                                                                      notebook["assessment"]]
    for block in blocks:
        words = assessment_text(block, lang)
        fields = [words["status_text"], words["treatment_text"], words["total_text"], words["group"]]
        assert all(isinstance(x, str) and x.strip() for x in fields)
        assert len(words["warning_texts"]) == len(block["warnings"])
        everything = fields + list(words["warning_texts"]) + [words["earlier_text"]]
        for q in words["questions"]:
            assert q["text"].strip() and q["answer_label"].strip()
            everything += [q["text"], q["answer_label"], q["note"], q["source_label"], q["risk_label"], q["points"]]
        for text in everything:
            assert not PLACEHOLDER.search(text), text
        if lang == "zh":
            assert CJK.search(words["status_text"]) and CJK.search(words["treatment_text"])
            assert all(CJK.search(t) for t in words["warning_texts"])
            assert all(CJK.search(q["text"]) for q in words["questions"])
        assert all(q["note"] for q in words["questions"] if q["points_value"] and
                   next(x for x in block["questions"] if x["question"] == q["question"])["imputed"])
    # the stale block names its date, the earlier text is only there with earlier assessments
    assert "2025" in assessment_text(bare["C003:credit"]["assessment"], lang)["status_text"]
    assert assessment_text(built["CASE1"]["credit"]["assessment"], lang)["earlier_text"] == ""
