"""The riskbook command: exit codes and messages for unusable input."""
import shutil

import pandas as pd
import pytest

from helpers.cli import main
from helpers.config import DATA_SAMPLE


@pytest.fixture
def broken_data(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA_SAMPLE, data)
    fs = pd.read_csv(data / "financial_statements.csv", dtype=str, keep_default_na=False)
    fs.loc[0, "total_assets"] = "-5"
    fs.to_csv(data / "financial_statements.csv", index=False)
    return data


def test_invalid_input_exits_2_lists_problems_and_writes_nothing(broken_data, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["batch", "--data", str(broken_data), "--out", str(out), "--no-progress", "--as-of", "2026-09-30"])
    assert code == 2
    err = capsys.readouterr().err
    assert "financial_statements.csv row 2" in err and "total_assets" in err
    assert not out.exists()


def test_unknown_customer_exits_2(tmp_path, capsys):
    code = main(["batch", "--out", str(tmp_path / "out"), "--customers", "NOPE", "--no-progress",
                 "--as-of", "2026-09-30"])
    assert code == 2
    assert "NOPE" in capsys.readouterr().err
    assert not (tmp_path / "out" / "manifest.json").exists()


@pytest.mark.parametrize("args", [["--as-of", "30/09/2026"], ["--workers", "0"], ["--data", "/no/such/folder"]])
def test_unusable_arguments_exit_2(args, tmp_path):
    assert main(["batch", "--out", str(tmp_path / "out"), "--no-progress", *args]) == 2


def test_validate_reports_counts(capsys):
    assert main(["validate", "--as-of", "2026-09-30", "--warnings"]) == 0
    out = capsys.readouterr().out
    assert "60 customers" in out and "valid" in out and "not audited" in out


def test_validate_lists_every_problem(broken_data, capsys):
    fs = pd.read_csv(broken_data / "invoices.csv", dtype=str, keep_default_na=False)
    fs.loc[3, "amount"] = "abc"
    fs.to_csv(broken_data / "invoices.csv", index=False)
    assert main(["validate", "--data", str(broken_data), "--as-of", "2026-09-30"]) == 2
    err = capsys.readouterr().err
    assert "invoices.csv row 5" in err and "expected an amount" in err
    assert "financial_statements.csv row 2" in err
