"""The credit policy: loading, every kind of invalid file, and the traffic lights."""
from __future__ import annotations

import math

import pytest
import yaml
from hypothesis import given, settings, strategies as st

from helpers.config import DATA_SAMPLE, Policy, Threshold, file_sha256, load_policy
from helpers.exceptions import PolicyError

SAMPLE_POLICY = DATA_SAMPLE / "policy.yaml"


def sample_dict() -> dict:
    return yaml.safe_load(SAMPLE_POLICY.read_text(encoding="utf-8"))


def write(tmp_path, data, name="policy.yaml"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def put(data: dict, dotted: str, value) -> dict:
    node = data
    *parents, last = dotted.split(".")
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value
    return data


def policy_error(path) -> str:
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    return str(info.value)


# --------------------------------------------------------------------------- loading
def test_sample_policy_loads_as_written():
    raw = sample_dict()
    pol = load_policy(SAMPLE_POLICY)
    assert isinstance(pol, Policy)
    assert pol.source == str(SAMPLE_POLICY) and pol.sha256 == file_sha256(SAMPLE_POLICY)
    assert (pol.policy_version, pol.base_currency, pol.home_country) == \
        (str(raw["policy_version"]), raw["base_currency"], raw["home_country"])
    assert pol.rating_scale == raw["rating_scale"]
    assert set(pol.industries) == set(raw["industries"])
    for key, ind in raw["industries"].items():
        assert pol.industry(key).model_dump() == ind
    for name, th in raw.get("thresholds", {}).items():
        assert isinstance(pol.thresholds[name], Threshold)
        assert pol.thresholds[name].warn == th["warn"] and pol.thresholds[name].direction == th["direction"]
    for key, value in raw.get("validation", {}).items():
        assert getattr(pol.validation, key) == value


def test_policy_is_frozen():
    pol = load_policy(SAMPLE_POLICY)
    with pytest.raises(Exception):
        pol.base_currency = "USD"
    assert pol.base_currency == sample_dict()["base_currency"]


def test_unknown_industry_is_a_policy_error_naming_it():
    pol = load_policy(SAMPLE_POLICY)
    with pytest.raises(PolicyError, match="'mining'"):
        pol.industry("mining")


def test_optional_sections_take_their_defaults(tmp_path):
    raw = sample_dict()
    for key in ("days_in_year", "validation", "thresholds"):
        raw.pop(key, None)
    pol = load_policy(write(tmp_path, raw))
    assert pol.days_in_year == 365 and pol.thresholds == {}
    v = pol.validation
    assert (v.balance_tolerance_abs, v.balance_tolerance_rel, v.stale_statement_months, v.min_years) == \
        (1.0, 0.005, 18, 2)


def test_sha256_follows_the_file_bytes(tmp_path):
    a = write(tmp_path, sample_dict(), "a.yaml")
    b = write(tmp_path, sample_dict() | {"company": "Another Co."}, "b.yaml")
    assert load_policy(a).sha256 == file_sha256(a) != load_policy(b).sha256 == file_sha256(b)


# --------------------------------------------------------------------------- invalid files
def test_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    msg = policy_error(path)
    assert "policy file not found" in msg and str(path) in msg


def test_invalid_yaml(tmp_path):
    path = write(tmp_path, "policy_version: '1'\ncompany: [unclosed\n")
    msg = policy_error(path)
    assert "not valid YAML" in msg and str(path) in msg


@pytest.mark.parametrize("content", ["", "- a\n- b\n", "just text\n"])
def test_top_level_must_be_a_mapping(tmp_path, content):
    assert "expected a mapping at the top level" in policy_error(write(tmp_path, content))


def test_policy_not_in_utf8_is_a_policy_error(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_bytes(SAMPLE_POLICY.read_text(encoding="utf-8").replace("(sample)", "华信").encode("gbk"))
    msg = policy_error(path)
    assert str(path) in msg and "UTF-8" in msg


@pytest.mark.parametrize("field, value", [
    ("days_in_year", "many"),
    ("days_in_year", 400),
    ("base_currency", "yuan"),
    ("home_country", "China"),
    ("rating_scale", "AAA"),
    ("validation.balance_tolerance_rel", "tiny"),
    ("validation.balance_tolerance_rel", 0.5),
    ("validation.min_years", 0),
    ("industries.food.manufacturing", "sometimes"),
    ("industries.food.risk_class", "extreme"),
    ("thresholds.current_ratio.direction", "sideways"),
    ("thresholds.current_ratio.warn", "high"),
])
def test_wrong_field_is_named(tmp_path, field, value):
    msg = policy_error(write(tmp_path, put(sample_dict(), field, value)))
    assert "invalid policy" in msg and f"\n  {field}:" in msg


@pytest.mark.parametrize("field", ["policy_version", "company", "industries", "rating_scale", "base_currency"])
def test_missing_required_field_is_named(tmp_path, field):
    raw = sample_dict()
    del raw[field]
    msg = policy_error(write(tmp_path, raw))
    assert f"\n  {field}: Field required" in msg


@pytest.mark.parametrize("field", ["colour", "validation.tolerance", "industries.food.colour",
                                   "thresholds.current_ratio.minimum"])
def test_unknown_key_is_named(tmp_path, field):
    msg = policy_error(write(tmp_path, put(sample_dict(), field, 1)))
    assert f"\n  {field}: Extra inputs are not permitted" in msg


@pytest.mark.parametrize("field", ["sha256", "source"])
def test_keys_filled_in_by_the_loader_are_refused(tmp_path, field):
    msg = policy_error(write(tmp_path, put(sample_dict(), field, "x")))
    assert f"\n  {field}:" in msg


def test_non_text_key_is_a_policy_error(tmp_path):
    path = write(tmp_path, SAMPLE_POLICY.read_text(encoding="utf-8") + "\n2026: extra\n")
    assert "2026" in policy_error(path)


def test_every_invalid_field_is_listed_at_once(tmp_path):
    raw = put(put(sample_dict(), "days_in_year", "many"), "colour", "red")
    msg = policy_error(write(tmp_path, raw))
    assert "\n  days_in_year:" in msg and "\n  colour:" in msg


@pytest.mark.parametrize("threshold, needs", [
    ({"direction": "higher_is_better", "min": 2.0, "warn": 1.5}, "min <= warn"),
    ({"direction": "higher_is_better", "warn": 1.5}, "min <= warn"),
    ({"direction": "lower_is_better", "max": 1.0, "warn": 2.0}, "warn <= max"),
    ({"direction": "lower_is_better", "warn": 2.0}, "warn <= max"),
])
def test_unordered_threshold_is_named(tmp_path, threshold, needs):
    raw = sample_dict()
    raw.setdefault("thresholds", {})["current_ratio"] = threshold
    msg = policy_error(write(tmp_path, raw))
    assert "\n  thresholds.current_ratio:" in msg and needs in msg


# --------------------------------------------------------------------------- traffic lights
HIGHER = Threshold(direction="higher_is_better", min=1.2, warn=1.5)
LOWER = Threshold(direction="lower_is_better", max=2.0, warn=1.0)


@pytest.mark.parametrize("value, light", [
    (1.2, "amber"),            # exactly min: not below it
    (1.5, "green"),            # exactly warn: not below it
    (1.19999, "red"), (1.49999, "amber"), (3.0, "green"), (-1.0, "red"), (0.0, "red"),
    (math.inf, "green"), (-math.inf, "red"),
    (math.nan, "grey"), (None, "grey"),
])
def test_light_higher_is_better(value, light):
    assert HIGHER.light(value) == light


@pytest.mark.parametrize("value, light", [
    (2.0, "amber"),            # exactly max: not above it
    (1.0, "green"),            # exactly warn: not above it
    (2.00001, "red"), (1.00001, "amber"), (0.0, "green"), (-5.0, "green"),
    (math.inf, "red"), (math.nan, "grey"), (None, "grey"),
])
def test_light_lower_is_better(value, light):
    assert LOWER.light(value) == light


def test_light_with_min_equal_to_warn_has_no_amber():
    th = Threshold(direction="higher_is_better", min=1.0, warn=1.0)
    assert [th.light(v) for v in (0.999, 1.0, 1.001)] == ["red", "green", "green"]


RANK = {"red": 0, "amber": 1, "green": 2}
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@settings(max_examples=50, deadline=None)
@given(a=finite, b=finite, x=finite, y=finite)
def test_lights_are_monotone(a, b, x, y):
    lo, hi = sorted((a, b))
    x, y = sorted((x, y))
    up = Threshold(direction="higher_is_better", min=lo, warn=hi)
    down = Threshold(direction="lower_is_better", max=hi, warn=lo)
    assert RANK[up.light(x)] <= RANK[up.light(y)]
    assert RANK[down.light(x)] >= RANK[down.light(y)]
    assert up.light(hi) == "green" and down.light(lo) == "green"
    if lo < hi:
        assert up.light(lo) == "amber" and down.light(hi) == "amber"


def test_monitoring_rules_are_checked(sample_dir):
    """An unknown warning rule, a rule that could never fire and unordered aging buckets are refused."""
    path = sample_dir / "policy.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert load_policy(path).monitoring.warnings["utilization"].threshold == 0.9
    for change, message in [
        (lambda m: m["warnings"].update(late_payer={"severity": "high"}), "unknown warning rule"),
        (lambda m: m["warnings"]["utilization"].pop("threshold"), "need a threshold"),
        (lambda m: m.update(aging_buckets=[60, 30, 90]), "aging_buckets"),
        (lambda m: m["warnings"]["distress_zone"].update(severity="critical"), "severity"),
    ]:
        broken = yaml.safe_load(yaml.safe_dump(raw))
        change(broken["monitoring"])
        path.write_text(yaml.safe_dump(broken, allow_unicode=True), encoding="utf-8")
        with pytest.raises(PolicyError, match=message):
            load_policy(path)
