"""Paths from one place, and the credit policy as a validated model.

The policy file (``policy.yaml``) holds every threshold, grade, term and rate the product
applies; notebooks and templates never hard-code one.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError as PydanticValidationError, model_validator

from .exceptions import PolicyError

__all__ = ["PROJECT_ROOT", "DATA_SAMPLE", "NOTEBOOKS_DIR", "TEMPLATES_DIR", "REPORTS_DIR",
           "Policy", "Industry", "Threshold", "load_policy", "file_sha256"]

#: Repository root (the package is installed editable from ``src/helpers``).
PROJECT_ROOT = Path(__file__).resolve().parents[2]
#: The bundled sample portfolio, the default data source.
DATA_SAMPLE = PROJECT_ROOT / "data" / "sample"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
TEMPLATES_DIR = PROJECT_ROOT / "templates"
REPORTS_DIR = PROJECT_ROOT / "reports"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Validation(_Strict):
    """Tolerances and warning limits of input validation."""

    balance_tolerance_abs: float = Field(1.0, ge=0)
    balance_tolerance_rel: float = Field(0.005, ge=0, le=0.1)
    stale_statement_months: int = Field(18, ge=1)
    min_years: int = Field(2, ge=1)


class Industry(_Strict):
    """One industry of the policy: its label, whether it is manufacturing, its risk class."""

    label: str
    manufacturing: bool
    risk_class: Literal["low", "medium", "high"]


class RatioSettings(_Strict):
    """How ratios are computed: ``year_end`` balances, or the ``average`` of this and the prior year-end
    in ratios that mix a flow with a balance."""

    balance_basis: Literal["year_end", "average"] = "year_end"


class PeerSettings(_Strict):
    """Peer groups: industries with fewer customers than ``min_group`` are compared with the whole portfolio."""

    min_group: int = Field(5, ge=2)


class FindingSettings(_Strict):
    """Levels at which the financial findings speak up."""

    key_ratios: list[str] = ["current_ratio", "quick_ratio", "debt_to_equity", "interest_coverage",
                             "equity_ratio", "cash_runway_months"]
    trend_years: int = Field(2, ge=1, le=5)
    export_share: float = Field(0.5, ge=0, le=1)
    buyer_concentration: float = Field(0.3, ge=0, le=1)
    max_positive: int = Field(3, ge=0)


class Threshold(_Strict):
    """Traffic-light thresholds of one ratio.

    ``higher_is_better``: red below ``min``, amber below ``warn``, else green.
    ``lower_is_better``: red above ``max``, amber above ``warn``, else green.
    """

    direction: Literal["higher_is_better", "lower_is_better"]
    min: float | None = None
    max: float | None = None
    warn: float

    @model_validator(mode="after")
    def _ordered(self) -> "Threshold":
        if self.direction == "higher_is_better":
            if self.min is None or self.min > self.warn:
                raise ValueError("higher_is_better needs min <= warn")
        elif self.max is None or self.max < self.warn:
            raise ValueError("lower_is_better needs warn <= max")
        return self

    def light(self, value: float) -> str:
        """Return ``"green"``, ``"amber"``, ``"red"`` or ``"grey"`` (no value) for ``value``."""
        if value is None or pd.isna(value):  # None, NaN, pd.NA
            return "grey"
        if self.direction == "higher_is_better":
            return "red" if value < self.min else "amber" if value < self.warn else "green"
        return "red" if value > self.max else "amber" if value > self.warn else "green"


class Policy(_Strict):
    """The company's credit policy (``policy.yaml``)."""

    policy_version: str
    company: str
    base_currency: str = Field(pattern=r"^[A-Z]{3}$")
    home_country: str = Field(pattern=r"^[A-Z]{2}$")
    days_in_year: int = Field(365, ge=360, le=366)
    validation: Validation = Validation()
    industries: dict[str, Industry]
    rating_scale: list[str]
    thresholds: dict[str, Threshold] = {}
    ratios: RatioSettings = RatioSettings()
    peers: PeerSettings = PeerSettings()
    findings: FindingSettings = FindingSettings()
    source: str = ""
    sha256: str = ""

    def industry(self, key: str) -> Industry:
        """Return the industry ``key``; raise :class:`PolicyError` when the policy lacks it."""
        try:
            return self.industries[key]
        except KeyError:
            raise PolicyError(f"industry {key!r} is not in the policy ({', '.join(self.industries)})") from None


def file_sha256(path: str | Path) -> str:
    """Return the SHA-256 hex digest of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_policy(path: str | Path) -> Policy:
    """Read and validate a policy file.

    Parameters
    ----------
    path : str or Path
        A YAML file following ``docs/data-contract.md#policy``.

    Returns
    -------
    Policy
        The validated policy, with ``source`` and ``sha256`` of the file filled in.

    Raises
    ------
    PolicyError
        When the file is missing, not YAML, or breaks the policy model; the message lists
        every invalid field.
    """
    path = Path(path)
    if not path.is_file():
        raise PolicyError(f"policy file not found: {path}")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise PolicyError(f"{path}: not a UTF-8 text file: {exc}") from exc
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise PolicyError(f"{path}: expected a mapping at the top level")
    reserved = [k for k in ("source", "sha256") if k in raw]
    if reserved:
        raise PolicyError(f"{path}: invalid policy:\n  " + "\n  ".join(
            f"{k}: filled in by the loader, not allowed in the file" for k in reserved))
    try:
        return Policy.model_validate({**raw, "source": str(path), "sha256": file_sha256(path)})
    except PydanticValidationError as exc:
        lines = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise PolicyError(f"{path}: invalid policy:\n  " + "\n  ".join(lines)) from exc
