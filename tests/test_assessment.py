"""The qualitative assessment: which questionnaire counts at as_of, the notebook's answers on top, how the
expert scorecard scores (and imputes) the answers, the policy's checks, the validation of the
``assessments`` table and the credit section's assessment block on the sample.

Every expected figure is worked out by hand in tests/data/assessment/expected.md (as_of 2026-09-30).
"""
from __future__ import annotations

import bisect
import copy
import shutil

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings, strategies as st
from pydantic import ValidationError as PydanticValidationError

from helpers.analysis.assessment import answer_column, assessment_answers, customer_assessment, with_answers
from helpers.config import DATA_SAMPLE, load_policy
from helpers.config.policy import AssessmentSettings, LevelThreshold, Policy
from helpers.data import load_portfolio, read_tables, validate_tables
from helpers.exceptions import PolicyError, RiskbookError, ValidationError
from helpers.scoring.credit import credit_section
from helpers.scoring.expert import ExpertScorecard

AS_OF = "2026-09-30"
T = pd.Timestamp

POLICY = load_policy(DATA_SAMPLE / "policy.yaml")
QA = POLICY.assessment
EXPERT = POLICY.scoring.expert
QUESTIONS = [q.name for q in QA.questions]
WEIGHTS = {q.name: q.weight for q in QA.questions}
BASE_NAMES = [c.name for c in EXPERT.characteristics]

# tests/data/assessment/expected.md, "CASE1"
CASE1_ANSWERS = {"management_experience": "adequate", "ownership_succession": "adequate",
                 "internal_controls": "weak", "customer_supplier_dependence": "moderate",
                 "legal_disputes": "minor", "site_visit": "acceptable", "industry_outlook": "stable",
                 "transparency": "adequate"}
CASE1_POINTS = {"management_experience": 19.5, "ownership_succession": 13.0, "internal_controls": 10.5,
                "customer_supplier_dependence": 16.25, "legal_disputes": 17.5, "site_visit": 16.25,
                "industry_outlook": 17.5, "transparency": 9.75}
CASE1_TOTAL = 120.25
CASE1_BASE = 292.0
C005_BASE = 708.0
# expected.md, "R1": edges hit on purpose; base points 464
R1 = {"current_ratio": 1.2, "debt_to_equity": 1.0, "interest_coverage": np.nan, "ebit_margin": -0.01,
      "altman_zone": "grey", "bank_overdue_days": 0.0, "credit_line_utilization": 0.9, "bank_past_defaults": 1.0,
      "days_beyond_terms": 10.0, "industry_risk_class": "low", "third_party_rating": "XYZ",
      "relationship_years": 5.0, "unresolved_disputes": 0.0}
R1_POINTS = {"current_ratio": 60, "debt_to_equity": 36, "interest_coverage": 56, "ebit_margin": 0, "altman_zone": 28,
             "bank_overdue_days": 80, "credit_line_utilization": 12, "bank_past_defaults": 8,
             "days_beyond_terms": 56, "industry_risk_class": 40, "third_party_rating": 20,
             "relationship_years": 28, "unresolved_disputes": 40}
R1_BASE = 464.0


def qa_settings(**changes) -> AssessmentSettings:
    """The sample's assessment settings with ``changes``, validated again."""
    return AssessmentSettings.model_validate({**QA.model_dump(), **changes})


def frame(rows: list[dict]) -> pd.DataFrame:
    """A characteristics frame: base columns as given, ``qa_<q>`` answers as object columns (None unanswered)."""
    out = pd.DataFrame([{k: v for k, v in r.items() if k not in QUESTIONS} for r in rows],
                       index=[f"R{i}" for i in range(len(rows))])
    for q in QUESTIONS:
        out[answer_column(q)] = pd.Series([r.get(q) for r in rows], index=out.index, dtype=object)
    return out


# --------------------------------------------------------------------------- customer_assessment
def rows_of(cid: str, date: str, analyst: str, answers: dict, evidence: dict | None = None) -> list[dict]:
    evidence = evidence or {}
    return [{"customer_id": cid, "assessment_date": T(date), "analyst": analyst, "question": q, "answer": a,
             "evidence": evidence.get(q, f"seen: {q}")} for q, a in answers.items()]


def table_of(*groups) -> pd.DataFrame:
    return pd.DataFrame([r for g in groups for r in g],
                        columns=["customer_id", "assessment_date", "analyst", "question", "answer", "evidence"])


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    """Customer X: assessments of 2025-01-10 (Ann), 2026-03-15 (Bo, in reverse question order, two questions
    unanswered, blank evidence) and 2026-10-05 (Cy, after as_of). Customer Y: one of 2026-06-01."""
    old = rows_of("X", "2025-01-10", "Ann", {q: "strong" for q in ("management_experience", "transparency")})
    mid_answers = {"transparency": "weak", "site_visit": "good", "legal_disputes": "minor",
                   "customer_supplier_dependence": "high", "internal_controls": "poor", "management_experience": "adequate"}
    mid = rows_of("X", "2026-03-15", "Bo", mid_answers,
                  evidence={"site_visit": "", "legal_disputes": "   ", "internal_controls": None,
                            "transparency": "  statements late  "})
    late = rows_of("X", "2026-10-05", "Cy", {q: "strong" for q in ("management_experience", "ownership_succession")})
    other = rows_of("Y", "2026-06-01", "Dee", {"management_experience": "strong"})
    return table_of(late, mid, other, old)


def test_the_latest_assessment_on_or_before_as_of_counts(history):
    got = customer_assessment(history, "X", AS_OF, QA)
    assert got["status"] == "current" and got["source"] == "assessments"
    assert got["date"] == "2026-03-15" and got["analyst"] == "Bo"  # not Cy's of 2026-10-05
    assert got["age_months"] == 6 and got["max_age_months"] == 12
    assert got["earlier"] == ["2025-01-10"]  # the later one after as_of is no "earlier" one either
    assert got["answers"]["management_experience"]["answer"] == "adequate"  # Bo's, not Ann's "strong"
    assert "ownership_succession" not in got["answers"]  # Cy answered it after as_of
    # as of a date after Cy's, Cy's counts and both older ones are earlier
    later = customer_assessment(history, "X", "2026-10-31", QA)
    assert (later["date"], later["analyst"], later["earlier"]) == ("2026-10-05", "Cy", ["2025-01-10", "2026-03-15"])
    assert set(later["answers"]) == {"management_experience", "ownership_succession"}
    # as of a date between the first two, only Ann's exists
    first = customer_assessment(history, "X", "2025-06-30", QA)
    assert (first["date"], first["analyst"], first["earlier"], first["age_months"]) == ("2025-01-10", "Ann", [], 5)


def test_answers_follow_the_policy_question_order_and_unanswered_lists_the_rest(history):
    got = customer_assessment(history, "X", AS_OF, QA)
    answered = ["management_experience", "internal_controls", "customer_supplier_dependence", "legal_disputes",
                "site_visit", "transparency"]
    assert list(got["answers"]) == answered  # the table lists them in reverse
    assert got["unanswered"] == ["ownership_succession", "industry_outlook"]
    assert {q: a["answer"] for q, a in got["answers"].items()} == {
        "management_experience": "adequate", "internal_controls": "poor", "customer_supplier_dependence": "high",
        "legal_disputes": "minor", "site_visit": "good", "transparency": "weak"}
    assert {a["source"] for a in got["answers"].values()} == {"assessments"}


def test_blank_evidence_is_none_and_evidence_is_stripped(history):
    answers = customer_assessment(history, "X", AS_OF, QA)["answers"]
    assert answers["site_visit"]["evidence"] is None          # ""
    assert answers["legal_disputes"]["evidence"] is None      # blanks only
    assert answers["internal_controls"]["evidence"] is None   # missing
    assert answers["transparency"]["evidence"] == "statements late"
    assert answers["management_experience"]["evidence"] == "seen: management_experience"


def test_missing_without_rows_without_a_table_and_when_every_assessment_is_after_as_of(history):
    for table, cid, as_of in [(history, "NOBODY", AS_OF), (history.iloc[0:0], "X", AS_OF), (None, "X", AS_OF),
                              (history, "Y", "2026-05-31"), (history, "X", "2025-01-09")]:
        got = customer_assessment(table, cid, as_of, QA)
        assert got == {"status": "missing", "date": None, "analyst": None, "age_months": None,
                       "max_age_months": 12, "answers": {}, "unanswered": QUESTIONS, "earlier": [], "source": None}


@pytest.mark.parametrize("date, as_of, months, status", [
    ("2025-09-30", "2026-09-30", 12, "current"),   # exactly max_age_months
    ("2025-09-15", "2026-09-14", 11, "current"),   # a day short of 12
    ("2025-09-15", "2026-09-15", 12, "current"),
    ("2025-08-15", "2026-09-14", 12, "current"),   # a day short of 13 months does not count
    ("2025-08-15", "2026-09-15", 13, "stale"),     # one month more: stale
    ("2026-09-10", "2026-10-09", 0, "current"),    # a day short of one month
    ("2026-09-30", "2026-09-30", 0, "current"),    # the same day
    ("2025-03-07", "2026-09-30", 18, "stale"),     # C003 in the sample
])
def test_age_in_whole_calendar_months(date, as_of, months, status):
    table = table_of(rows_of("X", date, "Ann", {"management_experience": "strong"}))
    got = customer_assessment(table, "X", as_of, QA)
    assert (got["age_months"], got["status"]) == (months, status)
    assert got["answers"]["management_experience"]["answer"] == "strong"  # a stale one is still shown


@settings(max_examples=200, deadline=None)
@given(year=st.integers(2000, 2030), month=st.integers(1, 12), day=st.integers(1, 28), k=st.integers(0, 40),
       limit=st.integers(1, 24))
def test_age_property_k_months_later_is_k_and_a_day_less_is_k_minus_one(year, month, day, k, limit):
    start = T(year=year, month=month, day=day)
    table = table_of(rows_of("X", start.strftime("%Y-%m-%d"), "Ann", {"transparency": "strong"}))
    s = qa_settings(max_age_months=limit)
    on = customer_assessment(table, "X", start + pd.DateOffset(months=k), s)
    assert on["age_months"] == k
    assert on["status"] == ("current" if k <= limit else "stale")
    if k >= 1:
        short = customer_assessment(table, "X", start + pd.DateOffset(months=k) - pd.Timedelta(days=1), s)
        assert short["age_months"] == k - 1


# --------------------------------------------------------------------------- with_answers
def stored(status_as_of: str = AS_OF):
    """Customer X assessed 2026-03-15 (current at AS_OF, stale at 2027-06-30)."""
    table = table_of(rows_of("X", "2026-03-15", "Bo", {"management_experience": "strong", "internal_controls": "weak",
                                                        "site_visit": "concerns"}))
    return customer_assessment(table, "X", status_as_of, QA)


def test_notebook_answers_override_the_same_questions_and_keep_the_others_of_a_current_assessment():
    base = stored()
    assert base["status"] == "current"
    got = with_answers(base, {"internal_controls": "adequate", "transparency": "poor"}, by=" Eve ",
                       evidence={"internal_controls": "  new bookkeeper  "}, as_of=AS_OF, settings=QA)
    assert got["answers"] == {
        "management_experience": {"answer": "strong", "evidence": "seen: management_experience", "source": "assessments"},
        "internal_controls": {"answer": "adequate", "evidence": "new bookkeeper", "source": "notebook"},
        "site_visit": {"answer": "concerns", "evidence": "seen: site_visit", "source": "assessments"},
        "transparency": {"answer": "poor", "evidence": None, "source": "notebook"},
    }
    assert list(got["answers"]) == ["management_experience", "internal_controls", "site_visit", "transparency"]
    assert got["source"] == "assessments+notebook" and got["replaces"] == "current"
    assert (got["status"], got["date"], got["analyst"], got["age_months"]) == ("current", AS_OF, "Eve", 0)
    assert got["earlier"] == ["2026-03-15"]
    assert got["unanswered"] == [q for q in QUESTIONS
                                 if q not in ("management_experience", "internal_controls", "site_visit", "transparency")]
    assert assessment_answers(got, QA)[answer_column("internal_controls")] == "adequate"
    assert base["answers"]["internal_controls"]["answer"] == "weak"  # the stored assessment is not changed


def test_only_the_notebook_answers_count_over_a_stale_assessment():
    base = stored("2027-06-30")
    assert base["status"] == "stale"
    got = with_answers(base, {"internal_controls": "adequate"}, by="Eve", evidence=None, as_of="2027-06-30",
                       settings=QA)
    assert list(got["answers"]) == ["internal_controls"]
    assert got["source"] == "notebook" and got["replaces"] == "stale" and got["status"] == "current"
    assert got["earlier"] == ["2026-03-15"] and got["date"] == "2027-06-30"
    scored = assessment_answers(got, QA)
    assert scored[answer_column("management_experience")] is None  # the stale "strong" is not scored


def test_notebook_answers_for_a_customer_without_assessment_and_overriding_every_stored_answer():
    missing = customer_assessment(None, "X", AS_OF, QA)
    got = with_answers(missing, {"site_visit": "good"}, by="Eve", evidence={"site_visit": "visited"}, as_of=AS_OF,
                       settings=QA)
    assert got["source"] == "notebook" and got["replaces"] == "missing" and got["earlier"] == []
    assert got["answers"] == {"site_visit": {"answer": "good", "evidence": "visited", "source": "notebook"}}
    every = with_answers(stored(), {"management_experience": "poor", "internal_controls": "poor", "site_visit": "good"},
                         by="Eve", evidence=None, as_of=AS_OF, settings=QA)
    assert every["source"] == "notebook"  # nothing of the stored assessment is kept
    assert {a["source"] for a in every["answers"].values()} == {"notebook"}


@pytest.mark.parametrize("answers", [None, {}])
def test_no_notebook_answers_leave_the_assessment_as_it_is(answers):
    base = stored()
    assert with_answers(base, answers, by=None, evidence={"nosuch": "x"}, as_of=AS_OF, settings=QA) is base


def test_every_problem_of_the_notebook_answers_is_named_in_one_error():
    with pytest.raises(RiskbookError) as info:
        with_answers(stored(), {"cash_flow": "good", "site_visit": "splendid", "transparency": "strong"}, by="  ",
                     evidence={"legal_disputes": "court records", "transparency": "ok"}, as_of=AS_OF, settings=QA)
    msg = str(info.value)
    assert "unknown question 'cash_flow'" in msg
    assert "site_visit: 'splendid' is not an answer of the 'visit' scale (good, acceptable, concerns, serious)" in msg
    assert "evidence given for questions not answered: legal_disputes" in msg
    assert "analyst's name" in msg
    assert "transparency" not in msg.split("evidence given")[1]  # evidence for an answered question is fine


@pytest.mark.parametrize("answers, by, evidence, words", [
    ({"cashflow": "strong"}, "Eve", None, "unknown question 'cashflow'"),
    ({"transparency": "Strong"}, "Eve", None, "'Strong' is not an answer of the 'quality' scale"),
    ({"transparency": "good"}, "Eve", None, "'good' is not an answer of the 'quality' scale"),  # another scale's
    ({"transparency": "strong"}, "Eve", {"site_visit": "x"}, "evidence given for questions not answered: site_visit"),
    ({"transparency": "strong"}, None, None, "answers need the analyst's name"),
    ({"transparency": "strong"}, "", None, "answers need the analyst's name"),
])
def test_each_problem_alone_is_refused(answers, by, evidence, words):
    with pytest.raises(RiskbookError, match="assessment answers") as info:
        with_answers(stored(), answers, by=by, evidence=evidence, as_of=AS_OF, settings=QA)
    assert words in str(info.value)


def test_assessment_answers_scores_only_a_current_assessment():
    current = stored()
    got = assessment_answers(current, QA)
    assert list(got) == [answer_column(q) for q in QUESTIONS]
    assert got == {answer_column(q): {"management_experience": "strong", "internal_controls": "weak",
                                      "site_visit": "concerns"}.get(q) for q in QUESTIONS}
    assert set(assessment_answers(stored("2027-06-30"), QA).values()) == {None}
    assert set(assessment_answers(customer_assessment(None, "X", AS_OF, QA), QA).values()) == {None}


# --------------------------------------------------------------------------- ExpertScorecard
def card(**changes) -> ExpertScorecard:
    return ExpertScorecard(EXPERT, qa_settings(**changes) if changes else QA)


def test_the_sample_policy_adds_up_to_800_plus_200():
    assert sum(c.max_points for c in EXPERT.characteristics) == 800
    assert QA.total == 200 and EXPERT.total == 1000
    assert WEIGHTS == {"management_experience": 30, "ownership_succession": 20, "internal_controls": 35,
                       "customer_supplier_dependence": 25, "legal_disputes": 25, "site_visit": 25,
                       "industry_outlook": 25, "transparency": 15}


def test_hand_worked_base_points_of_r1_with_bins_closed_on_the_left():
    pts = card().points(frame([R1])).iloc[0]
    assert {n: pts[n] for n in BASE_NAMES} == pytest.approx(R1_POINTS)
    assert sum(pts[n] for n in BASE_NAMES) == R1_BASE
    assert ExpertScorecard(EXPERT).score(frame([R1]))[0] == R1_BASE  # without the assessment group


def test_answered_points_are_weight_times_share_case1():
    pts = card().points(frame([{**R1, **CASE1_ANSWERS}])).iloc[0]
    assert {q: pts[answer_column(q)] for q in QUESTIONS} == pytest.approx(CASE1_POINTS, abs=1e-12)
    assert sum(CASE1_POINTS.values()) == CASE1_TOTAL
    assert card().score(frame([{**R1, **CASE1_ANSWERS}]))[0] == pytest.approx(R1_BASE + CASE1_TOTAL, abs=1e-9)
    # all answered: the missing treatment plays no part
    assert card(missing_treatment="midpoint").score(frame([{**R1, **CASE1_ANSWERS}]))[0] == pytest.approx(584.25)


def test_reweight_without_answers_scales_the_base_points_to_the_total():
    exp = card().explain(frame([R1]), top=50)[0]
    qa = {p["characteristic"]: p for p in exp["points"] if p["characteristic"].startswith("qa_")}
    assert {q: qa[answer_column(q)]["points"] for q in QUESTIONS} == pytest.approx(
        {q: w * 0.58 for q, w in WEIGHTS.items()}, abs=1e-12)
    assert exp["score"] == pytest.approx(580.0, abs=1e-9) and exp["grade"] == "5"
    assert all(p["imputed"] for p in qa.values())
    assert not any(p["imputed"] for p in exp["points"] if not p["characteristic"].startswith("qa_"))
    assert {p["group"]["en"] for p in qa.values()} == {"qualitative assessment"}


def test_reweight_with_partial_answers_uses_base_plus_answered_over_their_maximum():
    row = {**R1, "site_visit": "serious", "transparency": "strong"}
    exp = card().explain(frame([row]))[0]
    pts = {p["characteristic"]: p for p in exp["points"]}
    share = 479 / 840
    for q in QUESTIONS:
        item = pts[answer_column(q)]
        if q == "site_visit":
            assert (item["points"], item["imputed"]) == (0.0, False)
        elif q == "transparency":
            assert (item["points"], item["imputed"]) == (15.0, False)
        else:
            assert item["points"] == pytest.approx(WEIGHTS[q] * share, abs=1e-12) and item["imputed"]
    assert pts["qa_management_experience"]["points"] == pytest.approx(17.107142857142858, abs=1e-12)
    assert exp["score"] == pytest.approx(479000 / 840, abs=1e-9) and exp["grade"] == "5"
    assert [r["code"] for r in exp["reason_codes"]] == ["E-days_beyond_terms", "E-ebit_margin",
                                                        "E-credit_line_utilization", "E-bank_past_defaults"]


def test_midpoint_gives_missing_share_times_weight():
    row = {**R1, "site_visit": "serious", "transparency": "strong"}
    mid = card(missing_treatment="midpoint").explain(frame([row, R1]))
    partial, none = mid
    assert partial["score"] == pytest.approx(559.0) and partial["grade"] == "6"
    assert none["score"] == pytest.approx(564.0) and none["grade"] == "5"
    pts = {p["characteristic"]: p["points"] for p in partial["points"]}
    assert pts["qa_internal_controls"] == pytest.approx(17.5) and pts["qa_site_visit"] == 0.0
    low = card(missing_treatment="midpoint", missing_share=0.2).points(frame([R1])).iloc[0]
    assert {q: low[answer_column(q)] for q in QUESTIONS} == pytest.approx({q: 0.2 * w for q, w in WEIGHTS.items()})


def test_imputed_points_are_never_reason_codes_but_answered_shortfalls_are():
    row = {**R1, "site_visit": "serious", "transparency": "strong"}
    for c in (card(), card(missing_treatment="midpoint")):
        exp = c.explain(frame([row, R1]), top=50)
        codes = [[r["code"] for r in e["reason_codes"]] for e in exp]
        assert "E-qa_site_visit" in codes[0]  # answered, 25 short
        assert not any(code.startswith("E-qa_") for code in codes[1])  # nothing answered
        for e in exp:
            imputed = {p["characteristic"] for p in e["points"] if p["imputed"]}
            assert imputed and not imputed & {r["characteristic"] for r in e["reason_codes"]}


# A random characteristics row: numbers around the policy's edges (or missing), categories incl. unknown ones.
def _value(ch):
    if ch.edges is not None:
        lo, hi = min(ch.edges), max(ch.edges)
        span = hi - lo or 1.0
        return st.one_of(st.none(), st.sampled_from(list(ch.edges)),
                         st.floats(lo - span, hi + span, allow_nan=False))
    return st.one_of(st.none(), st.sampled_from(list(ch.categories) + ["unknown"]))


def _answer(q):
    return st.one_of(st.none(), st.sampled_from(list(QA.levels(q.name))))


BASE_ROW = st.fixed_dictionaries({ch.name: _value(ch) for ch in EXPERT.characteristics})
ANSWERS = st.fixed_dictionaries({q.name: _answer(q) for q in QA.questions})


def expected_base(row: dict) -> float:
    """Base points worked independently of the scorecard: bisect over the edges, categories, missing."""
    total = 0.0
    for ch in EXPERT.characteristics:
        v = row[ch.name]
        if ch.edges is not None:
            total += ch.missing if v is None else ch.points[bisect.bisect_right(ch.edges, v)]
        else:
            total += ch.categories.get(v, ch.missing) if v is not None else ch.missing
    return total


def to_frame(bases: list[dict], answers: list[dict] | None = None) -> pd.DataFrame:
    answers = answers or [{} for _ in bases]
    return frame([{**b, **a} for b, a in zip(bases, answers)])


@settings(max_examples=80, deadline=None)
@given(bases=st.lists(BASE_ROW, min_size=1, max_size=4))
def test_property_reweight_without_answers_is_base_times_total_over_base_max(bases):
    f = to_frame(bases)
    base = np.array([expected_base(b) for b in bases])
    assert ExpertScorecard(EXPERT).score(f) == pytest.approx(base, abs=1e-9)
    assert card().score(f) == pytest.approx(base * 1000 / 800, abs=1e-9)
    assert card().score(f) == pytest.approx(base * EXPERT.total / sum(c.max_points for c in EXPERT.characteristics),
                                            abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(bases=st.lists(BASE_ROW, min_size=1, max_size=4), data=st.data())
def test_property_partial_answers_and_the_total_bound(bases, data):
    answers = [data.draw(ANSWERS) for _ in bases]
    f = to_frame(bases, answers)
    for treatment in ("reweight", "midpoint"):
        c = card(missing_treatment=treatment)
        pts = c.points(f)
        explained = c.explain(f, top=100)
        for i, (b, a) in enumerate(zip(bases, answers)):
            answered = {q: QA.levels(q)[x].share * WEIGHTS[q] for q, x in a.items() if x is not None}
            scored = expected_base(b) + sum(answered.values())
            scored_max = 800 + sum(WEIGHTS[q] for q in answered)
            for q in QUESTIONS:
                got = pts.iloc[i][answer_column(q)]
                if q in answered:
                    want = answered[q]
                elif treatment == "reweight":
                    want = WEIGHTS[q] * scored / scored_max
                else:
                    want = WEIGHTS[q] * 0.5
                assert got == pytest.approx(want, abs=1e-9)
            score = explained[i]["score"]
            assert -1e-9 <= score <= EXPERT.total + 1e-9
            if treatment == "reweight":
                assert score == pytest.approx(scored * 1000 / scored_max, abs=1e-9)
            imputed = {p["characteristic"] for p in explained[i]["points"] if p["imputed"]}
            assert imputed == {answer_column(q) for q in QUESTIONS if q not in answered}
            assert not imputed & {r["characteristic"] for r in explained[i]["reason_codes"]}


# --------------------------------------------------------------------------- policy validation
@pytest.fixture(scope="module")
def raw_policy() -> dict:
    return yaml.safe_load((DATA_SAMPLE / "policy.yaml").read_text(encoding="utf-8"))


def policy_error(tmp_path, raw: dict) -> str:
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    return str(info.value)


def policy_ok(tmp_path, raw: dict) -> Policy:
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load_policy(path)


def test_the_expert_total_must_be_characteristics_plus_assessment_weights(tmp_path, raw_policy):
    raw = copy.deepcopy(raw_policy)
    raw["scoring"]["expert"]["total"] = 900
    msg = policy_error(tmp_path, raw)
    assert "scoring.expert" in msg and "assessment questions" in msg and "add up to 1000, not the total 900" in msg
    raw = copy.deepcopy(raw_policy)
    raw["assessment"]["questions"][-1]["weight"] = 30  # transparency 15 → 30: 1015
    assert "add up to 1015, not the total 1000" in policy_error(tmp_path, raw)
    raw["scoring"]["expert"]["total"] = 1015  # consistent again
    assert policy_ok(tmp_path, raw).scoring.expert.total == 1015


def test_without_an_assessment_section_the_characteristics_alone_make_the_total(tmp_path, raw_policy):
    raw = copy.deepcopy(raw_policy)
    del raw["assessment"]
    msg = policy_error(tmp_path, raw)
    assert "add up to 800, not the total 1000" in msg and "assessment questions" not in msg
    raw["scoring"]["expert"]["total"] = 800
    assert policy_ok(tmp_path, raw).assessment is None


@pytest.mark.parametrize("change, words", [
    (lambda a: a["scales"]["quality"].__setitem__(1, {**a["scales"]["quality"][1], "share": 0.2}),
     "scale quality: answers go from best (share 1) to worst, shares decreasing"),  # 1, 0.2, 0.3, 0
    (lambda a: a["scales"]["visit"].__setitem__(0, {**a["scales"]["visit"][0], "share": 0.9}),
     "scale visit: answers go from best (share 1) to worst"),                      # best is not 1
    (lambda a: a["scales"].__setitem__("outlook", a["scales"]["outlook"][:1]),
     "scale outlook: needs at least two answers"),
    (lambda a: a["scales"]["disputes"].__setitem__(1, {**a["scales"]["disputes"][1], "answer": "none"}),
     "scale disputes: needs at least two answers, each once"),
    (lambda a: a["questions"][2].__setitem__("scale", "qualty"), "questions use unknown scale(s): qualty"),
    (lambda a: a["questions"].append(dict(a["questions"][0])), "questions: at least one, each name once"),
])
def test_inconsistent_assessment_settings_are_refused(tmp_path, raw_policy, change, words):
    raw = copy.deepcopy(raw_policy)
    change(raw["assessment"])
    assert words in policy_error(tmp_path, raw)


@pytest.mark.parametrize("name, grade", [("high", "9"), ("medium", "A")])
def test_risk_profile_grade_must_be_on_the_master_scale(tmp_path, raw_policy, name, grade):
    raw = copy.deepcopy(raw_policy)
    raw["risk_profile"]["credit"]["grade"][name] = grade
    assert f"risk_profile.credit.grade.{name} '{grade}' is not on the master scale" in policy_error(tmp_path, raw)


def test_every_industry_outlook_needs_a_level(tmp_path, raw_policy):
    raw = copy.deepcopy(raw_policy)
    del raw["risk_profile"]["market"]["industry_outlook"]["uncertain"]
    assert "market.industry_outlook needs a level for: uncertain" in policy_error(tmp_path, raw)


@pytest.mark.parametrize("medium, high, value, level", [
    # higher is worse (high > medium): strictly above
    (10, 30, -5, "low"), (10, 30, 10, "low"), (10, 30, 10.0001, "medium"), (10, 30, 30, "medium"),
    (10, 30, 30.5, "high"),
    # lower is worse (high < medium): strictly below
    (60, 40, 100, "low"), (60, 40, 60, "low"), (60, 40, 59.99, "medium"), (60, 40, 40, "medium"),
    (60, 40, 39.99, "high"), (0.65, 0.3, 0.65, "low"), (0.65, 0.3, 0.3, "medium"), (0.65, 0.3, 0.0, "high"),
    (0, 1, 0, "low"), (0, 1, 1, "medium"), (0, 1, 2, "high"),
    # missing
    (10, 30, None, None), (10, 30, float("nan"), None), (60, 40, np.nan, None), (60, 40, pd.NA, None),
])
def test_level_threshold_is_strictly_beyond_in_the_direction_of_the_order(medium, high, value, level):
    assert LevelThreshold(medium=medium, high=high).level(value) == level


@settings(max_examples=300, deadline=None)
@given(a=st.floats(-1e6, 1e6), b=st.floats(-1e6, 1e6), v=st.floats(-2e6, 2e6))
def test_property_level_threshold(a, b, v):
    if a == b:
        return
    t = LevelThreshold(medium=a, high=b)
    worse = (lambda x, y: x > y) if b > a else (lambda x, y: x < y)
    assert t.level(v) == ("high" if worse(v, b) else "medium" if worse(v, a) else "low")


def test_level_threshold_with_medium_equal_to_high_is_refused():
    with pytest.raises(PydanticValidationError, match="medium and high must differ"):
        LevelThreshold(medium=1, high=1)


# --------------------------------------------------------------------------- validation of the assessments table
def _index(frame: pd.DataFrame, cid: str, question: str) -> int:
    return int(frame.index[(frame["customer_id"] == cid) & (frame["question"] == question)][0])


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    """A copy of the sample whose assessments.csv is broken in six places; validated once.
    Returns (folder, the edited text frame, problems, edits) with edits = what was broken → 0-based data row."""
    folder = tmp_path_factory.mktemp("qa") / "sample"
    shutil.copytree(DATA_SAMPLE, folder)
    path = folder / "assessments.csv"
    qa = pd.read_csv(path, dtype=str, keep_default_na=False)
    edits = {"question": _index(qa, "C002", "management_experience"),
             "answer": _index(qa, "C004", "internal_controls"),
             "date": _index(qa, "C009", "transparency"),
             "analyst": _index(qa, "C010", "site_visit"),
             "evidence": _index(qa, "C012", "legal_disputes"),
             "customer": _index(qa, "C013", "legal_disputes")}
    qa.loc[edits["question"], "question"] = "cash_discipline"
    qa.loc[edits["answer"], "answer"] = "excellent"
    qa.loc[edits["date"], "assessment_date"] = "2026-10-01"
    qa.loc[edits["analyst"], "analyst"] = "王芳"
    qa.loc[edits["evidence"], "evidence"] = ""
    qa.loc[edits["customer"], "customer_id"] = "C999"
    qa.to_csv(path, index=False)
    raw, _ = read_tables(folder)
    tables, problems = validate_tables(raw, POLICY, as_of=AS_OF)
    return folder, qa, problems, edits


@pytest.fixture(scope="module")
def clean_problems():
    raw, _ = read_tables(DATA_SAMPLE)
    return validate_tables(raw, POLICY, as_of=AS_OF)


def _qa_problems(problems, severity):
    return [p for p in problems if p.table == "assessments" and p.severity == severity]


def test_the_sample_assessments_validate_without_errors(clean_problems):
    tables, problems = clean_problems
    assert _qa_problems(problems, "error") == []
    qa = tables["assessments"]
    raw = pd.read_csv(DATA_SAMPLE / "assessments.csv", dtype=str, keep_default_na=False)
    assert len(qa) == len(raw) and pd.api.types.is_datetime64_any_dtype(qa["assessment_date"])
    # the sample's answers without evidence, and its out-of-date latest assessments, are the warnings
    blank = {int(i) + 2 for i in raw.index[raw["evidence"].str.strip() == ""]}
    warned = _qa_problems(problems, "warning")
    assert {p.row for p in warned if p.code == "no_evidence"} == blank
    assert {p.code for p in warned} == {"no_evidence", "stale_assessment"}
    stale = {p.customer_id for p in warned if p.code == "stale_assessment"}
    dates = pd.to_datetime(raw["assessment_date"]).groupby(raw["customer_id"]).max()
    assert stale == set(dates[dates < pd.Timestamp(AS_OF) - pd.DateOffset(months=12)].index) and len(stale) == 5


def test_exactly_the_broken_places_are_errors(broken):
    _, qa, problems, edits = broken
    errors = _qa_problems(problems, "error")
    analyst_rows = {int(i) + 2 for i in qa.index[(qa["customer_id"] == "C010") & (qa["assessment_date"] == "2026-04-26")]}
    assert len(analyst_rows) == 8
    assert {(p.column, p.row) for p in errors} == (
        {("question", edits["question"] + 2), ("answer", edits["answer"] + 2),
         ("assessment_date", edits["date"] + 2), ("customer_id", edits["customer"] + 2)}
        | {("analyst", r) for r in analyst_rows})
    assert {p.source for p in errors} == {"assessments.csv"}


def _one(problems, **attrs):
    hits = [p for p in problems if all(getattr(p, k) == v for k, v in attrs.items())]
    assert len(hits) == 1, hits
    return hits[0]


def test_unknown_question(broken):
    _, _, problems, edits = broken
    p = _one(problems, table="assessments", column="question", row=edits["question"] + 2)
    assert (p.severity, p.value, p.customer_id) == ("error", "cash_discipline", "C002")
    assert "unknown question" in p.message and "management_experience" in p.message


def test_answer_not_on_the_questions_scale(broken):
    _, _, problems, edits = broken
    p = _one(problems, table="assessments", column="answer", row=edits["answer"] + 2)
    assert (p.severity, p.value, p.customer_id) == ("error", "excellent", "C004")
    assert "'quality' scale of question internal_controls" in p.message
    assert "strong, adequate, weak, poor" in p.message


def test_assessment_dated_after_as_of(broken):
    _, _, problems, edits = broken
    p = _one(problems, table="assessments", column="assessment_date", row=edits["date"] + 2)
    assert (p.severity, p.value, p.customer_id) == ("error", "2026-10-01", "C009")
    assert "after as_of 2026-09-30" in p.message


def test_two_analysts_on_one_assessment_flag_its_every_row(broken):
    _, qa, problems, edits = broken
    hits = [p for p in problems if p.table == "assessments" and p.column == "analyst"]
    assert {p.severity for p in hits} == {"error"} and {p.customer_id for p in hits} == {"C010"}
    assert sorted(p.value for p in hits) == sorted(["赵敏"] * 7 + ["王芳"])
    assert all("more than one analyst" in p.message for p in hits)
    assert edits["analyst"] + 2 in {p.row for p in hits}


def test_unknown_customer_id(broken):
    _, _, problems, edits = broken
    p = _one(problems, table="assessments", column="customer_id", row=edits["customer"] + 2)
    assert (p.severity, p.value) == ("error", "C999")
    assert "unknown customer id" in p.message


def test_an_answer_without_evidence_is_a_warning(broken):
    _, _, problems, edits = broken
    p = _one(problems, table="assessments", column="evidence", row=edits["evidence"] + 2)
    assert (p.severity, p.code, p.customer_id) == ("warning", "no_evidence", "C012")


def test_without_the_evidence_column_every_answer_is_a_warning(tmp_path):
    folder = tmp_path / "sample"
    shutil.copytree(DATA_SAMPLE, folder)
    qa = pd.read_csv(folder / "assessments.csv", dtype=str, keep_default_na=False)
    qa.drop(columns=["evidence"]).to_csv(folder / "assessments.csv", index=False)
    raw, _ = read_tables(folder)
    _, problems = validate_tables(raw, POLICY, as_of=AS_OF)
    assert _qa_problems(problems, "error") == []
    warned = _qa_problems(problems, "warning")
    evidence = [p for p in warned if p.code == "no_evidence"]
    assert {p.row for p in evidence} == set(range(2, len(qa) + 2))
    assert {p.code for p in warned} == {"no_evidence", "stale_assessment"}


def test_load_portfolio_refuses_the_broken_assessments(broken):
    folder, _, _, edits = broken
    with pytest.raises(ValidationError) as info:
        load_portfolio(folder, as_of=AS_OF)
    rows = {(p.column, p.row) for p in info.value.problems if p.table == "assessments" and p.severity == "error"}
    assert ("answer", edits["answer"] + 2) in rows and ("question", edits["question"] + 2) in rows


def test_a_stale_latest_assessment_is_a_warning(clean_problems):
    _, problems = clean_problems
    # C003's only assessment is of 2025-03-07: 18 months at as_of, all its rows have evidence: one warning,
    # on the assessment's first row; C027's latest is current, its older one raises nothing
    hits = [p for p in _qa_problems(problems, "warning") if p.customer_id == "C003"]
    assert [(p.code, p.column, p.value) for p in hits] == [("stale_assessment", "assessment_date", "2025-03-07")]
    assert not [p for p in _qa_problems(problems, "warning") if p.customer_id == "C027" and p.code == "stale_assessment"]


# --------------------------------------------------------------------------- credit_section on the sample
@pytest.fixture(scope="module")
def sections(portfolio, scorecard):
    out = {cid: credit_section(portfolio, cid, scorecard) for cid in ("CASE1", "CASE2", "C005", "C003", "C027")}
    out["C005+partial"] = credit_section(
        portfolio, "C005", scorecard, assessment_answers={"internal_controls": "weak", "customer_supplier_dependence": "low"},
        assessment_by="Tester", assessment_evidence={"internal_controls": "books seen"})
    out["C005+all"] = credit_section(portfolio, "C005", scorecard, assessment_answers=CASE1_ANSWERS,
                                     assessment_by="Tester", assessment_evidence={q: "seen" for q in CASE1_ANSWERS})
    out["CASE1+ic"] = credit_section(portfolio, "CASE1", scorecard, assessment_answers={"internal_controls": "strong"},
                                     assessment_by="Tester", assessment_evidence={"internal_controls": "new CFO"})
    return out


def _base_points(section) -> float:
    return sum(p["points"] for p in section["expert"]["points"] if not p["characteristic"].startswith("qa_"))


def test_case1_assessment_block(sections):
    block = sections["CASE1"]["assessment"]
    assert (block["status"], block["date"], block["analyst"], block["answered"]) == ("current", "2026-08-20", "赵敏", 8)
    assert (block["age_months"], block["earlier"], block["source"], block["replaces"]) == (1, [], "assessments", None)
    assert block["points"] == pytest.approx(CASE1_TOTAL, abs=1e-9) and block["max_points"] == 200
    assert [q["question"] for q in block["questions"]] == QUESTIONS
    assert {q["question"]: q["points"] for q in block["questions"]} == pytest.approx(CASE1_POINTS, abs=1e-12)
    assert {q["question"]: q["answer"] for q in block["questions"]} == CASE1_ANSWERS
    assert all(q["scored"] and not q["imputed"] and q["evidence"] for q in block["questions"])
    assert block["questions"][2]["share"] == 0.3 and block["questions"][2]["answer_label"]["en"] == "Weak"
    assert block["warnings"] == []
    assert _base_points(sections["CASE1"]) == CASE1_BASE
    assert sections["CASE1"]["expert"]["score"] == pytest.approx(412.25, abs=1e-9)
    assert sections["CASE1"]["expert"]["grade"] == "7"


def test_case2_assessment_points(sections):
    block = sections["CASE2"]["assessment"]
    assert (block["status"], block["date"], block["analyst"]) == ("current", "2026-07-15", "Grace Chen")
    assert block["points"] == pytest.approx(148.25, abs=1e-9)


def test_a_customer_without_assessment_gets_every_question_imputed(sections):
    sec = sections["C005"]
    block = sec["assessment"]
    assert (block["status"], block["date"], block["analyst"], block["answered"]) == ("missing", None, None, 0)
    assert block["warnings"] == [{"code": "assessment.warning.missing", "args": {"treatment": "reweight"}}]
    assert all(q["imputed"] and not q["scored"] and q["answer"] is None for q in block["questions"])
    assert _base_points(sec) == C005_BASE
    assert {q["question"]: q["points"] for q in block["questions"]} == pytest.approx(
        {q: w * 0.885 for q, w in WEIGHTS.items()}, abs=1e-12)
    assert block["points"] == pytest.approx(177.0, abs=1e-9)
    assert sec["expert"]["score"] == pytest.approx(C005_BASE * 1000 / 800, abs=1e-9)
    assert C005_BASE * 1000 / 800 == 885.0
    assert sec["expert"]["grade"] == "1"
    assert not any(r["characteristic"].startswith("qa_") for r in sec["expert"]["reason_codes"])


def test_notebook_answers_for_a_missing_customer_change_the_expert_score_by_the_hand_worked_amount(sections):
    before, after = sections["C005"], sections["C005+partial"]
    assert _base_points(after) == _base_points(before) == C005_BASE
    assert after["expert"]["score"] == pytest.approx(37175 / 43, abs=1e-9)
    assert after["expert"]["score"] - before["expert"]["score"] == pytest.approx(-880 / 43, abs=1e-9)
    assert after["expert"]["grade"] == "2"
    block = after["assessment"]
    assert (block["status"], block["source"], block["analyst"], block["date"], block["replaces"]) == (
        "current", "notebook", "Tester", AS_OF, "missing")
    items = {q["question"]: q for q in block["questions"]}
    assert (items["internal_controls"]["points"], items["internal_controls"]["source"]) == (10.5, "notebook")
    assert items["customer_supplier_dependence"]["points"] == 25.0
    assert items["management_experience"]["points"] == pytest.approx(30 * 743.5 / 860, abs=1e-12)
    assert items["management_experience"]["imputed"] and not items["internal_controls"]["imputed"]
    assert block["answered"] == 2
    codes = {w["code"]: w["args"] for w in block["warnings"]}
    assert codes["assessment.warning.unanswered"]["n"] == 6
    assert codes["assessment.warning.no_evidence"] == {"n": 1, "questions": ["customer_supplier_dependence"]}
    full = sections["C005+all"]
    assert full["expert"]["score"] == pytest.approx(828.25, abs=1e-9)  # 708 + 120.25
    assert full["assessment"]["warnings"] == []


def test_a_notebook_answer_on_top_of_case1(sections):
    sec = sections["CASE1+ic"]
    block = sec["assessment"]
    assert block["source"] == "assessments+notebook" and block["earlier"] == ["2026-08-20"]
    assert block["points"] == pytest.approx(144.75, abs=1e-9)
    assert sec["expert"]["score"] - sections["CASE1"]["expert"]["score"] == pytest.approx(24.5, abs=1e-9)
    items = {q["question"]: q for q in block["questions"]}
    assert items["internal_controls"]["evidence"] == "new CFO" and items["site_visit"]["source"] == "assessments"


def test_a_stale_assessment_is_shown_but_not_scored(sections):
    sec = sections["C003"]
    block = sec["assessment"]
    assert (block["status"], block["date"], block["age_months"]) == ("stale", "2025-03-07", 18)
    assert block["warnings"][0] == {"code": "assessment.warning.stale", "args": {
        "date": "2025-03-07", "months": 18, "limit": 12, "treatment": "reweight"}}
    assert all(q["answer"] and not q["scored"] and q["imputed"] for q in block["questions"])
    base = _base_points(sec)
    assert sec["expert"]["score"] == pytest.approx(base * 1000 / 800, abs=1e-9)


def test_the_earlier_assessment_is_listed(sections):
    block = sections["C027"]["assessment"]
    assert (block["status"], block["date"], block["earlier"]) == ("current", "2026-03-08", ["2024-12-08"])


def test_the_summary_carries_the_assessment(sections):
    assert sections["CASE1"]["summary"]["assessment"] == {
        "status": "current", "date": "2026-08-20", "analyst": "赵敏", "source": "assessments",
        "points": pytest.approx(CASE1_TOTAL), "max_points": 200.0, "answered": 8}
    s = sections["C005"]["summary"]
    assert s["assessment"]["status"] == "missing" and s["assessment"]["date"] is None
    assert s["assessment"]["points"] == pytest.approx(177.0) and s["expert_score"] == pytest.approx(885.0)
    p = sections["C005+partial"]["summary"]["assessment"]
    assert (p["status"], p["date"], p["source"], p["answered"]) == ("current", AS_OF, "notebook", 2)


def test_credit_section_refuses_bad_notebook_answers(portfolio, scorecard):
    with pytest.raises(RiskbookError, match="unknown question 'nosuch'"):
        credit_section(portfolio, "C005", scorecard, assessment_answers={"nosuch": "strong"}, assessment_by="T")
    with pytest.raises(RiskbookError, match="analyst's name"):
        credit_section(portfolio, "C005", scorecard, assessment_answers={"transparency": "strong"})
