"""Tests of helpers.scoring: WoE/IV by hand, scaling identities, master scale (also the default one
without a policy), calibration, selection and its rules (sign, p_value, aic, bic) on counted synthetic
frames, monotone WoE, the JSON artifact and its refusals, the expert scorecard and the characteristics
of current customers.

The sample scorecard is fitted once per module (a few seconds). Speed is measured in
``benchmarks/scorecard_auc.py``, not here.
"""
from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError as PydanticValidationError

import helpers
from helpers.config.policy import ExpertScorecardSettings, ScoringSettings
from helpers.exceptions import ModelError
from helpers.analysis.characteristics import customer_characteristics
from helpers.scoring import ExpertScorecard, MasterScale
from helpers.scoring.development import scorecard_settings
from helpers.scoring.scorecard import (SCHEMA_VERSION, SELECTION_RULES, Characteristic, Scorecard,
                                      default_master_scale, fit_scorecard, load_scorecard, scaling_constants)

AS_OF = "2026-09-30"


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def portfolio():
    return helpers.load_portfolio(as_of=AS_OF)


@pytest.fixture(scope="module")
def policy(portfolio):
    return portfolio.policy.scoring


@pytest.fixture(scope="module")
def outcomes(portfolio):
    return portfolio.tables["outcomes"]


def _policy_kwargs(pol) -> dict:
    return dict(features=list(pol.candidates), categorical=list(pol.categorical), min_iv=pol.min_iv,
                max_correlation=pol.max_correlation, max_vif=pol.max_vif, selection=pol.selection, p_value=pol.p_value,
                base_score=pol.base_score, base_odds=pol.base_odds, pdo=pol.pdo,
                central_tendency=pol.central_tendency, master_scale=MasterScale.from_policy(pol.master_scale),
                min_bin_size=pol.min_bin_size, labels=dict(pol.labels))


@pytest.fixture(scope="module")
def card(outcomes, policy) -> Scorecard:
    return fit_scorecard(outcomes, "default", **_policy_kwargs(policy))


@pytest.fixture(scope="module")
def artifact(card, tmp_path_factory):
    path = tmp_path_factory.mktemp("scorecard") / "scorecard.json"
    card.to_json(path)
    return path


def _logit(p):
    p = np.asarray(p, dtype=float)
    return np.log(p / (1.0 - p))


# --------------------------------------------------------------------------- WoE and IV by hand
def test_woe_iv_categorical_hand_worked():
    # category A: 40 goods, 10 bads; category B: 20 goods, 30 bads → 60 goods, 40 bads in all.
    #   A: good share 40/60 = 2/3, bad share 10/40 = 1/4 → WoE_A = ln((2/3)/(1/4)) = ln(8/3)
    #   B: good share 20/60 = 1/3, bad share 30/40 = 3/4 → WoE_B = ln((1/3)/(3/4)) = ln(4/9)
    #   IV = (2/3 − 1/4)·ln(8/3) + (1/3 − 3/4)·ln(4/9) = 5/12·ln(8/3) + 5/12·ln(9/4) = 5/12·ln 6
    x = pd.Series(["A"] * 50 + ["B"] * 50)
    y = np.array([0] * 40 + [1] * 10 + [0] * 20 + [1] * 30)
    ch = Characteristic.fit("x", x, y, dtype="categorical", min_bin_size=0.05)
    assert ch.splits == [["A"], ["B"]]
    np.testing.assert_allclose(ch.woe, [math.log(8 / 3), math.log(4 / 9)], rtol=1e-9)
    assert ch.iv == pytest.approx(5 / 12 * math.log(6), rel=1e-9)
    assert ch.counts == [50, 50]
    np.testing.assert_allclose(ch.event_rates, [10 / 50, 30 / 50], rtol=1e-12)
    # no missing values in development: the missing bin is neutral
    assert ch.missing_count == 0 and ch.missing_woe == 0.0
    # bin labels are the categories as text, not a repr of an array
    assert ch.labels == ["A", "B"]
    # scoring: each category gets its WoE, an unseen category 0, a missing value the missing WoE (0 here)
    np.testing.assert_allclose(ch.woe_of(np.array(["B", "A", "Z", None, np.nan], dtype=object)),
                               [math.log(4 / 9), math.log(8 / 3), 0.0, 0.0, 0.0], rtol=1e-9)
    assert list(ch.bin_index(np.array(["A", "B", "Z", None], dtype=object))) == [0, 1, -2, -1]


def test_woe_iv_numeric_with_missing_hand_worked():
    # x = 1: 45 goods, 5 bads; x = 5: 20 goods, 20 bads; x missing: 5 goods, 5 bads → 70 goods, 30 bads.
    #   bin (−inf, 3):  good 45/70 = 9/14, bad 5/30 = 1/6  → WoE = ln((9/14)·6) = ln(27/7)
    #   bin [3, inf):   good 20/70 = 2/7,  bad 20/30 = 2/3 → WoE = ln((2/7)/(2/3)) = ln(3/7)
    #   missing:        good 5/70 = 1/14,  bad 5/30 = 1/6  → WoE = ln((1/14)·6) = ln(3/7)
    #   IV = (9/14 − 1/6)·ln(27/7) + (2/7 − 2/3)·ln(3/7) + (1/14 − 1/6)·ln(3/7)
    #      = 10/21·ln(27/7) − 8/21·ln(3/7) − 2/21·ln(3/7) = 10/21·(ln(27/7) + ln(7/3)) = 10/21·ln 9
    x = pd.Series([1.0] * 50 + [5.0] * 40 + [np.nan] * 10)
    y = np.array([0] * 45 + [1] * 5 + [0] * 20 + [1] * 20 + [0] * 5 + [1] * 5)
    ch = Characteristic.fit("x", x, y, dtype="numerical", min_bin_size=0.05)
    assert ch.splits == [3.0]  # optbinning splits midway between the two values
    np.testing.assert_allclose(ch.woe, [math.log(27 / 7), math.log(3 / 7)], rtol=1e-9)
    assert ch.missing_woe == pytest.approx(math.log(3 / 7), rel=1e-9)
    assert ch.missing_count == 10
    assert ch.iv == pytest.approx(10 / 21 * math.log(9), rel=1e-9)
    # bins are closed on the left: exactly at the split is the upper bin
    assert list(ch.bin_index([2.999, 3.0, -1e9, 1e9, np.nan])) == [0, 1, 0, 1, -1]
    np.testing.assert_allclose(ch.woe_of([np.nan, 3.0, 0.0]),
                               [math.log(3 / 7), math.log(3 / 7), math.log(27 / 7)], rtol=1e-9)


# --------------------------------------------------------------------------- scaling
def test_scaling_constants_by_hand():
    factor, offset = scaling_constants(600, 50, 20)
    assert factor == pytest.approx(20 / 0.6931471805599453, rel=1e-12)  # 28.8539...
    assert offset == pytest.approx(600 - 28.85390081777927 * 3.912023005428146, rel=1e-12)  # 487.1228...
    assert factor == pytest.approx(28.853900817779268, rel=1e-12)
    assert offset == pytest.approx(487.1228762045055, rel=1e-12)


def test_score_is_offset_minus_factor_logit_pd(card, outcomes):
    factor, offset = scaling_constants(600, 50, 20)
    assert (card.factor_, card.offset_) == pytest.approx((factor, offset), rel=1e-12)
    score, p = card.score(outcomes), card.predict_pd(outcomes)
    np.testing.assert_allclose(score, offset - factor * _logit(p), rtol=1e-9)
    # base odds 50:1 good:bad score the base score
    assert offset + factor * math.log(50) == pytest.approx(600, rel=1e-12)


def test_points_sum_to_score(card, outcomes):
    pts = card.points(outcomes)
    assert list(pts.columns) == card.selected_
    np.testing.assert_allclose(pts.sum(axis=1).to_numpy(), card.score(outcomes), rtol=1e-9)


def test_pdo_points_double_the_odds(card, outcomes):
    # invert score = offset − factor·logit(pd): odds good:bad = (1 − pd)/pd = exp((score − offset)/factor)
    s = card.score(outcomes)
    p = card.predict_pd(outcomes)
    odds = (1 - p) / p
    np.testing.assert_allclose(odds, np.exp((s - card.offset_) / card.factor_), rtol=1e-9)
    # take two rows: their odds ratio is 2^(score difference / PDO)
    i, j = int(np.argmin(s)), int(np.argmax(s))
    assert odds[j] / odds[i] == pytest.approx(2 ** ((s[j] - s[i]) / 20), rel=1e-9)
    # synthetic: a score 20 points higher means twice the odds
    for base in (450.0, 600.0, 700.0):
        o1, o2 = math.exp((base - card.offset_) / card.factor_), math.exp((base + 20 - card.offset_) / card.factor_)
        assert o2 / o1 == pytest.approx(2.0, rel=1e-12)


def test_higher_score_means_lower_pd(card, outcomes):
    s, p = card.score(outcomes), card.predict_pd(outcomes)
    order = np.argsort(s, kind="stable")
    assert np.all(np.diff(p[order]) <= 1e-15)
    # strictly: distinct scores give distinct PDs in the opposite order
    a, b = order[0], order[-1]
    assert s[a] < s[b] and p[a] > p[b]


# --------------------------------------------------------------------------- master scale
def test_grades_monotone_in_pd(policy):
    ms = MasterScale.from_policy(policy.master_scale)
    grid = np.sort(np.concatenate([np.linspace(0, 1, 2001), np.asarray(ms.max_pd), np.geomspace(1e-6, 1, 500)]))
    notches = [ms.notch(g) for g in ms.grade(grid)]
    assert all(b >= a for a, b in zip(notches, notches[1:]))
    assert notches[0] == 0 and notches[-1] == len(ms.grades) - 1


def test_grade_boundaries(policy):
    ms = MasterScale.from_policy(policy.master_scale)
    assert ms.grades == ["1", "2", "3", "4", "5", "6", "7", "8"]
    for i, (g, upper) in enumerate(zip(ms.grades, ms.max_pd)):
        assert ms.grade([upper])[0] == g  # exactly max_pd is in the grade
        if i + 1 < len(ms.grades):
            assert ms.grade([np.nextafter(upper, 1.0)])[0] == ms.grades[i + 1]  # just above: next grade
        lo, hi = ms.band(g)
        assert hi == upper and lo == (0.0 if i == 0 else ms.max_pd[i - 1])
    assert ms.grade([0.0])[0] == "1"
    assert ms.grade([1.0])[0] == "8"
    assert list(ms.grade([0.003, 0.0031, 0.05, 0.06, 0.0600001, 0.25, 0.9])) == ["1", "2", "5", "5", "6", "7", "8"]
    assert ms.notch("1") == 0 and ms.notch("8") == 7


def test_scorecard_grade_follows_pd(card, outcomes):
    np.testing.assert_array_equal(card.grade(outcomes), card.master_scale.grade(card.predict_pd(outcomes)))


# --------------------------------------------------------------------------- calibration
def test_calibrated_to_central_tendency(card, outcomes, policy):
    assert policy.central_tendency == 0.05
    assert card.predict_pd(outcomes).mean() == pytest.approx(0.05, abs=1e-9)
    assert card.metrics_["development"]["mean_pd"] == pytest.approx(0.05, abs=1e-9)
    # the sample's own default rate differs, so the shift is doing work
    assert abs(outcomes["default"].mean() - 0.05) > 1e-3 and card.calibration_shift_ != 0.0


def test_without_central_tendency_calibrates_to_sample_rate(outcomes, policy):
    kw = {**_policy_kwargs(policy), "central_tendency": None}
    sc = fit_scorecard(outcomes, "default", **kw)
    assert sc.predict_pd(outcomes).mean() == pytest.approx(outcomes["default"].mean(), abs=1e-9)


# --------------------------------------------------------------------------- selection
def test_low_iv_characteristics_dropped_with_reason(card, policy):
    low = [f for f, ch in card.characteristics_.items() if ch.iv < policy.min_iv]
    assert low, "the sample should contain at least one characteristic below min_iv"
    logged = {e["characteristic"]: e for e in card.selection_log_}
    for f in low:
        assert f not in card.selected_
        assert logged[f]["step"] == "information_value" and logged[f]["reason"] == "iv_low"
        assert logged[f]["args"] == {"iv": card.characteristics_[f].iv, "limit": policy.min_iv}
    # every candidate is either selected or has exactly one logged reason for leaving
    assert sorted(card.selected_ + [e["characteristic"] for e in card.selection_log_]) == sorted(policy.candidates)
    assert set(card.selected_).isdisjoint(logged)
    assert all(card.characteristics_[f].iv >= policy.min_iv for f in card.selected_)


def test_selected_coefficients_negative(card, policy):
    assert len(card.selected_) >= 2
    assert all(card.coefficients_[f] < 0 for f in card.selected_)
    table = card.summary_table_.set_index("term")
    assert list(table.index) == ["const"] + card.selected_
    for f in card.selected_:
        assert table.loc[f, "Coef."] == pytest.approx(card.coefficients_[f], rel=1e-12)


def test_selected_pairs_below_max_correlation(card, outcomes, policy):
    woe = card.woe_frame(outcomes)
    corr = woe.corr().abs().to_numpy(copy=True)
    np.fill_diagonal(corr, 0.0)
    assert corr.max() <= policy.max_correlation


# --------------------------------------------------------------------------- artifact
def test_artifact_round_trip(card, artifact, outcomes):
    loaded = load_scorecard(artifact)
    np.testing.assert_array_equal(loaded.score(outcomes), card.score(outcomes))
    np.testing.assert_array_equal(loaded.predict_pd(outcomes), card.predict_pd(outcomes))
    np.testing.assert_array_equal(loaded.grade(outcomes), card.grade(outcomes))
    sample = outcomes.iloc[::97]
    assert loaded.explain(sample) == card.explain(sample)
    assert loaded.max_points() == card.max_points()
    # from_dict on the in-memory dict gives the same
    again = Scorecard.from_dict(card.to_dict())
    np.testing.assert_array_equal(again.score(outcomes), card.score(outcomes))


def test_artifact_content(card, artifact, outcomes):
    data = json.loads(artifact.read_text(encoding="utf-8"))
    assert data["kind"] == "riskbook.scorecard"
    assert data["schema_version"] == SCHEMA_VERSION == 1
    assert re.fullmatch(r"[0-9a-f]{64}", data["checksum"])
    assert re.fullmatch(r"[0-9a-f]{64}", data["training"]["sha256"])
    assert data["training"]["rows"] == len(outcomes)
    assert data["training"]["defaults"] == int(outcomes["default"].sum())
    dev = data["metrics"]["development"]
    assert 0.5 < dev["auc"] <= 1 and dev["gini"] == pytest.approx(2 * dev["auc"] - 1)
    assert {"optbinning", "statsmodels", "numpy", "pandas"} <= set(data["libraries"])
    assert data["master_scale"]["grades"] == card.master_scale.grades
    assert data["master_scale"]["max_pd"] == card.master_scale.max_pd
    assert [r["term"] for r in data["summary_table"]] == ["const"] + card.selected_
    assert data["selected"] == card.selected_
    assert data["coefficients"] == card.coefficients_


def _rewrite(path, data):
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_tampered_woe_refused(artifact, tmp_path):
    data = json.loads(artifact.read_text(encoding="utf-8"))
    f = data["selected"][0]
    data["characteristics"][f]["woe"][0] += 0.01  # checksum kept as it was
    with pytest.raises(ModelError, match="checksum"):
        load_scorecard(_rewrite(tmp_path / "woe.json", data))


def test_tampered_coefficient_refused(artifact, tmp_path):
    data = json.loads(artifact.read_text(encoding="utf-8"))
    f = data["selected"][-1]
    data["coefficients"][f] = -data["coefficients"][f]
    with pytest.raises(ModelError, match="checksum"):
        load_scorecard(_rewrite(tmp_path / "coef.json", data))


@pytest.mark.parametrize("foreign", [{"kind": "other"}, {"a": 1, "b": [1, 2]}, [1, 2, 3], "scorecard", None])
def test_foreign_json_refused(foreign, tmp_path):
    with pytest.raises(ModelError, match="not a riskbook scorecard"):
        load_scorecard(_rewrite(tmp_path / "foreign.json", foreign))


def test_wrong_schema_version_refused(artifact, tmp_path):
    data = json.loads(artifact.read_text(encoding="utf-8"))
    data["schema_version"] = 2
    with pytest.raises(ModelError, match=r"schema version 2\b"):
        load_scorecard(_rewrite(tmp_path / "v2.json", data))
    del data["schema_version"]
    with pytest.raises(ModelError, match="schema version None"):
        load_scorecard(_rewrite(tmp_path / "v_none.json", data))


def test_missing_file_refused(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        load_scorecard(tmp_path / "nope.json")
    with pytest.raises(ModelError):
        load_scorecard(tmp_path)  # a folder is not an artifact


@pytest.mark.parametrize("content", [b"not json at all {", b"", b"\xff\xfe\x00garbage"])
def test_not_json_refused(content, tmp_path):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(ModelError, match="not a JSON"):
        load_scorecard(path)


def test_incomplete_artifact_with_valid_checksum_refused(card):
    from helpers.scoring.scorecard import _checksum

    data = card.to_dict()
    del data["intercept"], data["checksum"]
    data["checksum"] = _checksum(data)
    with pytest.raises(ModelError, match="incomplete"):
        Scorecard.from_dict(data)


# --------------------------------------------------------------------------- one row vs many, unseen, missing
def test_one_record_equals_batch(card, outcomes):
    rows = list(range(0, len(outcomes), 211)) + [len(outcomes) - 1]
    batch_s, batch_p, batch_g = card.score(outcomes), card.predict_pd(outcomes), card.grade(outcomes)
    batch_pts = card.points(outcomes)
    for i in rows:
        one = outcomes.iloc[[i]]
        # same numbers up to floating-point summation order (a 1-row matrix product may round differently)
        assert card.score(one)[0] == pytest.approx(batch_s[i], rel=1e-12)
        assert card.predict_pd(one)[0] == pytest.approx(batch_p[i], rel=1e-12)
        assert card.grade(one)[0] == batch_g[i]
        np.testing.assert_allclose(card.points(one).iloc[0].to_numpy(), batch_pts.iloc[i].to_numpy(), rtol=1e-12)
    assert card.explain(outcomes.iloc[[rows[1]]])[0]["reason_codes"] == \
        card.explain(outcomes.iloc[rows])[1]["reason_codes"]


def test_unseen_category_gets_woe_zero(card, outcomes):
    cat = next(f for f in card.selected_ if card.characteristics_[f].dtype == "categorical")
    row = outcomes.iloc[[0]].copy()
    row[cat] = "never-seen-before"
    assert card.woe_frame(row).iloc[0][cat] == 0.0
    share = (card.offset_ - card.factor_ * (card.intercept_ + card.calibration_shift_)) / len(card.selected_)
    assert card.points(row).iloc[0][cat] == pytest.approx(share, rel=1e-12)
    bins = {it["characteristic"]: it["bin"] for it in card.explain(row)[0]["points"]}
    assert bins[cat] == "unseen"  # a code; the report says "unseen category"


def test_missing_value_gets_missing_bin_woe(card, outcomes):
    with_missing = [f for f in card.selected_ if card.characteristics_[f].missing_count > 0]
    assert with_missing
    row = outcomes.iloc[[1]].copy()
    for f in with_missing:
        row[f] = np.nan
    w = card.woe_frame(row).iloc[0]
    for f in with_missing:
        assert w[f] == card.characteristics_[f].missing_woe
        assert card.characteristics_[f].missing_woe != 0.0
    bins = {it["characteristic"]: it["bin"] for it in card.explain(row)[0]["points"]}
    assert all(bins[f] == "missing" for f in with_missing)


def test_explain_reason_codes(card, outcomes):
    out = card.explain(outcomes.iloc[:50], top=4)
    best = card.max_points()
    for e in out:
        assert sum(it["points"] for it in e["points"]) == pytest.approx(e["score"], rel=1e-9)
        short = [r["shortfall"] for r in e["reason_codes"]]
        assert short == sorted(short, reverse=True) and len(short) <= 4
        assert all(s > 0.5 for s in short)
        for it in e["points"]:
            assert it["max_points"] == pytest.approx(best[it["characteristic"]])
            assert it["shortfall"] >= -1e-9
            assert "\n" not in it["bin"] and "Array" not in it["bin"]


def test_explain_gives_each_numeric_value_the_edges_of_its_bin(card, outcomes):
    """bin_range is [low, high] of the bin the value fell in, low <= value < high (None: an open end); the bins
    tile the line, so exactly one end is open in the first and the last bin, and none in the others."""
    seen = 0
    for e in card.explain(outcomes.iloc[:80]):
        for it in e["points"]:
            ch = card.characteristics_[it["characteristic"]]
            if ch.dtype != "numerical" or it["bin"] == "missing":
                assert it["bin_range"] is None
                continue
            low, high = it["bin_range"]
            v = float(it["value"])
            assert (low is None or low <= v) and (high is None or v < high), (it, v)
            b = ch.labels.index(it["bin"])
            assert (low is None) == (b == 0) and (high is None) == (b == len(ch.labels) - 1)
            seen += 1
    assert seen > 100


@pytest.mark.parametrize("lang, edges, says", [
    ("en", [None, 16085000.0], "below 16,085,000.00"),
    ("en", [0.8125, 1.2], "0.8125 to below 1.20"),
    ("en", [1.2, None], "1.20 or more"),
    ("en", [None, None], "any value"),
    ("zh", [None, 16085000.0], "低于 16,085,000.00"),
    ("zh", [0.8125, 1.2], "0.8125（含）至 1.20（不含）"),
    ("zh", [1.2, None], "1.20 及以上"),
])
def test_a_reason_names_its_bin_in_words_not_as_an_interval(lang, edges, says):
    from helpers.report.localize import credit_text

    item = {"characteristic": "revenue", "label": "Revenue", "value": 1.0, "bin": "(-inf, 16085000.00)",
            "bin_range": edges, "points": 3.0, "max_points": 40.0, "shortfall": 37.0}
    section = {"statistical": {"points": [dict(item)], "reason_codes": [{"code": "R-revenue", **item}]},
               "expert": {"points": [], "reason_codes": [], "score": 0.0}, "comparison": [], "disagreements": [],
               "master_scale": [], "grade": "1"}
    out = credit_text(section, lang)["statistical"]
    assert out["points"][0]["bin"] == says
    assert says in out["reason_codes"][0]["text"] and "inf" not in out["reason_codes"][0]["text"]


@pytest.mark.parametrize("lang, industry, bin_words, risk_class, zone", [
    ("en", "Electronics and components", "Electronics and components, Textiles and garments", "medium", "grey"),
    ("zh", "电子及元器件", "电子及元器件、纺织服装", "中", "灰色区"),
])
def test_codes_in_the_points_tables_are_in_words(lang, industry, bin_words, risk_class, zone):
    # CASE1's zh page printed "所属行业 electronics electronics", "行业风险 medium" and "Altman Z' grey"
    from helpers.report.localize import credit_text

    labels = {"electronics": {"en": "Electronics and components", "zh": "电子及元器件"},
              "textiles": {"en": "Textiles and garments", "zh": "纺织服装"}}
    stat = {"characteristic": "industry", "label": "Industry", "value": "electronics", "bin": "electronics, textiles",
            "bin_range": None, "points": 70.0, "max_points": 80.0, "shortfall": 10.0}
    rating = {**stat, "characteristic": "third_party_rating", "value": "BB", "bin": "BB, CCC"}
    expert = [{"characteristic": "industry_risk_class", "label": "Industry risk", "group": "industry",
               "value": "medium", "points": 24.0, "max_points": 40.0, "shortfall": 16.0},
              {"characteristic": "altman_zone", "label": "Altman zone", "group": "financial strength",
               "value": "grey", "points": 28.0, "max_points": 56.0, "shortfall": 28.0}]
    section = {"statistical": {"points": [dict(stat), dict(rating)], "reason_codes": [{"code": "R-industry", **stat}]},
               "expert": {"points": [dict(e) for e in expert], "score": 52.0,
                          "reason_codes": [{"code": f"E-{e['characteristic']}", **e} for e in expert]},
               "comparison": [], "disagreements": [], "master_scale": [], "grade": "1", "industry_labels": labels}
    out = credit_text(section, lang)
    points = out["statistical"]["points"]
    assert (points[0]["value"], points[0]["bin"]) == (industry, bin_words)
    assert (points[1]["value"], points[1]["bin"]) == ("BB", "BB, CCC")  # a rating is its own word
    assert industry in out["statistical"]["reason_codes"][0]["text"]
    assert "electronics" not in out["statistical"]["reason_codes"][0]["text"]
    assert [p["value"] for p in out["expert"]["points"]] == [risk_class, zone]
    assert risk_class in out["expert"]["reason_codes"][0]["text"]


# --------------------------------------------------------------------------- refusals while fitting
def test_unfitted_scorecard_refuses(outcomes):
    with pytest.raises(ModelError, match="not fitted"):
        Scorecard().predict_pd(outcomes)
    with pytest.raises(ModelError, match="not fitted"):
        Scorecard().to_dict()


def test_target_must_be_binary(outcomes, policy):
    bad = outcomes.copy()
    bad.loc[bad.index[0], "default"] = 2
    with pytest.raises(ModelError, match="0/1"):
        fit_scorecard(bad, "default", **_policy_kwargs(policy))
    bad.loc[bad.index[0], "default"] = np.nan
    with pytest.raises(ModelError, match="0/1"):
        fit_scorecard(bad, "default", **_policy_kwargs(policy))
    with pytest.raises(ModelError, match="not in the frame"):
        fit_scorecard(outcomes.drop(columns="default"), "default", **_policy_kwargs(policy))


def test_too_few_defaults(outcomes, policy):
    goods = outcomes[outcomes["default"] == 0]
    bads = outcomes[outcomes["default"] == 1].iloc[:9]
    with pytest.raises(ModelError, match="10 defaults"):
        fit_scorecard(pd.concat([goods, bads]), "default", **_policy_kwargs(policy))


def test_master_scale_defaults_to_the_sample_policy_scale(outcomes, policy):
    sc = fit_scorecard(outcomes, "default", **{**_policy_kwargs(policy), "master_scale": None})
    assert sc.master_scale.to_dict() == MasterScale.from_policy(policy.master_scale).to_dict()
    np.testing.assert_array_equal(sc.grade(outcomes), default_master_scale().grade(sc.predict_pd(outcomes)))


# --------------------------------------------------------------------------- without a policy
def _weak_frame() -> pd.DataFrame:
    """A strong numeric characteristic and a weak categorical one, built by counting (no randomness).

    ``x`` has five levels of 200 rows with 4, 12, 20, 32, 52 defaults. Each level is half ``w = "A"``,
    half ``"B"``; B gets d − ⌊d/2⌋ + t of a level's d defaults and A the rest, t = 1, 2, 2, 2, 2:
    B is a little riskier at every level, independently of ``x``. On these 1,000 rows ``w`` has
    IV ≈ 0.029 (above 0.02) but a Wald p-value ≈ 0.07 in the Logit with ``x``: informative, not
    significant at 0.05; its likelihood-ratio statistic ≈ 3.3 is above AIC's penalty 2 and below
    BIC's ln 1000 ≈ 6.9.
    """
    rows = []
    for level, d, t in zip(range(1, 6), (4, 12, 20, 32, 52), (1, 2, 2, 2, 2)):
        for w, k in (("A", d // 2 - t), ("B", d - d // 2 + t)):
            rows += [{"x": float(level), "w": w, "default": int(i < k)} for i in range(100)]
    return pd.DataFrame(rows)


def _suppressor_frame() -> pd.DataFrame:
    """``x`` as in :func:`_weak_frame`; ``v = "hi"`` on 20, 60, 100, 140, 180 of the 200 rows of levels 1..5.

    Within a level the "hi" rows get round(0.85 · d · share) of its d defaults, slightly fewer than their
    share, but "hi" sits mostly on the risky levels: alone, "hi" looks risky (14 % against 10 %); next to
    ``x`` it is the safer value. Its WoE coefficient is positive, the wrong sign.
    """
    rows = []
    for level, d, hi in zip(range(1, 6), (4, 12, 20, 32, 52), (20, 60, 100, 140, 180)):
        k_hi = round(d * hi / 200 * 0.85)
        rows += [{"x": float(level), "v": "hi", "default": int(i < k_hi)} for i in range(hi)]
        rows += [{"x": float(level), "v": "lo", "default": int(i < d - k_hi)} for i in range(200 - hi)]
    return pd.DataFrame(rows)


def test_default_master_scale_is_the_sample_policy_scale(policy):
    assert default_master_scale().to_dict() == MasterScale.from_policy(policy.master_scale).to_dict()
    assert default_master_scale() is not default_master_scale()  # a fresh object: callers may not share one


def test_fit_without_any_policy_grades_with_the_default_scale():
    frame = _weak_frame()
    sc = fit_scorecard(frame, "default")  # nothing but the frame and the target
    assert sc.selection == "sign" and sc.selected_ == ["x", "w"]
    assert sc.characteristics_["w"].dtype == "categorical" and sc.characteristics_["x"].dtype == "numerical"
    p = sc.predict_pd(frame)
    assert p.mean() == pytest.approx(frame["default"].mean(), abs=1e-9)  # calibrated to the sample's rate
    grades = sc.grade(frame)
    np.testing.assert_array_equal(grades, default_master_scale().grade(p))
    assert set(grades) <= set(default_master_scale().grades) and len(set(grades)) >= 3
    # the artifact carries the default scale and scores the same
    again = Scorecard.from_dict(sc.to_dict())
    np.testing.assert_array_equal(again.grade(frame), grades)
    assert again.master_scale.to_dict() == default_master_scale().to_dict()


def test_fit_without_policy_on_the_sample_history(outcomes, policy):
    frame = outcomes[list(policy.candidates) + ["default"]]
    sc = fit_scorecard(frame, "default")
    assert {f for f, ch in sc.characteristics_.items() if ch.dtype == "categorical"} == set(policy.categorical)
    assert len(sc.selected_) >= 2 and all(sc.coefficients_[f] < 0 for f in sc.selected_)
    assert sc.master_scale.grades == [g.grade for g in policy.master_scale]
    assert sc.metrics_["development"]["auc"] > 0.7


# --------------------------------------------------------------------------- selection rules
def test_unknown_selection_rule_refused():
    with pytest.raises(ModelError, match="unknown selection rule 'stepwise'"):
        Scorecard(selection="stepwise")
    assert SELECTION_RULES == ("sign", "p_value", "aic", "bic")


@pytest.mark.parametrize("rule, keeps_w, reason", [("sign", True, None), ("aic", True, None),
                                                   ("p_value", False, "p_value"), ("bic", False, "bic")])
def test_selection_rule_on_an_informative_but_not_significant_characteristic(rule, keeps_w, reason):
    frame = _weak_frame()
    sc = fit_scorecard(frame, "default", selection=rule)
    assert sc.characteristics_["w"].iv > sc.min_iv  # w passes the screening under every rule
    assert ("w" in sc.selected_) is keeps_w and "x" in sc.selected_
    full = fit_scorecard(frame, "default", selection="sign").logit_
    assert 0.05 < full.pvalues["w"] < 0.157  # not significant at 5 %, kept by Akaike's criterion
    if keeps_w:
        assert sc.selection_log_ == []
        assert sc.coefficients_["w"] < 0
    else:
        (entry,) = sc.selection_log_
        assert (entry["characteristic"], entry["step"], entry["reason"]) == ("w", "backward_elimination", reason)
    if rule == "p_value":
        assert sc.selection_log_[0]["args"] == {"p": pytest.approx(full.pvalues["w"]), "limit": 0.05}
        # a larger threshold keeps it
        assert "w" in fit_scorecard(frame, "default", selection="p_value", p_value=0.10).selected_
    if rule == "bic":
        args = sc.selection_log_[0]["args"]
        assert args["penalty"] == pytest.approx(math.log(len(frame)))
        assert 2.0 < args["lr"] < math.log(len(frame))
        assert args["limit"] == pytest.approx(0.0085, abs=1e-4)  # P(χ²₁ > ln 1000)


@pytest.mark.parametrize("rule", SELECTION_RULES)
def test_wrong_sign_always_removed(rule):
    frame = _suppressor_frame()
    assert frame.groupby("v")["default"].mean()["hi"] > frame.groupby("v")["default"].mean()["lo"]
    sc = fit_scorecard(frame, "default", selection=rule)
    assert sc.selected_ == ["x"]
    (entry,) = sc.selection_log_
    assert (entry["characteristic"], entry["reason"]) == ("v", "wrong_sign")
    assert entry["args"]["coefficient"] > 0


@pytest.mark.parametrize("rule", SELECTION_RULES)
def test_sample_card_under_each_rule(rule, outcomes, policy):
    sc = fit_scorecard(outcomes, "default", **{**_policy_kwargs(policy), "selection": rule})
    # no wrong sign, and every candidate is either in the card or has one logged reason for leaving
    assert sc.selected_ and all(sc.coefficients_[f] < 0 for f in sc.selected_)
    logged = [e["characteristic"] for e in sc.selection_log_]
    assert sorted(sc.selected_ + logged) == sorted(policy.candidates) and len(set(logged)) == len(logged)
    table = sc.selection_table().set_index("characteristic")
    assert sorted(table.index) == sorted(policy.candidates)
    assert list(table.index[table["selected"]]) == [f for f in sc.iv_table_["characteristic"] if f in sc.selected_]
    assert (table.loc[sc.selected_, "step"] == "selected").all() and (table.loc[sc.selected_, "coefficient"] < 0).all()
    left = table[~table["selected"]]
    assert left["reason"].notna().all() and left["coefficient"].isna().all()
    pvals = sc.logit_.pvalues.drop("const")
    if rule == "p_value":
        assert (pvals <= policy.p_value).all()
    if rule in ("aic", "bic"):  # dropping any one of them would raise the criterion
        import statsmodels.api as sm

        y, woe = outcomes["default"].to_numpy(int), sc.woe_frame(outcomes)
        penalty = 2.0 if rule == "aic" else math.log(len(y))
        for f in sc.selected_:
            if len(sc.selected_) > 1:
                rest = sm.Logit(y, sm.add_constant(woe.drop(columns=f), has_constant="add")).fit(disp=0)
                assert 2 * (sc.logit_.llf - rest.llf) >= penalty


def test_sign_keeps_what_p_value_drops_on_the_sample(outcomes, policy):
    """``sign`` keeps every screened characteristic with the right sign; ``p_value`` a subset of it."""
    kw = _policy_kwargs(policy)
    by_sign = fit_scorecard(outcomes, "default", **{**kw, "selection": "sign"})
    by_p = fit_scorecard(outcomes, "default", **{**kw, "selection": "p_value"})
    assert set(by_p.selected_) < set(by_sign.selected_)
    dropped = {e["characteristic"] for e in by_p.selection_log_ if e["reason"] == "p_value"}
    assert dropped and dropped <= set(by_sign.selected_)
    assert max(by_sign.logit_.pvalues[f] for f in dropped) > policy.p_value  # kept although not significant


def test_single_bin_characteristic_is_logged_not_fitted():
    frame = _weak_frame().assign(flat=1.0)  # one value: one bin, WoE 0 everywhere
    sc = fit_scorecard(frame, "default", min_iv=0.0)
    assert "flat" not in sc.selected_
    entry = next(e for e in sc.selection_log_ if e["characteristic"] == "flat")
    assert (entry["step"], entry["reason"]) == ("information_value", "single_bin")


def test_new_selection_reasons_in_both_languages():
    from helpers.report import selection_log_text

    log = [{"characteristic": "w", "step": "backward_elimination", "reason": "aic",
            "args": {"p": 0.2, "limit": 0.1573, "lr": 1.6, "penalty": 2.0}},
           {"characteristic": "w", "step": "backward_elimination", "reason": "bic",
            "args": {"p": 0.03, "limit": 0.0086, "lr": 4.7, "penalty": 6.9}},
           {"characteristic": "flat", "step": "information_value", "reason": "single_bin", "args": {}}]
    for lang, words in (("en", ("AIC", "BIC", "single bin")), ("zh", ("AIC降低", "BIC降低", "一个分箱"))):
        out = selection_log_text(log, {"w": {"en": "Weak", "zh": "弱"}}, lang)
        for row, word in zip(out, words):
            assert word in row["reason"] and "{" not in row["reason"]
        assert "0.200" in out[0]["reason"] and "0.1573" in out[0]["reason"]


# --------------------------------------------------------------------------- monotone bins
@pytest.mark.parametrize("rule", ["sign", "p_value"])
def test_numeric_bins_have_monotone_woe_on_the_sample(rule, outcomes, policy):
    sc = fit_scorecard(outcomes, "default", **{**_policy_kwargs(policy), "selection": rule})
    numeric = [ch for ch in sc.characteristics_.values() if ch.dtype == "numerical" and len(ch.woe) > 1]
    assert len(numeric) >= 8
    for ch in numeric:
        steps = np.diff(ch.woe)
        assert (steps > 0).all() or (steps < 0).all(), (ch.name, ch.woe)


def _monotone(values) -> bool:
    """Strictly increasing or strictly decreasing."""
    steps = np.diff(values)
    return bool((steps > 0).all() or (steps < 0).all())


def test_neighbours_with_the_same_event_rate_are_merged():
    from helpers.scoring.scorecard import _merge_equal_bins

    # 26/100 and 39/150 are both 26 %: one bin (−inf, 2.5) of 250 rows with 65 events; 3.5 stays a split
    bins = {"woe": [0.1987, 0.1987, 0.1058, -0.172], "counts": [100, 150, 115, 335], "events": [26, 39, 32, 113],
            "event_rates": [0.26, 0.26, 32 / 115, 113 / 335],
            "labels": ["(-inf, 1.50)", "[1.50, 2.50)", "[2.50, 3.50)", "[3.50, inf)"]}
    assert _merge_equal_bins([1.5, 2.5, 3.5], bins) == [2.5, 3.5]
    assert bins["labels"] == ["(-inf, 2.50)", "[2.50, 3.50)", "[3.50, inf)"]
    assert bins["counts"] == [250, 115, 335] and bins["events"] == [65, 32, 113]
    assert bins["event_rates"][0] == pytest.approx(0.26) and bins["woe"] == [0.1987, 0.1058, -0.172]
    # three equal neighbours in a row become one; the last bin's label keeps its open end
    bins = {"woe": [0.5, 0.2, 0.2, 0.2], "counts": [10, 20, 40, 60], "events": [1, 4, 8, 12],
            "event_rates": [0.1, 0.2, 0.2, 0.2],
            "labels": ["(-inf, 1.00)", "[1.00, 2.00)", "[2.00, 3.00)", "[3.00, inf)"]}
    assert _merge_equal_bins([1.0, 2.0, 3.0], bins) == [1.0]
    assert bins["labels"] == ["(-inf, 1.00)", "[1.00, inf)"] and bins["counts"] == [10, 120]


try:
    from hypothesis import given, settings, strategies as st
except ImportError:  # pragma: no cover - hypothesis is a test dependency
    given = None

if given is not None:
    @settings(max_examples=25, deadline=None)
    @given(seed=st.integers(0, 2**32 - 1), slope=st.floats(-2.0, 2.0), curve=st.floats(-1.5, 1.5),
           missing=st.floats(0.0, 0.2))
    def test_numeric_woe_monotone_whatever_the_data(seed, slope, curve, missing):
        """Even a U-shaped risk (curve ≠ 0) gets a strictly monotone WoE: optbinning's ascending or descending
        trend, neighbours of equal event rate merged."""
        rng = np.random.default_rng(seed)
        x = rng.normal(size=800)
        y = (rng.random(800) < 1 / (1 + np.exp(2.0 - slope * x - curve * x * x))).astype(int)
        x[rng.random(800) < missing] = np.nan
        if y.sum() < 10 or (1 - y).sum() < 10:
            return
        ch = Characteristic.fit("x", pd.Series(x), y, dtype="numerical", min_bin_size=0.05, min_prebin_size=0.02)
        assert _monotone(ch.woe), ch.woe
        assert all(c >= 0.05 * 800 - 1e-9 for c in ch.counts)  # min_bin_size binds, not the 2 % pre-bins


def test_scorecard_settings_from_the_policy(portfolio, policy):
    kw = scorecard_settings(portfolio.policy)
    assert kw["selection"] == policy.selection == "p_value"   # the sample company's choice
    assert kw["master_scale"].to_dict() == default_master_scale().to_dict()
    raw = policy.model_dump()
    with pytest.raises(PydanticValidationError, match="selection"):
        ScoringSettings(**{**raw, "selection": "stepwise"})
    for rule in SELECTION_RULES:
        assert ScoringSettings(**{**raw, "selection": rule}).selection == rule
    raw.pop("selection")
    assert ScoringSettings(**raw).selection == "sign"  # the documented default
    assert Scorecard().selection == "sign"             # and the scorecard's own, without a policy


def test_artifact_records_the_selection_rule(card, outcomes, policy):
    from helpers.scoring.scorecard import _checksum

    data = card.to_dict()
    assert data["parameters"]["selection"] == card.selection == policy.selection == "p_value"
    assert data["parameters"]["min_prebin_size"] == pytest.approx(0.02)
    assert Scorecard.from_dict(data).selection == "p_value"
    # an artifact written before the setting existed was fitted by p-value elimination on 5 % pre-bins
    old = {k: v for k, v in data.items() if k != "checksum"}
    old["parameters"] = {k: v for k, v in data["parameters"].items() if k not in ("selection", "min_prebin_size")}
    old["checksum"] = _checksum(old)
    loaded = Scorecard.from_dict(old)
    assert (loaded.selection, loaded.min_prebin_size) == ("p_value", 0.05)
    np.testing.assert_array_equal(loaded.score(outcomes), card.score(outcomes))


# --------------------------------------------------------------------------- expert scorecard
def _hand_row() -> pd.DataFrame:
    return pd.DataFrame([{
        "current_ratio": 1.2,             # edges [0.8, 1.0, 1.2, 1.5, 2.0]: exactly 1.2 → [1.2, 1.5) → 75 (of 100)
        "debt_to_equity": 2.5,            # [2, 3) → 20 (of 80)
        "interest_coverage": np.nan,      # missing → 70 (of 80)
        "ebit_margin": -0.01,             # below 0 → 0 (of 70)
        "altman_zone": "grey",            # → 35 (of 70)
        "bank_overdue_days": 0.0,         # below 1 → 100 (of 100)
        "credit_line_utilization": 0.9,   # exactly 0.9 → [0.9, 1.0) → 15 (of 80)
        "bank_past_defaults": 1.0,        # exactly 1 → [1, 2) → 10 (of 70)
        "days_beyond_terms": 45.0,        # exactly 45 → [45, inf) → 0 (of 150)
        "industry_risk_class": "high",    # → 10 (of 50)
        "third_party_rating": "BBB",      # → 45 (of 60)
        "relationship_years": 4.0,        # [3, 5) → 25 (of 40)
        "unresolved_disputes": 0.0,       # below 1 → 50 (of 50)
    }])


def test_expert_points_by_hand(policy):
    ex = ExpertScorecard(policy.expert)
    pts = ex.points(_hand_row()).iloc[0].to_dict()
    # the characteristics without the assessment group (800 of the 1000 points)
    assert pts == {"current_ratio": 60, "debt_to_equity": 16, "interest_coverage": 56, "ebit_margin": 0,
                   "altman_zone": 28, "bank_overdue_days": 80, "credit_line_utilization": 12,
                   "bank_past_defaults": 8, "days_beyond_terms": 0, "industry_risk_class": 8,
                   "third_party_rating": 36, "relationship_years": 20, "unresolved_disputes": 40}
    # 60+16+56+0+28+80+12+8+0+8+36+20+40 = 364 → below band 7's min_score 380 → grade 8
    assert ex.score(_hand_row())[0] == 364
    assert ex.grade(_hand_row())[0] == "8"


def test_expert_edges_closed_on_the_left(policy):
    ex = ExpertScorecard(policy.expert)
    # current_ratio edges [0.8, 1.0, 1.2, 1.5, 2.0], points [0, 20, 40, 60, 72, 80]
    frame = pd.DataFrame({"current_ratio": [0.79999, 0.8, 0.99999, 1.0, 1.5, 2.0, 50.0, -3.0]})
    assert list(ex.points(frame)["current_ratio"]) == [0, 20, 20, 40, 72, 80, 80, 0]


def test_expert_missing_and_categories(policy):
    ex = ExpertScorecard(policy.expert)
    # every value missing (columns absent) → each characteristic's missing points:
    # 24+0+56+16+16+56+40+32+60+16+20+4+20 = 360
    empty = pd.DataFrame(index=[0])
    assert ex.score(empty)[0] == 360
    assert ex.points(empty).iloc[0].to_dict() == {c.name: c.missing for c in policy.expert.characteristics}
    frame = pd.DataFrame({"third_party_rating": ["AAA", "B", "D", "ZZZ", None],
                          "altman_zone": ["safe", "distress", np.nan, "grey", "unknown"],
                          "bank_overdue_days": [np.nan, 0, 29.9, 30, 200]})
    pts = ex.points(frame)
    assert list(pts["third_party_rating"]) == [48, 12, 0, 20, 20]     # unknown and missing → missing (20)
    assert list(pts["altman_zone"]) == [56, 0, 16, 28, 16]
    assert list(pts["bank_overdue_days"]) == [56, 80, 48, 24, 0]


def test_expert_maximum_is_policy_total(policy, portfolio):
    qa = portfolio.policy.assessment
    ex = ExpertScorecard(policy.expert, qa)
    assert policy.expert.total == 1000
    assert sum(c.max_points for c in policy.expert.characteristics) == 800 and qa.total == 200
    best = pd.DataFrame([{"current_ratio": 3.0, "debt_to_equity": 0.1, "interest_coverage": 10.0, "ebit_margin": 0.2,
                          "altman_zone": "safe", "bank_overdue_days": 0.0, "credit_line_utilization": 0.1,
                          "bank_past_defaults": 0.0, "days_beyond_terms": 0.0, "industry_risk_class": "low",
                          "third_party_rating": "AAA", "relationship_years": 20.0, "unresolved_disputes": 0.0,
                          **{f"qa_{q.name}": qa.scales[q.scale][0].answer for q in qa.questions}}])
    assert ex.score(best)[0] == 1000
    assert ExpertScorecard(policy.expert).score(best)[0] == 800   # without the assessment group
    assert ex.grade(best)[0] == "1"
    assert ex.explain(best)[0]["reason_codes"] == []


def test_expert_explain_ordered_by_shortfall(policy):
    ex = ExpertScorecard(policy.expert)
    e = ex.explain(_hand_row(), top=20)[0]
    # shortfalls: days_beyond_terms 120, ebit_margin 56, credit_line_utilization 52, debt_to_equity 48,
    # bank_past_defaults 48, industry_risk_class 32, altman_zone 28, current_ratio 20, third_party_rating 12,
    # relationship_years 12, interest_coverage 8; bank_overdue_days and unresolved_disputes lose nothing
    got = [(r["characteristic"], r["shortfall"]) for r in e["reason_codes"]]
    assert [s for _, s in got] == [120, 56, 52, 48, 48, 32, 28, 20, 12, 12, 8]
    assert [c for c, _ in got[:3]] == ["days_beyond_terms", "ebit_margin", "credit_line_utilization"]
    assert {c for c, _ in got[3:5]} == {"debt_to_equity", "bank_past_defaults"}
    assert "bank_overdue_days" not in dict(got) and "unresolved_disputes" not in dict(got)
    assert e["score"] == 364 and e["grade"] == "8"
    top4 = ex.explain(_hand_row())[0]["reason_codes"]
    assert [r["characteristic"] for r in top4][:3] == ["days_beyond_terms", "ebit_margin", "credit_line_utilization"]
    assert len(top4) == 4
    assert top4[0]["code"] == "E-days_beyond_terms" and top4[0]["value"] == 45.0
    assert (top4[0]["points"], top4[0]["max_points"]) == (0.0, 120.0)


def test_expert_settings_reject_wrong_total(policy):
    raw = policy.expert.model_dump()
    assert ExpertScorecardSettings(**raw).total == 1000  # the policy as is passes (800 + the assessment's 200)
    raw["total"] = 799
    with pytest.raises(PydanticValidationError, match="add up to 800, more than the total 799"):
        ExpertScorecardSettings(**raw)
    raw["total"] = 800
    raw["characteristics"][0]["points"][-1] = 90  # current_ratio max 80 → 90: sum 810
    with pytest.raises(PydanticValidationError, match="810"):
        ExpertScorecardSettings(**raw)
    # the equality with the assessment's weights is the Policy's check (tests/test_assessment.py)


# --------------------------------------------------------------------------- characteristics of current customers
@pytest.fixture(scope="module")
def chars(portfolio):
    return customer_characteristics(portfolio)


def test_one_row_per_customer(chars, portfolio, card):
    assert chars.index.is_unique
    assert sorted(chars.index) == sorted(portfolio.customers["customer_id"])
    # the statistical scorecard can score them
    assert set(card.selected_) <= set(chars.columns)
    p = card.predict_pd(chars)
    assert np.all((p > 0) & (p < 1))


def test_case1_current_ratio_latest_year(chars, portfolio):
    fs = portfolio.statements
    own = fs[fs["customer_id"] == "CASE1"]
    latest = own[own["fiscal_year"] == own["fiscal_year"].max()].iloc[0]
    expected = latest["current_assets"] / latest["current_liabilities"]
    assert chars.loc["CASE1", "current_ratio"] == pytest.approx(expected, rel=1e-12)
    assert own["fiscal_year"].nunique() > 1  # a real choice of year


@pytest.mark.parametrize("customer", ["CASE1", "C001"])
def test_days_beyond_terms_by_hand(chars, portfolio, customer):
    # documented formula (customer_characteristics docstring): amount-weighted mean of (paid date − due date)
    # in days over invoices due in (as_of − 12 months, as_of]; an invoice not fully paid (open or
    # partially paid) counts (as_of − due date); early payment counts negative.
    as_of = pd.Timestamp(AS_OF)
    start = as_of - pd.DateOffset(months=12)
    inv = portfolio.tables["invoices"]
    num = den = 0.0
    open_or_partial = early = 0
    for r in inv[inv["customer_id"] == customer].itertuples():
        if not (start < r.due_date <= as_of):
            continue
        fully_paid = pd.notna(r.paid_date) and r.paid_amount >= r.amount - 0.005
        end = r.paid_date if fully_paid else as_of
        open_or_partial += not fully_paid
        days = (end - r.due_date).days
        early += days < 0
        num += r.amount * days
        den += r.amount
    assert open_or_partial > 0  # the customer has open or partially paid invoices in the window
    assert chars.loc[customer, "days_beyond_terms"] == pytest.approx(num / den, rel=1e-12)
    if customer == "C001":
        assert early > 0  # and early payments, so the sign convention is exercised


def test_unresolved_disputes_count(chars, portfolio):
    co = portfolio.tables["contacts"]
    expected = {cid: 0 for cid in chars.index}
    for r in co.itertuples():
        if r.kind in ("complaint", "dispute") and r.resolved is not None and not pd.isna(r.resolved) \
                and str(r.resolved).lower() == "false":
            expected[r.customer_id] += 1
    got = chars["unresolved_disputes"].to_dict()
    assert got == expected
    assert got["CASE1"] == 3 and sum(got.values()) > 0
