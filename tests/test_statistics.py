"""Model-validation statistics against hand-worked figures, cross-checks and properties."""
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st
from scipy import integrate, stats

from helpers.scoring.statistics import (DEFAULT_THRESHOLDS, PSI_FLOOR, accuracy_ratio, auc_gini, calibration_by_grade,
                                cap_curve, csi, hosmer_lemeshow, ks_statistic, psi, psi_categorical, roc_curve,
                                traffic_light)

# The tiny example used throughout: 3 bads, 4 goods, one bad/good tie at 0.6.
#   bads  X: 0.8, 0.6, 0.4
#   goods Y: 0.6, 0.3, 0.2, 0.1
Y_TINY = [1, 1, 1, 0, 0, 0, 0]
PD_TINY = [0.8, 0.6, 0.4, 0.6, 0.3, 0.2, 0.1]


@pytest.fixture(scope="module")
def simulated():
    """n = 2000, ~20 % bads, scores normal with a shift of 1 for bads, rounded to make ties."""
    rng = np.random.default_rng(20240611)
    y = (rng.random(2000) < 0.2).astype(int)
    score = np.round(rng.normal(loc=y * 1.0, scale=1.0), 1)
    return y, score


# ---------------------------------------------------------------- AUC / Gini / DeLong
def test_auc_counts_pairs_on_tiny_example():
    # ψ(X, Y) per (bad, good) pair: 1 if X > Y, ½ if tied, 0 if X < Y
    #              Y=0.6  Y=0.3  Y=0.2  Y=0.1 | row sum
    #   X=0.8        1      1      1      1   |  4
    #   X=0.6        ½      1      1      1   |  3.5
    #   X=0.4        0      1      1      1   |  3
    # AUC = 10.5 / (3·4) = 0.875; Gini = 2·0.875 − 1 = 0.75
    r = auc_gini(Y_TINY, PD_TINY)
    assert r["auc"] == pytest.approx(0.875, abs=1e-12)
    assert r["gini"] == pytest.approx(0.75, abs=1e-12)
    assert (r["n"], r["n_bad"], r["method"], r["note"]) == (7, 3, "DeLong", "")


def test_delong_se_worked_by_hand_on_tiny_example():
    # Placements (rows/columns of the pair table above):
    #   V10 (per bad)  = 4/4, 3.5/4, 3/4            = 1, 0.875, 0.75     (mean 0.875 = AUC)
    #   V01 (per good) = 1.5/3, 3/3, 3/3, 3/3        = 0.5, 1, 1, 1       (mean 0.875 = AUC)
    #   S10 = [(0.125)² + 0² + (−0.125)²] / (3 − 1)           = 0.03125 / 2 = 0.015625
    #   S01 = [(−0.375)² + 3·(0.125)²] / (4 − 1)              = 0.1875 / 3  = 0.0625
    #   Var = S10/n_bad + S01/n_good = 0.015625/3 + 0.0625/4 = 1/192 + 3/192 = 1/48
    #   se  = √(1/48) = 0.1443375673
    # 95 % CI: 0.875 ± 1.959963985·0.1443375673 = 0.875 ± 0.2828964 → [0.5921036, 1.1578964] → hi clipped to 1
    r = auc_gini(Y_TINY, PD_TINY)
    assert r["auc_se"] == pytest.approx(0.1443375673, abs=1e-10)
    assert r["auc_se"] ** 2 == pytest.approx(1 / 48, rel=1e-12)
    assert r["auc_lo"] == pytest.approx(0.5921036, abs=1e-7)
    assert r["auc_hi"] == 1.0
    assert r["gini_lo"] == pytest.approx(2 * 0.5921036 - 1, abs=1e-6)
    assert r["gini_hi"] == 1.0


def test_interval_widens_with_confidence():
    narrow, wide = auc_gini(Y_TINY, PD_TINY, alpha=0.5), auc_gini(Y_TINY, PD_TINY, alpha=0.01)
    assert wide["auc_lo"] < narrow["auc_lo"] < 0.875
    # alpha = 0.5: z = 0.6744898, lo = 0.875 − 0.6744898·0.1443376 = 0.7776459
    assert narrow["auc_lo"] == pytest.approx(0.7776459, abs=1e-6)


def test_gini_is_two_auc_minus_one(simulated):
    y, s = simulated
    r = auc_gini(y, s)
    assert r["gini"] == pytest.approx(2 * r["auc"] - 1, abs=1e-14)
    assert r["gini_lo"] == pytest.approx(2 * r["auc_lo"] - 1, abs=1e-14)
    assert r["gini_hi"] == pytest.approx(2 * r["auc_hi"] - 1, abs=1e-14)
    assert r["auc_lo"] < r["auc"] < r["auc_hi"]


def test_perfect_and_reversed_separation():
    y = [0, 0, 0, 1, 1]
    perfect = auc_gini(y, [0.1, 0.2, 0.3, 0.7, 0.9])
    reverse = auc_gini(y, [0.9, 0.7, 0.3, 0.2, 0.1])
    assert (perfect["auc"], perfect["gini"]) == (1.0, 1.0)
    assert (reverse["auc"], reverse["gini"]) == (0.0, -1.0)
    assert auc_gini(y, [0.5] * 5)["auc"] == 0.5  # all tied: every pair counts ½


def test_single_bad_gives_nan_se_with_reason():
    r = auc_gini([1, 0, 0, 0], [0.9, 0.1, 0.2, 0.3])
    assert r["auc"] == 1.0
    assert math.isnan(r["auc_se"]) and math.isnan(r["auc_lo"]) and math.isnan(r["gini_hi"])
    assert "at least two bads" in r["note"]


_TRANSFORMS = {
    "affine": lambda s: 2.5 * s + 7.0,
    "cube": lambda s: s ** 3,
    "exp": lambda s: np.exp(s / 5.0),
    "logistic": lambda s: 1.0 / (1.0 + np.exp(-s / 3.0)),
}


@settings(max_examples=60, deadline=None)
@given(data=st.lists(st.tuples(st.integers(0, 1), st.integers(-20, 20)), min_size=2, max_size=40)
       .filter(lambda d: len({y for y, _ in d}) == 2),
       transform=st.sampled_from(sorted(_TRANSFORMS)))
def test_auc_invariant_under_strictly_increasing_transform(data, transform):
    y = [a for a, _ in data]
    s = np.array([b for _, b in data], dtype=float)
    base, moved = auc_gini(y, s), auc_gini(y, _TRANSFORMS[transform](s))
    assert moved["auc"] == pytest.approx(base["auc"], abs=1e-12)
    if not math.isnan(base["auc_se"]):
        assert moved["auc_se"] == pytest.approx(base["auc_se"], abs=1e-12)


def test_auc_matches_mann_whitney_u(simulated):
    y, s = simulated
    bad, good = s[y == 1], s[y == 0]
    u = stats.mannwhitneyu(bad, good, alternative="two-sided").statistic  # U of the first sample (bads)
    assert auc_gini(y, s)["auc"] == pytest.approx(u / (len(bad) * len(good)), rel=1e-12)


def test_delong_se_close_to_stratified_bootstrap(simulated):
    y, s = simulated
    bad, good = s[y == 1], s[y == 0]
    rng = np.random.default_rng(7)
    yb = np.r_[np.ones(len(bad)), np.zeros(len(good))]
    boot = []
    for _ in range(400):
        sb = np.r_[rng.choice(bad, len(bad)), rng.choice(good, len(good))]
        boot.append(auc_gini(yb, sb)["auc"])
    se_boot = float(np.std(boot, ddof=1))
    se = auc_gini(y, s)["auc_se"]
    assert 0.005 < se < 0.05
    assert se == pytest.approx(se_boot, rel=0.15)


# ---------------------------------------------------------------- KS, ROC, CAP, AR
def test_ks_by_hand_on_tiny_example():
    # F(t) = share with pd_ ≤ t        t:   0.1   0.2   0.3   0.4   0.6   0.8
    #   F_bad  (0.4, 0.6, 0.8)              0     0     0    1/3   2/3    1
    #   F_good (0.1, 0.2, 0.3, 0.6)        1/4   2/4   3/4   3/4    1     1
    #   |difference|                       .25   .50   .75  .4167 .3333   0
    # KS = 0.75 at the cut-off 0.3 (pd_ ≤ 0.3 → good)
    assert ks_statistic(Y_TINY, PD_TINY) == {"ks": pytest.approx(0.75, abs=1e-12), "threshold": 0.3}


def test_ks_matches_scipy_two_sample(simulated):
    y, s = simulated
    r = ks_statistic(y, s)
    assert r["ks"] == pytest.approx(stats.ks_2samp(s[y == 1], s[y == 0]).statistic, abs=1e-12)
    bad, good = s[y == 1], s[y == 0]
    t = r["threshold"]
    assert abs((bad <= t).mean() - (good <= t).mean()) == pytest.approx(r["ks"], abs=1e-12)


def test_roc_tiny_example_points():
    # called bad when pd_ ≥ t:   t = inf  0.8   0.6   0.4   0.3   0.2   0.1
    #   tpr (of 3 bads)              0   1/3   2/3    1     1     1     1
    #   fpr (of 4 goods)             0    0    1/4   1/4   2/4   3/4    1
    roc = roc_curve(Y_TINY, PD_TINY)
    assert list(roc.columns) == ["threshold", "fpr", "tpr"]
    np.testing.assert_allclose(roc["tpr"], [0, 1 / 3, 2 / 3, 1, 1, 1, 1])
    np.testing.assert_allclose(roc["fpr"], [0, 0, 0.25, 0.25, 0.5, 0.75, 1])
    # trapezoids: 0 + 0.25·(1/3+2/3)/2 + 0 + 0.25 + 0.25 + 0.25 = 0.875 = AUC
    assert integrate.trapezoid(roc["tpr"], roc["fpr"]) == pytest.approx(0.875, abs=1e-12)


def test_roc_endpoints_monotone_and_area_is_auc(simulated):
    y, s = simulated
    roc = roc_curve(y, s)
    assert (roc.iloc[0]["fpr"], roc.iloc[0]["tpr"]) == (0.0, 0.0) and roc.iloc[0]["threshold"] == np.inf
    assert (roc.iloc[-1]["fpr"], roc.iloc[-1]["tpr"]) == (1.0, 1.0) and roc.iloc[-1]["threshold"] == s.min()
    assert (np.diff(roc["threshold"]) < 0).all()
    assert (np.diff(roc["fpr"]) >= 0).all() and (np.diff(roc["tpr"]) >= 0).all()
    assert integrate.trapezoid(roc["tpr"], roc["fpr"]) == pytest.approx(auc_gini(y, s)["auc"], abs=1e-12)


def test_cap_tiny_example_and_accuracy_ratio_by_hand():
    # sorted by pd_ descending, one step per distinct pd_ (n = 7, 3 bads):
    #   pd_ ≥      0.8   0.6   0.4   0.3   0.2   0.1
    #   population 1/7   3/7   4/7   5/7   6/7    1
    #   bads       1/3   2/3    1     1     1     1
    # area under CAP = 1/42 + 6/42 + 5/42 + 18/42 = 30/42 = 5/7
    # AR = (5/7 − 1/2) / ((1 − 3/7)/2) = (3/14) / (2/7) = 0.75 = Gini of the same example
    cap = cap_curve(Y_TINY, PD_TINY)
    assert list(cap.columns) == ["population_share", "bad_share"]
    np.testing.assert_allclose(cap["population_share"], [0, 1 / 7, 3 / 7, 4 / 7, 5 / 7, 6 / 7, 1])
    np.testing.assert_allclose(cap["bad_share"], [0, 1 / 3, 2 / 3, 1, 1, 1, 1])
    assert accuracy_ratio(Y_TINY, PD_TINY) == pytest.approx(0.75, abs=1e-12)


def test_cap_endpoints_and_monotone(simulated):
    y, s = simulated
    cap = cap_curve(y, s)
    assert tuple(cap.iloc[0]) == (0.0, 0.0) and tuple(cap.iloc[-1]) == (1.0, 1.0)
    assert (np.diff(cap["population_share"]) > 0).all() and (np.diff(cap["bad_share"]) >= 0).all()
    assert (cap["bad_share"] >= cap["population_share"] - 1e-12).all()  # a discriminating model is above the diagonal


@settings(max_examples=60, deadline=None)
@given(data=st.lists(st.tuples(st.integers(0, 1), st.integers(0, 6)), min_size=2, max_size=50)
       .filter(lambda d: len({y for y, _ in d}) == 2))
def test_accuracy_ratio_equals_gini_identity(data):
    # AR (from the CAP area) = 2·AUC − 1 (from ranks), ties included
    y = [a for a, _ in data]
    s = [b / 10 for _, b in data]
    assert accuracy_ratio(y, s) == pytest.approx(auc_gini(y, s)["gini"], abs=1e-9)


def test_accuracy_ratio_equals_gini_on_simulated_sample(simulated):
    y, s = simulated
    assert accuracy_ratio(y, s) == pytest.approx(auc_gini(y, s)["gini"], abs=1e-12)


# ---------------------------------------------------------------- calibration
@pytest.fixture
def graded():
    # grade A: n = 10, 3 defaults, PD 0.10 each; grade B: n = 5, no default, PD 0.02 each
    return pd.DataFrame({"grade": ["A"] * 10 + ["B"] * 5,
                         "pd": [0.10] * 10 + [0.02] * 5,
                         "default": [1, 1, 1] + [0] * 7 + [0] * 5})


def test_binomial_and_jeffreys_on_small_grade(graded):
    cal = calibration_by_grade(graded)
    a = cal.set_index("grade").loc["A"]
    assert (a["n"], a["defaults"]) == (10, 3)
    assert a["observed_dr"] == pytest.approx(0.3) and a["mean_pd"] == pytest.approx(0.1)
    # P(X ≥ 3 | 10, 0.1) = 1 − [0.9^10 + 10·0.1·0.9^9 + 45·0.01·0.9^8]
    #                    = 1 − [0.3486784401 + 0.3874204890 + 0.1937102445] = 1 − 0.9298091736 = 0.0701908264
    assert a["binomial_p"] == pytest.approx(0.0701908264, abs=1e-10)
    # Jeffreys: Beta(3 + ½, 7 + ½).cdf(0.1) = ∫₀^0.1 x^2.5 (1 − x)^6.5 dx / B(3.5, 7.5),
    # B(3.5, 7.5) = Γ(3.5)Γ(7.5)/Γ(11) = (15√π/8)(135135√π/128)/3628800 = 0.0017137442.
    # Integrated numerically here (independently of scipy.stats.beta): ≈ 0.0313589
    density = lambda x: x ** 2.5 * (1 - x) ** 6.5 / (math.gamma(3.5) * math.gamma(7.5) / math.gamma(11))
    want = integrate.quad(density, 0, 0.1)[0]
    assert want == pytest.approx(0.0313589, abs=1e-7)
    assert a["jeffreys_p"] == pytest.approx(want, abs=1e-9)


def test_grade_without_defaults_and_sort_by_mean_pd(graded):
    cal = calibration_by_grade(graded)
    assert list(cal["grade"]) == ["B", "A", "all"]  # mean PD 0.02 < 0.10
    b = cal.iloc[0]
    assert b["binomial_p"] == 1.0  # P(X ≥ 0) = 1
    assert b["observed_dr"] == 0.0
    # Jeffreys with d = 0: Beta(½, 5½).cdf(0.02); substitute x = u² to remove the singularity at 0
    density = lambda u: 2 * (1 - u * u) ** 4.5 / (math.gamma(0.5) * math.gamma(5.5) / math.gamma(6))
    assert b["jeffreys_p"] == pytest.approx(integrate.quad(density, 0, math.sqrt(0.02))[0], abs=1e-9)


def test_total_row(graded):
    cal = calibration_by_grade(graded)
    total = cal.iloc[-1]
    # n = 15, defaults = 3, observed DR = 0.2, mean PD = (10·0.10 + 5·0.02)/15 = 1.1/15 = 0.0733333
    assert total["grade"] == "all"
    assert (total["n"], total["defaults"]) == (15, 3)
    assert total["observed_dr"] == pytest.approx(0.2)
    assert total["mean_pd"] == pytest.approx(1.1 / 15)
    # P(X ≥ 3 | 15, p), p = 1.1/15, q = 1 − p:
    #   1 − [q^15 + 15·p·q^14 + 105·p²·q^13] = 1 − [0.3190459 + 0.3787235 + 0.2097965] = 0.0924342
    p = 1.1 / 15
    q = 1 - p
    want = 1 - sum(math.comb(15, k) * p ** k * q ** (15 - k) for k in range(3))
    assert want == pytest.approx(0.0924342, abs=1e-7)
    assert total["binomial_p"] == pytest.approx(want, abs=1e-12)
    assert total["jeffreys_p"] == pytest.approx(stats.beta(3.5, 12.5).cdf(1.1 / 15), abs=1e-12)


def test_order_is_respected_and_unknown_grades_fail(graded):
    cal = calibration_by_grade(graded, order=["A", "B", "C"])
    assert list(cal["grade"]) == ["A", "B", "C", "all"]
    c = cal.iloc[2]
    assert c["n"] == 0 and c["defaults"] == 0
    assert math.isnan(c["observed_dr"]) and math.isnan(c["binomial_p"]) and math.isnan(c["jeffreys_p"])
    with pytest.raises(ValueError, match=r"\['B'\].*not in order"):
        calibration_by_grade(graded, order=["A"])


def test_calibration_custom_columns_and_bad_inputs(graded):
    renamed = graded.rename(columns={"grade": "rating", "pd": "p", "default": "bad"})
    cal = calibration_by_grade(renamed, grade="rating", pd_col="p", target="bad")
    assert cal["n"].tolist() == [5, 10, 15]
    with pytest.raises(ValueError, match="lacks column"):
        calibration_by_grade(graded, pd_col="probability")
    broken = graded.assign(pd=[1.5] + [0.1] * 14)
    with pytest.raises(ValueError, match="between 0 and 1"):
        calibration_by_grade(broken)
    with pytest.raises(ValueError, match="only 0 and 1"):
        calibration_by_grade(graded.assign(default=[2] + [0] * 14))


# ---------------------------------------------------------------- Hosmer–Lemeshow
# Three clearly separated PD levels, 4 obligors each:
#   group  PD    n  O  E = n·PD  (O − E)²/(E·(1 − E/n))
#     1   0.10   4  1    0.4     0.36 / (0.4·0.9)  = 1
#     2   0.25   4  2    1.0     1    / (1.0·0.75) = 4/3
#     3   0.50   4  1    2.0     1    / (2.0·0.5)  = 1
#   HL = 10/3 = 3.3333, dof = 3 − 2 = 1,
#   p = P(χ²₁ > 10/3) = P(|Z| > √(10/3)) = erfc(√(5/3)) = 0.0678892
HL_Y = [1, 0, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0]
HL_PD = [0.10] * 4 + [0.25] * 4 + [0.50] * 4


def test_hosmer_lemeshow_by_hand():
    r = hosmer_lemeshow(HL_Y, HL_PD, groups=3)
    assert r["statistic"] == pytest.approx(10 / 3, abs=1e-12)
    assert r["dof"] == 1 and r["groups"] == 3 and r["note"] == ""
    assert r["p_value"] == pytest.approx(math.erfc(math.sqrt(5 / 3)), abs=1e-12)
    assert r["p_value"] == pytest.approx(0.0678892, abs=1e-7)
    t = r["table"]
    assert t["n"].tolist() == [4, 4, 4] and t["observed"].tolist() == [1, 2, 1]
    np.testing.assert_allclose(t["expected"], [0.4, 1.0, 2.0])
    np.testing.assert_allclose(t["mean_pd"], [0.10, 0.25, 0.50])


def test_hosmer_lemeshow_dof_counts_groups_actually_formed():
    # ten groups asked, only three distinct PDs: ties share a group → 3 groups, dof 1, same HL
    r = hosmer_lemeshow(HL_Y, HL_PD, groups=10)
    assert (r["groups"], r["dof"]) == (3, 1)
    assert r["table"]["group"].tolist() == [1, 2, 3]
    assert r["statistic"] == pytest.approx(10 / 3, abs=1e-12)


def test_hosmer_lemeshow_deciles_and_degenerate_cases():
    rng = np.random.default_rng(3)
    p = rng.uniform(0.01, 0.3, 1000)
    y = (rng.random(1000) < p).astype(int)
    r = hosmer_lemeshow(y, p)
    assert (r["groups"], r["dof"]) == (10, 8)
    assert r["table"]["n"].tolist() == [100] * 10
    assert r["p_value"] == pytest.approx(stats.chi2.sf(r["statistic"], 8))
    assert r["p_value"] > 0.01  # the PDs are the true ones
    one = hosmer_lemeshow([0, 1, 0], [0.2, 0.2, 0.2])
    assert one["groups"] == 1 and math.isnan(one["p_value"]) and "at least 3" in one["note"]
    zero = hosmer_lemeshow([0, 0, 1, 0, 1, 1], [0.0, 0.0, 0.3, 0.3, 0.6, 0.6], groups=3)
    assert math.isnan(zero["statistic"]) and "variance is zero" in zero["note"]


# ---------------------------------------------------------------- PSI / CSI
def test_psi_three_bins_by_hand():
    # shares e = 0.5 / 0.3 / 0.2, a = 0.4 / 0.4 / 0.2
    # PSI = (0.4 − 0.5)·ln(0.4/0.5) + (0.4 − 0.3)·ln(0.4/0.3) + 0
    #     = 0.1·ln(1.25) + 0.1·ln(4/3) = 0.1·ln(5/3) = 0.1·0.5108256 = 0.05108256
    expected = [1] * 5 + [2] * 3 + [3] * 2
    actual = [1] * 4 + [2] * 4 + [3] * 2
    r = psi(expected, actual, edges=[1.5, 2.5])
    assert r["psi"] == pytest.approx(0.05108256, abs=1e-8)
    t = r["table"]
    assert t["bin"].tolist() == ["(-inf, 1.5]", "(1.5, 2.5]", "(2.5, inf)"]
    np.testing.assert_allclose(t["expected_share"], [0.5, 0.3, 0.2])
    np.testing.assert_allclose(t["actual_share"], [0.4, 0.4, 0.2])
    np.testing.assert_allclose(t["contribution"], [0.1 * math.log(1.25), 0.1 * math.log(4 / 3), 0.0], atol=1e-15)


def test_psi_identical_samples_is_zero_and_quantile_bins():
    x = np.arange(100.0)
    r = psi(x, x)
    assert r["psi"] == 0.0
    assert len(r["table"]) == 10
    np.testing.assert_allclose(r["table"]["expected_share"], 0.1)
    assert r["table"]["bin"].iloc[0].startswith("(-inf") and r["table"]["bin"].iloc[-1].endswith("inf)")
    # values outside the expected range land in the open end bins, never dropped
    shifted = psi(x, x + 1000)
    assert shifted["table"]["actual_share"].iloc[-1] == 1.0


def test_psi_missing_values_are_their_own_bin():
    # expected: 1, 1, 2, 2, NaN → 0.4 / 0.4 / 0.2 ; actual: 1, 2, 2, NaN, NaN → 0.2 / 0.4 / 0.4
    # PSI = (0.2 − 0.4)·ln(0.5) + 0 + (0.4 − 0.2)·ln(2) = 0.4·ln 2 = 0.2772589
    r = psi([1, 1, 2, 2, np.nan], [1, 2, 2, None, np.nan], edges=[1.5])
    assert r["table"]["bin"].tolist() == ["(-inf, 1.5]", "(1.5, inf)", "missing"]
    np.testing.assert_allclose(r["table"]["actual_share"], [0.2, 0.4, 0.4])
    assert r["psi"] == pytest.approx(0.2772589, abs=1e-7)
    assert "missing" not in psi([1, 2], [1, 2], edges=[1.5])["table"]["bin"].tolist()


def test_psi_empty_bin_stays_finite():
    # e = 0.5 / 0.5, a = 1.0 / 0 → the empty share becomes 1e-6:
    # (1 − 0.5)·ln(2) + (1e-6 − 0.5)·ln(1e-6 / 0.5) = 0.3465736 + 6.5611686 = 6.9077422
    r = psi([1] * 5 + [2] * 5, [1] * 10, edges=[1.5])
    assert math.isfinite(r["psi"])
    assert r["psi"] == pytest.approx(0.5 * math.log(2) + (PSI_FLOOR - 0.5) * math.log(PSI_FLOOR / 0.5), abs=1e-12)
    assert r["psi"] == pytest.approx(6.9077422, abs=1e-7)
    assert r["table"]["actual_share"].tolist() == [1.0, 0.0]  # the table keeps the raw share


def test_psi_categorical_matches_numeric_example_and_handles_missing():
    r = psi_categorical(list("aaaaabbbcc"), list("aaaabbbbcc"))
    assert r["psi"] == pytest.approx(0.05108256, abs=1e-8)
    assert r["table"]["bin"].tolist() == ["a", "b", "c"]
    # union of categories: "d" only in actual, "c" only in expected; NaN → "missing"
    r2 = psi_categorical(pd.Series(["a", "a", "c", None]), ["a", "d", np.nan, np.nan])
    t = r2["table"].set_index("bin")
    assert t.index.tolist() == ["a", "c", "d", "missing"]
    np.testing.assert_allclose(t["expected_share"], [0.5, 0.25, 0.0, 0.25])
    np.testing.assert_allclose(t["actual_share"], [0.25, 0.0, 0.25, 0.5])
    assert math.isfinite(r2["psi"]) and r2["psi"] > 0
    assert psi_categorical(list("abc"), list("cba"))["psi"] == 0.0


def test_psi_categorical_keeps_declared_category_order():
    cats = pd.CategoricalDtype(["low", "mid", "high"], ordered=True)
    r = psi_categorical(pd.Series(["high", "low", "mid"], dtype=cats), pd.Series(["low", "low", "high"], dtype=cats))
    assert r["table"]["bin"].tolist() == ["low", "mid", "high"]


def test_csi_over_two_columns():
    expected = pd.DataFrame({"x": [1] * 5 + [2] * 3 + [3] * 2, "c": list("aaaaabbbcc")})
    actual = pd.DataFrame({"x": [1] * 5 + [2] * 3 + [3] * 2, "c": list("aaaabbbbcc")})
    out = csi(expected, actual, ["x", "c"], bins=3)
    assert out.columns.tolist() == ["column", "csi"]
    assert out["column"].tolist() == ["x", "c"]
    assert out["csi"].iloc[0] == 0.0  # x unchanged
    assert out["csi"].iloc[1] == pytest.approx(0.05108256, abs=1e-8)  # c: the hand-worked example
    with pytest.raises(ValueError, match="lacks column"):
        csi(expected, actual, ["x", "z"])


# ---------------------------------------------------------------- traffic lights
def test_traffic_light_higher_is_better_boundaries():
    kw = dict(green=0.70, amber=0.60)
    assert traffic_light(0.70, **kw) == "green"  # exactly at green
    assert traffic_light(0.6999, **kw) == "amber"
    assert traffic_light(0.60, **kw) == "amber"  # exactly at amber
    assert traffic_light(0.5999, **kw) == "red"
    assert traffic_light(float("nan"), **kw) == "grey"
    assert traffic_light(None, **kw) == "grey"
    assert traffic_light(np.float64(0.9), **kw) == "green"


def test_traffic_light_lower_is_better_boundaries():
    kw = dict(green=0.10, amber=0.25, higher_is_better=False)
    assert traffic_light(0.10, **kw) == "green"  # exactly at green
    assert traffic_light(0.1001, **kw) == "amber"
    assert traffic_light(0.25, **kw) == "amber"  # exactly at amber
    assert traffic_light(0.2501, **kw) == "red"
    assert traffic_light(np.nan, **kw) == "grey"
    assert traffic_light(None, **kw) == "grey"


def test_traffic_light_rejects_thresholds_in_wrong_order():
    with pytest.raises(ValueError, match="must be ≥"):
        traffic_light(0.5, green=0.6, amber=0.7)
    with pytest.raises(ValueError, match="must be ≤"):
        traffic_light(0.5, green=0.3, amber=0.1, higher_is_better=False)


def test_default_thresholds_unpack_into_traffic_light():
    assert DEFAULT_THRESHOLDS["auc"] == {"green": 0.70, "amber": 0.60, "higher_is_better": True}
    assert DEFAULT_THRESHOLDS["psi"] == {"green": 0.10, "amber": 0.25, "higher_is_better": False}
    assert (DEFAULT_THRESHOLDS["gini"]["green"], DEFAULT_THRESHOLDS["gini"]["amber"]) == (0.40, 0.20)
    assert (DEFAULT_THRESHOLDS["ks"]["green"], DEFAULT_THRESHOLDS["ks"]["amber"]) == (0.30, 0.20)
    for key in ("binomial_p", "jeffreys_p", "hosmer_lemeshow_p"):
        assert DEFAULT_THRESHOLDS[key] == {"green": 0.05, "amber": 0.01, "higher_is_better": True}
    assert traffic_light(0.65, **DEFAULT_THRESHOLDS["auc"]) == "amber"
    assert traffic_light(0.30, **DEFAULT_THRESHOLDS["psi"]) == "red"
    assert traffic_light(0.0702, **DEFAULT_THRESHOLDS["binomial_p"]) == "green"


# ---------------------------------------------------------------- input errors
@pytest.mark.parametrize("fn", [auc_gini, ks_statistic, roc_curve, cap_curve, accuracy_ratio, hosmer_lemeshow])
def test_mismatched_lengths(fn):
    with pytest.raises(ValueError, match=r"same length, got 3 and 2"):
        fn([0, 1, 0], [0.1, 0.2])


@pytest.mark.parametrize("fn", [auc_gini, ks_statistic, roc_curve, cap_curve, accuracy_ratio, hosmer_lemeshow])
def test_target_must_be_zero_or_one(fn):
    with pytest.raises(ValueError, match=r"only 0 and 1.*found 1 other value\(s\): 2"):
        fn([0, 1, 2], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="missing value"):
        fn([0, 1, np.nan], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="non-numeric"):
        fn(["good", "bad", "bad"], [0.1, 0.2, 0.3])


@pytest.mark.parametrize("fn", [auc_gini, ks_statistic, roc_curve, cap_curve, accuracy_ratio])
def test_ranking_needs_a_bad_and_a_good(fn):
    with pytest.raises(ValueError, match=r"at least one bad \(y = 1\) and one good.*got 0 bad"):
        fn([0, 0, 0], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="got 3 bad"):
        fn([1, 1, 1], [0.1, 0.2, 0.3])


def test_score_and_parameter_errors():
    with pytest.raises(ValueError, match="pd_ has 1 missing or infinite"):
        auc_gini([0, 1], [0.1, np.nan])
    with pytest.raises(ValueError, match="between 0 and 1"):
        hosmer_lemeshow([0, 1, 0], [0.1, 1.2, 0.3])
    with pytest.raises(ValueError, match="alpha"):
        auc_gini(Y_TINY, PD_TINY, alpha=1.5)
    with pytest.raises(ValueError, match="groups"):
        hosmer_lemeshow(HL_Y, HL_PD, groups=1)
    with pytest.raises(ValueError, match="empty"):
        auc_gini([], [])
    with pytest.raises(ValueError, match="psi_categorical"):
        psi(["a", "b"], ["a", "b"])
    with pytest.raises(ValueError, match="NaN"):
        psi([1, 2], [1, 2], edges=[np.nan])
