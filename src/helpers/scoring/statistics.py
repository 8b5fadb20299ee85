"""Credit-scoring model validation: discrimination, calibration and stability statistics.

The statistics of a validation pack for a probability-of-default (PD) model, as used by the
model-development notebook and rendered into the validation PDF.

Conventions
-----------
- ``y`` is the default flag, **1 = default (bad)**, 0 = good; ``pd_`` is the predicted
  probability of default, **higher = riskier**. Both are array-likes of the same length
  (lists, NumPy arrays, pandas Series — the index is ignored, only the order matters).
- Inputs are checked on entry: same length, non-empty, ``y`` only 0/1 without missing values,
  ``pd_`` without missing or infinite values. Ranking statistics (AUC, Gini, KS, ROC, CAP, AR)
  accept any finite score; calibration statistics (binomial, Jeffreys, Hosmer–Lemeshow) need
  ``0 ≤ pd_ ≤ 1``. Statistics that compare bads with goods need at least one of each. A broken
  input raises :class:`ValueError` naming what is wrong — these are programming/data-preparation
  errors of the caller, not conditions of the portfolio.
- Results are plain dicts of Python ``float``/``int``/``str`` (JSON-friendly) or DataFrames.
  Where a figure cannot be computed (e.g. a standard error from a single bad) it is NaN and the
  dict's ``note`` says why — never ``inf`` and never an exception.
- Ties in ``pd_`` count one half wherever pairs are compared (AUC, DeLong placements), and curves
  (ROC, CAP) take one point per distinct ``pd_`` value, so the straight segment through a tied
  group is exactly the "½" convention and AUC = area under the ROC, AR = 2·AUC − 1 hold with ties.

References
----------
- DeLong, E. R., DeLong, D. M., Clarke-Pearson, D. L. (1988). Comparing the areas under two or
  more correlated receiver operating characteristic curves: a nonparametric approach.
  *Biometrics* 44(3), 837–845.
- European Central Bank (2019). *Instructions for reporting the validation results of internal
  models — IRB Pillar I models for credit risk*, §2.5.3.1 (Jeffreys test).
- Hosmer, D. W., Lemeshow, S. (1980). Goodness of fit tests for the multiple logistic regression
  model. *Communications in Statistics — Theory and Methods* 9(10), 1043–1069.
- Siddiqi, N. (2006). *Credit Risk Scorecards*, Wiley (population and characteristic stability).
"""
from __future__ import annotations

import math
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import integrate, stats

__all__ = ["auc_gini", "ks_statistic", "roc_curve", "cap_curve", "accuracy_ratio", "calibration_by_grade",
           "hosmer_lemeshow", "psi", "psi_categorical", "csi", "traffic_light", "DEFAULT_THRESHOLDS",
           "PSI_FLOOR"]

#: Share substituted for an empty bin in PSI/CSI so that ``ln(a / e)`` stays finite.
PSI_FLOOR: float = 1e-6

#: Fallback traffic-light thresholds, **used only when the policy file supplies none** — the
#: credit policy is the authority for the real ones. Each entry unpacks straight into
#: :func:`traffic_light`: ``traffic_light(value, **DEFAULT_THRESHOLDS["auc"])``.
#: ``accuracy_ratio`` mirrors ``gini`` (they are the same number) and ``csi`` mirrors ``psi``.
DEFAULT_THRESHOLDS: dict[str, dict] = {
    "auc": {"green": 0.70, "amber": 0.60, "higher_is_better": True},
    "gini": {"green": 0.40, "amber": 0.20, "higher_is_better": True},
    "accuracy_ratio": {"green": 0.40, "amber": 0.20, "higher_is_better": True},
    "ks": {"green": 0.30, "amber": 0.20, "higher_is_better": True},
    "psi": {"green": 0.10, "amber": 0.25, "higher_is_better": False},
    "csi": {"green": 0.10, "amber": 0.25, "higher_is_better": False},
    "binomial_p": {"green": 0.05, "amber": 0.01, "higher_is_better": True},
    "jeffreys_p": {"green": 0.05, "amber": 0.01, "higher_is_better": True},
    "hosmer_lemeshow_p": {"green": 0.05, "amber": 0.01, "higher_is_better": True},
}


# ---------------------------------------------------------------- input checks
def _as_1d(values, name: str) -> np.ndarray:
    arr = np.asarray(values.to_numpy() if isinstance(values, (pd.Series, pd.Index)) else values)
    if arr.ndim == 0:
        raise ValueError(f"{name} must be a one-dimensional array-like, got a scalar")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def _check_target(y, name: str = "y") -> np.ndarray:
    """``y`` as an int array of 0/1; ValueError on missing or other values."""
    arr = _as_1d(y, name)
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    try:
        val = pd.to_numeric(pd.Series(arr), errors="raise").to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be the 0/1 default flag (1 = default); it holds non-numeric values") from None
    missing = np.isnan(val)
    if missing.any():
        raise ValueError(f"{name} has {int(missing.sum())} missing value(s); the default flag must be 0 or 1 "
                         f"for every observation (drop or resolve them first)")
    other = ~np.isin(val, (0.0, 1.0))
    if other.any():
        shown = ", ".join(f"{v:g}" for v in np.unique(val[other])[:5])
        raise ValueError(f"{name} must hold only 0 and 1 (1 = default); "
                         f"found {int(other.sum())} other value(s): {shown}")
    return val.astype(np.int64)


def _check_score(pd_, name: str = "pd_", *, probability: bool = False) -> np.ndarray:
    """``pd_`` as a float array; ValueError on missing/infinite values (and outside [0, 1] if asked)."""
    arr = _as_1d(pd_, name)
    try:
        val = pd.to_numeric(pd.Series(arr), errors="raise").to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numeric (a predicted probability of default)") from None
    bad = ~np.isfinite(val)
    if bad.any():
        raise ValueError(f"{name} has {int(bad.sum())} missing or infinite value(s); every observation needs a score")
    if probability and ((val < 0) | (val > 1)).any():
        out = int(((val < 0) | (val > 1)).sum())
        raise ValueError(f"{name} must be a probability between 0 and 1; {out} value(s) lie outside "
                         f"[{val.min():g}, {val.max():g}]")
    return val


def _check_pair(y, pd_, *, need_both: bool = True, probability: bool = False,
                what: str = "this statistic") -> tuple[np.ndarray, np.ndarray]:
    """Validate ``y``/``pd_`` together; return (int 0/1 array, float array)."""
    n_y, n_p = len(_as_1d(y, "y")), len(_as_1d(pd_, "pd_"))
    if n_y != n_p:
        raise ValueError(f"y and pd_ must have the same length, got {n_y} and {n_p}")
    yy = _check_target(y)
    pp = _check_score(pd_, probability=probability)
    if need_both:
        n_bad = int(yy.sum())
        if n_bad == 0 or n_bad == len(yy):
            raise ValueError(f"{what} needs at least one bad (y = 1) and one good (y = 0); "
                             f"got {n_bad} bad(s) among {len(yy)} observations")
    return yy, pp


def _check_alpha(alpha: float) -> float:
    if not (isinstance(alpha, (int, float, np.floating)) and 0 < alpha < 1):
        raise ValueError(f"alpha must be between 0 and 1 (e.g. 0.05 for a 95 % interval), got {alpha!r}")
    return float(alpha)


# ---------------------------------------------------------------- discrimination
def auc_gini(y, pd_, alpha: float = 0.05) -> dict:
    """Area under the ROC curve and Gini coefficient, with DeLong confidence intervals.

    **AUC (Mann–Whitney rank formula).** With ``R_i`` the mid-rank (ties averaged,
    :func:`scipy.stats.rankdata`) of ``pd_`` in the whole sample and the sum taken over the
    ``n₁`` bads among ``n₀`` goods::

        AUC = (Σ_bad R_i − n₁(n₁ + 1)/2) / (n₁·n₀)

    i.e. the share of (bad, good) pairs in which the bad has the higher PD, a tie counting ½.
    **Gini = 2·AUC − 1.**

    **Standard error (DeLong, DeLong & Clarke-Pearson 1988).** The structural components
    ("placement values") are, with ψ(X, Y) = 1 if X > Y, ½ if X = Y, 0 otherwise::

        V10_i = (1/n₀) Σ_j ψ(X_i, Y_j)   for each bad i  (share of goods it outranks)
        V01_j = (1/n₁) Σ_i ψ(X_i, Y_j)   for each good j (share of bads that outrank it)

    Both average to the AUC. With ``S10``, ``S01`` their sample variances (divisor n − 1)::

        Var(AUC) = S10/n₁ + S01/n₀,   se = √Var

    The placements are computed from mid-ranks: ``V10_i = (R_i − R_i^bad)/n₀`` and
    ``V01_j = 1 − (R_j − R_j^good)/n₁``, where ``R^bad``/``R^good`` rank within the own class.

    **Interval.** ``AUC ± z_{1−α/2}·se`` (normal quantile, :func:`scipy.stats.norm.ppf`), clipped
    to [0, 1]; the Gini bounds are ``2·bound − 1`` of the clipped AUC bounds.

    Parameters
    ----------
    y : array-like of 0/1
        Default flag, 1 = default.
    pd_ : array-like of float
        Predicted PD or any score where higher means riskier.
    alpha : float
        Two-sided level of the interval (0.05 → 95 %).

    Returns
    -------
    dict
        ``auc, gini, auc_se, auc_lo, auc_hi, gini_lo, gini_hi`` (float), ``n, n_bad`` (int),
        ``method`` (``"DeLong"``) and ``note`` (``""`` or why the interval is NaN: the variance
        needs at least two bads and two goods).

    Raises
    ------
    ValueError
        Bad inputs (see module conventions) or no bad / no good.
    """
    alpha = _check_alpha(alpha)
    y, s = _check_pair(y, pd_, what="AUC")
    bad = y == 1
    n1, n0 = int(bad.sum()), int((~bad).sum())
    ranks = stats.rankdata(s)
    auc = (ranks[bad].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0)

    v10 = (ranks[bad] - stats.rankdata(s[bad])) / n0
    v01 = 1.0 - (ranks[~bad] - stats.rankdata(s[~bad])) / n1
    note = ""
    if n1 < 2 or n0 < 2:
        se = math.nan
        note = f"DeLong variance needs at least two bads and two goods (got {n1} bad(s), {n0} good(s))"
    else:
        se = math.sqrt(np.var(v10, ddof=1) / n1 + np.var(v01, ddof=1) / n0)
    z = float(stats.norm.ppf(1.0 - alpha / 2.0))
    lo = min(max(auc - z * se, 0.0), 1.0) if not math.isnan(se) else math.nan
    hi = min(max(auc + z * se, 0.0), 1.0) if not math.isnan(se) else math.nan
    return {"auc": float(auc), "gini": float(2 * auc - 1), "auc_se": float(se),
            "auc_lo": float(lo), "auc_hi": float(hi),
            "gini_lo": float(2 * lo - 1), "gini_hi": float(2 * hi - 1),
            "n": int(n1 + n0), "n_bad": n1, "method": "DeLong", "note": note}


def ks_statistic(y, pd_) -> dict:
    """Kolmogorov–Smirnov statistic between the PD distributions of bads and goods.

    With ``F_bad(t) = P(pd_ ≤ t | bad)`` and ``F_good(t) = P(pd_ ≤ t | good)`` the empirical
    cumulative distributions::

        KS = max_t |F_bad(t) − F_good(t)|

    over every observed ``pd_`` value ``t`` (the step functions only change there). It equals the
    two-sample statistic of :func:`scipy.stats.ks_2samp`.

    Returns
    -------
    dict
        ``ks`` (float in [0, 1]) and ``threshold``: the cut-off ``t`` where the maximum is reached,
        read as "pd_ ≤ t → good, pd_ > t → bad". When several cut-offs reach the maximum, the
        lowest is reported.

    Raises
    ------
    ValueError
        Bad inputs or no bad / no good.
    """
    y, s = _check_pair(y, pd_, what="KS")
    bad = y == 1
    cuts = np.unique(s)
    f_bad = np.searchsorted(np.sort(s[bad]), cuts, side="right") / bad.sum()
    f_good = np.searchsorted(np.sort(s[~bad]), cuts, side="right") / (~bad).sum()
    diff = np.abs(f_bad - f_good)
    i = int(np.argmax(diff))
    return {"ks": float(diff[i]), "threshold": float(cuts[i])}


def roc_curve(y, pd_) -> pd.DataFrame:
    """Receiver operating characteristic: one point per distinct ``pd_`` cut-off.

    At cut-off ``t`` every observation with ``pd_ ≥ t`` is called bad::

        tpr(t) = #{bad: pd_ ≥ t} / n₁     (hit rate)
        fpr(t) = #{good: pd_ ≥ t} / n₀    (false-alarm rate)

    Returns
    -------
    DataFrame
        Columns ``threshold, fpr, tpr``; thresholds strictly descending. The first row is
        ``(+inf, 0, 0)`` (nobody called bad), the last is ``(min pd_, 1, 1)``. The trapezoid area
        under it equals :func:`auc_gini`'s AUC.

    Raises
    ------
    ValueError
        Bad inputs or no bad / no good.
    """
    y, s = _check_pair(y, pd_, what="the ROC curve")
    bad = y == 1
    cuts = np.unique(s)[::-1]
    tpr = 1.0 - np.searchsorted(np.sort(s[bad]), cuts, side="left") / bad.sum()
    fpr = 1.0 - np.searchsorted(np.sort(s[~bad]), cuts, side="left") / (~bad).sum()
    return pd.DataFrame({"threshold": np.r_[np.inf, cuts], "fpr": np.r_[0.0, fpr], "tpr": np.r_[0.0, tpr]})


def _cap_points(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    cuts = np.unique(s)[::-1]
    n, n1 = len(s), int(y.sum())
    pop = 1.0 - np.searchsorted(np.sort(s), cuts, side="left") / n
    hit = 1.0 - np.searchsorted(np.sort(s[y == 1]), cuts, side="left") / n1
    return np.r_[0.0, pop], np.r_[0.0, hit]


def cap_curve(y, pd_) -> pd.DataFrame:
    """Cumulative accuracy profile (power curve, Lorenz curve of defaults).

    The population is sorted by ``pd_`` descending (riskiest first); for each distinct cut-off
    ``t``::

        population_share(t) = #{pd_ ≥ t} / n
        bad_share(t)        = #{bad: pd_ ≥ t} / n₁

    Returns
    -------
    DataFrame
        Columns ``population_share, bad_share``, starting at (0, 0) and ending at (1, 1). A
        tied group of ``pd_`` values is one step (drawn as a straight segment), so the order of
        tied observations does not matter.

    Raises
    ------
    ValueError
        Bad inputs or no bad / no good.
    """
    y, s = _check_pair(y, pd_, what="the CAP curve")
    pop, hit = _cap_points(y, s)
    return pd.DataFrame({"population_share": pop, "bad_share": hit})


def accuracy_ratio(y, pd_) -> float:
    """Accuracy ratio from the CAP curve; **identity AR = 2·AUC − 1 = Gini**.

    ``AR = a_R / a_P``, where ``a_R`` is the area between the model's CAP curve and the diagonal
    and ``a_P`` the same area for the perfect model, which captures every default first. With the
    default rate ``π = n₁/n``::

        a_R = ∫ CAP − ½      (trapezoid rule, :func:`scipy.integrate.trapezoid`)
        a_P = (1 − π)/2
        AR  = (∫ CAP − ½) / ((1 − π)/2)  =  2·AUC − 1

    It is computed here from the CAP curve, independently of :func:`auc_gini`, so the identity
    (which holds exactly, ties included, with ties as straight segments) is a real cross-check.

    Raises
    ------
    ValueError
        Bad inputs or no bad / no good.
    """
    y, s = _check_pair(y, pd_, what="The accuracy ratio")
    pop, hit = _cap_points(y, s)
    pi = y.mean()
    return float((integrate.trapezoid(hit, pop) - 0.5) / ((1.0 - pi) / 2.0))


# ---------------------------------------------------------------- calibration
def _binomial_p(defaults: np.ndarray, n: np.ndarray, pd_: np.ndarray) -> np.ndarray:
    return np.where(n > 0, stats.binom.sf(defaults - 1, n, pd_), np.nan)


def _jeffreys_p(defaults: np.ndarray, n: np.ndarray, pd_: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        p = stats.beta.cdf(pd_, defaults + 0.5, n - defaults + 0.5)
    return np.where(n > 0, p, np.nan)


def calibration_by_grade(frame: pd.DataFrame, grade: str = "grade", pd_col: str = "pd", target: str = "default",
                         order: Sequence | None = None) -> pd.DataFrame:
    """Observed default rate against mean PD per rating grade, with binomial and Jeffreys tests.

    For each grade with ``n`` obligors, ``d`` defaults and mean PD ``p̄``:

    - ``observed_dr = d / n``;
    - **binomial test** (one-sided, H0 "the PD is not underestimated")::

          binomial_p = P(X ≥ d | X ~ Binomial(n, p̄)) = binom.sf(d − 1, n, p̄)

    - **Jeffreys test** (ECB 2019): the posterior of the default rate under the Jeffreys prior
      Beta(½, ½) is Beta(d + ½, n − d + ½), and::

          jeffreys_p = Beta(d + ½, n − d + ½).cdf(p̄)

      the posterior probability that the true default rate is at most the PD.

    A **small p-value in either test means the PD is too low** (more defaults than the PD
    explains). Both assume independent defaults within a grade.

    Parameters
    ----------
    frame : DataFrame
        One row per obligor.
    grade, pd_col, target : str
        Columns with the rating grade, the PD (in [0, 1]) and the 0/1 default flag.
    order : sequence, optional
        Grades in report order. Grades listed here but absent from the data get a row with
        ``n = 0`` and NaN statistics; grades in the data but not listed raise ValueError.
        Without it, grades are sorted by mean PD ascending (best grade first; ties by label).

    Returns
    -------
    DataFrame
        Columns ``grade, n, defaults, observed_dr, mean_pd, binomial_p, jeffreys_p``; one row per
        grade and a last row ``grade = "all"`` for the whole portfolio (``mean_pd`` = mean PD over
        all obligors, the tests applied to the totals).

    Raises
    ------
    ValueError
        Missing columns, missing grades, or a default flag / PD that breaks the conventions.
    """
    if not isinstance(frame, pd.DataFrame):
        raise ValueError("frame must be a pandas DataFrame with one row per obligor")
    absent = [c for c in (grade, pd_col, target) if c not in frame.columns]
    if absent:
        raise ValueError(f"frame lacks column(s) {absent}; it has {list(frame.columns)}")
    if len(frame) == 0:
        raise ValueError("frame is empty")
    g = frame[grade]
    if g.isna().any():
        raise ValueError(f"column {grade!r} has {int(g.isna().sum())} missing grade(s); every obligor needs a grade")
    y = _check_target(frame[target], name=target)
    p = _check_score(frame[pd_col], name=pd_col, probability=True)
    work = pd.DataFrame({"grade": g.to_numpy(), "y": y, "pd": p})
    agg = work.groupby("grade", sort=True, observed=True).agg(
        n=("y", "size"), defaults=("y", "sum"), mean_pd=("pd", "mean"))
    if order is None:
        agg = agg.sort_values("mean_pd", kind="stable")
    else:
        order = list(order)
        if len(set(order)) != len(order):
            raise ValueError(f"order lists a grade twice: {order}")
        unlisted = [x for x in agg.index if x not in order]
        if unlisted:
            raise ValueError(f"grade(s) {unlisted} occur in the data but not in order={order}")
        agg = agg.reindex(order)
        agg[["n", "defaults"]] = agg[["n", "defaults"]].fillna(0)
    total = pd.DataFrame({"n": [len(work)], "defaults": [int(y.sum())], "mean_pd": [float(p.mean())]}, index=["all"])
    out = pd.concat([agg, total])
    out.index.name = "grade"
    out = out.reset_index()
    out["n"] = out["n"].astype(np.int64)
    out["defaults"] = out["defaults"].astype(np.int64)
    n, d, m = out["n"].to_numpy(), out["defaults"].to_numpy(), out["mean_pd"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["observed_dr"] = np.where(n > 0, d / np.where(n > 0, n, 1), np.nan)
    out["binomial_p"] = _binomial_p(d, n, m)
    out["jeffreys_p"] = _jeffreys_p(d, n, m)
    return out[["grade", "n", "defaults", "observed_dr", "mean_pd", "binomial_p", "jeffreys_p"]]


def hosmer_lemeshow(y, pd_, groups: int = 10) -> dict:
    """Hosmer–Lemeshow goodness-of-fit test over quantile groups of the PD.

    Observations are grouped by quantiles of ``pd_`` (:func:`pandas.qcut` with
    ``duplicates="drop"``, so heavily tied PDs can give fewer groups than asked; empty groups
    are dropped). Tied PDs always share a group. For group ``k``
    with ``n_k`` observations, ``O_k`` defaults and ``E_k = Σ pd_`` expected defaults::

        HL = Σ_k (O_k − E_k)² / (E_k·(1 − E_k/n_k))

    compared with a χ² distribution with ``g − 2`` degrees of freedom, ``g`` the number of groups
    actually formed: ``p_value = chi2.sf(HL, g − 2)``. A small p-value means the PDs do not fit
    the observed defaults.

    Parameters
    ----------
    y, pd_ : array-like
        Default flag and PD in [0, 1]. All-good or all-bad samples are allowed.
    groups : int
        Number of quantile groups asked for (≥ 3 for a test with at least one degree of freedom).

    Returns
    -------
    dict
        ``statistic`` (float), ``dof`` (int, ``g − 2``), ``p_value`` (float), ``groups`` (int,
        ``g``), ``table`` (DataFrame: ``group`` 1…g by increasing PD, ``n, observed, expected,
        mean_pd``) and ``note`` (``""`` or why the statistic / p-value is NaN: a group whose
        expected defaults are 0 or all of it, or fewer than 3 groups).

    Raises
    ------
    ValueError
        Bad inputs, or ``groups`` not an integer ≥ 2.
    """
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 2:
        raise ValueError(f"groups must be an integer ≥ 2, got {groups!r}")
    y, p = _check_pair(y, pd_, need_both=False, probability=True, what="Hosmer–Lemeshow")
    if np.unique(p).size == 1:
        codes = np.zeros(len(p), dtype=np.int64)
    else:
        codes = np.asarray(pd.qcut(p, int(groups), labels=False, duplicates="drop"), dtype=np.int64)
        # an interior quantile bin can still be empty (edges interpolated between tied values):
        # number the non-empty groups 0..g-1 so that g counts the groups actually formed
        codes = np.unique(codes, return_inverse=True)[1]
    work = pd.DataFrame({"group": codes + 1, "y": y, "pd": p})
    table = work.groupby("group", sort=True).agg(n=("y", "size"), observed=("y", "sum"), expected=("pd", "sum"),
                                                 mean_pd=("pd", "mean")).reset_index()
    g = len(table)
    n, o, e = table["n"].to_numpy(float), table["observed"].to_numpy(float), table["expected"].to_numpy(float)
    den = e * (1.0 - e / n)
    notes = []
    if (den <= 0).any():
        stat = math.nan
        notes.append("a group's expected defaults are 0 or all of the group, so its variance is zero")
    else:
        stat = float(np.sum((o - e) ** 2 / den))
    dof = g - 2
    if dof < 1:
        p_value = math.nan
        notes.append(f"only {g} group(s) could be formed; the test needs at least 3")
    else:
        p_value = float(stats.chi2.sf(stat, dof)) if not math.isnan(stat) else math.nan
    return {"statistic": stat, "dof": int(dof), "p_value": p_value, "groups": int(g), "table": table,
            "note": "; ".join(notes)}


# ---------------------------------------------------------------- stability
def _psi_table(labels: list[str], e_counts: np.ndarray, a_counts: np.ndarray) -> dict:
    e_share = e_counts / e_counts.sum()
    a_share = a_counts / a_counts.sum()
    e_f = np.maximum(e_share, PSI_FLOOR)
    a_f = np.maximum(a_share, PSI_FLOOR)
    contribution = (a_f - e_f) * np.log(a_f / e_f)
    table = pd.DataFrame({"bin": labels, "expected_share": e_share, "actual_share": a_share,
                          "contribution": contribution})
    return {"psi": float(contribution.sum()), "table": table}


def _numeric_sample(x, name: str) -> np.ndarray:
    arr = _as_1d(x, name)
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    try:
        return pd.to_numeric(pd.Series(arr), errors="raise").to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} holds non-numeric values; use psi_categorical for categorical variables") from None


def _fmt(x: float) -> str:
    return "inf" if x == np.inf else "-inf" if x == -np.inf else f"{x:.6g}"


def psi(expected, actual, bins: int = 10, edges: Iterable[float] | None = None) -> dict:
    """Population stability index of a numeric variable (score, PD, characteristic).

    ::

        PSI = Σ_bins (a − e)·ln(a / e)

    with ``e``, ``a`` the shares of the expected (development) and actual (recent) samples in
    each bin. Bins are cut at the quantiles ``1/bins, …, (bins−1)/bins`` of the expected sample
    (repeated quantiles merged), or at the given ``edges``; the outer bins are open
    (−inf, first cut] and (last cut, +inf), so no value falls outside. Bins are right-closed.
    Missing values (NaN/None) form their own bin ``"missing"`` (shown only when either sample has
    any); shares are of all observations including missing ones.

    **Empty bins:** a share of 0 is replaced by ``PSI_FLOOR = 1e-6`` in the contribution (in both
    the difference and the logarithm), so the PSI is finite; a bin empty in both samples
    contributes 0. The table shows the raw shares.

    Parameters
    ----------
    expected, actual : array-like of float
        The two samples (any lengths).
    bins : int
        Number of quantile bins when ``edges`` is not given.
    edges : iterable of float, optional
        Cut points; sorted and de-duplicated, ±inf added as the open ends.

    Returns
    -------
    dict
        ``psi`` (float) and ``table`` (DataFrame: ``bin, expected_share, actual_share,
        contribution``).

    Raises
    ------
    ValueError
        Empty or non-numeric samples, ``bins < 1``, or NaN in ``edges``.
    """
    e = _numeric_sample(expected, "expected")
    a = _numeric_sample(actual, "actual")
    if edges is None:
        if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
            raise ValueError(f"bins must be an integer ≥ 1, got {bins!r}")
        finite = e[~np.isnan(e)]
        cuts = np.unique(np.quantile(finite, np.linspace(0, 1, int(bins) + 1)[1:-1])) if finite.size else np.array([])
    else:
        cuts = np.asarray(list(edges), dtype=float)
        if np.isnan(cuts).any():
            raise ValueError("edges must not contain NaN")
        cuts = np.unique(cuts[np.isfinite(cuts)])
    full = np.r_[-np.inf, cuts, np.inf]
    labels = [f"({_fmt(lo)}, {_fmt(hi)}{')' if hi == np.inf else ']'}" for lo, hi in zip(full[:-1], full[1:])]
    k = len(full) - 1

    def counts(x):
        idx = pd.cut(x, full, right=True, labels=False)
        c = np.bincount(idx[~np.isnan(idx)].astype(np.int64), minlength=k).astype(float)
        return np.r_[c, np.isnan(x).sum()]

    ce, ca = counts(e), counts(a)
    if ce[-1] == 0 and ca[-1] == 0:
        ce, ca = ce[:-1], ca[:-1]
    else:
        labels.append("missing")
    return _psi_table(labels, ce, ca)


def _categories(x, name: str) -> pd.Series:
    if isinstance(x, pd.Series):
        s = x.reset_index(drop=True)
    elif isinstance(x, (np.ndarray, pd.Index, pd.Categorical)):
        s = pd.Series(_as_1d(x, name) if not isinstance(x, pd.Categorical) else x)
    else:  # a list: not through np.asarray, which would turn ["a", nan] into the string "nan"
        s = pd.Series(list(x), dtype=object)
    if len(s) == 0:
        raise ValueError(f"{name} is empty")
    return s


def psi_categorical(expected, actual) -> dict:
    """Population stability index of a categorical (or already binned) variable.

    ``PSI = Σ_categories (a − e)·ln(a / e)`` over the union of the categories seen in either
    sample; missing values form the category ``"missing"``; a share of 0 is replaced by
    ``PSI_FLOOR = 1e-6`` as in :func:`psi`.

    Categories appear in their declared order when the expected sample is a pandas Categorical
    (then any new ones of the actual sample), otherwise sorted; ``"missing"`` comes last. The
    ``bin`` column holds the categories as text.

    Returns
    -------
    dict
        ``psi`` and ``table`` (``bin, expected_share, actual_share, contribution``).

    Raises
    ------
    ValueError
        An empty sample.
    """
    e = _categories(expected, "expected")
    a = _categories(actual, "actual")
    seen = pd.unique(pd.concat([e.dropna().astype(object), a.dropna().astype(object)], ignore_index=True))
    declared = []
    for s in (e, a):
        if isinstance(s.dtype, pd.CategoricalDtype):
            declared += [c for c in s.cat.categories if c in set(seen) and c not in declared]
    rest = [c for c in seen if c not in declared]
    try:
        rest = sorted(rest)
    except TypeError:
        rest = sorted(rest, key=str)
    cats = declared + rest
    ve = e.astype(object).value_counts(dropna=True)
    va = a.astype(object).value_counts(dropna=True)
    ce = np.array([ve.get(c, 0) for c in cats], dtype=float)
    ca = np.array([va.get(c, 0) for c in cats], dtype=float)
    labels = [str(c) for c in cats]
    me, ma = float(e.isna().sum()), float(a.isna().sum())
    if me or ma:
        ce, ca = np.r_[ce, me], np.r_[ca, ma]
        labels.append("missing")
    return _psi_table(labels, ce, ca)


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)


def csi(expected_frame: pd.DataFrame, actual_frame: pd.DataFrame, columns: Sequence[str],
        bins: int = 10) -> pd.DataFrame:
    """Characteristic stability index: the PSI of each characteristic.

    ``CSI_c = PSI(expected_frame[c], actual_frame[c])``: numeric columns use :func:`psi` with
    ``bins`` quantile bins of the expected sample; categorical, object, string and boolean columns
    (by the expected frame's dtype) use :func:`psi_categorical`.

    Returns
    -------
    DataFrame
        Columns ``column, csi``, in the order of ``columns``.

    Raises
    ------
    ValueError
        A column missing from either frame.
    """
    if isinstance(columns, str):
        columns = [columns]
    columns = list(columns)
    for label, frame in (("expected_frame", expected_frame), ("actual_frame", actual_frame)):
        absent = [c for c in columns if c not in frame.columns]
        if absent:
            raise ValueError(f"{label} lacks column(s) {absent}")
    values = []
    for c in columns:
        if _is_numeric(expected_frame[c]):
            values.append(psi(expected_frame[c], actual_frame[c], bins=bins)["psi"])
        else:
            values.append(psi_categorical(expected_frame[c], actual_frame[c])["psi"])
    return pd.DataFrame({"column": columns, "csi": np.asarray(values, dtype=float)})


# ---------------------------------------------------------------- traffic lights
def traffic_light(value, *, green: float, amber: float, higher_is_better: bool = True) -> str:
    """Rate a statistic ``"green"``, ``"amber"`` or ``"red"`` (``"grey"`` when it is missing).

    Higher is better (AUC, Gini, KS, p-values)::

        green if value ≥ green, amber if value ≥ amber, else red     (needs green ≥ amber)

    Lower is better (PSI, CSI)::

        green if value ≤ green, amber if value ≤ amber, else red     (needs green ≤ amber)

    The boundaries belong to the better colour. ``None`` and NaN give ``"grey"``.
    Thresholds come from the credit policy; :data:`DEFAULT_THRESHOLDS` is only a fallback.

    Raises
    ------
    ValueError
        Thresholds in the wrong order for the direction, or a non-numeric value.
    """
    g, a = float(green), float(amber)
    if math.isnan(g) or math.isnan(a):
        raise ValueError("green and amber thresholds must be numbers")
    if higher_is_better and g < a:
        raise ValueError(f"for higher_is_better the green threshold ({g:g}) must be ≥ the amber one ({a:g})")
    if not higher_is_better and g > a:
        raise ValueError(f"for lower_is_better the green threshold ({g:g}) must be ≤ the amber one ({a:g})")
    if value is None or value is pd.NA:
        return "grey"
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"value must be a number or None, got {value!r}") from None
    if math.isnan(v):
        return "grey"
    if higher_is_better:
        return "green" if v >= g else "amber" if v >= a else "red"
    return "green" if v <= g else "amber" if v <= a else "red"
