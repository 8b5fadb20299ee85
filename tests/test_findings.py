"""Finding rules: which code, with which numbers, at which severity, and the English sentence the report
makes of it (the Chinese one is checked in tests/test_messages.py)."""
import pytest

from helpers.config import DATA_SAMPLE, load_policy
from helpers.analysis.findings import financial_findings
from helpers.report.localize import finding_text, text_for

POLICY = load_policy(DATA_SAMPLE / "policy.yaml")


def _row(name, label, unit, direction, values, light, group="liquidity"):
    row = {"ratio": name, "label": label, "unit": unit, "direction": direction, "group": group, "light": light}
    row.update(values)
    return row


def _profile(**customer):
    base = {"industry_label": "Electronics & components", "domestic": True, "country": "CN", "currency": "CNY"}
    return {"customer": {**base, **customer}, "statement_years": [2023, 2024, 2025], "audited_years": [2023, 2024, 2025]}


def text(f, lang="en"):
    """The sentence of a finding, as the report prints it."""
    return finding_text(f.to_dict(), text_for(lang), industry="Electronics & components", currency="CNY")


def _run(rows, peers=None, z=None, profile=None):
    ratios = {r["ratio"]: {"value": r.get("2025")} for r in rows}
    return financial_findings(ratios=ratios, table=rows, peers=peers or {}, z=z, profile=profile or _profile(),
                              policy=POLICY, currency="CNY")


def test_red_key_ratio_is_high_with_peer_position_and_trend():
    rows = [_row("quick_ratio", "Quick ratio", "x", "higher_is_better", {"2023": 0.61, "2024": 0.50, "2025": 0.43}, "red")]
    peers = {"quick_ratio": {"peer_group": "electronics", "n": 12.0, "percentile": 4.2, "source": "portfolio"}}
    [f] = _run(rows, peers)
    assert f.severity == "high" and f.rule == "threshold:quick_ratio"
    assert text(f) == ("Quick ratio 0.43 (2025) is below the policy minimum 0.80 and in the weakest quartile of 12 "
                      "Electronics & components peers; it has worsened 2 years in a row: 0.61 (2023) → 0.50 (2024) "
                      "→ 0.43 (2025).")


def test_red_non_key_ratio_is_medium_and_amber_non_key_is_silent():
    rows = [_row("dso", "Days sales outstanding", "days", "lower_is_better", {"2025": 130.0}, "red"),
            _row("cash_ratio", "Cash ratio", "x", "higher_is_better", {"2025": 0.15}, "amber")]
    found = _run(rows)
    assert [(f.severity, f.rule) for f in found] == [("medium", "threshold:dso")]
    assert "above the policy maximum 120 days" in text(found[0])


def test_amber_key_ratio_is_low():
    rows = [_row("current_ratio", "Current ratio", "x", "higher_is_better", {"2025": 1.3}, "amber")]
    [f] = _run(rows)
    assert f.severity == "low" and "below the policy target 1.50" in text(f)


def test_value_and_limit_never_read_alike():
    rows = [_row("cash_conversion_cycle", "Cash conversion cycle", "days", "lower_is_better", {"2025": 150.03}, "red")]
    [f] = _run(rows)
    assert "150.03 days (2025) is above the policy maximum 150.00 days" in text(f)


def test_strength_of_a_key_ratio_in_the_strongest_quartile():
    rows = [_row("current_ratio", "Current ratio", "x", "higher_is_better", {"2025": 2.4}, "green")]
    peers = {"current_ratio": {"peer_group": "electronics", "n": 12.0, "percentile": 90.0, "source": "portfolio"}}
    [f] = _run(rows, peers)
    assert f.severity == "positive" and "is in the strongest quartile of 12" in text(f)


def test_negative_equity_and_distress_zone_are_high():
    rows = [_row("equity_ratio", "Equity ratio", "%", "higher_is_better", {"2025": -0.2}, "red", "leverage")]
    z = {"model": "Z''", "value": -2.15, "zone": "distress", "zones": [1.10, 2.60]}
    found = _run(rows, z=z)
    rules = {f.rule: f for f in found}
    assert rules["negative_equity"].severity == "high" and "-20.0 %" in text(rules["negative_equity"])
    assert rules["altman"].severity == "high" and "Altman Z'' -2.15 (2025) is in the distress zone (below 1.10)" in \
        text(rules["altman"])


@pytest.mark.parametrize("zone,severity", [("grey", "medium"), ("safe", "positive")])
def test_altman_grey_and_safe(zone, severity):
    z = {"model": "Z'", "value": 2.0 if zone == "grey" else 3.5, "zone": zone, "zones": [1.23, 2.90]}
    rows = [_row("current_ratio", "Current ratio", "x", "higher_is_better", {"2025": 1.6}, "green")]
    [f] = [f for f in _run(rows, z=z) if f.rule == "altman"]
    assert f.severity == severity


def test_market_risk_of_a_foreign_exporter_with_a_big_buyer():
    rows = [_row("current_ratio", "Current ratio", "x", "higher_is_better", {"2025": 1.6}, "green")]
    profile = _profile(domestic=False, country="VN", currency="USD", export_share=0.88, largest_buyer_share=0.35)
    rules = {f.rule: f for f in _run(rows, profile=profile)}
    assert rules["foreign"].severity == "low" and "(VN) invoiced in USD" in text(rules["foreign"])
    assert rules["export_dependence"].severity == "medium" and "88.0 %" in text(rules["export_dependence"])
    assert rules["concentration"].severity == "medium" and "35.0 %" in text(rules["concentration"])


def test_unaudited_latest_statements_and_ordering():
    rows = [_row("quick_ratio", "Quick ratio", "x", "higher_is_better", {"2025": 0.5}, "red"),
            _row("current_ratio", "Current ratio", "x", "higher_is_better", {"2025": 1.3}, "amber")]
    profile = _profile()
    profile["audited_years"] = [2023, 2024]
    found = _run(rows, profile=profile)
    assert [f.severity for f in found] == ["high", "low", "low"]
    assert text(found[-1]) == "The latest statements (2025) are not audited."


def test_findings_carry_codes_and_numbers_not_sentences():
    rows = [_row("quick_ratio", "Quick ratio", "x", "higher_is_better", {"2023": 0.61, "2024": 0.50, "2025": 0.43}, "red")]
    peers = {"quick_ratio": {"peer_group": "electronics", "n": 12.0, "percentile": 4.2, "source": "portfolio"}}
    [f] = _run(rows, peers)
    assert f.code == "finding.threshold.below_min" and not hasattr(f, "text")
    assert f.args["value"] == 0.43 and f.args["limit"] == 0.8 and f.args["year"] == 2025
    assert f.args["peer"] == {"position": "weakest", "group": "industry", "n": 12, "source": None}
    assert f.args["trend"] == [[2023, 0.61], [2024, 0.50], [2025, 0.43]]
