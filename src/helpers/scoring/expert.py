"""The policy's expert scorecard: points per characteristic from the policy's bins, no history needed,
with the qualitative assessment as its own group."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..analysis.assessment import answer_column

__all__ = ["ExpertScorecard"]


class ExpertScorecard:
    """The policy's expert scorecard: bins and points per characteristic, usable without any history.

    Points of a numeric characteristic: bin i of the policy's edges (closed on the left) gives
    ``points[i]``; categorical values map through ``categories``; an unknown value gives
    ``missing``. The score is the sum of the points (at most the policy's ``total``); the grade
    comes from the policy's score bands.

    With the policy's ``assessment`` section, every question q is one more characteristic of the group
    ``assessment.group``, read from the column ``qa_<q>``: points = ``weight_q`` × ``share`` of the answer.
    A question without a scored answer gets the policy's ``missing_treatment``:

    - ``reweight``: ``weight_q`` × (points scored on everything else ÷ its maximum), everything else being
      the other characteristics and the answered questions. The score is then the scored points scaled up
      to the total: a missing answer neither helps nor hurts (with no current assessment at all, the
      score is the other characteristics' points × total ÷ their maximum);
    - ``midpoint``: ``weight_q`` × ``missing_share``.

    Such points are marked ``imputed`` in :meth:`explain`.
    """

    def __init__(self, settings, assessment=None):
        self.settings = settings
        self.assessment = assessment

    def _base_points(self, frame: pd.DataFrame) -> pd.DataFrame:
        out = {}
        for ch in self.settings.characteristics:
            col = frame[ch.name] if ch.name in frame else pd.Series(np.nan, index=frame.index)
            if ch.edges is not None:
                v = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
                idx = np.searchsorted(np.asarray(ch.edges, dtype=float), v, side="right")
                pts = np.asarray(ch.points, dtype=float)[np.clip(idx, 0, len(ch.points) - 1)]
                out[ch.name] = np.where(np.isnan(v), ch.missing, pts)
            else:
                out[ch.name] = col.map(lambda x: ch.categories.get(str(x), ch.missing) if pd.notna(x) else ch.missing
                                       ).to_numpy(dtype=float)
        return pd.DataFrame(out, index=frame.index)

    def _answers(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Points of the answered questions (NaN where unanswered) and whether each is answered."""
        pts, answered = {}, {}
        for q in self.assessment.questions:
            col = answer_column(q.name)
            levels = self.assessment.levels(q.name)
            values = frame[col] if col in frame else pd.Series(None, index=frame.index, dtype=object)
            share = values.map(lambda a: levels[a].share if isinstance(a, str) and a in levels else np.nan)
            pts[q.name] = share.to_numpy(dtype=float) * q.weight
            answered[q.name] = ~np.isnan(pts[q.name])
        return pd.DataFrame(pts, index=frame.index), pd.DataFrame(answered, index=frame.index)

    def _points_and_imputed(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        base = self._base_points(frame)
        if self.assessment is None:
            return base, pd.DataFrame(False, index=frame.index, columns=base.columns)
        qa, answered = self._answers(frame)
        weights = pd.Series({q.name: q.weight for q in self.assessment.questions}, dtype=float)
        if self.assessment.missing_treatment == "midpoint":
            share = pd.Series(self.assessment.missing_share, index=frame.index)
        else:
            scored_max = answered.mul(weights, axis=1).sum(axis=1) + sum(
                ch.max_points for ch in self.settings.characteristics)
            scored = qa.fillna(0).sum(axis=1) + base.sum(axis=1)
            share = (scored / scored_max.where(scored_max > 0)).fillna(0.0)
        filled = qa.copy()
        for name in qa.columns:
            filled[name] = qa[name].where(answered[name], share * weights[name])
        imputed = pd.concat([pd.DataFrame(False, index=frame.index, columns=base.columns), ~answered], axis=1)
        return pd.concat([base, filled.rename(columns=answer_column)], axis=1), imputed.rename(
            columns={q.name: answer_column(q.name) for q in self.assessment.questions})

    def points(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Points of every characteristic (and assessment question, as ``qa_<q>``) for every row."""
        return self._points_and_imputed(frame)[0]

    def score(self, frame: pd.DataFrame) -> np.ndarray:
        """Sum of the points."""
        return self.points(frame).sum(axis=1).to_numpy()

    def grade(self, frame: pd.DataFrame) -> np.ndarray:
        """Grade from the policy's score bands (the first band whose min_score the score reaches)."""
        return self._grades(self.score(frame))

    def _grades(self, scores) -> np.ndarray:
        bands = self.settings.grades
        return np.asarray([next(b["grade"] for b in bands if s >= b["min_score"] - 1e-9) for s in scores],
                          dtype=object)

    def explain(self, frame: pd.DataFrame, top: int = 4) -> list[dict]:
        """Points per characteristic and the characteristics that cost the most points, per row.

        Assessment questions appear as characteristics ``qa_<q>`` with the group ``assessment.group``,
        ``value`` the answer code and ``imputed`` True where the missing treatment gave the points (imputed
        points are never a reason code: nothing the customer did cost them).
        """
        pts, imputed = self._points_and_imputed(frame)
        scores = pts.sum(axis=1).to_numpy()
        grades = self._grades(scores)
        specs = [(ch.name, ch.label, ch.group, float(ch.max_points)) for ch in self.settings.characteristics]
        if self.assessment is not None:
            specs += [(answer_column(q.name), q.text, self.assessment.group, float(q.weight))
                      for q in self.assessment.questions]
        out = []
        for i, (idx, row) in enumerate(pts.iterrows()):
            items = []
            for name, label, group, max_points in specs:
                value = frame.at[idx, name] if name in frame else None
                items.append({"characteristic": name, "label": label, "group": group,
                              "value": None if value is None or pd.isna(value) else
                              (value.item() if hasattr(value, "item") else value),
                              "points": float(row[name]), "max_points": max_points,
                              "shortfall": float(max_points - row[name]), "imputed": bool(imputed.at[idx, name])})
            reasons = sorted([it for it in items if it["shortfall"] > 1e-9 and not it["imputed"]], key=lambda it: -it["shortfall"])[:top]
            out.append({"score": float(scores[i]), "grade": str(grades[i]), "points": items,
                        "reason_codes": [{"code": f"E-{it['characteristic']}", **it} for it in reasons]})
        return out
