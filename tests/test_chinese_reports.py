"""End to end in Chinese: ``riskbook batch --lang zh`` on the source document's two cases. The PDFs carry
the Chinese headings and decision words, embed the CJK font, and leave no English sentence behind."""
from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import subprocess

import pytest

from helpers.cli import main
from helpers.config import DATA_SAMPLE
from helpers.data import load_portfolio

AS_OF = "2026-09-30"
CASES = ["CASE1", "CASE2"]
pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("pdffonts") is None,
                                reason="poppler-utils not installed (make setup installs it)")


@pytest.fixture(scope="module")
def zh_batch(tmp_path_factory):
    out = tmp_path_factory.mktemp("zh") / "out"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(["batch", "--data", str(DATA_SAMPLE), "--out", str(out), "--customers", ",".join(CASES),
                     "--workers", "2", "--as-of", AS_OF, "--no-progress", "--lang", "zh"])
    return {"code": code, "out": out, "manifest": json.loads((out / "manifest.json").read_text()),
            "printed": printed.getvalue()}


def _text(pdf) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def test_batch_in_chinese_succeeds_and_records_the_language(zh_batch):
    assert zh_batch["code"] == 0, zh_batch["manifest"]
    assert zh_batch["manifest"]["lang"] == "zh"
    # what the command prints is Chinese too: the model line, the counts and where the manifest and log are
    model, summary, log = zh_batch["printed"].strip().splitlines()
    assert model.startswith("模型 ") and "：成功；验证报告 " in model
    assert summary.startswith("2 个客户：2 个成功，0 个跳过（已是最新），0 个失败，用时 ")
    assert summary.endswith(f"清单：{zh_batch['out'] / 'manifest.json'}")
    assert log == f"日志：{zh_batch['out'] / 'batch.log'}"
    for cid in CASES:
        summary = json.loads((zh_batch["out"] / cid / "summary.json").read_text())
        assert summary["lang"] == "zh" and summary["status"] == "ok"
        # summary.json stays language-neutral: codes, not Chinese or English prose
        assert all(re.fullmatch(r"R-[a-z_]+", r) for r in summary["reason_codes"])
        assert all(set(f) == {"severity", "code", "args"} for f in summary["findings"])


@pytest.mark.parametrize("cid, decision_words", [
    ("CASE1", ["预付50%", "违约概率", "信用额度", "速动比率", "流动比率"]),
    ("CASE2", ["出口信用保险", "违约概率", "信用额度", "资产负债率"]),
])
def test_chinese_report_has_chinese_headings_and_decision_words(zh_batch, cid, decision_words):
    text = _text(zh_batch["out"] / cid / "report.pdf")
    page_one = text.split("\f")[0]
    for word in decision_words:
        assert word in text, word
    for heading in ("财务报表", "比率分析", "信用评分", "情景分析", "授信决策", "监控与客户关系", "预警信号", "预期信用损失"):
        assert heading in text, heading
    assert "年" in page_one and "月" in page_one  # dates as Chinese readers write them (2026年9月30日)
    assert re.search(r"第\s*1\s*页", page_one)


@pytest.mark.parametrize("cid", CASES)
def test_cjk_font_is_embedded(zh_batch, cid):
    fonts = subprocess.run(["pdffonts", str(zh_batch["out"] / cid / "report.pdf")], capture_output=True, text=True,
                           check=True).stdout
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk and all(" yes " in line for line in cjk), fonts


#: Latin text a Chinese report may keep: ids and codes, model and method names, units, library names.
ALLOWED = re.compile(r"(riskbook|Altman|scorecard-[0-9a-f]+-\dc|DeLong|EBITDA?|ROA|ROE|DSCR|PD|LGD|EAD|WOE|IV|"
                     r"CIETAC|ICC|Incoterms?|SHA-256|CNY|USD|EUR|UTC|Noto|DejaVu|WeasyPrint|Papermill|Jinja2|"
                     r"statsmodels|optbinning|[A-Z]{2,}\d*|[a-z_]+\.(?:ipynb|pdf|json|csv|yaml))")


def _english_sentences(text: str, allowed_names: list[str]) -> list[str]:
    text = " ".join(text.split())  # data quoted as written may wrap over lines in a table cell
    for name in sorted((" ".join(n.split()) for n in allowed_names), key=len, reverse=True):
        text = text.replace(name, " ")
    text = ALLOWED.sub(" ", text)
    text = re.sub(r"\S*[/\\]\S*", " ", text)  # paths and the reproduction command's arguments
    # four or more Latin words in a row read as an English sentence, unless every word is one of the quoted
    # data's (a wrapped table cell comes out of pdftotext -layout interleaved with its neighbours)
    quoted = {w.lower() for n in allowed_names for w in re.findall(r"[A-Za-z][a-z'’\-]+", n)}
    runs = re.findall(r"\b[A-Za-z][a-z'’\-]+(?:[ ,;:]+[A-Za-z][a-z'’\-]+){3,}", text)
    return [r for r in runs if not {w.lower() for w in re.findall(r"[A-Za-z][a-z'’\-]+", r)} <= quoted]


@pytest.mark.parametrize("cid", CASES)
def test_no_english_sentence_is_left(zh_batch, cid):
    portfolio = load_portfolio(DATA_SAMPLE, as_of=AS_OF)
    record = portfolio.customer(cid).record
    names = [n for n in (record.get("name"), record.get("name_en"), record.get("rating_agency"),
                         record.get("account_manager")) if n]
    # what the contact log says is data, quoted as written (the sample's log mixes Chinese and English)
    names += [s for s in portfolio.customer(cid).contacts["summary"].dropna()]
    # and so is the analyst's evidence for each assessment answer
    qa = portfolio.tables["assessments"]
    names += [s for s in qa.loc[qa["customer_id"] == cid, "evidence"].dropna()]
    left = _english_sentences(_text(zh_batch["out"] / cid / "report.pdf"), names)
    assert not left, left


@pytest.mark.parametrize("cid", CASES)
def test_the_statements_unit_is_in_words(zh_batch, cid):
    # the sample's statements are in thousands of the customer's currency; a unit code such as
    # "thousands" must not reach the Chinese page (the sentence check above sees only runs of words)
    currency = {"CASE1": "人民币", "CASE2": "美元"}[cid]
    text = " ".join(_text(zh_batch["out"] / cid / "report.pdf").split())
    assert f"报告单位：千{currency}" in text and "thousands" not in text


def test_the_statements_unit_in_english_and_with_two_units():
    from helpers.report.localize import profile_text
    profile = {"customer": {"industry_label": "x", "industry_risk_class": "low"}, "warnings": [],
               "source_units": ["millions", "thousands"], "source_currencies": ["USD"]}
    assert profile_text(profile, "en")["source_unit_labels"] == ["millions of USD", "thousands of USD"]
    assert profile_text(profile, "zh")["source_unit_labels"] == ["百万美元", "千美元"]
    assert profile_text({**profile, "source_units": ["units"]}, "zh")["source_unit_labels"] == ["美元"]


def test_the_checker_finds_english(zh_batch):
    assert _english_sentences("流动比率 The latest statements are not audited.", []) == \
        ["The latest statements are not audited"]


def test_model_validation_report_is_in_chinese(zh_batch):
    text = _text(zh_batch["out"] / "model_validation.pdf")
    assert "模型验证" in text and "区分能力" in text
