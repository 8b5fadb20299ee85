"""The credit policy as a validated model.

The policy file (``policy.yaml``) holds every threshold, grade, term and rate the product
applies; notebooks and templates never hard-code one.
"""
from __future__ import annotations

import codecs
from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError as PydanticValidationError, \
    field_validator, model_validator

from ..exceptions import PolicyError
from .paths import file_sha256

__all__ = ["Policy", "InputSettings", "Industry", "Threshold", "Text", "TEXT_LANGUAGES", "WARNING_RULES", "RISKS", "MonitoringSettings",
           "AssessmentSettings", "RiskProfileSettings", "LevelThreshold", "OrderCheckSettings", "OrderRule",
           "ORDER_RULES", "load_policy"]

#: The languages every text of the policy carries (grade names, option labels, clauses, ...).
TEXT_LANGUAGES: tuple[str, ...] = ("en", "zh")


def _text(value):
    """A policy text: ``{en: ..., zh: ...}``; a plain string is taken as English only."""
    if isinstance(value, str):
        return {"en": value}
    if isinstance(value, dict):
        unknown = set(value) - set(TEXT_LANGUAGES)
        if unknown:
            raise ValueError(f"unknown language(s) {', '.join(sorted(map(str, unknown)))}; "
                             f"texts are given in {', '.join(TEXT_LANGUAGES)}")
        if not value.get("en"):
            raise ValueError("a text needs at least its English version (en)")
        return {str(k): str(v) for k, v in value.items() if v not in (None, "")}
    raise ValueError("expected a text, or a mapping of language to text such as {en: ..., zh: ...}")


#: A text of the policy in several languages, ``{"en": ..., "zh": ...}``.
Text = Annotated[dict[str, str], BeforeValidator(_text)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Validation(_Strict):
    """Tolerances and warning limits of input validation."""

    balance_tolerance_abs: float = Field(1.0, ge=0)
    balance_tolerance_rel: float = Field(0.005, ge=0, le=0.1)
    stale_statement_months: int = Field(18, ge=1)
    min_years: int = Field(2, ge=1)


class InputSettings(_Strict):
    """How the data source writes its text: declared, never guessed (``input`` in the policy).

    Attributes
    ----------
    encoding : str
        ``"auto"`` (the default): UTF-8, with or without a byte-order mark, is read as such; any other file
        is read only when its encoding can be detected without doubt (else an error asks to declare it).
        Or a Python codec name (``gb18030``, ``cp1252``, ``utf-16``) that every CSV file is decoded with.
    delimiter : str
        The CSV field separator: ``","`` (default), ``";"`` or ``"\\t"`` (tab).
    decimal : str
        The decimal mark of numbers written as text: ``"."`` (default) or ``","``.
    thousands : str
        The thousands mark: ``","`` (default), ``"."``, ``" "`` (also a no-break space), ``"'"`` or ``""``
        (none); it must differ from ``decimal`` and is read only where it groups thousands
        (``1.234.567,8`` with decimal ``,`` and thousands ``.``).

    Notes
    -----
    ``encoding`` and ``delimiter`` apply to CSV files; ``decimal`` and ``thousands`` to every number cell
    that the source holds as text (numbers that a workbook or a database stores as numbers need no marks).
    """

    encoding: str = "auto"
    delimiter: Literal[",", ";", "\t"] = ","
    decimal: Literal[".", ","] = "."
    thousands: Literal[",", ".", " ", "'", ""] = ","

    @field_validator("encoding")
    @classmethod
    def _codec(cls, value: str) -> str:
        if value == "auto":
            return value
        try:
            info = codecs.lookup(value)
        except LookupError:
            raise ValueError(f"unknown encoding {value!r}: use auto or a codec name such as utf-8, gb18030, "
                             "cp1252 or utf-16") from None
        if not getattr(info, "_is_text_encoding", True):
            raise ValueError(f"{value!r} is not a text encoding: use auto or a codec name such as utf-8, gb18030")
        return value

    @model_validator(mode="after")
    def _marks(self) -> "InputSettings":
        if self.thousands == self.decimal:
            others = ", ".join(repr(m) for m in (",", ".", " ", "'", "") if m != self.decimal)
            raise ValueError(f"thousands must differ from decimal {self.decimal!r}; with decimal {self.decimal!r} "
                             f"use thousands {others}")
        return self


class Industry(_Strict):
    """One industry of the policy: its label, whether it is manufacturing, its risk class."""

    label: Text
    manufacturing: bool
    risk_class: Literal["low", "medium", "high"]
    #: The credit committee's view of where the industry is heading (market risk); None: no view.
    outlook: Literal["improving", "stable", "uncertain", "deteriorating"] | None = None


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


class GradeBand(_Strict):
    """One grade of the master scale: PDs up to ``max_pd`` (inclusive) fall in it."""

    grade: str
    max_pd: float = Field(gt=0, le=1)
    name: Text = {"en": ""}


class ExpertCharacteristic(_Strict):
    """One characteristic of the expert scorecard.

    Numeric: ``edges`` e₁ < e₂ < … split the values into len(edges) + 1 bins (bin i is
    [e_i, e_(i+1)), closed on the left) and ``points`` gives each bin's points. Categorical:
    ``categories`` maps each value to points. ``missing`` applies when the value is unknown.
    """

    name: str
    label: Text
    group: Text
    edges: list[float] | None = None
    points: list[float] | None = None
    categories: dict[str, float] | None = None
    missing: float = 0.0

    @model_validator(mode="after")
    def _shape(self) -> "ExpertCharacteristic":
        if (self.edges is None) == (self.categories is None):
            raise ValueError(f"{self.name}: give either edges with points, or categories")
        if self.edges is not None:
            if self.points is None or len(self.points) != len(self.edges) + 1:
                raise ValueError(f"{self.name}: needs len(edges) + 1 points")
            if any(b <= a for a, b in zip(self.edges, self.edges[1:])):
                raise ValueError(f"{self.name}: edges must increase")
        return self

    @property
    def max_points(self) -> float:
        """Most points the characteristic can give."""
        values = list(self.points or []) + list((self.categories or {}).values()) + [self.missing]
        return max(values)


class ExpertScorecardSettings(_Strict):
    """The expert scorecard: characteristics whose maximum points add up to ``total``, and score bands."""

    total: float
    characteristics: list[ExpertCharacteristic]
    grades: list[dict]  # [{grade, min_score}], best first

    @model_validator(mode="after")
    def _total(self) -> "ExpertScorecardSettings":
        got = sum(c.max_points for c in self.characteristics)
        if got - self.total > 1e-9:  # equality, with the assessment's weights, is checked by the Policy
            raise ValueError(f"maximum points of the characteristics add up to {got:g}, more than the total "
                             f"{self.total:g}")
        return self


class ScoringSettings(_Strict):
    """Statistical scorecard settings, master scale, rating map and the expert scorecard.

    ``selection`` is the rule that picks the Logit's characteristics after the IV, correlation and
    VIF screening (every rule first removes wrong signs): ``sign`` keeps all the rest; ``p_value``
    eliminates backward while a Wald p-value exceeds ``p_value``; ``aic`` / ``bic`` eliminate
    backward while dropping a characteristic lowers Akaike's / Schwarz's information criterion.
    See :class:`helpers.scoring.Scorecard`.
    """

    base_score: float = 600.0
    base_odds: float = Field(50.0, gt=0)
    pdo: float = Field(20.0, gt=0)
    central_tendency: float | None = Field(None, gt=0, lt=1)
    min_iv: float = Field(0.02, ge=0)
    max_correlation: float = Field(0.7, gt=0, le=1)
    max_vif: float = Field(5.0, ge=1)
    selection: Literal["sign", "p_value", "aic", "bic"] = "sign"
    p_value: float = Field(0.05, gt=0, lt=1)
    min_bin_size: float = Field(0.05, gt=0, lt=0.5)
    candidates: list[str]
    categorical: list[str] = []
    labels: dict[str, Text] = {}
    master_scale: list[GradeBand]
    rating_pd: dict[str, float] = {}
    disagreement_notches: int = Field(2, ge=1)
    distress_conflict_grade: str | None = None
    safe_conflict_grade: str | None = None
    out_of_time_years: int = Field(2, ge=1)
    validation_thresholds: dict[str, dict] = {}
    expert: ExpertScorecardSettings

    @model_validator(mode="after")
    def _scale(self) -> "ScoringSettings":
        bounds = [g.max_pd for g in self.master_scale]
        if any(b <= a for a, b in zip(bounds, bounds[1:])) or bounds[-1] != 1.0:
            raise ValueError("master_scale max_pd must increase and end at 1.0")
        grades = [g.grade for g in self.master_scale]
        for name in ("distress_conflict_grade", "safe_conflict_grade"):
            value = getattr(self, name)
            if value is not None and value not in grades:
                raise ValueError(f"{name} {value!r} is not on the master scale")
        return self


class ScenarioSettings(_Strict):
    """A named stress scenario: shocks (see helpers.scenarios) and its weight in the expected loss."""

    name: str
    label: Text
    weight: float = Field(0.0, ge=0, le=1)
    shocks: dict[str, float] = {}


class TermOption(_Strict):
    """A payment-terms option the company offers.

    ``kind``: open_account, installments, prepayment, letter_of_credit, credit_insurance or
    guarantee. ``days``: credit period; ``installments``: number of equal instalments over
    ``days``; ``prepayment_share``: share paid before shipment; ``cover``: share of the exposure
    an instrument covers; ``premium_rate`` (insurance, on insured turnover), ``fee_rate`` and
    ``min_fee`` × ``shipments_per_year`` (letter of credit, on turnover); ``scope`` of insurance
    (domestic or export) and its ``deductible`` (the loss per default we keep before the insurer pays,
    in the base currency); ``lost_sales``: share of the planned sales the customer will not buy on
    these terms (``lost_sales_foreign`` for foreign customers, whose goods travel for weeks and who
    expect longer terms or documentary credit).
    """

    name: str
    label: Text
    kind: Literal["open_account", "installments", "prepayment", "letter_of_credit", "credit_insurance", "guarantee"]
    days: float = Field(0.0, ge=0)
    installments: int = Field(1, ge=1)
    prepayment_share: float = Field(0.0, ge=0, le=1)
    cover: float = Field(0.0, ge=0, le=1)
    premium_rate: float = Field(0.0, ge=0)
    fee_rate: float = Field(0.0, ge=0)
    min_fee: float = Field(0.0, ge=0)
    shipments_per_year: int = Field(12, ge=1)
    scope: Literal["domestic", "export", "any"] = "any"
    deductible: float = Field(0.0, ge=0)
    lost_sales: float = Field(0.0, ge=0, le=1)
    lost_sales_foreign: float | None = Field(None, ge=0, le=1)

    def lost(self, domestic: bool) -> float:
        """Share of sales lost on these terms, for a domestic or a foreign customer."""
        return self.lost_sales if domestic or self.lost_sales_foreign is None else self.lost_sales_foreign


class GradeTerms(_Strict):
    """Terms the policy allows a grade: the longest credit period and the least prepayment."""

    max_days: float = Field(ge=0)
    min_prepayment: float = Field(0.0, ge=0, le=1)
    review_months: int = Field(ge=1)
    limit_cap: float = Field(ge=0)


class LimitSettings(_Strict):
    """How the credit limit is computed (see helpers.decisions.credit_limit)."""

    net_worth_share: float = Field(0.10, ge=0, le=1)
    working_capital_share: float = Field(0.25, ge=0, le=1)
    extra_months: float = Field(1.0, ge=0)
    bank_lines_share: float = Field(0.5, gt=0)
    rounding: float = Field(1000.0, gt=0)


class Clause(_Strict):
    """A contract clause and when it applies: every token of ``when`` must hold (always, domestic,
    foreign, insured, prepayment, secured, grade>=N)."""

    name: str
    title: Text
    text: Text
    when: list[str] = ["always"]


class DecisionSettings(_Strict):
    """Scenarios, loss parameters, limit rules, terms options and grade rules, clauses."""

    lgd: float = Field(gt=0, le=1)
    gross_margin: float = Field(gt=0, lt=1)
    funding_rate: float = Field(ge=0, lt=1)
    max_el_rate: float = Field(gt=0, lt=1)
    acceptable_grade: str
    insurer_max_pd: float = Field(gt=0, le=1)
    scenarios: list[ScenarioSettings]
    limit: LimitSettings = LimitSettings()
    grades: dict[str, GradeTerms]
    options: list[TermOption]
    clauses: list[Clause] = []

    @model_validator(mode="after")
    def _weights(self) -> "DecisionSettings":
        total = sum(s.weight for s in self.scenarios)
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"scenario weights add up to {total:g}, not 1")
        if not any(o.kind == "prepayment" and o.prepayment_share == 1.0 for o in self.options):
            raise ValueError("the options need full prepayment (prepayment_share 1.0), the fallback of last resort")
        return self


Severity = Literal["high", "medium", "low"]
#: The four risks of the profile on page one.
RISKS: tuple[str, ...] = ("credit", "liquidity", "market", "operational")
Risk = Literal["credit", "liquidity", "market", "operational"]


class ScaleLevel(_Strict):
    """One answer of an assessment scale: its code, the share of the question's weight it scores
    (1 best, 0 worst) and its label."""

    answer: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    share: float = Field(ge=0, le=1)
    label: Text


class AssessmentQuestion(_Strict):
    """One question of the qualitative assessment: its text, scale, weight in the expert scorecard
    (the points of its best answer) and the risk of the profile its answer speaks to."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    text: Text
    help: Text | None = None
    scale: str
    weight: float = Field(gt=0)
    risk: Risk | None = None


class AssessmentSettings(_Strict):
    """The qualitative assessment (the analyst's questionnaire) and how it is scored.

    Points of question q = ``weight_q`` × ``share`` of the answer. A question left unanswered, and every
    question when the customer has no assessment or only one older than ``max_age_months``, is treated
    as ``missing_treatment`` says:

    - ``reweight`` (neutral): a missing question scores its weight × the share of the maximum the customer
      scored on everything else (the other characteristics and the answered questions), i.e. the scored
      points are scaled up to the total;
    - ``midpoint``: each missing question scores ``missing_share`` × its weight.
    """

    max_age_months: int = Field(12, ge=1)
    missing_treatment: Literal["reweight", "midpoint"] = "reweight"
    missing_share: float = Field(0.5, ge=0, le=1)
    group: Text = {"en": "qualitative assessment", "zh": "定性评估"}
    scales: dict[str, list[ScaleLevel]]
    questions: list[AssessmentQuestion]

    @model_validator(mode="after")
    def _consistent(self) -> "AssessmentSettings":
        for name, levels in self.scales.items():
            codes = [lv.answer for lv in levels]
            if len(levels) < 2 or len(set(codes)) != len(codes):
                raise ValueError(f"scale {name}: needs at least two answers, each once")
            shares = [lv.share for lv in levels]
            if shares != sorted(shares, reverse=True) or shares[0] != 1.0:
                raise ValueError(f"scale {name}: answers go from best (share 1) to worst, shares decreasing")
        names = [q.name for q in self.questions]
        if not names or len(set(names)) != len(names):
            raise ValueError("questions: at least one, each name once")
        unknown = sorted({q.scale for q in self.questions} - set(self.scales))
        if unknown:
            raise ValueError(f"questions use unknown scale(s): {', '.join(unknown)}")
        return self

    @property
    def total(self) -> float:
        """Points of the best answers to every question."""
        return float(sum(q.weight for q in self.questions))

    def question(self, name: str) -> AssessmentQuestion:
        """The question called ``name``."""
        for q in self.questions:
            if q.name == name:
                return q
        raise KeyError(name)

    def levels(self, name: str) -> dict[str, ScaleLevel]:
        """Answer code → scale level of question ``name``."""
        return {lv.answer: lv for lv in self.scales[self.question(name).scale]}


Level = Literal["low", "medium", "high"]


class LevelThreshold(_Strict):
    """A risk driver's thresholds: medium beyond ``medium``, high beyond ``high``.

    Beyond means above when ``high > medium`` (higher is worse) and below when ``high < medium``
    (lower is worse), strictly in both cases.
    """

    medium: float
    high: float

    @model_validator(mode="after")
    def _distinct(self) -> "LevelThreshold":
        if self.medium == self.high:
            raise ValueError("medium and high must differ (their order says which way is worse)")
        return self

    def level(self, value) -> str | None:
        """``"low"``, ``"medium"``, ``"high"``, or None when ``value`` is missing."""
        if value is None or pd.isna(value):
            return None
        sign = 1.0 if self.high > self.medium else -1.0
        v = sign * float(value)
        return "high" if v > sign * self.high else "medium" if v > sign * self.medium else "low"


class GradeThreshold(_Strict):
    """Grade thresholds: medium for grades weaker than ``medium``, high for grades weaker than ``high``."""

    medium: str
    high: str


class CreditProfileSettings(_Strict):
    """Drivers of credit risk: the grade (with its PD) and how the customer pays us."""

    grade: GradeThreshold = GradeThreshold(medium="4", high="6")
    days_beyond_terms: LevelThreshold = LevelThreshold(medium=10, high=30)   # 12-month DBT, days
    payment_index: LevelThreshold = LevelThreshold(medium=60, high=40)       # 0-100, lower is worse


class LiquidityProfileSettings(_Strict):
    """Drivers of liquidity risk: cash runway, quick ratio, the operating cash-flow trend, bank lines."""

    cash_runway_months: LevelThreshold = LevelThreshold(medium=1.0, high=0.5)
    quick_ratio: LevelThreshold = LevelThreshold(medium=1.0, high=0.8)
    #: operating cash flow: high when the latest year's is negative, medium when it fell by more than this share
    ocf_decline: float = Field(0.25, gt=0, le=1)
    bank_line_utilization: LevelThreshold = LevelThreshold(medium=0.75, high=0.9)


class MarketProfileSettings(_Strict):
    """Drivers of market risk: the industry outlook, revenue trend, buyer concentration, exports and currency."""

    industry_outlook: dict[str, Level] = {"improving": "low", "stable": "low", "uncertain": "medium",
                                          "deteriorating": "high"}
    revenue_growth: LevelThreshold = LevelThreshold(medium=0.0, high=-0.10)
    largest_buyer_share: LevelThreshold = LevelThreshold(medium=0.3, high=0.5)
    export_share: LevelThreshold = LevelThreshold(medium=0.5, high=0.8)
    foreign_currency: Level = "medium"   # when we invoice the customer in another currency than ours


class OperationalProfileSettings(_Strict):
    """Drivers of operational risk: the assessment's answers, quality complaints, disputes, unaudited statements."""

    complaints: LevelThreshold = LevelThreshold(medium=1, high=3)   # complaints in `complaint_months`
    complaint_months: int = Field(12, ge=1)
    open_disputes: LevelThreshold = LevelThreshold(medium=0, high=1)  # complaints and disputes open at as_of
    unaudited: Level = "medium"          # when the latest statements are unaudited
    no_assessment: Level | None = "medium"  # when there is no current assessment (None: no driver)


class RiskProfileSettings(_Strict):
    """The four-risk profile of page one. A risk's level is the worst level among its drivers; the
    assessment's answers are a driver of the risk their question names (medium below
    ``answer_share.medium`` of the weight, high below ``answer_share.high``)."""

    answer_share: LevelThreshold = LevelThreshold(medium=0.65, high=0.3)
    max_drivers: int = Field(3, ge=1, le=6)   # drivers printed per risk on page one
    credit: CreditProfileSettings = CreditProfileSettings()
    liquidity: LiquidityProfileSettings = LiquidityProfileSettings()
    market: MarketProfileSettings = MarketProfileSettings()
    operational: OperationalProfileSettings = OperationalProfileSettings()

    @model_validator(mode="after")
    def _outlooks(self) -> "RiskProfileSettings":
        missing = sorted({"improving", "stable", "uncertain", "deteriorating"} - set(self.market.industry_outlook))
        if missing:
            raise ValueError(f"market.industry_outlook needs a level for: {', '.join(missing)}")
        return self



class WarningRule(_Strict):
    """One early-warning rule: whether it is on, how severe a firing is, and its parameters.

    Parameters a rule does not use are ignored; see :mod:`helpers.decisions.monitoring` for what each
    rule reads (``months``, ``days``, ``threshold``, ``high_threshold``).
    """

    enabled: bool = True
    severity: Severity = "medium"
    months: int | None = Field(None, ge=1)
    days: float | None = Field(None, ge=0)
    threshold: float | None = None
    high_threshold: float | None = None


class LargeTransactionSettings(_Strict):
    """An invoice is large when it exceeds any of these (``None`` switches a test off)."""

    amount: float | None = Field(None, gt=0)          # base currency
    limit_share: float | None = Field(None, gt=0)     # of the customer's recommended limit
    median_multiple: float | None = Field(None, gt=1)  # of the customer's median invoice
    months: int = Field(24, ge=1)                     # look-back for the list


class ContactSettings(_Strict):
    """Minimum contact with a customer, by grade: visits (visit or meeting) and calls (call or email) in
    12 months, and the longest time allowed without a visit."""

    min_visits: dict[str, int] = {}
    min_calls: dict[str, int] = {}
    visit_months: dict[str, int] = {}


class EclSettings(_Strict):
    """Expected credit loss of trade receivables (IFRS 9 simplified approach, a provision matrix).

    Loss rate of an aging bucket = observed default rate of the amounts that sat in it at past month
    ends (default: still unpaid 90 days past due) × ``lgd`` (the decisions' LGD when None).
    """

    history_months: int = Field(24, ge=3)
    default_days: int = Field(90, ge=30)
    lgd: float | None = Field(None, gt=0, le=1)
    min_observations: int = Field(20, ge=1)   # month-end observations a bucket needs for its own rate
    split: Literal["none", "domestic"] = "none"
    # forward-looking adjustment: default rates × this per decision scenario (1 for a scenario not named)
    scenario_multipliers: dict[str, float] = {}

    @model_validator(mode="after")
    def _multipliers(self) -> "EclSettings":
        bad = {k: v for k, v in self.scenario_multipliers.items() if not v > 0}
        if bad:
            raise ValueError(f"scenario multipliers must be positive: {bad}")
        return self


class MonitoringSettings(_Strict):
    """Monitoring between reviews: receivables aging, payment index, large transactions, early warnings,
    contacts, review schedule and expected credit loss."""

    aging_buckets: list[int] = [30, 60, 90]   # upper bounds (days past due) of the past-due buckets
    dbt_windows: list[int] = [3, 12, 24]      # months
    trend_months: int = Field(24, ge=3)
    payment_index_months: int = Field(24, ge=1)
    payment_index_min_experiences: int = Field(3, ge=1)
    large_transactions: LargeTransactionSettings = LargeTransactionSettings()
    warnings: dict[str, WarningRule] = {}
    contacts: ContactSettings = ContactSettings()
    severe_review_months: int = Field(1, ge=0)   # a high-severity signal brings the review this close
    bank_report_months: int = Field(6, ge=1)     # a bank report older than this must be asked for again
    ecl: EclSettings = EclSettings()

    @model_validator(mode="after")
    def _rules(self) -> "MonitoringSettings":
        if self.aging_buckets != sorted(set(self.aging_buckets)) or not self.aging_buckets or self.aging_buckets[0] < 1:
            raise ValueError("aging_buckets must be increasing positive day counts")
        unknown = sorted(set(self.warnings) - set(WARNING_RULES))
        if unknown:
            raise ValueError(f"unknown warning rule(s) {', '.join(unknown)}; known: {', '.join(WARNING_RULES)}")
        lacking = [name for name in ("utilization", "revenue_falling")
                   if name in self.warnings and self.warnings[name].enabled and self.warnings[name].threshold is None]
        if lacking:  # without its threshold the rule could never fire: say so rather than stay silent
            raise ValueError(f"warning rule(s) {', '.join(lacking)} need a threshold")
        return self


#: The early-warning rules riskbook knows (the policy's ``monitoring.warnings`` keys).
WARNING_RULES = ("dbt_worsening", "utilization", "large_over_headroom", "grade_downgrade", "bank_overdue",
                 "distress_zone", "revenue_falling", "negative_equity", "dispute_open", "no_visit",
                 "stale_statements", "unaudited_statements", "overdue_items", "assessment_due")


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


class OrderRule(_Strict):
    """One rule of the order-entry check: whether it is on, what a firing does, and its parameter.

    ``action``: ``hold`` (a credit manager may release the order) or ``escalate`` (it needs a credit
    manager's decision and counts as an override when released). Parameters a rule does not use are
    ignored; :mod:`helpers.decisions.order_check` says what each rule reads (``share``, ``days``,
    ``severity``).
    """

    enabled: bool = True
    action: Literal["hold", "escalate"] = "hold"
    share: float | None = Field(None, gt=0)
    days: float | None = Field(None, ge=0)
    severity: Severity | None = None


#: The order-entry rules riskbook knows (the policy's ``order_check.rules`` keys).
ORDER_RULES = ("no_report", "over_limit", "far_over_limit", "large_order", "beyond_terms", "overdue_items",
               "long_overdue_items", "severe_warnings", "review_overdue")


class OrderCheckSettings(_Strict):
    """The credit check at order entry (``riskbook check-order``, ``riskbook serve``).

    ``report_max_days``: a customer's report older than this many days (its as-of date to the day of
    the order) is not current. ``recent_days``: how far back the reports list the order log's holds,
    releases and rejections.
    """

    report_max_days: int = Field(92, ge=1)
    recent_days: int = Field(90, ge=1)
    rules: dict[str, OrderRule] = {}

    @model_validator(mode="after")
    def _known(self) -> "OrderCheckSettings":
        unknown = sorted(set(self.rules) - set(ORDER_RULES))
        if unknown:
            raise ValueError(f"unknown order-check rule(s) {', '.join(unknown)}; known: {', '.join(ORDER_RULES)}")
        needs = {"far_over_limit": "share", "overdue_items": "days", "long_overdue_items": "days",
                 "severe_warnings": "severity"}
        lacking = [f"{name} ({field})" for name, field in needs.items()
                   if name in self.rules and self.rules[name].enabled and getattr(self.rules[name], field) is None]
        if lacking:
            raise ValueError(f"order-check rule(s) {', '.join(lacking)} need their parameter")
        return self


class BatchSettings(_Strict):
    """How the batch runs: the longest one notebook may take before its customer fails, and how many customers
    one worker process runs before a fresh one replaces it (the memory WeasyPrint keeps of each report is only
    returned when its process ends); ``null`` keeps workers for the whole batch."""

    notebook_timeout_seconds: int = Field(600, ge=1)
    worker_max_customers: int | None = Field(100, ge=1)


class Policy(_Strict):
    """The company's credit policy (``policy.yaml``)."""

    policy_version: str
    company: str
    base_currency: str = Field(pattern=r"^[A-Z]{3}$")
    home_country: str = Field(pattern=r"^[A-Z]{2}$")
    days_in_year: int = Field(365, ge=360, le=366)
    language: Literal["en", "zh"] | None = None
    validation: Validation = Validation()
    input: InputSettings = InputSettings()
    industries: dict[str, Industry]
    rating_scale: list[str]
    thresholds: dict[str, Threshold] = {}
    ratios: RatioSettings = RatioSettings()
    peers: PeerSettings = PeerSettings()
    findings: FindingSettings = FindingSettings()
    scoring: ScoringSettings | None = None
    decisions: DecisionSettings | None = None
    monitoring: MonitoringSettings = MonitoringSettings()
    assessment: AssessmentSettings | None = None
    risk_profile: RiskProfileSettings = RiskProfileSettings()
    batch: BatchSettings = BatchSettings()
    order_check: OrderCheckSettings = OrderCheckSettings()
    source: str = ""
    sha256: str = ""

    @model_validator(mode="after")
    def _ecl_scenarios(self) -> "Policy":
        names = {s.name for s in self.decisions.scenarios} if self.decisions else set()
        unknown = sorted(set(self.monitoring.ecl.scenario_multipliers) - names)
        if unknown:
            raise ValueError(f"monitoring.ecl.scenario_multipliers names unknown scenario(s): {', '.join(unknown)}")
        if self.scoring is not None:
            expert = self.scoring.expert
            got = sum(c.max_points for c in expert.characteristics) + (self.assessment.total if self.assessment else 0)
            if abs(got - expert.total) > 1e-9:
                raise ValueError(f"scoring.expert: maximum points of the characteristics"
                                 f"{' and the assessment questions' if self.assessment else ''} add up to {got:g}, "
                                 f"not the total {expert.total:g}")
            grades = [g.grade for g in self.scoring.master_scale]
            for name in ("medium", "high"):
                value = getattr(self.risk_profile.credit.grade, name)
                if value not in grades:
                    raise ValueError(f"risk_profile.credit.grade.{name} {value!r} is not on the master scale")
        return self

    def untranslated(self, lang: str) -> list[str]:
        """Where the policy lacks a text in ``lang``: one dotted path per text (``decisions.clauses.3.title``)."""
        out: list[str] = []

        def walk(node, path):
            if isinstance(node, BaseModel):
                for name in type(node).model_fields:
                    walk(getattr(node, name), f"{path}.{name}" if path else name)
            elif isinstance(node, dict):
                if node and set(node) <= set(TEXT_LANGUAGES) and "en" in node:  # a Text
                    if not node.get(lang) and node.get("en"):
                        out.append(path)
                else:
                    for k, v in node.items():
                        walk(v, f"{path}.{k}")
            elif isinstance(node, list):
                for i, v in enumerate(node):
                    walk(v, f"{path}.{i}")

        walk(self, "")
        return out

    def industry(self, key: str) -> Industry:
        """Return the industry ``key``; raise :class:`PolicyError` when the policy lacks it."""
        try:
            return self.industries[key]
        except KeyError:
            raise PolicyError(f"industry {key!r} is not in the policy ({', '.join(self.industries)})") from None



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
