"""Model development and the validation pack: fit the statistical scorecard on the outcome
history, validate it out of time, and check its stability on the current portfolio.

The outcome history is split by time: the last ``scoring.out_of_time_years`` observation years
are held out (out-of-time test); the scorecard is fitted on the earlier years only, so every
discrimination and calibration figure on the test sample is honest. Stability compares the
development sample with the current customers (PSI of the score, CSI per characteristic).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..analysis.characteristics import portfolio_characteristics
from ..config import document_date
from ..exceptions import ModelError
from .master_scale import MasterScale
from .scorecard import Scorecard, fit_scorecard
from .statistics import (DEFAULT_THRESHOLDS, auc_gini, calibration_by_grade, cap_curve, hosmer_lemeshow,
                         ks_statistic, psi, psi_categorical, roc_curve, traffic_light)

__all__ = ["scorecard_settings", "split_out_of_time", "develop_scorecard", "validation_pack"]


def scorecard_settings(policy) -> dict:
    """Keyword arguments of :class:`helpers.scoring.Scorecard` from the policy's ``scoring`` section.

    The policy's settings override the scorecard's defaults, among them the selection rule
    (``scoring.selection``: sign, p_value, aic or bic) and the master scale.
    """
    s = policy.scoring
    if s is None:
        raise ModelError("the policy has no scoring section")
    return dict(features=list(s.candidates), categorical=list(s.categorical), min_iv=s.min_iv,
                max_correlation=s.max_correlation, max_vif=s.max_vif, selection=s.selection, p_value=s.p_value,
                base_score=s.base_score, base_odds=s.base_odds, pdo=s.pdo, central_tendency=s.central_tendency,
                master_scale=MasterScale.from_policy(s.master_scale), min_bin_size=s.min_bin_size, labels=dict(s.labels))


def split_out_of_time(outcomes: pd.DataFrame, years: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Development sample (all but the last ``years`` observation years) and out-of-time test sample."""
    if outcomes.empty:
        raise ModelError("the outcomes table is empty: there is no history to fit a scorecard on")
    last = int(outcomes["fiscal_year"].max())
    cut = last - years + 1
    dev = outcomes[outcomes["fiscal_year"] < cut].reset_index(drop=True)
    test = outcomes[outcomes["fiscal_year"] >= cut].reset_index(drop=True)
    if dev.empty or test.empty:
        raise ModelError(f"cannot hold out {years} year(s) of {outcomes['fiscal_year'].nunique()} in the history")
    return dev, test


def develop_scorecard(portfolio) -> tuple[Scorecard, pd.DataFrame, pd.DataFrame]:
    """Fit the scorecard on the development years of the portfolio's outcome history.

    Returns
    -------
    scorecard, development, test
    """
    dev, test = split_out_of_time(portfolio.tables["outcomes"], portfolio.policy.scoring.out_of_time_years)
    scorecard = fit_scorecard(dev, "default", **scorecard_settings(portfolio.policy))
    # dated by the analysis date (or SOURCE_DATE_EPOCH): the same history and policy give the same artifact
    scorecard.created_ = document_date(f"{portfolio.as_of:%Y-%m-%d}").isoformat(timespec="seconds")
    return scorecard, dev, test


def _light(name: str, value, thresholds: dict) -> dict:
    t = thresholds.get(name, DEFAULT_THRESHOLDS[name])
    return {"value": value, "light": traffic_light(value, green=t["green"], amber=t["amber"],
                                                    higher_is_better=t["higher_is_better"]),
            "green": t["green"], "amber": t["amber"], "higher_is_better": t["higher_is_better"]}


def _discrimination(y, pd_, thresholds) -> dict:
    a = auc_gini(y, pd_)
    k = ks_statistic(y, pd_)
    return {"n": a["n"], "n_bad": a["n_bad"], "default_rate": float(np.mean(y)),
            "auc": _light("auc", a["auc"], thresholds), "auc_ci": [a["auc_lo"], a["auc_hi"]],
            "gini": _light("gini", a["gini"], thresholds), "gini_ci": [a["gini_lo"], a["gini_hi"]],
            "ks": _light("ks", k["ks"], thresholds), "mean_pd": float(np.mean(pd_))}


def _psi_noise_floor(bins: int, n_expected: int, n_actual: int) -> float:
    """PSI expected from sampling alone when nothing shifted: ≈ (bins − 1) · (1/n_expected + 1/n_actual).

    Under no shift, PSI is approximately χ²(bins − 1) · (1/n₁ + 1/n₂); with a few dozen current customers
    this floor is itself near the usual 0.10 alert level, which the report states beside the figures.
    """
    return (bins - 1) * (1.0 / n_expected + 1.0 / n_actual)


def validation_pack(scorecard: Scorecard, dev: pd.DataFrame, test: pd.DataFrame, portfolio) -> dict:
    """Everything the model validation report shows, as JSON-able data.

    Parameters
    ----------
    scorecard : Scorecard
        Fitted on ``dev``.
    dev, test : DataFrame
        Development and out-of-time samples of the outcome history.
    portfolio : helpers.inputs.Portfolio
        For the current customers (stability) and the policy's thresholds.

    Returns
    -------
    dict
        ``model`` (version, training, selected characteristics, scaling), ``discrimination``
        (development and test: AUC and Gini with 95 % DeLong intervals, KS, each with its light and
        thresholds), ``curves`` (ROC and CAP of the test sample), ``calibration`` (by grade on the
        test sample with binomial and Jeffreys p-values; Hosmer–Lemeshow), ``stability`` (PSI of
        the score and CSI per characteristic, development vs current portfolio), ``iv_table``,
        ``selection_log``, ``selection`` (the rule and its p-value limit), ``summary_table``, ``summary_text``,
        ``thresholds``.
    """
    policy = portfolio.policy
    thresholds = {k: dict(v) for k, v in (policy.scoring.validation_thresholds or {}).items()}
    for k, v in DEFAULT_THRESHOLDS.items():
        thresholds.setdefault(k, dict(v))
    y_dev, y_test = dev["default"].to_numpy(int), test["default"].to_numpy(int)
    pd_dev, pd_test = scorecard.predict_pd(dev), scorecard.predict_pd(test)
    grades = scorecard.master_scale.grades
    cal = calibration_by_grade(pd.DataFrame({"grade": scorecard.grade(test), "pd": pd_test, "default": y_test}),
                               order=grades)
    cal = cal[cal["n"] > 0] if "n" in cal else cal
    cal_rows = []
    for r in cal.to_dict(orient="records"):
        r["binomial_light"] = _light("binomial_p", r.get("binomial_p"), thresholds)["light"]
        r["jeffreys_light"] = _light("jeffreys_p", r.get("jeffreys_p"), thresholds)["light"]
        cal_rows.append(r)
    hl = hosmer_lemeshow(y_test, pd_test)
    current = portfolio_characteristics(portfolio)
    score_dev, score_now = scorecard.score(dev), scorecard.score(current)
    p = psi(score_dev, score_now)
    csi_rows = []
    for f in scorecard.selected_:  # CSI over the scorecard's own bins of each characteristic
        ch = scorecard.characteristics_[f]
        names = ch.labels + ["unseen category", "missing"]  # bin_index: −2 unseen, −1 missing
        dev_bins = [names[i] for i in ch.bin_index(dev[f].to_numpy())]
        now_bins = [names[i] for i in ch.bin_index(current[f].to_numpy())]
        value = psi_categorical(dev_bins, now_bins)["psi"]
        csi_rows.append({"column": f, "label": scorecard.labels.get(f, f), "csi": value, "bins": len(ch.woe) + 1,
                         "noise_floor": _psi_noise_floor(len(ch.woe) + 1, len(dev), len(current)),
                         "light": _light("csi", value, thresholds)["light"]})
    roc, cap = roc_curve(y_test, pd_test), cap_curve(y_test, pd_test)
    return {
        "model": {"version": scorecard.model_version_, "created": scorecard.created_,
                  "training": scorecard.training_, "selected": scorecard.selected_,
                  "labels": scorecard.labels, "coefficients": scorecard.coefficients_,
                  "scaling": {"base_score": scorecard.base_score, "base_odds": scorecard.base_odds,
                              "pdo": scorecard.pdo, "factor": scorecard.factor_, "offset": scorecard.offset_},
                  "calibration": {"central_tendency": scorecard.central_tendency_,
                                  "shift": scorecard.calibration_shift_},
                  "master_scale": scorecard.master_scale.to_dict(),
                  "samples": {"development_years": [int(dev.fiscal_year.min()), int(dev.fiscal_year.max())],
                              "test_years": [int(test.fiscal_year.min()), int(test.fiscal_year.max())],
                              "current_customers": int(len(current))}},
        "discrimination": {"development": _discrimination(y_dev, pd_dev, thresholds),
                           "test": _discrimination(y_test, pd_test, thresholds)},
        "curves": {"roc": roc.to_dict(orient="list"), "cap": cap.to_dict(orient="list"),
                   "test_default_rate": float(y_test.mean())},
        "calibration": {"by_grade": cal_rows,
                        "hosmer_lemeshow": {**{k: v for k, v in hl.items() if k != "table"},
                                            "light": _light("hosmer_lemeshow_p", hl["p_value"], thresholds)["light"]}},
        "stability": {"psi": _light("psi", p["psi"], thresholds), "psi_table": p["table"].to_dict(orient="records"),
                      "psi_noise_floor": _psi_noise_floor(len(p["table"]), len(dev), len(current)),
                      "csi": csi_rows, "score_development": [float(v) for v in np.percentile(score_dev, [5, 25, 50, 75, 95])],
                      "score_current": [float(v) for v in np.percentile(score_now, [5, 25, 50, 75, 95])]},
        "iv_table": [{**r, "label": scorecard.labels.get(r["characteristic"], r["characteristic"]),
                      "selected": r["characteristic"] in scorecard.selected_} for r in scorecard.iv_table_.to_dict(orient="records")],
        "characteristics": {f: scorecard.characteristics_[f].to_dict() for f in scorecard.selected_},
        "points": {f: [float(-scorecard.factor_ * scorecard.coefficients_[f] * w) for w in scorecard.characteristics_[f].woe]
                   for f in scorecard.selected_},
        "selection_log": scorecard.selection_log_,
        "selection": {"rule": scorecard.selection, "p_value": scorecard.p_value},
        "summary_table": scorecard.summary_table_.to_dict(orient="records"),
        "summary_text": scorecard.summary_text_,
        "thresholds": thresholds,
        "as_of": f"{portfolio.as_of:%Y-%m-%d}",
    }
