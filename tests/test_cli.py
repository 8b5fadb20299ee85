"""The riskbook command: exit codes and messages for unusable input."""
import csv
import io
import json
import re
import shutil

import openpyxl
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


def test_invalid_input_exits_2_lists_problems_and_writes_nothing_when_strict(broken_data, tmp_path, capsys):
    out = tmp_path / "out"  # (without --strict the customer with the bad row is set aside: tests/test_batch.py)
    code = main(["batch", "--data", str(broken_data), "--out", str(out), "--no-progress", "--as-of", "2026-09-30",
                 "--strict"])
    assert code == 2
    err = capsys.readouterr().err
    assert "financial_statements.csv row 2" in err and "total_assets" in err
    assert not out.exists()


def test_validate_speaks_chinese_and_writes_json_csv_and_a_problems_workbook(broken_data, tmp_path, capsys):
    """The same problems in four forms: Chinese lines, JSON and CSV records on stdout, and a workbook to fix them
    in Excel (one row per problem and warning, localized headers); exit codes as for text."""
    fs = pd.read_csv(broken_data / "invoices.csv", dtype=str, keep_default_na=False)
    fs.loc[3, "amount"] = "abc"
    fs.to_csv(broken_data / "invoices.csv", index=False)
    base = ["validate", "--data", str(broken_data), "--as-of", "2026-09-30"]
    assert main([*base, "--lang", "zh"]) == 1
    err = capsys.readouterr().err
    assert "错误: invoices.csv 第 5 行（客户 " in err and "amount = abc" in err

    assert main([*base, "--format", "json"]) == 1
    records = json.loads(capsys.readouterr().out)
    bad = [r for r in records if r["file"].endswith("invoices.csv") and r["row"] == 5]
    assert len(bad) == 1 and bad[0]["column"] == "amount" and bad[0]["value"] == "abc"
    assert bad[0]["severity"] == "error" and bad[0]["code"] and bad[0]["expected"]
    assert {r["severity"] for r in records} == {"error", "warning"}  # warnings too

    assert main([*base, "--format", "csv", "--lang", "zh"]) == 1
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == len(records) and re.search(r"[\u4e00-\u9fff]", rows[0]["expected"])

    book = tmp_path / "problems.xlsx"
    assert main([*base, "--problems", str(book), "--lang", "zh"]) == 1
    assert str(book) in capsys.readouterr().err
    sheet = openpyxl.load_workbook(book).active
    values = list(sheet.values)
    assert len(values) == len(records) + 1 and "行号" in values[0] and "应如何修改" in values[0]
    assert any("abc" in row for row in values[1:])
    assert main([*base, "--problems", str(tmp_path / "problems.csv")]) == 2  # a workbook, or nothing


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
    assert main(["validate", "--data", str(broken_data), "--as-of", "2026-09-30"]) == 1  # customers set aside
    err = capsys.readouterr().err
    assert "invoices.csv row 5" in err and "expected an amount" in err
    assert "financial_statements.csv row 2" in err
    assert main(["validate", "--data", str(broken_data), "--as-of", "2026-09-30", "--strict"]) == 2
    err = capsys.readouterr().err
    assert "invoices.csv row 5" in err and "financial_statements.csv row 2" in err


# --------------------------------------------------------------------------- the bad-input catalogue
def _edit(table, change):
    def apply(folder):
        path = folder / f"{table}.csv"
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        result = change(frame)
        (frame if result is None else result).to_csv(path, index=False)
    return apply


def _set(table, row, column, value):
    return _edit(table, lambda f: f.__setitem__(column, f[column].where(f.index != row, value)))


def _write(name, data: bytes):
    return lambda folder: (folder / name).write_bytes(data)


def _replace(name, action):
    def apply(folder):
        (folder / name).unlink()
        action(folder / name)
    return apply


#: (case, change to a copy of the sample, exit code of `validate`, a fragment of what it prints on stderr).
#: Exit 1: only some customers' own rows are wrong (a batch sets them aside, the others run); exit 2: the source
#: as a whole cannot be used.
CATALOGUE = [
    ("decimal comma", _set("financial_statements", 0, "revenue", "2.968,5"), 1, "revenue"),
    ("comma not grouping thousands", _set("invoices", 0, "amount", "1,5"), 1, "amount"),
    ("text in an amount", _set("invoices", 0, "amount", "abc"), 1, "expected an amount"),
    ("infinite amount", _set("invoices", 0, "amount", "1e400"), 1, "amount"),
    ("impossible date", _set("invoices", 0, "invoice_date", "2026-02-30"), 1, "expected a date"),
    ("day-first date", _set("invoices", 0, "invoice_date", "30/09/2026"), 1, "expected a date"),
    ("bank report from the future", _set("bank_credit", 0, "report_date", "2027-01-31"), 1, "after as_of"),
    ("relationship from the future", _set("customers", 0, "relationship_since", "2030-01-01"), 1, "after as_of"),
    ("unbalanced balance sheet", _set("financial_statements", 0, "equity", "99999"), 1, "does not balance"),
    ("duplicate customer id", _edit("customers", lambda f: pd.concat([f, f.iloc[[0]]])), 1, "duplicate key"),
    ("control character in an id", _edit("customers", lambda f: pd.concat([f, f.iloc[[0]].assign(
        customer_id="C0\x1b[2J01")])), 1, "\\x1b"),
    ("id with a path", _edit("customers", lambda f: pd.concat([f, f.iloc[[0]].assign(customer_id="../../etc")])), 1,
     "customer ids may use"),
    ("unknown industry", _set("customers", 0, "industry", "mining"), 1, "unknown industry"),
    ("negative exchange rate", _set("fx_rates", 0, "rate_to_base", "-7"), 2, "rate_to_base must be positive"),
    ("row of an unknown customer", _set("invoices", 0, "customer_id", "NOBODY"), 2, "unknown customer id"),
    ("missing required column", _edit("invoices", lambda f: f.drop(columns=["amount"])), 2, "required column"),
    ("misspelt column", _edit("invoices", lambda f: f.rename(columns={"amount": "amout"})), 2, "did you mean"),
    ("header-only customers", _edit("customers", lambda f: f.iloc[:0]), 2, "has no rows"),
    ("header-only statements", _edit("financial_statements", lambda f: f.iloc[:0]), 0, ""),
    ("empty file", _write("customers.csv", b""), 2, "customers.csv"),
    ("binary file", _write("invoices.csv", bytes(range(256)) * 8), 2, "invoices.csv"),
    ("table that is a folder", _replace("contacts.csv", lambda p: p.mkdir()), 2, "is not a file"),
    ("missing required table", _replace("customers.csv", lambda p: None), 2, "required table 'customers'"),
    ("policy that is not YAML", _write("policy.yaml", b"scoring: [unclosed\n"), 2, "policy.yaml"),
    ("policy missing", _replace("policy.yaml", lambda p: None), 2, "policy"),
]


@pytest.mark.parametrize("case, change, code, says", CATALOGUE, ids=[c[0] for c in CATALOGUE])
def test_bad_input_gets_a_message_never_a_traceback(case, change, code, says, tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(DATA_SAMPLE, data)
    before = {p.name: p.read_bytes() for p in data.iterdir() if p.is_file()}
    change(data)
    changed = {p.name: p.read_bytes() for p in data.iterdir() if p.is_file()}
    got = main(["validate", "--data", str(data), "--as-of", "2026-09-30"])
    err = capsys.readouterr().err
    assert got == code, f"{case}: exit {got}\n{err}"
    assert says in err, f"{case}: {says!r} not in\n{err}"
    assert "Traceback" not in err and "unexpected error" not in err
    assert {p.name: p.read_bytes() for p in data.iterdir() if p.is_file()} == changed  # input never modified
    assert before  # (the copy was made)


# --------------------------------------------------------------------------- the command's own sentences
def test_the_validate_summary_speaks_the_language_asked_with_the_same_counts(capsys):
    assert main(["validate", "--as-of", "2026-09-30"]) == 0
    en = capsys.readouterr().out.strip()
    assert main(["validate", "--as-of", "2026-09-30", "--lang", "zh"]) == 0
    zh = capsys.readouterr().out.strip()
    assert "60 customers" in en and "warning(s)" in en
    assert "60 个客户" in zh and "条警告" in zh and "customers" not in zh
    assert re.findall(r"\d+", en) == re.findall(r"\d+", zh)  # the same source, counts and warnings


@pytest.mark.parametrize("lang, says, not_says", [
    ("en", "output folder (default: reports/)", "输出文件夹"),
    ("zh", "输出文件夹（默认：reports/）", "output folder"),
])
def test_help_is_in_the_language_asked(lang, says, not_says, capsys):
    with pytest.raises(SystemExit) as info:
        main(["batch", f"--lang={lang}", "--help"] if lang == "zh" else ["batch", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert says in out and not_says not in out


@pytest.mark.parametrize("args, en, zh", [
    (["batch", "--as-of", "30/09/2026"], "--as-of must be a date YYYY-MM-DD", "--as-of 应为日期 YYYY-MM-DD"),
    (["batch", "--workers", "0"], "--workers must be at least 1", "--workers 至少为 1"),
    (["validate", "--problems", "p.csv"], "give a file name ending in .xlsx", "请给出以 .xlsx 结尾的文件名"),
    (["serve", "--keys", ""], "riskbook serve needs API keys", "riskbook serve 需要 API 密钥"),
])
def test_argument_errors_are_in_the_language_asked(args, en, zh, capsys, tmp_path):
    for lang, says in (("en", en), ("zh", zh)):
        assert main([*args, "--lang", lang, "--no-progress"] if args[0] == "batch" else [*args, "--lang", lang]) == 2
        err = capsys.readouterr().err
        assert says in err, (lang, err)


def test_no_sentence_of_the_command_is_written_in_its_code():
    """Every sentence cli.py prints or puts in its help comes from the catalogue: no string literal with two
    words in a print, _fail or _say call, nor in a help= or description= argument."""
    import ast
    from pathlib import Path

    import helpers.cli

    tree = ast.parse(Path(helpers.cli.__file__).read_text(encoding="utf-8"))
    words = re.compile(r"[A-Za-z]{2,}[ ,;:]+[A-Za-z]{2,}")
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", getattr(node.func, "attr", ""))
        parts = list(node.args) if name in ("print", "_fail", "_say") else []
        parts += [k.value for k in node.keywords if k.arg in ("help", "description")]
        for part in parts:
            for leaf in ast.walk(part):
                if isinstance(leaf, ast.Constant) and isinstance(leaf.value, str) and words.search(leaf.value):
                    found.append((leaf.lineno, leaf.value))
    assert not found, found
