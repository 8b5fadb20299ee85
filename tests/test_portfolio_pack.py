"""The portfolio pack of a batch: numbers that add up (helpers.decisions.portfolio) and the files built
from the customers' summaries (helpers.report.pack): portfolio.json, portfolio.xlsx, portfolio.pdf."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from helpers.config import DATA_SAMPLE, load_policy
from helpers.config.policy import WARNING_RULES
from helpers.decisions.portfolio import concentration, customer_row, portfolio_pack
from helpers.pipeline import batch as batch_module
from helpers.report.messages import catalogue
from helpers.report.pack import PACK_FILES, read_summaries, write_portfolio_pack

AS_OF = "2026-09-30"


def summary(cid, *, status="ok", grade="5", pd=0.02, currency="CNY", rate=1.0, limit=100_000.0,
            exposure=50_000.0, ecl=(500.0, 400.0, 600.0, 900.0), warnings=(), needs_visit=False,
            next_review="2027-03-31", overdue_days=None, option="open_60", industry="electronics",
            country="CN", name=None):
    """A customer's summary.json as the batch writes it (the keys the sections' ``summary`` dicts carry)."""
    if status != "ok":
        return {"customer_id": cid, "name": name or f"Customer {cid}", "as_of": AS_OF, "status": "failed",
                "lang": "en", "error": "financial_analysis.ipynb, cell 4: RiskbookError: no statements",
                "notebook": "financial_analysis.ipynb", "cell": 4, "inputs_sha256": "f" * 64}
    weighted, base, downturn, severe = ecl
    return {
        "customer_id": cid, "name": name or f"Customer {cid}", "currency": currency, "industry": industry,
        "country": country, "as_of": AS_OF, "data_warnings": 0, "score": 560.0, "pd": pd, "grade": grade,
        "model_grade": grade, "reason_codes": [], "model_version": "scorecard-test", "override": None,
        "ratios": {"current_ratio": 1.4}, "findings": [],
        "limit": limit, "limit_currency": currency,
        "terms": {"option": option, "label": {"en": f"Option {option}", "zh": f"方案 {option}"},
                  "kind": "open_account", "days": 60.0, "prepayment_share": 0.0, "instrument": None},
        "insurance": {"recommended": False, "kind": None, "cover_share": None, "premium": None},
        "review_date": "2027-03-31",
        "scenarios": {"base": {"pd": pd, "grade": grade}, "downturn": {"pd": pd * 1.5, "grade": grade},
                      "severe": {"pd": pd * 2.5, "grade": grade}},
        "aging": {"not_due": exposure, "1_30": 0.0, "31_60": 0.0, "61_90": 0.0, "over_90": 0.0},
        "dbt": {"3m": 2.0, "12m": 4.0, "24m": 5.0}, "payment_index": 78.0,
        "exposure": {"open_invoices": exposure, "exposure": exposure, "limit": limit,
                     "utilization": exposure / limit, "headroom": limit - exposure},
        "large_transactions": 0,
        "warnings": [{"rule": r, "severity": s, "args": {}} for r, s in warnings],
        "next_review": {"date": next_review, "brought_forward": False, "overdue_days": overdue_days},
        "contacts": {"last_visit": "2025-01-15", "visits_12m": 0 if needs_visit else 2, "calls_12m": 4,
                     "open_issues": 0, "needs_visit": needs_visit,
                     "visit_due_reason": "visit_too_long_ago" if needs_visit else None},
        "account_manager": "Li Na",
        "ecl": {"weighted": weighted, "open": exposure, "scenarios": {"base": base, "downturn": downturn,
                                                                      "severe": severe}, "base_rate": rate},
        "status": "ok", "lang": "en", "inputs_sha256": "a" * 64,
    }


def portfolio_summaries():
    """Six customers: two currencies, three grades, signals, reviews due, a visit due, one failure."""
    return [
        summary("C01", grade="3", pd=0.01, exposure=200_000.0, limit=400_000.0, ecl=(1_000.0, 800.0, 1_200.0, 2_000.0)),
        summary("C02", grade="5", pd=0.03, exposure=90_000.0, limit=100_000.0,
                warnings=[("utilization", "medium")], next_review="2026-10-20"),
        # 10,000 USD at 7.1 CNY per USD
        summary("C03", grade="5", pd=0.04, currency="USD", rate=7.1, exposure=10_000.0, limit=20_000.0,
                ecl=(100.0, 80.0, 120.0, 200.0), country="DE", industry="textiles",
                warnings=[("bank_overdue", "high"), ("no_visit", "low")], needs_visit=True),
        summary("C04", grade="8", pd=0.28, exposure=60_000.0, limit=150_000.0, ecl=(9_000.0, 7_000.0, 10_000.0, 14_000.0),
                warnings=[("distress_zone", "high"), ("dbt_worsening", "high"), ("unaudited_statements", "medium")],
                next_review="2026-09-15", overdue_days=15, option="prepay_50"),
        summary("C05", grade="3", pd=0.012, exposure=0.0, limit=50_000.0, ecl=(0.0, 0.0, 0.0, 0.0),
                name="东莞市恒达电子有限公司"),
        {**summary("BROKEN", status="failed"),
         # a stale figure in a failed summary must never reach the totals
         "limit": 1e9, "exposure": {"exposure": 1e9}, "ecl": {"weighted": 1e9, "base_rate": 1.0}},
    ]


def write_folder(out: Path, summaries, pdf_for_ok=True):
    """A batch output folder: <id>/summary.json (and a stand-in report.pdf for the ok ones)."""
    out.mkdir(parents=True, exist_ok=True)
    for s in summaries:
        folder = out / s["customer_id"]
        folder.mkdir(exist_ok=True)
        (folder / "summary.json").write_text(json.dumps(s, ensure_ascii=False), encoding="utf-8")
        if pdf_for_ok and s["status"] == "ok":
            (folder / "report.pdf").write_bytes(b"%PDF-1.7 stand-in")
    (out / "model").mkdir(exist_ok=True)
    (out / "model" / "summary.json").write_text("{}", encoding="utf-8")  # not a customer
    (out / ".C09.staging-1").mkdir(exist_ok=True)
    (out / ".C09.staging-1" / "summary.json").write_text("{}", encoding="utf-8")  # not finished: ignored
    (out / "manifest.json").write_text("{}", encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def policy():
    return load_policy(DATA_SAMPLE / "policy.yaml")


def _pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


# --------------------------------------------------------------------------- the numbers
def test_totals_equal_the_sum_of_the_customers():
    pack = portfolio_pack(portfolio_summaries(), base_currency="CNY")
    ok = [r for r in pack["customers"] if r["status"] == "ok"]
    tot = pack["totals"]
    for key in ("exposure_base", "limit_base", "headroom_base", "ecl_weighted_base", "ecl_open_base"):
        assert tot[key] == pytest.approx(sum(r[key] for r in ok)), key
    for s in ("base", "downturn", "severe"):
        assert tot["ecl_scenarios_base"][s] == pytest.approx(sum(r["ecl_scenarios_base"][s] for r in ok))
    # by hand: 200,000 + 90,000 + 10,000 × 7.1 + 60,000 + 0 = 421,000 CNY
    assert tot["exposure_base"] == pytest.approx(421_000.0)
    assert tot["limit_base"] == pytest.approx(400_000 + 100_000 + 20_000 * 7.1 + 150_000 + 50_000)
    assert tot["ecl_weighted_base"] == pytest.approx(1_000 + 500 + 100 * 7.1 + 9_000 + 0)
    assert tot["utilization"] == pytest.approx(421_000 / 842_000)
    # every breakdown adds up to the same totals
    for table in ("grades", "by_industry", "by_country"):
        assert sum(g["exposure_base"] for g in pack[table]) == pytest.approx(tot["exposure_base"]), table
        assert sum(g["ecl_weighted_base"] for g in pack[table]) == pytest.approx(tot["ecl_weighted_base"]), table
        assert sum(g["customers"] for g in pack[table]) == tot["ok"] == 5
        assert sum(g["exposure_share"] for g in pack[table]) == pytest.approx(1.0)
    assert sum(s["ecl_base"] for s in pack["ecl"]["scenarios"]) == pytest.approx(sum(tot["ecl_scenarios_base"].values()))
    assert tot["warnings"] == {"high": 3, "medium": 2, "low": 1}
    assert len(pack["warnings"]) == sum(r["warnings_total"] for r in ok) == 6
    assert tot["customers_with_high"] == 2
    # exposure-weighted PD by hand
    pd_w = (0.01 * 200_000 + 0.03 * 90_000 + 0.04 * 71_000 + 0.28 * 60_000) / 421_000
    assert tot["pd_exposure_weighted"] == pytest.approx(pd_w)


def test_amounts_are_converted_with_the_customer_base_rate():
    row = customer_row(summary("C03", currency="USD", rate=7.1, exposure=10_000.0, limit=20_000.0,
                               ecl=(100.0, 80.0, 120.0, 200.0)), base_currency="CNY")
    assert row["exposure"] == 10_000.0 and row["exposure_base"] == pytest.approx(71_000.0)
    assert row["limit_base"] == pytest.approx(142_000.0)
    assert row["ecl_scenarios_base"] == pytest.approx({"base": 568.0, "downturn": 852.0, "severe": 1_420.0})
    assert row["utilization"] == pytest.approx(0.5)
    assert row["report"] == "C03/report.pdf"


def test_failed_customers_are_counted_and_not_summed():
    summaries = portfolio_summaries()
    with_failed = portfolio_pack(summaries, base_currency="CNY")
    without = portfolio_pack([s for s in summaries if s["status"] == "ok"], base_currency="CNY")
    tot = with_failed["totals"]
    assert (tot["customers"], tot["ok"], tot["failed"]) == (6, 5, 1)
    for key in ("exposure_base", "limit_base", "ecl_weighted_base", "ecl_open_base"):
        assert tot[key] == without["totals"][key]
    assert with_failed["failed"] == [{"customer_id": "BROKEN", "name": "Customer BROKEN", "as_of": AS_OF,
                                      "error": "financial_analysis.ipynb, cell 4: RiskbookError: no statements",
                                      "notebook": "financial_analysis.ipynb", "cell": 4}]
    broken = next(r for r in with_failed["customers"] if r["customer_id"] == "BROKEN")
    assert broken["status"] == "failed" and broken["report"] is None
    assert "BROKEN" not in {g["customer_id"] for g in with_failed["concentration"]["top"]}


def test_hhi_and_top10_share_on_a_hand_worked_example():
    # one customer of 100 and ten of 10: X = 200, shares 0.5 and 10 × 0.05
    rows = [{"customer_id": "BIG", "name": "", "grade": "1", "exposure_base": 100.0}]
    rows += [{"customer_id": f"S{i:02d}", "name": "", "grade": "4", "exposure_base": 10.0} for i in range(10)]
    c = concentration(rows)
    assert c["total_base"] == 200.0
    assert c["hhi"] == pytest.approx(0.5 ** 2 + 10 * 0.05 ** 2)          # 0.275
    assert c["top_share"] == pytest.approx((100 + 9 * 10) / 200)          # 0.95: the 11th is left out
    assert c["effective_number"] == pytest.approx(1 / 0.275)
    assert [t["customer_id"] for t in c["top"]][:2] == ["BIG", "S00"] and len(c["top"]) == 10
    assert c["top"][-1]["cumulative_share"] == pytest.approx(0.95)
    # three customers 50 / 30 / 20: HHI = .25 + .09 + .04
    three = concentration([{"customer_id": k, "name": "", "exposure_base": v} for k, v in
                           (("A", 50.0), ("B", 30.0), ("C", 20.0))], top_n=2)
    assert three["hhi"] == pytest.approx(0.38) and three["top_share"] == pytest.approx(0.8)
    # no exposure at all: no shares, no index
    assert concentration([{"customer_id": "Z", "name": "", "exposure_base": 0.0}])["hhi"] is None


def test_concentration_of_the_pack_uses_the_base_currency_exposures():
    pack = portfolio_pack(portfolio_summaries(), base_currency="CNY")
    x = [200_000.0, 90_000.0, 71_000.0, 60_000.0, 0.0]
    total = sum(x)
    assert pack["concentration"]["hhi"] == pytest.approx(sum((v / total) ** 2 for v in x))
    assert pack["concentration"]["top_share"] == pytest.approx(1.0)  # five customers: all in the top 10


def test_reviews_due_and_visits():
    pack = portfolio_pack(portfolio_summaries(), base_currency="CNY", review_within_days=30)
    due = {r["customer_id"]: r for r in pack["reviews_due"]}
    assert set(due) == {"C02", "C04"}  # 20 days ahead, and 15 days overdue; the others are in 2027
    assert due["C02"]["days_to_review"] == 20 and not due["C02"]["review_overdue"]
    assert due["C04"]["review_overdue"] and due["C04"]["overdue_days"] == 15
    assert pack["totals"]["reviews_due"] == 2 and pack["totals"]["reviews_overdue"] == 1
    assert [v["customer_id"] for v in pack["visits_due"]] == ["C03"]
    assert pack["visits_due"][0]["visit_due_reason"] == "visit_too_long_ago"
    # most severe first, then the larger exposure (C03: 71,000 CNY before C04: 60,000 CNY)
    assert [(w["customer_id"], w["rule"]) for w in pack["warnings"] if w["severity"] == "high"] == [
        ("C03", "bank_overdue"), ("C04", "distress_zone"), ("C04", "dbt_worsening")]
    assert pack["warnings_by_rule"]["distress_zone"] == {"high": 1, "medium": 0, "low": 0, "total": 1}


def test_expected_loss_on_exposure_with_the_policy_lgd():
    weights = {"base": 0.6, "downturn": 0.3, "severe": 0.1}
    pack = portfolio_pack(portfolio_summaries(), base_currency="CNY", lgd=0.45, weights=weights)
    # base case: EL = Σ PD × LGD × exposure; the scenario PDs are 1.5 and 2.5 × the base PD in the summaries
    el = 0.45 * (0.01 * 200_000 + 0.03 * 90_000 + 0.04 * 71_000 + 0.28 * 60_000)
    by = {s["scenario"]: s["el_base"] for s in pack["ecl"]["scenarios"]}
    assert by == pytest.approx({"base": el, "downturn": 1.5 * el, "severe": 2.5 * el})
    assert pack["ecl"]["el_base"] == pytest.approx((0.6 + 0.3 * 1.5 + 0.1 * 2.5) * el)
    assert portfolio_pack(portfolio_summaries(), base_currency="CNY")["ecl"]["el_base"] is None


def test_changes_since_the_previous_run_list_only_what_changed():
    first = portfolio_pack(portfolio_summaries(), base_currency="CNY")
    assert first["changes"]["first_run"] and first["changes"]["customers"] == []
    later = portfolio_summaries()
    later[1] = summary("C02", grade="7", pd=0.09, exposure=90_000.0, limit=80_000.0, option="prepay_50",
                       warnings=[("utilization", "medium")], next_review="2026-10-20")
    second = portfolio_pack(later, base_currency="CNY", previous=json.loads(json.dumps(first)),
                            grades=[str(g) for g in range(1, 9)])
    ch = second["changes"]
    assert not ch["first_run"] and ch["previous_as_of"] == AS_OF
    assert [c["customer_id"] for c in ch["customers"]] == ["C02"]
    c = ch["customers"][0]
    assert c["grade"] == {"old": "5", "new": "7", "notches": 2}
    assert (c["limit"]["old"], c["limit"]["new"], c["limit"]["change"]) == (100_000.0, 80_000.0, -20_000.0)
    assert (c["terms_option"]["old"], c["terms_option"]["new"]) == ("open_60", "prepay_50")
    assert ch["new"] == [] and ch["gone"] == []
    # a customer only in the new run is new, one only in the old run is gone
    third = portfolio_pack(later[1:] + [summary("C07")], base_currency="CNY", previous=second)
    assert third["changes"]["new"] == ["C07"] and third["changes"]["gone"] == ["C01"]
    assert third["changes"]["customers"] == []


# --------------------------------------------------------------------------- the files
def test_every_warning_rule_has_a_name_in_both_languages():
    for lang in ("en", "zh"):
        missing = [r for r in WARNING_RULES if f"pack.rule.{r}" not in catalogue(lang)]
        assert not missing, (lang, missing)


def test_read_summaries_skips_model_and_hidden_folders(tmp_path):
    out = write_folder(tmp_path / "out", portfolio_summaries())
    summaries, digests = read_summaries(out)
    assert sorted(s["customer_id"] for s in summaries) == ["BROKEN", "C01", "C02", "C03", "C04", "C05"]
    assert sorted(digests) == [f"{c}/summary.json" for c in ("BROKEN", "C01", "C02", "C03", "C04", "C05")]


@pytest.fixture(scope="module")
def written(tmp_path_factory, policy):
    """A folder with the pack written twice in English (C02 changed between) and once in Chinese."""
    root = tmp_path_factory.mktemp("pack")
    en = write_folder(root / "en", portfolio_summaries())
    first = write_portfolio_pack(en, lang="en", base_currency="CNY", policy_company=policy.company, policy=policy)
    first_json = json.loads(first["json"].read_text(encoding="utf-8"))
    changed = summary("C02", grade="7", pd=0.09, exposure=90_000.0, limit=80_000.0, option="prepay_50",
                      warnings=[("utilization", "medium")], next_review="2026-10-20")
    (en / "C02" / "summary.json").write_text(json.dumps(changed), encoding="utf-8")
    second = write_portfolio_pack(en, lang="en", base_currency="CNY", policy_company=policy.company, policy=policy)
    zh = root / "zh"
    shutil.copytree(en, zh)
    (zh / "portfolio.json").unlink()
    zh_paths = write_portfolio_pack(zh, lang="zh", base_currency="CNY", policy_company=policy.company, policy=policy)
    return {"en": en, "first_json": first_json, "paths": second, "zh": zh, "zh_paths": zh_paths}


def test_the_pack_files_are_written_atomically_beside_the_customers(written):
    for key in ("en", "zh"):
        folder = written[key]
        names = sorted(p.name for p in folder.iterdir())
        assert names == sorted(["BROKEN", "C01", "C02", "C03", "C04", "C05", "model", ".C09.staging-1",
                                "manifest.json", *PACK_FILES.values()])
        leftovers = [p.name for p in folder.iterdir() if p.name.startswith(".") and p.name != ".C09.staging-1"]
        assert leftovers == []  # no temporary file left behind
        assert (folder / "portfolio.pdf").read_bytes()[:5] == b"%PDF-"
    assert written["paths"] == {k: written["en"] / v for k, v in PACK_FILES.items()}


def test_portfolio_json_carries_the_changes_against_the_previous_pack(written):
    assert written["first_json"]["changes"]["first_run"] is True
    pack = json.loads(written["paths"]["json"].read_text(encoding="utf-8"))
    assert pack["changes"]["first_run"] is False
    assert [c["customer_id"] for c in pack["changes"]["customers"]] == ["C02"]
    assert pack["changes"]["customers"][0]["grade"] == {"old": "5", "new": "7", "notches": 2}
    assert pack["lang"] == "en" and pack["base_currency"] == "CNY"
    assert set(pack["sources"]) == {f"{c}/summary.json" for c in ("BROKEN", "C01", "C02", "C03", "C04", "C05")}
    assert pack["totals"]["exposure_base"] == pytest.approx(421_000.0)


def test_workbook_has_one_row_per_customer_with_formats_frozen_header_and_filter(written):
    wb = load_workbook(written["paths"]["xlsx"])
    en = catalogue("en")
    ws = wb[en["pack.sheet.customers"]]
    header = [c.value for c in ws[1]]
    assert header[:3] == [en["pack.col.id"], en["pack.col.customer"], en["pack.col.status"]]
    ids = [r[0] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert ids == ["BROKEN", "C01", "C02", "C03", "C04", "C05"]
    assert ws.freeze_panes == "C2" and ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}7"
    col = header.index(en["pack.col.exposure_base"].format(currency="CNY")) + 1
    exposures = {ws.cell(i, 1).value: ws.cell(i, col) for i in range(2, 8)}
    assert exposures["C03"].value == pytest.approx(71_000.0) and exposures["C03"].number_format == "#,##0"
    assert exposures["BROKEN"].value is None
    pd_col = header.index(en["pack.col.pd"]) + 1
    assert ws.cell(3, pd_col).number_format == "0.00%"
    review_col = header.index(en["pack.col.next_review"]) + 1
    assert ws.cell(3, review_col).is_date
    assert {en[f"pack.sheet.{s}"] for s in ("grades", "concentration", "changes", "warnings")} <= set(wb.sheetnames)
    changes = list(wb[en["pack.sheet.changes"]].iter_rows(min_row=2, values_only=True))
    assert {r[0] for r in changes} == {"C02"} and len(changes) == 3  # grade, limit, terms
    warnings = list(wb[en["pack.sheet.warnings"]].iter_rows(min_row=2, values_only=True))
    assert len(warnings) == 6


def test_chinese_workbook_has_chinese_headers(written):
    wb = load_workbook(written["zh_paths"]["xlsx"])
    zh = catalogue("zh")
    assert zh["pack.sheet.customers"] in wb.sheetnames
    assert [c.value for c in wb[zh["pack.sheet.customers"]][1]][:2] == [zh["pack.col.id"], zh["pack.col.customer"]]


pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")


@pdftotext
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_pdf_has_every_section_in_the_pack_language(written, lang):
    text = _pdf_text(written["paths" if lang == "en" else "zh_paths"]["pdf"])
    flat = "".join(text.split())
    cat = catalogue(lang)
    for key in ("pack.doc.title", "pack.cover.grade_distribution", "pack.section.grades.title",
                "pack.section.concentration.title", "pack.section.ecl.title", "pack.section.warnings.title",
                "pack.section.visits.title", "pack.section.changes.title", "pack.section.failed.title",
                "pack.section.customers.title", "pack.rule.distress_zone"):
        assert "".join(cat[key].split()) in flat, (lang, key)
    for cid in ("C01", "C04", "BROKEN"):
        assert cid in text
    assert "C04/report.pdf" in text and "BROKEN/report.pdf" not in text
    assert "东莞市恒达电子有限公司" in flat


@pdftotext
def test_pdf_shows_the_totals_and_the_change(written):
    text = _pdf_text(written["paths"]["pdf"])
    assert "421" in text  # exposure 421,000 CNY in thousands
    en = catalogue("en")
    changes = text.split(en["pack.section.changes.title"])[-1].split(en["pack.section.failed.title"])[0]
    for words in ("Option open_60", "Option prepay_50", "downgrade by 2 notches", "100,000 CNY", "80,000 CNY"):
        assert words in changes, words  # old and new terms (the policy's labels), grade and limit
    zh = "".join(_pdf_text(written["zh_paths"]["pdf"]).split())
    assert "这是本文件夹首次生成组合报告" in zh  # the Chinese copy had no previous pack


def test_a_failing_pack_never_loses_the_manifest(tmp_path, monkeypatch, policy):
    out = write_folder(tmp_path / "out", portfolio_summaries())
    manifest = out / "manifest.json"
    manifest.write_text(json.dumps({"counts": {"ok": 5}}), encoding="utf-8")

    class Portfolio:  # what the batch hands over: the policy and its file's bytes
        pass

    p = Portfolio()
    p.policy = policy
    p.policy_bytes = b""

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(batch_module, "write_portfolio_pack", broken)
    entry = batch_module._write_portfolio(out, p, "en", manifest)
    recorded = json.loads(manifest.read_text(encoding="utf-8"))
    assert recorded["counts"] == {"ok": 5}
    assert recorded["portfolio"] == entry == {"status": "failed", "files": {}, "error": "OSError: disk full"}
    monkeypatch.undo()
    entry = batch_module._write_portfolio(out, p, "en", manifest)
    recorded = json.loads(manifest.read_text(encoding="utf-8"))
    assert entry["status"] == "ok" and recorded["portfolio"]["files"]["pdf"]["path"] == "portfolio.pdf"
    assert len(recorded["portfolio"]["files"]["json"]["sha256"]) == 64


def test_a_folder_without_finished_customers_still_gets_a_pack(tmp_path):
    out = write_folder(tmp_path / "out", [summary("BROKEN", status="failed")])
    paths = write_portfolio_pack(out, lang="zh", base_currency="CNY")
    pack = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert (pack["totals"]["customers"], pack["totals"]["ok"], pack["totals"]["failed"]) == (1, 0, 1)
    assert pack["totals"]["exposure_base"] == 0.0 and pack["concentration"]["hhi"] is None
    assert paths["pdf"].read_bytes()[:5] == b"%PDF-"
    assert load_workbook(paths["xlsx"])[catalogue("zh")["pack.sheet.failed"]].max_row == 2


def test_ledger_reconciliation_ties_or_names_the_difference():
    from helpers.decisions.portfolio import ledger_reconciliation

    assert ledger_reconciliation(100.0, None) is None
    tied = ledger_reconciliation(1000.2, {"total": 1000.0, "customers": 3})
    assert tied["reconciled"] and tied["difference"] == pytest.approx(-0.2)
    short = ledger_reconciliation(700.0, {"total": 1000.0, "customers": 3, "by_group": {"all": 1000.0}})
    assert not short["reconciled"] and short["difference"] == pytest.approx(300.0) and short["ledger_customers"] == 3


def test_an_unknown_ecl_is_listed_and_kept_out_of_the_coverage_not_counted_as_zero():
    known = summary("K1", exposure=10_000.0, ecl=(100.0, 80.0, 120.0, 200.0))
    unknown = summary("U1", exposure=30_000.0)
    unknown["ecl"] = {**unknown["ecl"], "weighted": None, "scenarios": {"base": None, "downturn": None, "severe": None}}
    pack = portfolio_pack([known, unknown], base_currency="CNY")
    t = pack["totals"]
    assert [u["customer_id"] for u in t["ecl_unknown"]] == ["U1"] and t["ecl_unknown"][0]["open_base"] == 30_000.0
    assert t["ecl_weighted_base"] == pytest.approx(100.0)
    assert t["ecl_coverage"] == pytest.approx(100.0 / 10_000.0)  # not 100 / 40,000


def test_reconciliation_says_when_the_pack_mixes_dates():
    from helpers.decisions.portfolio import ledger_reconciliation

    same = ledger_reconciliation(700.0, {"total": 1000.0}, ledger_as_of="2026-09-30", pack_dates=["2026-09-30"])
    mixed = ledger_reconciliation(700.0, {"total": 1000.0}, ledger_as_of="2026-10-31",
                                  pack_dates=["2026-09-30", "2026-10-31"])
    assert not same["mixed_dates"] and mixed["mixed_dates"]


def _profiled(cid, levels: dict, exposure: float, **kw):
    s = summary(cid, exposure=exposure, limit=max(exposure * 2, 1.0), **kw)
    s["risk_profile"] = {risk: {"level": lv, "drivers": drivers} for risk, (lv, drivers) in levels.items()}
    s["assessment"] = {"status": kw.get("status_qa", "current")}
    return s


def test_risk_profile_table_counts_levels_exposure_and_high_drivers():
    from helpers.decisions.portfolio import risk_profile_table

    hi, med, lo = "high", "medium", "low"
    a = _profiled("A", {"credit": (hi, [{"code": "credit.grade", "level": hi}, {"code": "credit.payment_index", "level": lo}]),
                        "liquidity": (lo, []), "market": (med, []), "operational": (None, [])}, 30_000.0)
    b = _profiled("B", {"credit": (hi, [{"code": "credit.grade", "level": hi}, {"code": "credit.days_beyond_terms", "level": hi}]),
                        "liquidity": (lo, []), "market": (lo, []), "operational": (lo, [])}, 10_000.0)
    c = _profiled("C", {"credit": (lo, [{"code": "credit.grade", "level": lo}]),
                        "liquidity": (med, []), "market": (lo, []), "operational": (lo, [])}, 60_000.0)
    failed = summary("D", status="failed")
    pack = portfolio_pack([a, b, c, failed], base_currency="CNY", as_of=AS_OF)
    table = {r["risk"]: r for r in pack["risk_profile"]}
    credit = table["credit"]
    assert (credit["high"]["customers"], credit["medium"]["customers"], credit["low"]["customers"]) == (2, 0, 1)
    assert credit["high"]["exposure_base"] == pytest.approx(40_000.0)
    assert credit["high"]["exposure_share"] == pytest.approx(0.4)          # of the 100,000 of ok customers
    assert credit["high_customers"] == ["A", "B"]                        # by exposure, largest first
    # only drivers shown at level high count: A's payment index (low) does not
    assert credit["drivers"] == {"credit.grade": 2, "credit.days_beyond_terms": 1}
    assert table["operational"]["none"]["customers"] == 1 and table["operational"]["low"]["customers"] == 2
    assert sum(table["market"][lv]["customers"] for lv in ("low", "medium", "high", "none")) == 3  # failed left out
    assert risk_profile_table([], 0.0)[0]["high"]["exposure_share"] is None
    assert pack["assessments"] == {"current": 3, "stale": 0, "missing": 0}


def test_pack_files_carry_the_risk_profile(tmp_path):
    out = tmp_path / "out"
    levels = {"credit": ("high", [{"code": "credit.grade", "level": "high"}]), "liquidity": ("medium", []),
              "market": ("low", []), "operational": ("low", [])}
    for cid in ("A", "B"):
        (out / cid).mkdir(parents=True)
        (out / cid / "summary.json").write_text(json.dumps(_profiled(cid, levels, 10_000.0)), encoding="utf-8")
    policy = load_policy(DATA_SAMPLE / "policy.yaml")
    for lang, risk, high in (("en", "Credit risk", "High"), ("zh", "信用风险", "高")):
        write_portfolio_pack(out, lang=lang, base_currency="CNY", policy=policy)
        wb = load_workbook(out / "portfolio.xlsx")
        sheet = wb[catalogue(lang)["pack.sheet.risk"]]
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[1][0] == risk and rows[1][1] == 2                    # two customers at high credit risk
        customers = list(wb[catalogue(lang)["pack.sheet.customers"]].iter_rows(values_only=True))
        col = customers[0].index(catalogue(lang)["pack.col.risk"].format(risk=risk))
        assert [r[col] for r in customers[1:]] == [high, high]
        text = subprocess.run(["pdftotext", str(out / "portfolio.pdf"), "-"], capture_output=True, text=True).stdout
        assert catalogue(lang)["pack.section.risk.title"] in text
