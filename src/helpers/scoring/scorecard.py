"""Credit scoring: a statistical scorecard fitted on the outcome history, an expert scorecard
from the policy, the PD master scale, reason codes and the JSON model artifact.

Statistical scorecard (:func:`fit_scorecard`)
--------------------------------------------
1. **Binning** of every candidate characteristic with optbinning's ``OptimalBinning``
   (monotonic event rate for numeric characteristics, grouped categories for categorical ones,
   missing values as their own bin). Weight of evidence per bin, optbinning's convention:
   WoE = ln(share of goods in the bin / share of bads in the bin); information value
   IV = Σ (good share − bad share) · WoE.
2. **Selection**: IV ≥ ``min_iv``; of two characteristics whose WoE correlate above
   ``max_correlation`` the one with the lower IV goes; then the highest variance inflation factor
   above ``max_vif`` goes, one at a time. Every step is logged.
3. **statsmodels Logit** of the default flag on the WoE columns, with **backward elimination**:
   while a coefficient has the wrong sign (WoE measures goodness, so β must be negative) or a
   p-value above ``p_value``, the worst characteristic goes and the model is refitted.
4. **Calibration** to the central tendency: an intercept shift δ such that the mean PD on the
   development sample equals the policy's long-run default rate.
5. **Scaling** to points: factor = PDO / ln 2, offset = base score − factor · ln(base odds);
   score = offset − factor · logit(PD), so adding PDO points doubles the odds good:bad. The
   intercept is spread evenly: points of characteristic j = −factor · β_j · WoE_j +
   (offset − factor · (α + δ)) / k.
6. **Master scale**: each PD falls into the policy's grade whose upper PD bound it does not exceed.

The fitted scorecard is saved as JSON (never pickle) with a schema version and a checksum, and
scores any number of rows through the same vectorized path.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import library_versions
from ..data.store import atomic_write_bytes
from ..exceptions import ModelError
from .master_scale import MasterScale
from .statistics import auc_gini, ks_statistic

__all__ = ["SCHEMA_VERSION", "Characteristic", "Scorecard", "fit_scorecard", "load_scorecard", "scaling_constants"]

SCHEMA_VERSION = 1
ARTIFACT_KIND = "riskbook.scorecard"
_LIBS = ("optbinning", "statsmodels", "numpy", "pandas", "scikit-learn")


def scaling_constants(base_score: float, base_odds: float, pdo: float) -> tuple[float, float]:
    """Return (factor, offset): factor = PDO / ln 2, offset = base_score − factor · ln(base_odds).

    With score = offset + factor · ln(odds good:bad), odds of ``base_odds`` score ``base_score`` and
    every ``pdo`` points double the odds.
    """
    factor = pdo / math.log(2.0)
    return factor, base_score - factor * math.log(base_odds)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


# --------------------------------------------------------------------------- one characteristic
@dataclass
class Characteristic:
    """The fitted binning of one characteristic.

    Numeric bins are closed on the left: bin 0 is (−inf, s₀), bin i is [s_(i−1), s_i), the last
    [s_(n−1), inf). Categorical bins are groups of categories. ``missing_woe`` applies to missing
    values (0 when the development sample had none); a category never seen in development gets
    WoE 0, the neutral value.
    """

    name: str
    dtype: str
    splits: list = field(default_factory=list)          # numeric: edges; categorical: list of category lists
    woe: list = field(default_factory=list)
    labels: list = field(default_factory=list)
    counts: list = field(default_factory=list)
    event_rates: list = field(default_factory=list)
    missing_woe: float = 0.0
    missing_count: int = 0
    missing_event_rate: float | None = None
    iv: float = 0.0

    @classmethod
    def fit(cls, name: str, x: pd.Series, y: np.ndarray, *, dtype: str, min_bin_size: float) -> "Characteristic":
        """Bin ``x`` against ``y`` with optbinning and keep what scoring needs."""
        from optbinning import OptimalBinning

        values = x.to_numpy(dtype=float) if dtype == "numerical" else x.astype(object).where(x.notna(), np.nan).to_numpy()
        ob = OptimalBinning(name=name, dtype=dtype, solver="cp", monotonic_trend="auto_asc_desc" if dtype == "numerical"
                            else None, min_bin_size=min_bin_size, cat_cutoff=None)
        ob.fit(values, y)
        table = ob.binning_table.build()
        body = table.drop(index="Totals")
        regular = body[~body["Bin"].astype(str).isin(["Special", "Missing"])]
        missing = body[body["Bin"].astype(str) == "Missing"].iloc[0]
        if dtype == "numerical":
            splits = [float(s) for s in ob.splits]
        else:
            splits = [[str(c) for c in group] for group in ob.splits]
        return cls(name=name, dtype=dtype, splits=splits, woe=[float(w) for w in regular["WoE"]],
                   labels=[str(b) if not isinstance(b, (list, np.ndarray, pd.api.extensions.ExtensionArray)) else ", ".join(map(str, b))
                           for b in regular["Bin"]],
                   counts=[int(c) for c in regular["Count"]], event_rates=[float(e) for e in regular["Event rate"]],
                   missing_woe=float(missing["WoE"]) if int(missing["Count"]) > 0 else 0.0,
                   missing_count=int(missing["Count"]),
                   missing_event_rate=float(missing["Event rate"]) if int(missing["Count"]) > 0 else None,
                   iv=float(table.loc["Totals", "IV"]))

    def bin_index(self, x) -> np.ndarray:
        """Bin of each value: 0..n−1, −1 for missing, −2 for a category unseen in development."""
        s = pd.Series(x)
        if self.dtype == "numerical":
            v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
            idx = np.searchsorted(np.asarray(self.splits, dtype=float), v, side="right")
            return np.where(np.isnan(v), -1, idx)
        lookup = {c: i for i, group in enumerate(self.splits) for c in group}
        codes = s.map(lambda v: -1 if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))
                      else lookup.get(str(v), -2))
        return codes.to_numpy(dtype=int)

    def woe_of(self, x) -> np.ndarray:
        """Weight of evidence of each value (missing → ``missing_woe``, unseen category → 0)."""
        idx = self.bin_index(x)
        table = np.asarray(self.woe + [self.missing_woe, 0.0], dtype=float)
        return table[np.where(idx == -1, len(self.woe), np.where(idx == -2, len(self.woe) + 1, idx))]

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return dict(self.__dict__)


# --------------------------------------------------------------------------- the statistical scorecard
class Scorecard:
    """Statistical scorecard: binning + WoE + statsmodels Logit, scaled to points.

    Parameters
    ----------
    features : list of str, optional
        Candidate characteristics (default: every column but the target).
    categorical : list of str, optional
        Which candidates are categorical (default: the non-numeric columns).
    min_iv, max_correlation, max_vif, p_value : float
        Selection thresholds (see the module docstring).
    base_score, base_odds, pdo : float
        Points scaling.
    central_tendency : float, optional
        Long-run default rate the PDs are calibrated to (default: the sample's default rate).
    master_scale : MasterScale
    min_bin_size : float
        Smallest share of the sample in one bin.
    labels : dict, optional
        Characteristic name → label for people (reason codes).
    """

    def __init__(self, *, features=None, categorical=None, min_iv=0.02, max_correlation=0.7, max_vif=5.0,
                 p_value=0.05, base_score=600.0, base_odds=50.0, pdo=20.0, central_tendency=None,
                 master_scale: MasterScale | None = None, min_bin_size=0.05, labels=None):
        self.features = features
        self.categorical = categorical
        self.min_iv, self.max_correlation, self.max_vif, self.p_value = min_iv, max_correlation, max_vif, p_value
        self.base_score, self.base_odds, self.pdo = base_score, base_odds, pdo
        self.central_tendency = central_tendency
        self.master_scale = master_scale
        self.min_bin_size = min_bin_size
        self.labels = labels or {}

    # ---- fitting
    def fit(self, frame: pd.DataFrame, target: str) -> "Scorecard":
        """Bin, select, fit, calibrate and scale on ``frame``; returns ``self``."""
        import statsmodels.api as sm

        if target not in frame:
            raise ModelError(f"target column {target!r} is not in the frame")
        y = pd.to_numeric(frame[target], errors="coerce")
        if y.isna().any() or not set(y.unique()) <= {0, 1}:
            raise ModelError(f"target {target!r} must be 0/1 without gaps")
        y = y.to_numpy(dtype=int)
        if y.sum() < 10 or (len(y) - y.sum()) < 10:
            raise ModelError("the development sample needs at least 10 defaults and 10 non-defaults")
        if self.master_scale is None:
            raise ModelError("a master scale is required (policy scoring.master_scale)")
        features = list(self.features or [c for c in frame.columns if c != target])
        missing = [f for f in features if f not in frame]
        if missing:
            raise ModelError(f"candidate characteristics not in the frame: {', '.join(missing)}")
        categorical = set(self.categorical if self.categorical is not None else
                          [f for f in features if not pd.api.types.is_numeric_dtype(frame[f])])
        log = []
        self.characteristics_ = {}
        for f in features:
            ch = Characteristic.fit(f, frame[f], y, dtype="categorical" if f in categorical else "numerical",
                                    min_bin_size=self.min_bin_size)
            self.characteristics_[f] = ch
        self.iv_table_ = pd.DataFrame([{"characteristic": f, "iv": ch.iv, "bins": len(ch.woe)}
                                       for f, ch in self.characteristics_.items()]).sort_values("iv", ascending=False)
        kept = []
        for f in self.iv_table_["characteristic"]:
            if self.characteristics_[f].iv < self.min_iv:
                log.append({"characteristic": f, "step": "information_value", "reason": "iv_low",
                            "args": {"iv": self.characteristics_[f].iv, "limit": self.min_iv}})
            else:
                kept.append(f)
        woe = pd.DataFrame({f: ch.woe_of(frame[f]) for f, ch in self.characteristics_.items()}, index=frame.index)
        selected = []
        for f in kept:  # by IV, descending
            worst = max((abs(np.corrcoef(woe[f], woe[g])[0, 1]), g) for g in selected) if selected else (0.0, None)
            if worst[0] > self.max_correlation:
                log.append({"characteristic": f, "step": "correlation", "reason": "correlated",
                            "args": {"corr": worst[0], "with": worst[1], "limit": self.max_correlation}})
            else:
                selected.append(f)
        selected = self._vif_filter(woe, selected, log)
        if not selected:
            raise ModelError(f"no characteristic passes the selection (information value ≥ {self.min_iv}); "
                             "the history does not separate defaults from non-defaults")
        # backward elimination
        while True:
            X = sm.add_constant(woe[selected], has_constant="add")
            result = sm.Logit(y, X).fit(disp=0, maxiter=200)
            coefs, pvals = result.params.drop("const"), result.pvalues.drop("const")
            wrong = coefs[coefs >= 0]
            weak = pvals[pvals > self.p_value]
            if len(selected) <= 1 or (wrong.empty and weak.empty):
                break
            if not wrong.empty:
                drop = wrong.index[np.argmax(pvals[wrong.index].to_numpy())]
                log.append({"characteristic": drop, "step": "backward_elimination", "reason": "wrong_sign",
                            "args": {"coefficient": float(coefs[drop])}})
            else:
                drop = weak.idxmax()
                log.append({"characteristic": drop, "step": "backward_elimination", "reason": "p_value",
                            "args": {"p": float(pvals[drop]), "limit": self.p_value}})
            selected.remove(drop)
        self.selected_ = selected
        self.coefficients_ = {f: float(result.params[f]) for f in selected}
        self.intercept_ = float(result.params["const"])
        self.logit_ = result
        summary = result.summary2().tables[1].reset_index().rename(columns={"index": "term"})
        self.summary_table_ = summary
        self.summary_text_ = result.summary().as_text()
        self.selection_log_ = log
        # calibration to the central tendency
        lin = self.intercept_ + woe[selected].to_numpy() @ np.array([self.coefficients_[f] for f in selected])
        target_rate = float(self.central_tendency) if self.central_tendency is not None else float(y.mean())
        self.central_tendency_ = target_rate
        self.calibration_shift_ = _solve_shift(lin, target_rate)
        self.factor_, self.offset_ = scaling_constants(self.base_score, self.base_odds, self.pdo)
        self.training_ = {"rows": int(len(y)), "defaults": int(y.sum()), "default_rate": float(y.mean()),
                          "sha256": _frame_sha256(frame[features + [target]])}
        pd_dev = self.predict_pd(frame)
        self.metrics_ = {"development": {**auc_gini(y, pd_dev), **{"ks": ks_statistic(y, pd_dev)["ks"]},
                                         "mean_pd": float(pd_dev.mean())}}
        self.created_ = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        self.model_version_ = f"scorecard-{self.training_['sha256'][:8]}-{len(selected)}c"
        return self

    def _vif_filter(self, woe: pd.DataFrame, selected: list[str], log: list) -> list[str]:
        from statsmodels.stats.outliers_influence import variance_inflation_factor
        import statsmodels.api as sm

        selected = list(selected)
        while len(selected) > 2:
            X = sm.add_constant(woe[selected], has_constant="add").to_numpy()
            vifs = [variance_inflation_factor(X, i + 1) for i in range(len(selected))]
            i = int(np.argmax(vifs))
            if vifs[i] <= self.max_vif:
                break
            log.append({"characteristic": selected[i], "step": "variance_inflation", "reason": "vif",
                        "args": {"vif": float(vifs[i]), "limit": self.max_vif}})
            selected.pop(i)
        return selected

    # ---- scoring
    def _check_fitted(self):
        if not hasattr(self, "selected_"):
            raise ModelError("this scorecard is not fitted; call fit() or load_scorecard()")

    def woe_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """WoE of each selected characteristic for each row."""
        self._check_fitted()
        absent = [f for f in self.selected_ if f not in frame]
        if absent:
            raise ModelError(f"the frame lacks the scorecard's characteristics: {', '.join(absent)}")
        return pd.DataFrame({f: self.characteristics_[f].woe_of(frame[f].to_numpy()) for f in self.selected_},
                            index=frame.index)

    def _linear(self, frame: pd.DataFrame) -> np.ndarray:
        w = self.woe_frame(frame).to_numpy(dtype=float)
        beta = np.array([self.coefficients_[f] for f in self.selected_])
        return self.intercept_ + self.calibration_shift_ + w @ beta

    def predict_pd(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated PD of each row: sigmoid(α + δ + Σ β_j · WoE_j)."""
        return _sigmoid(self._linear(frame))

    def points(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Points of each selected characteristic for each row (they sum to :meth:`score`)."""
        w = self.woe_frame(frame)
        k = len(self.selected_)
        share = (self.offset_ - self.factor_ * (self.intercept_ + self.calibration_shift_)) / k
        return pd.DataFrame({f: -self.factor_ * self.coefficients_[f] * w[f] + share for f in self.selected_},
                            index=frame.index)

    def score(self, frame: pd.DataFrame) -> np.ndarray:
        """Score = offset − factor · logit(PD) = Σ points."""
        return self.offset_ - self.factor_ * self._linear(frame)

    def grade(self, frame: pd.DataFrame) -> np.ndarray:
        """Master-scale grade of each row."""
        return self.master_scale.grade(self.predict_pd(frame))

    def max_points(self) -> dict[str, float]:
        """Most points each characteristic can give (the best bin, incl. missing)."""
        k = len(self.selected_)
        share = (self.offset_ - self.factor_ * (self.intercept_ + self.calibration_shift_)) / k
        return {f: max(-self.factor_ * self.coefficients_[f] * w for w in
                       self.characteristics_[f].woe + [self.characteristics_[f].missing_woe]) + share
                for f in self.selected_}

    def explain(self, frame: pd.DataFrame, top: int = 4) -> list[dict]:
        """Points per characteristic and reason codes for each row.

        Returns
        -------
        list of dict
            Per row: ``score, pd, grade, points`` (list of {characteristic, label, value, bin,
            points, max_points, shortfall}) and ``reason_codes``: the ``top`` characteristics that
            cost the most points against their best bin (shortfall > 0), worst first.
        """
        pts = self.points(frame)
        best = self.max_points()
        scores, pds, grades = self.score(frame), self.predict_pd(frame), self.grade(frame)
        out = []
        for i, (idx, row) in enumerate(pts.iterrows()):
            items = []
            for f in self.selected_:
                ch = self.characteristics_[f]
                value = frame.at[idx, f]
                b = int(ch.bin_index(np.array([value], dtype=object if ch.dtype != "numerical" else float))[0])
                label = "missing" if b == -1 else "unseen" if b == -2 else ch.labels[b]  # missing/unseen: codes
                items.append({"characteristic": f, "label": self.labels.get(f, f),
                              "value": None if pd.isna(value) else (value.item() if hasattr(value, "item") else value),
                              "bin": label, "points": float(row[f]), "max_points": float(best[f]),
                              "shortfall": float(best[f] - row[f])})
            reasons = sorted([it for it in items if it["shortfall"] > 0.5], key=lambda it: -it["shortfall"])[:top]
            out.append({"score": float(scores[i]), "pd": float(pds[i]), "grade": str(grades[i]), "points": items,
                        "reason_codes": [{"code": f"R-{it['characteristic']}", **it} for it in reasons]})
        return out

    # ---- artifact
    def to_dict(self) -> dict:
        """The artifact: everything scoring needs plus what an auditor needs, checksummed."""
        self._check_fitted()
        payload = {
            "kind": ARTIFACT_KIND,
            "schema_version": SCHEMA_VERSION,
            "model_version": self.model_version_,
            "created": self.created_,
            "parameters": {"min_iv": self.min_iv, "max_correlation": self.max_correlation, "max_vif": self.max_vif,
                           "p_value": self.p_value, "min_bin_size": self.min_bin_size},
            "scaling": {"base_score": self.base_score, "base_odds": self.base_odds, "pdo": self.pdo,
                        "factor": self.factor_, "offset": self.offset_},
            "calibration": {"central_tendency": self.central_tendency_, "shift": self.calibration_shift_},
            "intercept": self.intercept_,
            "selected": self.selected_,
            "coefficients": self.coefficients_,
            "labels": self.labels,
            "characteristics": {f: ch.to_dict() for f, ch in self.characteristics_.items()},
            "iv_table": self.iv_table_.to_dict(orient="records"),
            "selection_log": self.selection_log_,
            "summary_table": json.loads(self.summary_table_.to_json(orient="records")),
            "summary_text": self.summary_text_,
            "master_scale": self.master_scale.to_dict(),
            "training": self.training_,
            "metrics": self.metrics_,
            "libraries": library_versions(_LIBS),
        }
        payload["checksum"] = _checksum(payload)
        return payload

    def to_json(self, path: str | Path) -> Path:
        """Write the artifact as JSON (atomically)."""
        text = json.dumps(self.to_dict(), ensure_ascii=False, indent=1, allow_nan=False)
        return atomic_write_bytes(path, text.encode("utf-8"))

    @classmethod
    def from_dict(cls, data: dict) -> "Scorecard":
        """Rebuild a fitted scorecard from its artifact, refusing one it cannot trust."""
        if not isinstance(data, dict) or data.get("kind") != ARTIFACT_KIND:
            raise ModelError("not a riskbook scorecard artifact (kind is missing or different)")
        if data.get("schema_version") != SCHEMA_VERSION:
            raise ModelError(f"scorecard schema version {data.get('schema_version')!r} is not supported "
                             f"(this riskbook reads version {SCHEMA_VERSION}); refit the model")
        if data.get("checksum") != _checksum({k: v for k, v in data.items() if k != "checksum"}):
            raise ModelError("scorecard checksum does not match its content: the artifact was changed after it "
                             "was written; refusing to score with it")
        try:
            s = data["scaling"]
            sc = cls(base_score=s["base_score"], base_odds=s["base_odds"], pdo=s["pdo"],
                     master_scale=MasterScale(**data["master_scale"]), labels=data.get("labels", {}),
                     **data["parameters"])
            sc.characteristics_ = {f: Characteristic(**c) for f, c in data["characteristics"].items()}
            sc.selected_ = list(data["selected"])
            sc.coefficients_ = {f: float(v) for f, v in data["coefficients"].items()}
            sc.intercept_ = float(data["intercept"])
            sc.calibration_shift_ = float(data["calibration"]["shift"])
            sc.central_tendency_ = float(data["calibration"]["central_tendency"])
            sc.factor_, sc.offset_ = float(s["factor"]), float(s["offset"])
            sc.iv_table_ = pd.DataFrame(data["iv_table"])
            sc.selection_log_ = data["selection_log"]
            sc.summary_table_ = pd.DataFrame(data["summary_table"])
            sc.summary_text_ = data["summary_text"]
            sc.training_, sc.metrics_ = data["training"], data["metrics"]
            sc.created_, sc.model_version_ = data["created"], data["model_version"]
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"scorecard artifact is incomplete: {exc}") from exc
        return sc


def _solve_shift(linear: np.ndarray, target: float) -> float:
    """δ such that mean(sigmoid(linear + δ)) = target (bisection on a monotone function)."""
    from scipy.optimize import brentq

    return float(brentq(lambda d: _sigmoid(linear + d).mean() - target, -20.0, 20.0, xtol=1e-12))


def _frame_sha256(frame: pd.DataFrame) -> str:
    return hashlib.sha256(frame.to_csv(index=False).encode("utf-8")).hexdigest()


def _checksum(payload: dict) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()



def fit_scorecard(frame: pd.DataFrame, target: str, **kwargs) -> Scorecard:
    """Fit a statistical scorecard on ``frame`` (see :class:`Scorecard` for the parameters)."""
    return Scorecard(**kwargs).fit(frame, target)


def load_scorecard(path: str | Path) -> Scorecard:
    """Read a scorecard artifact written by :meth:`Scorecard.to_json`.

    Raises
    ------
    ModelError
        When the file is missing, not JSON, of another kind or schema version, or its checksum
        does not match its content.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"scorecard artifact not found: {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path}: not a JSON scorecard artifact: {exc}") from exc
    return Scorecard.from_dict(data)
