"""``riskbook verify``: an untouched report verifies; a changed attachment, changed input data or a
changed policy is found and named; a PDF without a manifest cannot be checked.

One batch of CASE1 (module fixture) gives a customer report, the model validation report and the
portfolio pack. Each verification re-runs the analysis (~10 s), so every one is done once and shared.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

import helpers.cli as cli_module
import helpers.pipeline.verify as verify_module
from helpers.cli import main
from helpers.config import DATA_SAMPLE
from helpers.pipeline.verify import Verification, verification_lines, verify_pdf

pytestmark = pytest.mark.e2e

AS_OF = "2026-09-30"


@pytest.fixture(scope="module")
def out(tmp_path_factory, portfolio):
    """A batch of CASE1 as of 2026-09-30: CASE1/report.pdf, model_validation.pdf, portfolio.pdf."""
    from helpers.pipeline import run_batch

    folder = tmp_path_factory.mktemp("verify") / "out"
    with pytest.MonkeyPatch.context() as mp:  # dated by as_of, whatever the caller's environment
        mp.delenv("SOURCE_DATE_EPOCH", raising=False)
        result = run_batch(portfolio, folder, customers=["CASE1"], progress=False)
    assert [r.status for r in result.runs] == ["ok"], [r.error for r in result.runs]
    return folder


def tamper(src: Path, target: Path, name: str) -> Path:
    """Copy ``src`` to ``target`` with one byte of the embedded file ``name`` changed (a digit of a
    number, so that the file stays valid JSON), everything else as it was."""
    writer = PdfWriter(clone_from=PdfReader(str(src)))
    tree = writer._root_object["/Names"]["/EmbeddedFiles"]["/Names"]
    for i in range(0, len(tree), 2):
        if tree[i] == name:
            stream = tree[i + 1].get_object()["/EF"]["/F"].get_object()
            data = bytearray(stream.get_data())
            m = re.search(rb": (\d)", bytes(data))
            assert m, f"{name} has no number to change"
            pos = m.start(1)
            data[pos] = ord("7") if data[pos] != ord("7") else ord("3")
            stream.set_data(bytes(data))
            break
    else:
        raise AssertionError(f"{name} is not attached to {src}")
    with open(target, "wb") as fh:
        writer.write(fh)
    return target


def run_cli(monkeypatch, capsys, args) -> tuple[int, str, Verification | None]:
    """Run ``riskbook verify`` through :func:`helpers.cli.main`, keeping the Verification the command
    computed (a spy around the real :func:`verify_pdf`), so one re-run serves both checks."""
    seen = []
    real = verify_module.verify_pdf

    def spy(*a, **kw):
        seen.append(real(*a, **kw))
        return seen[-1]

    monkeypatch.setattr(verify_module, "verify_pdf", spy)
    monkeypatch.setattr(cli_module, "verify_pdf", spy, raising=False)  # when the CLI imported it by name
    code = main(["verify", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err, seen[-1] if seen else None


@pytest.fixture(scope="module")
def untouched(out):
    """verify_pdf of the untouched CASE1 report."""
    return verify_pdf(out / "CASE1" / "report.pdf")


def _figure(result: Verification, key: str, **args):
    return [f for f in result.figures if f.key == key and all(f.args.get(k) == v for k, v in args.items())]


# ---- an untouched report

def test_untouched_report_verifies(untouched):
    """An untouched customer report verifies: every check passes, the re-run reproduces every one of
    more than a thousand figures, and the key figures (grade and limit among them) all agree."""
    r = untouched
    assert r.kind == "customer_report"
    assert r.ok, [c for c in r.checks if not c.ok] + r.differences[:5]
    assert r.differences == []
    assert r.compared > 1000
    assert all(c.ok for c in r.checks)
    assert any(c.kind == "rerun" and c.ok for c in r.checks)
    assert _figure(r, "verify.key.grade") and _figure(r, "verify.key.limit")
    assert all(f.ok for f in r.figures)
    grade = _figure(r, "verify.key.grade")[0]
    summary = json.loads(PdfReader(r.file).attachments["summary.json"][0])
    assert grade.old == summary["grade"] == grade.new


def test_untouched_report_cli_exit_0(out, monkeypatch, capsys):
    """``riskbook verify report.pdf`` exits 0 and says VERIFIED."""
    code, text, result = run_cli(monkeypatch, capsys, [out / "CASE1" / "report.pdf"])
    assert code == 0, text
    assert "VERIFIED" in text and "NOT VERIFIED" not in text
    assert result is not None and result.ok


def test_lines_in_chinese(untouched):
    """verification_lines in Chinese words the same result in Chinese (核验通过), not English."""
    lines = verification_lines(untouched, "zh")
    text = "\n".join(lines)
    assert "核验通过" in text
    assert "VERIFIED" not in text
    assert "核验通过" not in "\n".join(verification_lines(untouched, "en"))


# ---- a changed attachment

def test_tampered_attachment_is_named(out, tmp_path, monkeypatch, capsys):
    """One byte changed in the embedded summary.json: verification fails with a file.changed check
    naming summary.json (its SHA-256 no longer the manifest's); the command exits 1 and names it."""
    bad = tamper(out / "CASE1" / "report.pdf", tmp_path / "tampered.pdf", "summary.json")
    code, text, r = run_cli(monkeypatch, capsys, [bad])
    assert r is not None and not r.ok
    changed = [c for c in r.checks if c.code == "file.changed"]
    assert [c.args["name"] for c in changed] == ["summary.json"]
    assert not changed[0].ok and changed[0].args["actual"] != changed[0].args["expected"]
    assert code == 1
    assert "summary.json" in text and "NOT VERIFIED" in text


# ---- changed inputs

def test_changed_input_is_named_and_moves_figures(out, sample_dir, edit_csv):
    """One of CASE1's paid invoices made unpaid in a copy of the data: verify --data finds that the
    invoices table differs from the extract (naming the row, column and both values) while the other
    tables are the same, and the re-run's exposure and aging differ from the report's."""
    changed = {}

    def unpay(frame):
        rows = frame.index[(frame.customer_id == "CASE1") & (frame.paid_date != "")
                           & (frame.due_date < "2026-09-01") & (frame.due_date > "2026-06-01")]
        i = rows[-1]
        changed.update(frame.loc[i].to_dict())
        frame.loc[i, "paid_amount"] = "0"
        frame.loc[i, "paid_date"] = ""

    edit_csv(sample_dir, "invoices", unpay)
    assert changed, "no paid CASE1 invoice due in the summer of 2026 in the sample"
    r = verify_pdf(out / "CASE1" / "report.pdf", data=sample_dir)
    assert not r.ok
    differs = [c for c in r.checks if c.code == "input.differs"]
    assert [c.args["table"] for c in differs] == ["invoices"]
    detail = differs[0].args["detail"]
    assert detail["code"] == "input.cell" and detail["column"] == "paid_amount"
    # compared as validated values (a workbook's 36996 and a CSV's 36996.0 are the same amount)
    assert float(detail["old"]) == float(changed["paid_amount"]) and float(detail["new"]) == 0.0
    assert {c.args["table"] for c in r.checks if c.code == "input.same"} >= {"customers", "financial_statements"}
    moved = [f for f in r.figures if f.key in ("verify.key.exposure", "verify.key.aging") and not f.ok]
    assert moved, "neither exposure nor aging changed"
    open_invoices = _figure(r, "verify.key.exposure", part="open_invoices")[0]
    assert open_invoices.new == pytest.approx(open_invoices.old + float(changed["amount"]), abs=0.01)  # CNY = base
    assert r.differences


def test_changed_policy_is_named_and_moves_monitoring(out, tmp_path):
    """A policy whose longest DBT window is 36 months instead of 24: verify --policy reports that the
    policy differs and the re-run's results/monitoring.json differs from the report's."""
    text = (DATA_SAMPLE / "policy.yaml").read_text(encoding="utf-8")
    assert "dbt_windows: [3, 12, 24]" in text
    policy = tmp_path / "policy.yaml"
    policy.write_text(text.replace("dbt_windows: [3, 12, 24]", "dbt_windows: [3, 12, 36]"), encoding="utf-8")
    r = verify_pdf(out / "CASE1" / "report.pdf", policy=policy)
    assert not r.ok
    differs = [c for c in r.checks if c.code == "policy.differs"]
    assert len(differs) == 1 and not differs[0].ok and differs[0].args["old"] != differs[0].args["new"]
    assert any(path.startswith("results/monitoring.json:") for path, _, _ in r.differences)


# ---- the model validation report and the portfolio pack

def test_model_validation_verifies(out):
    """The untouched model validation report verifies: the scorecard re-fitted from the attached
    history reproduces the validation pack and the artifact (every leaf but its library versions)."""
    r = verify_pdf(out / "model_validation.pdf")
    assert r.kind == "model_validation"
    assert r.ok, [c for c in r.checks if not c.ok] + r.differences[:5]
    assert r.compared > 100
    assert any(f.key == "verify.key.selected" and f.ok and f.old for f in r.figures)


def test_portfolio_pack_verifies(out):
    """The untouched portfolio pack verifies: rebuilt from the attached summaries, it has the same figures."""
    r = verify_pdf(out / "portfolio.pdf")
    assert r.kind == "portfolio_pack"
    assert r.ok, [c for c in r.checks if not c.ok] + r.differences[:5]
    assert r.compared > 0 and not r.differences


def test_tampered_portfolio_pack_is_named(out, tmp_path):
    """One byte changed in the pack's embedded portfolio.json: not verified, file.changed names it."""
    bad = tamper(out / "portfolio.pdf", tmp_path / "portfolio.pdf", "portfolio.json")
    r = verify_pdf(bad)
    assert not r.ok
    assert [c.args["name"] for c in r.checks if c.code == "file.changed"] == ["portfolio.json"]


# ---- a PDF riskbook did not write

def test_pdf_without_manifest_cannot_be_checked(tmp_path, monkeypatch, capsys):
    """A plain WeasyPrint PDF has no manifest: the command exits 2 (cannot be checked) and says so."""
    from weasyprint import HTML

    plain = tmp_path / "plain.pdf"
    HTML(string="<p>Not a riskbook report</p>").write_pdf(plain)
    code, text, r = run_cli(monkeypatch, capsys, [plain])
    assert code == 2
    assert "riskbook-evidence.json" in text
    assert r is not None and not r.ok and [c.code for c in r.checks] == ["no_manifest"]


def test_missing_file_is_usage_error(tmp_path, capsys):
    """A PDF path that does not exist is a usage error: exit 2, nothing re-run."""
    assert main(["verify", str(tmp_path / "nope.pdf")]) == 2


def test_a_second_attachment_under_a_listed_name_is_refused(out, tmp_path):
    """A PDF may hold two embedded files of one name; a reader could show either. A second summary.json
    (grade 1, a huge limit) added beside the genuine one must not pass as the checked file."""
    writer = PdfWriter(clone_from=PdfReader(str(out / "CASE1" / "report.pdf")))
    writer.add_attachment("summary.json", b'{"grade": "1", "limit": 9999999}')
    forged = tmp_path / "forged.pdf"
    with open(forged, "wb") as fh:
        writer.write(fh)
    result = verify_pdf(forged)
    assert not result.ok
    assert any(c.code == "file.repeated" and c.args["name"] == "summary.json" for c in result.checks)


def test_options_a_document_cannot_use_are_refused(out, monkeypatch, capsys):
    """A portfolio pack is rebuilt from its attached summaries: ``--data`` would be silently ignored, so the
    command refuses it (exit 2) instead of printing VERIFIED as if the data had been checked."""
    code, text, _ = run_cli(monkeypatch, capsys, [out / "portfolio.pdf", "--data", DATA_SAMPLE])
    assert code == 2
    assert "--data" in text and "VERIFIED" not in text.replace("NOT VERIFIED", "")


def test_verify_reruns_at_the_documents_date(out, monkeypatch):
    """The model report's figures include its artifact's date: a verifier whose environment sets another
    SOURCE_DATE_EPOCH still reproduces them, because the re-run is dated like the document."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790812800")  # 2026-10-01
    result = verify_pdf(out / "model_validation.pdf")
    assert result.ok, result.differences[:5]
    assert __import__("os").environ["SOURCE_DATE_EPOCH"] == "1790812800"  # and the caller's setting is restored
