"""The policy's expert scorecard: points per characteristic from the policy's bins, no history needed."""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["ExpertScorecard"]

class ExpertScorecard:
    """The policy's expert scorecard: bins and points per characteristic, usable without any history.

    Points of a numeric characteristic: bin i of the policy's edges (closed on the left) gives
    ``points[i]``; categorical values map through ``categories``; an unknown value gives
    ``missing``. The score is the sum of the points (at most the policy's ``total``); the grade
    comes from the policy's score bands.
    """

    def __init__(self, settings):
        self.settings = settings

    def points(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Points of every characteristic for every row."""
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

    def score(self, frame: pd.DataFrame) -> np.ndarray:
        """Sum of the points."""
        return self.points(frame).sum(axis=1).to_numpy()

    def grade(self, frame: pd.DataFrame) -> np.ndarray:
        """Grade from the policy's score bands (the first band whose min_score the score reaches)."""
        scores = self.score(frame)
        bands = self.settings.grades
        out = []
        for s in scores:
            out.append(next(b["grade"] for b in bands if s >= b["min_score"]))
        return np.asarray(out, dtype=object)

    def explain(self, frame: pd.DataFrame, top: int = 4) -> list[dict]:
        """Points per characteristic and the characteristics that cost the most points, per row."""
        pts = self.points(frame)
        scores, grades = self.score(frame), self.grade(frame)
        out = []
        for i, (idx, row) in enumerate(pts.iterrows()):
            items = []
            for ch in self.settings.characteristics:
                value = frame.at[idx, ch.name] if ch.name in frame else None
                items.append({"characteristic": ch.name, "label": ch.label, "group": ch.group,
                              "value": None if value is None or pd.isna(value) else
                              (value.item() if hasattr(value, "item") else value),
                              "points": float(row[ch.name]), "max_points": float(ch.max_points),
                              "shortfall": float(ch.max_points - row[ch.name])})
            reasons = sorted([it for it in items if it["shortfall"] > 0], key=lambda it: -it["shortfall"])[:top]
            out.append({"score": float(scores[i]), "grade": str(grades[i]), "points": items,
                        "reason_codes": [{"code": f"E-{it['characteristic']}", **it} for it in reasons]})
        return out
