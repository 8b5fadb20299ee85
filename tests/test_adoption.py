"""A credit department adopts riskbook on its own data (issue 15's done-when, through the command):
``riskbook init`` writes the starter, a clerk fills two customers and the outcome history into the workbook,
``riskbook validate`` and ``riskbook batch --data acme/portfolio.xlsx`` give their reports."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from helpers.cli import main

from workbooks import fill_from_sample

AS_OF = "2026-09-30"
TWO = ("CASE1", "CASE2")


@pytest.mark.e2e
def test_init_fill_validate_and_batch_on_the_departments_workbook(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["init", "acme", "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "riskbook validate --data acme/portfolio.xlsx" in out and "已写入" in out
    workbook = Path("acme/portfolio.xlsx")
    assert sorted(p.name for p in Path("acme").iterdir()) == ["policy.yaml", "portfolio.xlsx"]
    assert oct(workbook.stat().st_mode & 0o777) == "0o644"

    # nothing filled in yet: validate says the customers table is empty, and nothing runs
    assert main(["validate", "--data", str(workbook), "--as-of", AS_OF]) == 2
    assert "customers" in capsys.readouterr().err

    # the department's own data: two customers, their statements, bank records, ledger, contacts and
    # assessments, and its outcome history (which the statistical scorecard is fitted on)
    filled = fill_from_sample(workbook, TWO, whole=("fx_rates", "outcomes"))
    assert filled["customers"] == 2 and filled["outcomes"] > 1000
    before = workbook.read_bytes()
    assert main(["validate", "--data", str(workbook), "--as-of", AS_OF]) == 0
    assert "2 customers" in capsys.readouterr().out

    assert main(["batch", "--data", str(workbook), "--as-of", AS_OF, "--out", "reports", "--workers", "2",
                 "--no-progress"]) == 0
    manifest = json.loads(Path("reports/manifest.json").read_text())
    assert manifest["counts"]["ok"] == 2 and manifest["model"]["status"] == "ok"
    assert manifest["data"].endswith("portfolio.xlsx")
    for cid in TWO:
        assert Path(f"reports/{cid}/report.pdf").read_bytes()[:5] == b"%PDF-"
    assert workbook.read_bytes() == before  # the input workbook is never modified
    assert not any(p.suffix == ".pdf" for p in Path("acme").rglob("*"))
    assert os.path.isfile("reports/batch.log")
