"""The PD master scale: grade i covers PDs in (upper bound of grade i−1, upper bound of grade i]."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["MasterScale"]

@dataclass
class MasterScale:
    """Rating grades by PD band: grade i covers (max_pd of grade i−1, max_pd of grade i]."""

    grades: list[str]
    max_pd: list[float]
    names: list[str] = field(default_factory=list)

    @classmethod
    def from_policy(cls, rows) -> "MasterScale":
        """Build from the policy's ``scoring.master_scale`` entries (grade, max_pd, name)."""
        rows = [r if isinstance(r, dict) else r.model_dump() for r in rows]
        return cls([r["grade"] for r in rows], [float(r["max_pd"]) for r in rows], [r.get("name", "") for r in rows])

    def grade(self, pd_) -> np.ndarray:
        """The grade of each PD (the first band whose upper bound is ≥ PD)."""
        p = np.asarray(pd_, dtype=float)
        idx = np.clip(np.searchsorted(np.asarray(self.max_pd), p, side="left"), 0, len(self.grades) - 1)
        grades = np.asarray(self.grades, dtype=object)[idx]
        return np.where(np.isnan(p), None, grades)  # no PD, no grade

    def band(self, grade: str) -> tuple[float, float]:
        """(lower, upper] PD bounds of a grade."""
        i = self.grades.index(grade)
        return (0.0 if i == 0 else self.max_pd[i - 1]), self.max_pd[i]

    def notch(self, grade: str) -> int:
        """Position of a grade on the scale, 0 for the best."""
        return self.grades.index(grade)

    def to_dict(self) -> dict:
        return {"grades": self.grades, "max_pd": self.max_pd, "names": self.names}
