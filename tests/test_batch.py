"""End to end: the batch on three sample customers plus a deliberately broken one."""
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader
from sqlalchemy.engine import make_url

from helpers.cli import main
from helpers.config import DATA_SAMPLE
from helpers.config import safe_name
from helpers.data.sources import read_tables, write_tables
from helpers.pipeline import code_digest
from helpers.pipeline.batch import _model_digest

AS_OF = "2026-09-30"
GOOD = ["CASE1", "CASE2", "C001"]


def _hashes(folder: Path) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    data = root / "data"
    shutil.copytree(DATA_SAMPLE, data)
    customers = pd.read_csv(data / "customers.csv", dtype=str, keep_default_na=False)
    broken = customers[customers.customer_id == "C001"].assign(customer_id="BROKEN", name="Broken Test Co")
    pd.concat([customers, broken]).to_csv(data / "customers.csv", index=False)  # no statements at all
    before = _hashes(data)
    out = root / "out"
    args = ["batch", "--data", str(data), "--out", str(out), "--customers", ",".join(GOOD + ["BROKEN"]),
            "--workers", "2", "--as-of", AS_OF, "--no-progress"]
    code = main(args)
    manifest = json.loads((out / "manifest.json").read_text())
    return {"root": root, "data": data, "out": out, "code": code, "manifest": manifest, "before": before, "args": args}


def test_exit_code_is_1_when_some_customer_failed(batch):
    assert batch["code"] == 1


def test_manifest_has_one_entry_per_requested_customer(batch):
    m = batch["manifest"]
    assert m["requested"] == 4 and len(m["customers"]) == 4
    assert [c["customer_id"] for c in m["customers"]] == GOOD + ["BROKEN"]
    assert m["counts"] == {"ok": 3, "failed": 1, "skipped": 0}
    assert m["as_of"] == AS_OF and m["code_sha256"] == code_digest()


def test_failed_customer_names_notebook_cell_and_error(batch):
    entry = batch["manifest"]["customers"][-1]
    assert entry["status"] == "failed" and entry["pdf_sha256"] is None and entry["report"] is None
    assert entry["notebook"] == "financial_analysis.ipynb" and isinstance(entry["cell"], int)
    assert "no financial statements" in entry["error"] and "cell" in entry["error"]
    folder = batch["out"] / "BROKEN"
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["status"] == "failed" and "no financial statements" in summary["error"]
    assert not (folder / "report.pdf").exists()
    executed = json.loads((folder / "notebooks" / "financial_analysis.ipynb").read_text())
    assert any(o.get("output_type") == "error" for c in executed["cells"] for o in c.get("outputs", []))


def test_the_batch_log_has_a_line_per_customer_and_the_failures_traceback(batch):
    m = batch["manifest"]
    assert m["log"] == "batch.log" and "traceback" not in m["customers"][-1]
    text = (batch["out"] / m["log"]).read_text(encoding="utf-8")
    assert "\x1b[" not in text  # the kernel's colours are stripped
    first = text.split("batch started: ")[1]  # this batch's part (a re-run appends its own)
    assert f"as of {AS_OF}, lang en, 4 customer(s) (0 set aside); command: riskbook batch --data" in first
    for cid in GOOD:
        assert re.search(rf"INFO +{cid} ok in \d+\.\d s \(financial_analysis \d", first), cid
    broken = re.search(r"ERROR +BROKEN failed in financial_analysis\.ipynb, cell \d+ after [\d.]+ s: (.*?)\n20\d\d-",
                       first, re.S)
    assert broken and "no financial statements" in broken.group(1)
    assert "Traceback (most recent call last)" in broken.group(1)  # the failing cell's traceback, whole
    assert re.search(r"batch complete: 3 ok, 0 skipped, 1 failed of 4 in [\d.]+ s; manifest ", first)


def test_model_is_fitted_validated_once_and_used_for_every_customer(batch):
    m = batch["manifest"]["model"]
    assert m["status"] == "ok" and m["error"] is None
    out = batch["out"]
    assert (out / "model" / "scorecard.json").is_file() and (out / "model_validation.pdf").is_file()
    text = "\n".join(p.extract_text() for p in PdfReader(out / "model_validation.pdf").pages)
    assert m["model_version"] in text and "Hosmer" in text and "Population stability" in text
    for entry in batch["manifest"]["customers"][:3]:
        summary = json.loads((out / entry["customer_id"] / "summary.json").read_text())
        assert summary["model_version"] == m["model_version"]
        assert {"score", "pd", "grade", "reason_codes"} <= set(summary)
        assert 0 < summary["pd"] < 1 and summary["reason_codes"]
        assert {"limit", "terms", "insurance", "review_date", "scenarios"} <= set(summary)
        assert {"kind", "days", "prepayment_share", "instrument"} <= set(summary["terms"])
        assert {"recommended", "kind", "cover_share", "premium"} <= set(summary["insurance"])
        assert set(summary["scenarios"]) >= {"base", "downturn", "severe"}


def test_the_seed_cases_come_out_of_the_engine_and_the_pdf_explains_them(batch):
    out = batch["out"]
    case1 = json.loads((out / "CASE1" / "summary.json").read_text())
    case2 = json.loads((out / "CASE2" / "summary.json").read_text())
    assert case1["terms"]["kind"] == "prepayment" and case1["terms"]["prepayment_share"] == 0.5
    assert case2["insurance"]["recommended"] and case2["insurance"]["kind"] == "export"
    text1 = " ".join(" ".join(p.extract_text() for p in PdfReader(out / "CASE1" / "report.pdf").pages).split())
    assert "50 % prepayment, rest 30 days" in text1 and "Credit limit" in text1 and "Review by" in text1
    text2 = " ".join(" ".join(p.extract_text() for p in PdfReader(out / "CASE2" / "report.pdf").pages).split())
    assert "Export credit insurance, 90 days" in text2 and "Dispute resolution by arbitration" in text2


def test_each_good_customer_has_pdf_summary_notebook_and_results(batch):
    for entry in batch["manifest"]["customers"][:3]:
        folder = batch["out"] / entry["customer_id"]
        pdf = folder / "report.pdf"
        assert entry["status"] == "ok" and entry["pdf_sha256"] == _sha(pdf)
        assert entry["seconds"] > 0 and len(entry["inputs_sha256"]) == 64
        summary = json.loads((folder / "summary.json").read_text())
        assert {"customer_id", "name", "as_of", "status", "currency", "ratios"} <= set(summary)
        assert summary["status"] == "ok" and summary["as_of"] == AS_OF
        assert {"current_ratio", "quick_ratio"} <= set(summary["ratios"])
        text = "\n".join(p.extract_text() for p in PdfReader(pdf).pages)
        assert summary["name"] in text
        assert f"{summary['ratios']['current_ratio']:.2f}" in text
        nb = json.loads((folder / "notebooks" / "financial_analysis.ipynb").read_text())
        assert nb["metadata"]["papermill"]["parameters"]["customer_id"] == entry["customer_id"]
        assert (folder / "results" / "financial_analysis.json").is_file()
        assert (folder / "results" / "liquidity.svg").is_file()


def test_monitoring_reaches_summary_and_pdf_and_severe_signals_page_one(batch):
    out = batch["out"]
    weights = {"base": 0.6, "downturn": 0.3, "severe": 0.1}  # the sample policy's scenario weights
    for cid in GOOD:
        s = json.loads((out / cid / "summary.json").read_text())
        assert {"aging", "dbt", "payment_index", "exposure", "large_transactions", "warnings", "next_review",
                "contacts", "ecl"} <= set(s)
        assert sum(s["aging"].values()) == pytest.approx(s["exposure"]["open_invoices"])
        assert s["exposure"]["utilization"] == pytest.approx(s["exposure"]["exposure"] / s["limit"])
        assert s["ecl"]["weighted"] == pytest.approx(sum(w * s["ecl"]["scenarios"][k] for k, w in weights.items()))
        assert {w["severity"] for w in s["warnings"]} <= {"high", "medium", "low"}
        assert set(s["dbt"]) == {"3m", "12m", "24m"} and s["next_review"]["date"] <= s["review_date"] + "T99"
        pages = [" ".join(p.extract_text().split()) for p in PdfReader(out / cid / "report.pdf").pages]
        text = " ".join(pages)
        assert "Monitoring and relationship" in text and "Early-warning signals" in text
        assert "Methods: payment behaviour and expected credit loss" in text
        high = [w for w in s["warnings"] if w["severity"] == "high"]
        assert ("Severe warning signals" in pages[0]) == bool(high)
        if high:  # a severe signal brings the review forward, and page one shows the earlier date
            assert s["next_review"]["brought_forward"] or s["next_review"]["date"][:10] == s["review_date"][:10]
    # the pack ties to the ledger: its open receivables + those of customers not in it = the ledger's balance
    pack = json.loads((out / "portfolio.json").read_text())
    ledger = json.loads((out / "provision_matrix.json").read_text())["ledger_open"]["total"]
    opened = sum(json.loads((out / c / "summary.json").read_text())["ecl"]["open"]
                 * json.loads((out / c / "summary.json").read_text())["ecl"]["base_rate"] for c in GOOD)
    assert pack["reconciliation"]["pack"] == pytest.approx(opened)
    assert pack["reconciliation"]["difference"] == pytest.approx(ledger - opened) and ledger > opened
    assert pack["totals"]["ecl_weighted_base"] == pytest.approx(sum(r["ecl_weighted_base"] for r in pack["customers"]
                                                                    if r["status"] == "ok"))
    assert {"portfolio.pdf", "portfolio.xlsx", "portfolio.json"} <= {p.name for p in out.iterdir()}
    case1 = json.loads((out / "CASE1" / "summary.json").read_text())
    assert {"utilization", "overdue_items"} <= {w["rule"] for w in case1["warnings"] if w["severity"] == "high"}


def test_input_files_are_never_modified(batch):
    assert _hashes(batch["data"]) == batch["before"]


def test_nothing_is_written_outside_out(batch):
    assert sorted(p.name for p in batch["root"].iterdir()) == ["data", "out"]
    leftovers = [p.name for p in batch["out"].iterdir() if p.name.startswith(".") and p.name != ".cache"]
    assert leftovers == []  # no staging folders left behind


def test_rerun_skips_up_to_date_customers_and_changed_inputs_rerun(batch):
    out, data = batch["out"], batch["data"]
    pdf_before = {c: _sha(out / c / "report.pdf") for c in GOOD}
    assert main(batch["args"]) == 1  # BROKEN still fails
    m = json.loads((out / "manifest.json").read_text())
    status = {c["customer_id"]: c["status"] for c in m["customers"]}
    assert status == {"CASE1": "skipped", "CASE2": "skipped", "C001": "skipped", "BROKEN": "failed"}
    assert m["model"]["status"] == "skipped"  # history, policy and code unchanged
    assert {c: _sha(out / c / "report.pdf") for c in GOOD} == pdf_before
    # CASE2 asks for a smaller limit: only CASE2 runs again (an invoice change would re-run everyone, since the
    # provision matrix of the expected credit loss is estimated on the whole ledger)
    cu = pd.read_csv(data / "customers.csv", dtype=str, keep_default_na=False)
    cu.loc[cu.customer_id == "CASE2", "requested_limit"] = "5000"
    cu.to_csv(data / "customers.csv", index=False)
    args = [a if a != ",".join(GOOD + ["BROKEN"]) else ",".join(GOOD) for a in batch["args"]]
    assert main(args) == 0
    m = json.loads((out / "manifest.json").read_text())
    assert {c["customer_id"]: c["status"] for c in m["customers"]} == {
        "CASE1": "skipped", "CASE2": "ok", "C001": "skipped"}
    assert m["requested"] == 3
    # the portfolio pack names CASE2's smaller limit as the one change since the previous run
    pack = json.loads((out / "portfolio.json").read_text())
    changes = pack["changes"]["customers"]
    assert [c["customer_id"] for c in changes] == ["CASE2"] and not pack["changes"]["first_run"]
    assert changes[0]["limit"]["new"] == 5000 and changes[0]["limit"]["old"] > 5000


def test_verbose_prints_the_log_on_stderr_and_quiet_prints_only_errors(batch, capsys):
    capsys.readouterr()
    assert main(["-v", *batch["args"]]) == 1
    out, err = capsys.readouterr()
    assert "riskbook: CASE1 " in err and re.search(r"riskbook: BROKEN failed in financial_analysis\.ipynb", err)
    assert "Log: " in out and "batch.log" in out
    assert main(["-q", "validate", "--data", str(batch["data"])]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    with pytest.raises(SystemExit) as stop:
        main(["-q", "-v", "validate"])
    assert stop.value.code == 2 and "not allowed with" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0 and re.fullmatch(r"riskbook \d+\.\d+\.\d+\S*\n", capsys.readouterr().out)


def test_safe_name_keeps_paths_inside_out():
    assert safe_name("C001") == "C001"
    for bad in ("../evil", "a/b", "..", ".hidden", "x" * 100, "客户1"):
        name = safe_name(bad)
        assert "/" not in name and not name.startswith(".") and len(name) <= 80
    assert safe_name("a/b") != safe_name("a_b")  # changed ids never collide with real ones


def test_a_tampered_model_artifact_is_refused_before_anything_runs(batch, tmp_path):
    artifact = json.loads((batch["out"] / "model" / "scorecard.json").read_text())
    artifact["intercept"] += 0.5
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(artifact))
    out = tmp_path / "out"
    args = ["batch", "--data", str(batch["data"]), "--out", str(out), "--customers", "CASE1", "--as-of", AS_OF,
            "--no-progress", "--model", str(bad)]
    assert main(args) == 2
    assert not (out / "manifest.json").exists()


def test_a_kernel_that_dies_at_start_is_started_again_but_a_failing_cell_is_not(monkeypatch, tmp_path):
    import papermill as pm

    from helpers.pipeline import engines as runner
    from helpers.exceptions import NotebookError

    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) < 3:
            raise RuntimeError("Kernel died before replying to kernel_info")

    monkeypatch.setattr(pm, "execute_notebook", flaky)
    monkeypatch.setattr(runner.time, "sleep", lambda s: None)
    runner.execute_notebook("financial_analysis", tmp_path / "x.ipynb", {})
    assert len(calls) == 3

    def broken_cell(*args, **kwargs):
        calls.append(1)
        raise pm.PapermillExecutionError(4, 5, "x = 1/0", "ZeroDivisionError", "division by zero", [])

    calls.clear()
    monkeypatch.setattr(pm, "execute_notebook", broken_cell)
    with pytest.raises(NotebookError, match="cell 5: ZeroDivisionError"):
        runner.execute_notebook("financial_analysis", tmp_path / "x.ipynb", {})
    assert len(calls) == 1

    def always_dies(*args, **kwargs):
        calls.append(1)
        raise RuntimeError("Kernel died before replying to kernel_info")

    calls.clear()
    monkeypatch.setattr(pm, "execute_notebook", always_dies)
    with pytest.raises(RuntimeError):
        runner.execute_notebook("financial_analysis", tmp_path / "x.ipynb", {})
    assert len(calls) == 3


# --------------------------------------------------------------------------- one bad customer, a killed batch
@pytest.fixture(scope="module")
def artifact(scorecard, tmp_path_factory) -> Path:
    """The sample's scorecard as an artifact (``--model``), so these batches fit none."""
    return scorecard.to_json(tmp_path_factory.mktemp("model") / "scorecard.json")


def test_one_customer_with_bad_rows_fails_alone_and_the_others_run(artifact, sample_dir, edit_csv, tmp_path):
    def unbalance(f):
        row = (f.customer_id == "C005") & (f.fiscal_year == "2025")
        f.loc[row, "equity"] = str(float(f.loc[row, "equity"].iloc[0]) + 1000)

    edit_csv(sample_dir, "financial_statements", unbalance)
    hostile = ["../../evil", "x" * 10000]  # ids that break the contract: set aside, and their folders stay in --out
    edit_csv(sample_dir, "customers", lambda f: pd.concat(
        [f, f[f.customer_id == "C001"].assign(customer_id=hostile[0]), f[f.customer_id == "C001"].assign(
            customer_id=hostile[1])]))
    out = tmp_path / "out"
    args = ["batch", "--data", str(sample_dir), "--out", str(out), "--customers", "C005,C001", "--model",
            str(artifact), "--as-of", AS_OF, "--no-progress", "--workers", "1"]
    assert main(args + ["--strict"]) == 2 and not out.exists()  # all or nothing: nobody runs
    assert main(args) == 1
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "complete" and m["counts"] == {"ok": 1, "failed": 1, "skipped": 0}
    bad, good = m["customers"]
    assert bad["customer_id"] == "C005" and bad["status"] == "failed" and bad["report"] is None
    assert "breaks the contract" in bad["error"] and "balance sheet does not balance" in bad["error"]
    assert [(p["table"], p["row"]) for p in bad["problems"] if p["severity"] == "error"] == [("financial_statements", 14)]
    summary = json.loads((out / "C005" / "summary.json").read_text())
    assert summary["status"] == "failed" and summary["quarantined"] is True
    assert summary["problems"] == bad["problems"]
    assert sorted(p.name for p in (out / "C005").iterdir()) == ["summary.json"]  # no notebook ran
    assert good["status"] == "ok" and (out / "C001" / "report.pdf").is_file()
    # the portfolio pack counts it as failed, never sums it
    pack = json.loads((out / "portfolio.json").read_text())
    assert pack["totals"]["failed"] == 1 and [f["customer_id"] for f in pack["failed"]] == ["C005"]
    # the journal holds one line per finished customer
    lines = [json.loads(x) for x in (out / "manifest.journal").read_text().splitlines()]
    assert sorted(x["customer_id"] for x in lines) == ["C001", "C005"]
    # the hostile ids are set aside too, each in a folder of its own inside --out; C001 is up to date
    assert main([a if a != "C005,C001" else ",".join(["C005", "C001", *hostile]) for a in args]) == 1
    m = json.loads((out / "manifest.json").read_text())
    aside = [c for c in m["customers"] if c["status"] == "failed"]
    assert [c["customer_id"] for c in aside] == ["C005", *hostile] and m["counts"]["skipped"] == 1
    for c in aside:
        folder = Path(c["folder"])
        assert folder.parent == out and (folder / "summary.json").is_file() and len(folder.name) <= 80
        assert any(p["column"] == "customer_id" for p in c["problems"]) or c["customer_id"] == "C005"
    assert not (tmp_path / "evil").exists() and not (out.parent.parent / "evil").exists()


def _batch_after_its_first_customer(artifact, tmp_path, ids, **popen):
    """Start a 2-worker batch of ``ids`` in its own process group and return (command, process, out, journal)
    once its first customer is journaled (the moment a kill or an interrupt is sent)."""
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "helpers.cli", "batch", "--out", str(out), "--customers", ",".join(ids),
           "--model", str(artifact), "--as-of", AS_OF, "--no-progress", "--workers", "2"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, start_new_session=True, stdout=subprocess.DEVNULL, **popen)
    journal = out / "manifest.journal"
    deadline = time.time() + 240
    while time.time() < deadline and proc.poll() is None:
        if journal.is_file() and journal.read_text().count("\n") >= 1:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the batch ended before its first customer was journaled"
    return cmd, proc, out, journal


def test_a_batch_killed_mid_run_leaves_only_whole_reports_and_a_rerun_completes_the_rest(artifact, tmp_path):
    ids = ["CASE1", "CASE2", "C001", "C002"]
    cmd, proc, out, journal = _batch_after_its_first_customer(artifact, tmp_path, ids, stderr=subprocess.DEVNULL)
    os.killpg(proc.pid, signal.SIGKILL)  # the batch and its workers, at once
    proc.wait()
    time.sleep(1)
    m = json.loads((out / "manifest.json").read_text())  # whole, never half-written
    assert m["status"] == "running" and [c["customer_id"] for c in m["customers"]] == ids
    finished = {c["customer_id"] for c in m["customers"] if c["status"] == "ok"}
    for c in m["customers"]:
        assert c["status"] in ("ok", "pending"), c
        if c["status"] == "ok":
            assert _sha(out / c["customer_id"] / "report.pdf") == c["pdf_sha256"]
    journaled = {json.loads(x)["customer_id"] for x in journal.read_text().splitlines()}
    assert finished <= journaled and len(journaled) >= 1
    # every report visible under --out is whole and belongs to a finished customer
    visible = {p.parent.name for p in out.glob("*/report.pdf")}
    assert visible == journaled < set(ids)
    for name in visible:
        assert len(PdfReader(out / name / "report.pdf").pages) > 1
        assert json.loads((out / name / "summary.json").read_text())["status"] == "ok"
    # the re-run does exactly the customers that had not finished, and clears what the kill left
    rerun = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    m = json.loads((out / "manifest.json").read_text())
    status = {c["customer_id"]: c["status"] for c in m["customers"]}
    assert status == {cid: "skipped" if cid in journaled else "ok" for cid in ids}
    assert m["status"] == "complete"
    assert [p.name for p in out.iterdir() if p.name.startswith(".") and p.name != ".cache"] == []


def test_an_interrupted_batch_lists_every_report_it_left_and_a_rerun_completes_the_rest(artifact, tmp_path):
    # SIGINT to the batch alone (``kill -INT``): it stops reading results but waits for the customers in
    # flight, whose workers finish their reports; the manifest must list those too, not "not run"
    ids = ["CASE1", "CASE2", "C001", "C002"]
    cmd, proc, out, journal = _batch_after_its_first_customer(artifact, tmp_path, ids, stderr=subprocess.PIPE,
                                                              text=True)
    os.kill(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 130 and "Traceback" not in stderr
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "interrupted" and [c["customer_id"] for c in m["customers"]] == ids
    finished = {c["customer_id"] for c in m["customers"] if c["status"] == "ok"}
    for c in m["customers"]:
        if c["status"] == "ok":
            assert _sha(out / c["customer_id"] / "report.pdf") == c["pdf_sha256"]
        else:
            assert c["status"] == "failed" and c["error"] == "not run: batch interrupted", c
    # every report left under --out is in the manifest as finished, and in the journal
    visible = {p.parent.name for p in out.glob("*/report.pdf")}
    assert visible == finished == {json.loads(x)["customer_id"] for x in journal.read_text().splitlines()}
    assert len(finished) >= 1 and [p.name for p in out.iterdir() if ".staging-" in p.name] == []
    rerun = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    m = json.loads((out / "manifest.json").read_text())
    assert {c["customer_id"]: c["status"] for c in m["customers"]} == {
        cid: "skipped" if cid in finished else "ok" for cid in ids}
    assert m["status"] == "complete"


def test_the_model_step_is_redone_when_what_its_validation_report_shows_changes(portfolio):
    base = _model_digest(portfolio, "en")
    assert _model_digest(replace(portfolio, _derived={}), "en") == base  # the same inputs, the same digest
    assert _model_digest(portfolio, "zh") != base
    later = replace(portfolio, as_of=portfolio.as_of + pd.Timedelta(days=1), _derived={})
    assert _model_digest(later, "en") != base  # the artifact is dated by as_of
    # one current customer's figures change: the stability section would change, so must the digest
    tables = dict(portfolio.tables)
    fs = tables["financial_statements"].copy()
    fs.loc[fs.customer_id == "C001", "revenue"] *= 2
    tables["financial_statements"] = fs
    assert _model_digest(replace(portfolio, tables=tables, _derived={}), "en") != base


@pytest.fixture
def small_fs(tmp_path):
    """``mount(options)``: a real tmpfs at a fresh folder (``ro`` or ``size=…``), unmounted after the test.
    Skips where this machine does not allow mounting (not root, or no CAP_SYS_ADMIN in a container)."""
    mounted = []

    def mount(options: str) -> Path:
        target = tmp_path / f"fs{len(mounted)}"
        target.mkdir()
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)], capture_output=True,
                              text=True)
        if proc.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here to make a read-only or full file system: {proc.stderr.strip()}")
        mounted.append(target)
        return target

    yield mount
    for target in mounted:
        subprocess.run(["umount", "-l", str(target)], capture_output=True)


@pytest.mark.parametrize("options, says", [("ro,size=1m", "read-only"), ("size=48k", "disk is full")])
def test_a_read_only_or_full_output_folder_is_reported_in_one_line(small_fs, artifact, options, says, capsys):
    fs = small_fs(options)
    code = main(["batch", "--out", str(fs / "out"), "--customers", "C001", "--model", str(artifact),
                 "--as-of", AS_OF, "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "cannot write the reports to" in err and says in err, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    if "ro" not in options:
        assert [p.name for p in (fs / "out").iterdir()] == []  # the probe is gone, nothing half-written


def test_an_unexpected_error_is_one_line_unless_debug(monkeypatch, capsys):
    def bug(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr("helpers.cli.load_portfolio", bug)
    assert main(["validate"]) == 3
    err = capsys.readouterr().err
    assert "unexpected error: ZeroDivisionError: a bug" in err and "--debug" in err and "Traceback" not in err
    assert main(["--debug", "validate"]) == 3
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_a_database_password_is_never_printed_or_written(postgres_db, artifact, tmp_path, capsys):
    secret = "s3cret-Pw-5f1e"
    url = make_url(postgres_db).set(password=secret).render_as_string(hide_password=False)
    raw, _ = read_tables(DATA_SAMPLE)
    write_tables({name: t.frame for name, t in raw.items()}, url)
    out = tmp_path / "out"
    code = main(["batch", "--data", url, "--policy", str(DATA_SAMPLE / "policy.yaml"), "--out", str(out),
                 "--customers", "C001", "--model", str(artifact), "--as-of", AS_OF, "--no-progress"])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert secret not in printed.out + printed.err
    leaks = [p for p in out.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]
    assert leaks == []
    reader = PdfReader(out / "C001" / "report.pdf")
    attached = b"".join(b"".join(v) for v in reader.attachments.values())
    text = "".join(page.extract_text() for page in reader.pages)
    assert "riskbook-evidence.json" in reader.attachments and len(reader.attachments) > 3  # the evidence is there
    assert secret.encode() not in attached and secret not in text
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["data"].startswith("postgresql+psycopg://") and secret not in json.dumps(manifest)
    assert ":***@" in manifest["data"] or "@" not in manifest["data"]
