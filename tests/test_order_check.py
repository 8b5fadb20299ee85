"""helpers.decisions.order_check.evaluate_order on customer states built here: every rule at its
boundary, the outcome's precedence, disabled rules, policy validation, the hand-worked cases of
tests/data/order_check_cases.json, and properties."""
from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import assume, given, settings as hsettings, strategies as st
from pydantic import ValidationError

from helpers.analysis.open_items import OpenItems
from helpers.config import DATA_SAMPLE
from helpers.config.policy import ORDER_RULES, LargeTransactionSettings, OrderCheckSettings, load_policy
from helpers.decisions.order_check import OUTCOMES, CustomerState, evaluate_order
from helpers.exceptions import PolicyError

CASES = json.loads((Path(__file__).parent / "data" / "order_check_cases.json").read_text(encoding="utf-8"))
SAMPLE = CASES["settings"]  # the sample policy's order_check (checked below)
ON = dt.date(2026, 10, 10)
NO_LARGE = LargeTransactionSettings()  # every large-order test off
LARGE = LargeTransactionSettings(**CASES["large_transactions"])
T = pd.Timestamp


def settings_of(rules: dict, **kw) -> OrderCheckSettings:
    return OrderCheckSettings.model_validate({"rules": rules, **kw})


def only(name: str, **params) -> OrderCheckSettings:
    """Settings with one rule on (action hold unless given)."""
    return settings_of({name: {"action": "hold", **params}})


def state(**kw) -> CustomerState:
    base = dict(customer_id="C1", name="Test Co", limit=1000.0, limit_currency="CNY", grade="BBB",
                terms_option="net30", terms_days=30.0, prepayment_share=0.0, report_as_of=ON - dt.timedelta(days=10),
                report_status="ok", review_date=ON + dt.timedelta(days=90))
    return CustomerState(**{**base, **kw})


def items(*rows) -> OpenItems:
    """Invoices from (invoice_date, due_date, amount, paid_amount, paid_date or None)."""
    frame = pd.DataFrame([{"invoice_id": f"I{i}", "customer_id": "C1", "invoice_date": T(a), "due_date": T(b),
                           "currency": "CNY", "amount": float(amt), "paid_amount": float(paid),
                           "paid_date": T(p) if p else pd.NaT} for i, (a, b, amt, paid, p) in enumerate(rows)],
                         columns=["invoice_id", "customer_id", "invoice_date", "due_date", "currency", "amount",
                                  "paid_amount", "paid_date"])
    for col in ("invoice_date", "due_date", "paid_date"):
        frame[col] = pd.to_datetime(frame[col])
    return OpenItems(frame)


def open_of(amount: float) -> OpenItems:
    """One open invoice of ``amount``, not yet due on ON."""
    return items(("2026-10-01", "2026-10-31", amount, 0, None))


def check(st_, amount, settings, *, on=ON, its=None, open_orders=0.0, due_days=30, base=None, large=NO_LARGE):
    return evaluate_order(st_, amount_limit_ccy=amount, amount_base_ccy=amount if base is None else base,
                          due_days=due_days, on=on, items=its, open_orders=open_orders, settings=settings,
                          large=large, base_currency="CNY")


# ------------------------------------------------------------------------------------ the limit
OVER = only("over_limit")


def test_exposure_equal_to_limit_is_not_over():
    # 600 open invoices + 100 open orders + 300 = 1000 = limit
    r = check(state(), 300.0, OVER, its=open_of(600), open_orders=100.0)
    assert (r.outcome, r.codes) == ("approve", [])
    assert r.figures["exposure_after"] == 1000.0 and r.figures["headroom_after"] == 0.0
    assert r.figures["utilization_after"] == 1.0


def test_one_cent_above_the_limit_is_over():
    r = check(state(), 300.01, OVER, its=open_of(600), open_orders=100.0)
    assert (r.outcome, r.codes) == ("hold", ["order.over_limit"])
    args = r.reasons[0].args
    assert args == {"exposure_after": 1000.01, "limit": 1000.0, "excess": 0.01, "currency": "CNY"}
    assert r.reasons[0].action == "hold"
    assert r.figures["headroom_after"] == -0.01


def test_prepayment_halves_the_credit_part():
    # 50 % prepaid: 600 ordered adds 300 -> 700 + 300 = 1000, not over; 600.02 adds 300.01 -> over
    r = check(state(prepayment_share=0.5), 600.0, OVER, its=open_of(600), open_orders=100.0)
    assert r.figures["credit_amount"] == 300.0 and r.figures["exposure_after"] == 1000.0
    assert r.figures["prepayment_share"] == 0.5
    assert r.outcome == "approve"
    r = check(state(prepayment_share=0.5), 600.02, OVER, its=open_of(600), open_orders=100.0)
    assert r.figures["credit_amount"] == 300.01 and r.codes == ["order.over_limit"]


def test_full_prepayment_adds_no_credit_even_over_the_limit():
    # 1200 open already above the 1000 limit; a fully prepaid order adds nothing and is not held for it
    both = settings_of({"over_limit": {"action": "hold"}, "far_over_limit": {"action": "escalate", "share": 1.1}})
    r = check(state(prepayment_share=1.0), 500.0, both, its=open_of(1200))
    assert (r.outcome, r.codes) == ("approve", [])
    assert r.figures["credit_amount"] == 0.0
    assert r.figures["exposure_before"] == r.figures["exposure_after"] == 1200.0
    assert r.figures["headroom_after"] == -200.0
    # the same order without prepayment is held and escalated
    r = check(state(prepayment_share=0.0), 500.0, both, its=open_of(1200))
    assert (r.outcome, r.codes) == ("escalate", ["order.over_limit", "order.far_over_limit"])


def test_far_over_limit_boundary():
    far = only("far_over_limit", share=1.2, action="escalate")
    r = check(state(), 200.0, far, its=open_of(1000))          # 1200 = 1.2 x 1000
    assert (r.outcome, r.codes) == ("approve", [])
    r = check(state(), 200.01, far, its=open_of(1000))
    assert (r.outcome, r.codes) == ("escalate", ["order.far_over_limit"])
    assert r.reasons[0].args == {"exposure_after": 1200.01, "limit": 1000.0, "share": 1.2, "currency": "CNY"}


def test_no_limit_means_no_limit_rules():
    rules = settings_of({"over_limit": {}, "far_over_limit": {"share": 1.2}})
    r = check(state(limit=math.nan), 1e9, rules, its=open_of(1e9))
    assert r.outcome == "approve"
    assert r.figures["limit"] is None and r.figures["headroom_after"] is None
    assert r.figures["utilization_after"] is None


def test_zero_limit_holds_any_credit():
    r = check(state(limit=0.0), 0.01, OVER)
    assert r.codes == ["order.over_limit"]
    assert r.figures["utilization_after"] is None  # no division by a zero limit


# ------------------------------------------------------------------------------------ the report
NO_REPORT = only("no_report", action="escalate")


def test_missing_report():
    r = check(None, 100.0, NO_REPORT)
    assert (r.outcome, r.codes) == ("escalate", ["order.no_report"])
    assert r.reasons[0].args == {"status": "missing"}


def test_failed_report():
    r = check(state(report_status="failed"), 100.0, NO_REPORT)
    assert r.codes == ["order.no_report"]
    assert r.reasons[0].args == {"status": "failed", "as_of": (ON - dt.timedelta(days=10)).isoformat()}


@pytest.mark.parametrize("age, stale", [(0, False), (92, False), (93, True), (400, True)])
def test_stale_report_boundary(age, stale):
    as_of = ON - dt.timedelta(days=age)
    r = check(state(report_as_of=as_of), 100.0, NO_REPORT)
    assert r.figures["report_age_days"] == age
    if stale:
        assert r.codes == ["order.no_report"]
        assert r.reasons[0].args == {"status": "stale", "as_of": as_of.isoformat(), "age_days": age, "max_days": 92}
    else:
        assert (r.outcome, r.codes) == ("approve", [])


def test_report_max_days_comes_from_the_settings():
    r = check(state(report_as_of=ON - dt.timedelta(days=31)),
              100.0, settings_of({"no_report": {}}, report_max_days=30))
    assert r.codes == ["order.no_report"] and r.reasons[0].args["max_days"] == 30


def test_report_without_as_of_is_stale():
    r = check(state(report_as_of=None), 100.0, NO_REPORT)
    assert r.codes == ["order.no_report"]
    assert r.reasons[0].args["status"] == "stale" and r.reasons[0].args["age_days"] is None


# ------------------------------------------------------------------------------------ large orders
LARGE_RULE = only("large_order")


@pytest.mark.parametrize("large, st_kw, amount, base, tests", [
    (LargeTransactionSettings(amount=500000), {}, 10.0, 500000.0, []),
    (LargeTransactionSettings(amount=500000), {}, 10.0, 500000.01, ["amount"]),
    (LargeTransactionSettings(limit_share=0.5), {"limit": 1000.0}, 500.0, 1.0, []),
    (LargeTransactionSettings(limit_share=0.5), {"limit": 1000.0}, 500.01, 1.0, ["limit_share"]),
    (LargeTransactionSettings(median_multiple=3.0), {"median_invoice": 100.0}, 300.0, 1.0, []),
    (LargeTransactionSettings(median_multiple=3.0), {"median_invoice": 100.0}, 300.01, 1.0, ["median"]),
    (LargeTransactionSettings(median_multiple=3.0), {"median_invoice": math.nan}, 1e9, 1.0, []),
    (LargeTransactionSettings(limit_share=0.5), {"limit": math.nan}, 1e9, 1.0, []),
    (LargeTransactionSettings(amount=500000, limit_share=0.5, median_multiple=3.0),
     {"limit": 1000.0, "median_invoice": 100.0}, 600000.0, 600000.0, ["amount", "limit_share", "median"]),
])
def test_large_order_tests(large, st_kw, amount, base, tests):
    r = check(state(**st_kw), amount, LARGE_RULE, base=base, large=large)
    if not tests:
        assert (r.outcome, r.codes) == ("approve", [])
        return
    assert (r.outcome, r.codes) == ("hold", ["order.large_order"])
    args = r.reasons[0].args
    assert args["tests"] == tests
    thresholds = {"amount": large.amount, "limit_share": large.limit_share, "median": large.median_multiple}
    for t in tests:
        assert args[f"{t}_threshold"] == thresholds[t]
    assert args["base_currency"] == "CNY" and args["currency"] == "CNY"


def test_large_order_rule_off_means_no_test_runs():
    r = check(state(median_invoice=1.0, limit=1e9), 1e6, settings_of({"large_order": {"enabled": False}}),
              large=LargeTransactionSettings(amount=1, limit_share=0.0001, median_multiple=2))
    assert (r.outcome, r.codes) == ("approve", [])


# ------------------------------------------------------------------------------------ terms, overdue, warnings, review
@pytest.mark.parametrize("tolerance, due_days, fires", [(0, 30, False), (0, 31, True), (5, 35, False),
                                                        (5, 36, True), (None, 31, True)])
def test_beyond_terms_boundary(tolerance, due_days, fires):
    r = check(state(terms_days=30.0), 10.0, only("beyond_terms", days=tolerance), due_days=due_days)
    assert r.codes == (["order.beyond_terms"] if fires else [])
    if fires:
        assert r.reasons[0].args == {"due_days": due_days, "terms_days": 30.0, "tolerance_days": tolerance or 0.0}


def test_beyond_terms_needs_a_report():
    assert check(None, 10.0, only("beyond_terms", days=0), due_days=3650).codes == []


OVERDUE = settings_of({"overdue_items": {"action": "hold", "days": 30},
                       "long_overdue_items": {"action": "escalate", "days": 90}})


def _late_by(days: int, amount=500.0) -> OpenItems:
    due = ON - dt.timedelta(days=days)
    return items(((due - dt.timedelta(days=30)).isoformat(), due.isoformat(), amount, 0, None),
                 ("2026-10-01", "2026-10-31", 250.0, 0, None))  # a current one, never counted as overdue


@pytest.mark.parametrize("late, outcome, codes", [
    (30, "approve", []),
    (31, "hold", ["order.overdue_items"]),
    (90, "hold", ["order.overdue_items"]),
    (91, "escalate", ["order.long_overdue_items"]),  # the longer one says it all
])
def test_overdue_boundaries(late, outcome, codes):
    r = check(state(limit=1e9), 10.0, OVERDUE, its=_late_by(late))
    assert (r.outcome, r.codes) == (outcome, codes)
    assert r.figures["oldest_overdue_days"] == late and r.figures["overdue_amount"] == 500.0
    if codes:
        args = r.reasons[0].args
        assert args["oldest_days"] == late and args["amount"] == 500.0
        assert args["days"] == (90 if codes == ["order.long_overdue_items"] else 30)


def test_overdue_items_fires_when_long_overdue_is_off():
    s = settings_of({"overdue_items": {"days": 30}, "long_overdue_items": {"enabled": False, "days": 90}})
    r = check(state(limit=1e9), 10.0, s, its=_late_by(200))
    assert (r.outcome, r.codes) == ("hold", ["order.overdue_items"])


def test_overdue_amount_counts_only_invoices_beyond_the_days():
    # one 40 days late (600) and one 20 days late (300): beyond 30 days only the 600 counts
    its = items(("2026-07-01", (ON - dt.timedelta(days=40)).isoformat(), 600, 0, None),
                ("2026-08-01", (ON - dt.timedelta(days=20)).isoformat(), 300, 0, None))
    r = check(state(limit=1e9), 10.0, only("overdue_items", days=30), its=its)
    assert r.reasons[0].args["amount"] == 600.0
    assert r.figures["overdue_amount"] == 900.0


@pytest.mark.parametrize("floor, warnings, fired", [
    ("high", [("a", "medium"), ("b", "low")], []),
    ("high", [("a", "medium"), ("b", "high")], ["b"]),
    ("medium", [("a", "low"), ("b", "medium"), ("c", "high")], ["b", "c"]),
    ("low", [("a", "low"), ("z", "unknown")], ["a", "z"]),  # an unknown severity ranks lowest
    ("medium", [], []),
])
def test_severe_warnings(floor, warnings, fired):
    r = check(state(warnings=tuple(warnings)), 10.0, only("severe_warnings", severity=floor))
    assert r.codes == (["order.severe_warnings"] if fired else [])
    if fired:
        assert r.reasons[0].args == {"rules": fired, "count": len(fired)}


@pytest.mark.parametrize("review, fires", [(ON, False), (ON + dt.timedelta(days=1), False),
                                           (ON - dt.timedelta(days=1), True), (None, False)])
def test_review_overdue_boundary(review, fires):
    r = check(state(review_date=review), 10.0, only("review_overdue"))
    assert r.codes == (["order.review_overdue"] if fires else [])
    if fires:
        assert r.reasons[0].args == {"review_date": review.isoformat(), "days": 1}


# ------------------------------------------------------------------------------------ outcome
def _everything_fires():
    """A state and order that trips every rule of the sample policy (with no_report via staleness)."""
    st_ = state(limit=1000.0, report_as_of=ON - dt.timedelta(days=200), review_date=ON - dt.timedelta(days=5),
                warnings=(("w", "high"),), median_invoice=10.0)
    return dict(st_=st_, amount=2000.0, its=_late_by(120), due_days=90, base=1e7, large=LARGE)


@pytest.mark.parametrize("actions, outcome", [
    ({}, "approve"),
    ({"over_limit": "hold"}, "hold"),
    ({"over_limit": "hold", "severe_warnings": "hold", "review_overdue": "hold"}, "hold"),
    ({"over_limit": "hold", "review_overdue": "escalate"}, "escalate"),
    ({"no_report": "escalate", "large_order": "hold", "beyond_terms": "hold"}, "escalate"),
    ({"beyond_terms": "escalate"}, "escalate"),
])
def test_outcome_precedence(actions, outcome):
    params = {"far_over_limit": {"share": 1.2}, "overdue_items": {"days": 30}, "long_overdue_items": {"days": 90},
              "severe_warnings": {"severity": "high"}}
    s = settings_of({name: {"action": a, **params.get(name, {})} for name, a in actions.items()})
    kw = _everything_fires()
    r = check(kw.pop("st_"), kw.pop("amount"), s, **kw)
    assert r.outcome == outcome
    assert sorted(c.removeprefix("order.") for c in r.codes) == sorted(actions)
    assert {x.code.removeprefix("order."): x.action for x in r.reasons} == actions


def test_sample_policy_trips_every_rule_in_order():
    kw = _everything_fires()
    r = check(kw.pop("st_"), kw.pop("amount"), OrderCheckSettings.model_validate(SAMPLE), **kw)
    assert r.outcome == "escalate"
    assert r.codes == ["order.no_report", "order.over_limit", "order.far_over_limit", "order.large_order",
                       "order.beyond_terms", "order.long_overdue_items", "order.severe_warnings",
                       "order.review_overdue"]


def test_disabled_rules_never_fire():
    off = {name: {"enabled": False, "action": "escalate"} for name in ORDER_RULES}  # no parameters needed when off
    s = settings_of(off)
    kw = _everything_fires()
    r = check(kw.pop("st_"), kw.pop("amount"), s, **kw)
    assert (r.outcome, r.codes) == ("approve", [])
    assert check(None, 1e9, s).outcome == "approve"
    # and absent rules are off as well
    assert check(None, 1e9, settings_of({})).outcome == "approve"


# ------------------------------------------------------------------------------------ policy validation
def test_sample_policy_order_check_is_the_one_of_the_cases():
    assert load_policy(DATA_SAMPLE / "policy.yaml").order_check == OrderCheckSettings.model_validate(SAMPLE)


def test_unknown_rule_is_rejected():
    with pytest.raises(ValidationError, match="unknown order-check rule.*credit_score"):
        settings_of({"over_limit": {}, "credit_score": {"action": "hold"}})


@pytest.mark.parametrize("name, param", [("far_over_limit", "share"), ("overdue_items", "days"),
                                         ("long_overdue_items", "days"), ("severe_warnings", "severity")])
def test_enabled_rule_without_its_parameter_is_rejected(name, param):
    with pytest.raises(ValidationError, match=rf"{name} \({param}\) need their parameter"):
        settings_of({name: {"action": "hold"}})
    settings_of({name: {"action": "hold", "enabled": False}})  # off: the parameter is not needed


@pytest.mark.parametrize("rule", [{"action": "block"}, {"share": 0}, {"days": -1}, {"severity": "extreme"},
                                  {"threshold": 3}])
def test_bad_rule_fields_are_rejected(rule):
    with pytest.raises(ValidationError):
        settings_of({"far_over_limit": {"share": 1.2, **rule}})


def test_policy_file_with_unknown_rule_is_a_policy_error(sample_dir):
    path = sample_dir / "policy.yaml"
    text = path.read_text(encoding="utf-8")
    anchor = "    review_overdue:     {action: hold}"
    assert anchor in text
    path.write_text(text.replace(anchor, anchor + "\n    credit_score: {action: hold}"), encoding="utf-8")
    with pytest.raises(PolicyError, match="order_check.*unknown order-check rule"):
        load_policy(path)


# ------------------------------------------------------------------------------------ hand-worked cases
def _case_state(d):
    if d is None:
        return None
    date = lambda v: dt.date.fromisoformat(v) if v else None  # noqa: E731
    return CustomerState(customer_id="C1", name="Case", limit=float(d["limit"]), limit_currency=d["limit_currency"],
                         grade="BBB", terms_option="x", terms_days=float(d["terms_days"]),
                         prepayment_share=float(d["prepayment_share"]), report_as_of=date(d["report_as_of"]),
                         report_status=d["report_status"], review_date=date(d["review_date"]),
                         warnings=tuple(tuple(w) for w in d["warnings"]),
                         median_invoice=math.nan if d["median_invoice"] is None else float(d["median_invoice"]))


@pytest.mark.parametrize("case", CASES["cases"], ids=[c["name"] for c in CASES["cases"]])
def test_hand_worked_case(case):
    assert len(case["worked"]) > 80  # each case carries its arithmetic
    o = case["order"]
    r = evaluate_order(_case_state(case["state"]), amount_limit_ccy=o["amount_limit_ccy"],
                       amount_base_ccy=o["amount_base_ccy"], due_days=o["due_days"],
                       on=dt.date.fromisoformat(o["on"]), items=items(*case["invoices"]) if case["invoices"] else None,
                       open_orders=o["open_orders"], settings=OrderCheckSettings.model_validate(CASES["settings"]),
                       large=LARGE, base_currency="CNY")
    exp = case["expected"]
    assert r.outcome == exp["outcome"]
    assert r.codes == exp["codes"]
    for key in ("open_invoices", "exposure_before", "credit_amount", "exposure_after", "headroom_after",
                "utilization_after", "oldest_overdue_days", "overdue_amount", "report_age_days"):
        if exp[key] is None:
            assert r.figures[key] is None, key
        else:
            assert r.figures[key] == pytest.approx(exp[key], rel=1e-12, abs=1e-9), key
    by_code = {x.code: x.args for x in r.reasons}
    for code, args in exp["args"].items():
        for k, v in args.items():
            assert by_code[code][k] == (pytest.approx(v) if isinstance(v, float) else v), (code, k)


# ------------------------------------------------------------------------------------ properties
PARAMS = {"far_over_limit": {"share": st.floats(0.5, 3.0)}, "overdue_items": {"days": st.integers(0, 120)},
          "long_overdue_items": {"days": st.integers(0, 200)},
          "severe_warnings": {"severity": st.sampled_from(["low", "medium", "high"])},
          "beyond_terms": {"days": st.none() | st.integers(0, 30)}}


@st.composite
def rule_settings(draw, names=ORDER_RULES):
    rules = {}
    for name in names:
        if draw(st.booleans()):
            rules[name] = {"enabled": draw(st.booleans()), "action": draw(st.sampled_from(["hold", "escalate"])),
                           **{k: draw(v) for k, v in PARAMS.get(name, {}).items()}}
    return settings_of(rules, report_max_days=draw(st.integers(1, 120)))


@st.composite
def states(draw):
    if draw(st.integers(0, 9)) == 0:
        return None
    return state(limit=draw(st.just(math.nan) | st.floats(0, 1e7)),
                 prepayment_share=draw(st.sampled_from([0.0, 0.3, 0.5, 1.0]) | st.floats(0, 1)),
                 terms_days=float(draw(st.integers(0, 120))),
                 report_as_of=draw(st.none() | st.integers(-5, 200).map(lambda d: ON - dt.timedelta(days=d))),
                 report_status=draw(st.sampled_from(["ok", "ok", "failed"])),
                 review_date=draw(st.none() | st.integers(-60, 60).map(lambda d: ON + dt.timedelta(days=d))),
                 warnings=tuple(draw(st.lists(st.tuples(st.sampled_from(["a", "b"]),
                                                        st.sampled_from(["low", "medium", "high"])), max_size=3))),
                 median_invoice=draw(st.just(math.nan) | st.floats(1, 1e6)))


@st.composite
def ledgers(draw):
    rows = []
    for _ in range(draw(st.integers(0, 5))):
        issued = ON - dt.timedelta(days=draw(st.integers(-20, 300)))
        due = issued + dt.timedelta(days=draw(st.integers(0, 90)))
        amount = draw(st.floats(1, 1e6))
        paid = draw(st.sampled_from([0.0, amount / 2, amount]))
        paid_on = (issued + dt.timedelta(days=draw(st.integers(0, 200)))).isoformat() if paid else None
        rows.append((issued.isoformat(), due.isoformat(), amount, paid, paid_on))
    return items(*rows) if rows else None


LARGE_ANY = st.builds(LargeTransactionSettings, amount=st.none() | st.floats(1, 1e6),
                      limit_share=st.none() | st.floats(0.01, 2), median_multiple=st.none() | st.floats(1.01, 10))


@hsettings(max_examples=300, deadline=None)
@given(s=rule_settings(), st_=states(), its=ledgers(), amount=st.floats(0.01, 1e7),
       open_orders=st.floats(0, 1e7), due_days=st.integers(0, 365), large=LARGE_ANY)
def test_outcome_follows_the_reasons(s, st_, its, amount, open_orders, due_days, large):
    r = check(st_, amount, s, its=its, open_orders=open_orders, due_days=due_days, large=large)
    assert r.outcome in OUTCOMES
    assert (r.outcome == "approve") == (not r.reasons)
    assert (r.outcome == "escalate") == any(x.action == "escalate" for x in r.reasons)
    for reason in r.reasons:  # only enabled rules fire, with the action the policy gives them
        rule = s.rules[reason.code.removeprefix("order.")]
        assert rule.enabled and reason.action == rule.action
    assert len(set(r.codes)) == len(r.codes)
    assert not {"order.overdue_items", "order.long_overdue_items"} <= set(r.codes)
    json.dumps([x.to_dict() for x in r.reasons], allow_nan=False)  # JSON-ready: dates as strings


@hsettings(max_examples=300, deadline=None)
@given(st_=states(), its=ledgers(), amount=st.floats(0.01, 1e7), open_orders=st.floats(0, 1e7))
def test_exposure_after_is_the_sum_of_its_parts(st_, its, amount, open_orders):
    r = check(st_, amount, OrderCheckSettings.model_validate(SAMPLE), its=its, open_orders=open_orders, large=LARGE)
    f = r.figures
    share = st_.prepayment_share if st_ else 0.0
    open_inv = its.at(ON).open_amount if its is not None else 0.0
    assert f["credit_amount"] == pytest.approx(amount * (1 - share), abs=0.006)
    assert f["open_invoices"] == pytest.approx(open_inv, abs=0.006)
    assert f["open_orders"] == pytest.approx(open_orders, abs=0.006)
    # each figure is rounded to the cent: the sum agrees to within the three roundings
    assert f["exposure_after"] == pytest.approx(f["open_invoices"] + f["open_orders"] + f["credit_amount"], abs=0.016)
    assert f["exposure_before"] == pytest.approx(f["open_invoices"] + f["open_orders"], abs=0.011)
    if f["limit"] is not None:
        assert f["headroom_after"] == pytest.approx(f["limit"] - f["exposure_after"], abs=0.011)


@hsettings(max_examples=300, deadline=None)
@given(st_=states(), its=ledgers(), a=st.floats(0.01, 1e7), b=st.floats(0.01, 1e7), open_orders=st.floats(0, 1e7),
       actions=st.tuples(st.sampled_from(["hold", "escalate"]), st.sampled_from(["hold", "escalate"])),
       share=st.floats(0.5, 3.0))
def test_a_larger_order_is_never_treated_better(st_, its, a, b, open_orders, actions, share):
    assume(a != b)
    small, large = sorted((a, b))
    s = settings_of({"over_limit": {"action": actions[0]}, "far_over_limit": {"action": actions[1], "share": share}})
    rank = {o: i for i, o in enumerate(OUTCOMES)}
    first = check(st_, small, s, its=its, open_orders=open_orders)
    second = check(st_, large, s, its=its, open_orders=open_orders)
    assert rank[second.outcome] >= rank[first.outcome]
    assert set(first.codes) <= set(second.codes)


# ---------------------------------------------------------------------------------------------- the report block
def _e(entry_id, kind, order, outcome, refers_to=None, **figures):
    return {"entry_id": entry_id, "at": "2026-09-20T02:00:00.000000Z", "kind": kind, "order_id": order,
            "outcome": outcome, "amount": 100.0, "currency": "CNY", "actor": "a", "note": None, "reasons": [],
            "refers_to": refers_to, "figures": figures}


def test_order_log_block_counts_and_lists_what_an_auditor_looks_for():
    from helpers.decisions.order_check import order_log_block

    entries = [_e(1, "check", "A", "approve"), _e(2, "check", "B", "hold"), _e(3, "check", "C", "escalate"),
               _e(4, "release", "C", "released", refers_to=3, override=True), _e(5, "check", "D", "hold"),
               _e(6, "reject", "D", "rejected", refers_to=5), _e(7, "check", "E", "hold"),
               _e(8, "check", "E", "approve")]  # E re-checked and approved: no longer waiting
    block = order_log_block({"since": "2026-07-03", "until": "2026-09-30", "days": 90, "entries": entries})
    assert block["counts"] == {"checks": 6, "approvals": 2, "holds": 4, "releases": 1, "overrides": 1,
                               "rejections": 1, "pending": 1}
    # listed newest first: holds, releases, rejections; approvals only counted
    assert [e["entry_id"] for e in block["entries"]] == [7, 6, 5, 4, 3, 2]
    assert [e["entry_id"] for e in block["entries"] if e["pending"]] == [2]
    assert order_log_block(None) is None
    assert order_log_block({"entries": []})["counts"]["checks"] == 0


def test_order_log_block_keeps_a_release_whose_hold_is_before_the_window():
    from helpers.decisions.order_check import order_log_block

    block = order_log_block({"entries": [_e(9, "release", "Z", "released", refers_to=1, override=True)]})
    assert block["counts"]["checks"] == 0 and block["counts"]["overrides"] == 1
    assert [e["entry_id"] for e in block["entries"]] == [9]  # the report shows it (not "no order checked")
