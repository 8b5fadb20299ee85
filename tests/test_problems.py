"""Validation problems in the reader's language: every problem validation and reading make has a stable code
with a sentence in English and Simplified Chinese; the rows, workbook, CSV and JSON a clerk fixes the data with."""
from __future__ import annotations

import ast
import csv
import dataclasses
import io
import json
import re
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import assume, given

from helpers.config import DATA_SAMPLE, load_policy
from helpers.data import load_portfolio, read_tables, validate_tables
from helpers.data.sources import write_tables
from helpers.exceptions import Problem, ValidationError
from helpers.report.messages import catalogue
from helpers.report.problems import (PROBLEM_COLUMNS, problem_key, problem_rows, problem_text, problems_json,
                                     write_problems_csv, write_problems_json, write_problems_workbook)
from fuzzing import fast
from test_fuzz import hits_known_nul_bug, mutated, mutations, resolve

ROOT = Path(__file__).resolve().parents[1]
BAD = Path(__file__).parent / "data" / "bad"
AS_OF = "2026-09-30"
CJK = re.compile(r"[\u4e00-\u9fff]")
UNFILLED = re.compile(r"\{[a-z_]+\}")  # a placeholder left in a sentence
HOSTILE = "=cmd|' /C calc'!A0"


@pytest.fixture(scope="module")
def policy():
    return load_policy(DATA_SAMPLE / "policy.yaml")


@pytest.fixture(scope="module")
def sample_raw():
    return read_tables(DATA_SAMPLE)[0]


def assert_localized(p: Problem) -> tuple[str, str]:
    """The problem has a code whose sentence both catalogues hold; both sentences are complete and the Chinese one
    is Chinese. Returns (en, zh)."""
    assert p.code, f"a problem without a code: {p}"
    key = problem_key(p)
    assert key in catalogue("en") and key in catalogue("zh"), f"{p.code}: {key} not in both catalogues"
    en, zh = problem_text(p, "en"), problem_text(p, "zh")
    assert en and zh and en != zh, (p.code, en, zh)
    assert CJK.search(zh), f"{p.code}: {zh!r} has no Chinese"
    assert not UNFILLED.search(en) and not UNFILLED.search(zh), (p.code, en, zh)
    json.dumps(p.to_dict())  # args stay JSON-ready (the batch writes them into summary.json)
    return en, zh


def edited(raw, table, change):
    """``raw`` with ``change(frame)`` applied to a copy of one table's text frame (rows kept in step)."""
    t = raw[table]
    frame = t.frame.copy()
    result = change(frame)
    frame = frame if result is None else result
    extra = len(frame) - len(t.frame)  # rows appended get the next line numbers; rows cut lose theirs
    rows = list(t.rows[:len(frame)]) + [int(max(t.rows)) + k for k in range(1, extra + 1)]
    out = dict(raw)
    out[table] = dataclasses.replace(t, frame=frame.reset_index(drop=True), rows=pd.Series(rows).to_numpy())
    return out


def put(table, column, text, where=None, row=0):
    """A change setting one cell: the ``row``-th row (of those matching ``where(frame)``)."""
    def change(f):
        idx = f.index[where(f)] if where is not None else f.index
        f.loc[idx[row], column] = text(f.loc[idx[row]]) if callable(text) else text
    return table, change


def times(column, factor):
    """A cell's new text: ``factor`` times the row's ``column``."""
    return lambda r: str(float(r[column]) * factor)


#: (table, change, column, code[, where]): each change to ``table`` makes at least the problem ``code`` in
#: ``column`` of ``table`` (or of the table ``where``: a customer's other rows).
CELL_CASES = [
    (*put("financial_statements", "equity", lambda r: str(float(r["equity"]) + 5000)), "total_assets",
     "unbalanced_balance_sheet"),
    (*put("financial_statements", "revenue", "1.234,56", row=1), "revenue", "decimal_comma"),
    (*put("invoices", "amount", "abc"), "amount", "not_an_amount"),
    (*put("customers", "industry", "mining"), "industry", "unknown_industry"),
    (*put("customers", "country", "China", row=1), "country", "invalid_country"),
    (*put("customers", "third_party_rating", "ZZZ", row=2), "third_party_rating", "unknown_rating"),
    (*put("customers", "currency", "GBP", row=3), "currency", "no_fx_rate"),
    (*put("customers", "currency", "GBP", row=3), "currency", "statement_currency_without_rate",
     "financial_statements"),
    (*put("customers", "customer_id", "../evil", row=4), "customer_id", "invalid_customer_id"),
    (*put("customers", "customer_id", "../evil", row=4), "customer_id", "unknown_customer", "invoices"),
    (*put("customers", "founded", "2030-01-01", row=5), "founded", "date_after_as_of"),
    (*put("customers", "employees", "1.5", row=6), "employees", "not_a_whole_number"),
    (*put("customers", "export_share", "2", row=7), "export_share", "above_maximum"),
    (*put("customers", "requested_limit", "-5", row=8), "requested_limit", "below_minimum"),
    (*put("customers", "export_share", "x%", row=9), "export_share", "not_a_number"),
    (*put("customers", "name", "", row=10), "name", "missing_value"),
    (*put("financial_statements", "audited", "maybe", row=2), "audited", "not_a_boolean"),
    (*put("financial_statements", "period_end", "2024-13-01", row=3), "period_end", "not_a_date"),
    (*put("financial_statements", "unit", "dozens", row=4), "unit", "not_allowed"),
    (*put("financial_statements", "depreciation_amortization", "99999", row=6), "depreciation_amortization",
     "depreciation_exceeds_expenses"),
    (*put("financial_statements", "period_end", "2019-12-31", row=7), "period_end", "period_outside_fiscal_year"),
    (*put("financial_statements", "cash", "1e16", row=8), "cash", "amount_too_large"),
    (*put("financial_statements", "cash", lambda r: str(float(r["cash"]) + 1000), row=9), "current_assets",
     "subtotal_mismatch"),
    (*put("financial_statements", "total_assets", "0", row=11), "total_assets", "not_positive"),
    ("financial_statements", lambda f: pd.concat([f, f.iloc[[12]]]), "customer_id, fiscal_year", "duplicate_key"),
    (*put("invoices", "due_date", "2000-01-01", row=1), "due_date", "due_before_invoice"),
    (*put("invoices", "paid_date", "2000-01-01", where=lambda f: f["paid_date"] != ""), "paid_date",
     "paid_before_invoice"),
    (*put("invoices", "paid_amount", times("amount", 2), row=3), "paid_amount", "paid_above_amount"),
    (*put("invoices", "paid_date", "", where=lambda f: f["paid_amount"].astype(float) > 0, row=4), "paid_date",
     "payment_without_date"),
    (*put("invoices", "invoice_date", "2027-01-15", row=5), "invoice_date", "date_after_as_of"),
    (*put("invoices", "currency", "usd", row=6), "currency", "invalid_currency"),
    (*put("contacts", "resolved", "", where=lambda f: f["kind"] == "complaint"), "resolved", "resolved_required"),
    (*put("contacts", "resolved_date", "2000-01-01", where=lambda f: f["resolved_date"] != ""), "resolved_date",
     "resolved_before_raised"),
    (*put("contacts", "resolved", "false", where=lambda f: f["resolved_date"] != "", row=1), "resolved_date",
     "resolved_date_unresolved"),
    (*put("assessments", "question", "charisma"), "question", "unknown_question"),
    (*put("assessments", "answer", "meh", row=1), "answer", "unknown_answer"),
    (*put("assessments", "analyst", "Someone Else", row=2), "analyst", "several_analysts"),
    (*put("assessments", "assessment_date", "2027-01-01", row=9), "assessment_date", "date_after_as_of"),
    (*put("bank_credit", "max_overdue_days_24m", "0", where=lambda f: f["overdue_days"].astype(int) > 0),
     "max_overdue_days_24m", "overdue_history_below_current"),
    (*put("industry_benchmarks", "ratio", "charm"), "ratio", "unknown_ratio"),
    (*put("industry_benchmarks", "q1", "99", row=1), "median", "quartiles_out_of_order"),
    (*put("industry_benchmarks", "industry", "mining", row=2), "industry", "unknown_industry"),
    (*put("fx_rates", "rate_to_base", "-7"), "rate_to_base", "not_positive"),
]


def _cell_problems(raw, policy, cases):
    for table, change, *_ in cases:
        raw = edited(raw, table, change)
    return validate_tables(raw, policy, as_of=AS_OF)[1]


def test_every_cell_rule_has_its_code_at_its_cell_and_a_sentence_in_both_languages(sample_raw, policy):
    problems = _cell_problems(sample_raw, policy, CELL_CASES)
    found = {(p.table, p.column, p.code) for p in problems}
    expected = [(where[0] if where else t, col, code) for t, _, col, code, *where in CELL_CASES]
    missing = [e for e in expected if e not in found]
    assert not missing, missing
    for p in problems:
        assert_localized(p)


def test_the_sentences_carry_the_figures(sample_raw, policy):
    raw = edited(sample_raw, "financial_statements", lambda f: f.__setitem__("equity", f["equity"].where(
        f.index != 0, str(float(f.loc[0, "equity"]) + 5000))))
    raw = edited(raw, "invoices", lambda f: f.__setitem__("invoice_date", f["invoice_date"].where(
        f.index != 0, "2027-01-15")))
    problems = validate_tables(raw, policy, as_of=AS_OF)[1]
    bal = next(p for p in problems if p.code == "unbalanced_balance_sheet")
    assert bal.args["difference"] == pytest.approx(-5000) and \
        bal.args["liabilities_and_equity"] - bal.args["total_assets"] == pytest.approx(5000)
    en, zh = problem_text(bal, "en"), problem_text(bal, "zh")
    assert en.startswith("balance sheet does not balance") and "-5,000" in en and "-5,000" in zh
    assert f"{bal.args['liabilities_and_equity']:,.0f}" in en and "资产负债表不平衡" in zh
    late = next(p for p in problems if p.code == "date_after_as_of" and p.table == "invoices")
    assert late.args == {"column": "invoice_date", "as_of": AS_OF}
    assert "after as_of 2026-09-30" in late.message and "after as_of 2026-09-30" in problem_text(late, "en")
    assert "2026年9月30日" in problem_text(late, "zh") and "invoice_date" in problem_text(late, "zh")


def test_number_problems_name_the_marks_and_a_decimal_comma_is_told_apart(sample_raw, policy):
    raw = edited(sample_raw, "invoices", lambda f: f.__setitem__("amount", f["amount"].where(
        f.index > 3, pd.Series(["1.234,56", "abc", "1e400", "1,5"]))))
    problems = {p.value: p for p in validate_tables(raw, policy, as_of=AS_OF)[1] if p.column == "amount"}
    comma, text = problems["1.234,56"], problems["abc"]
    assert comma.code == "decimal_comma" and comma.args["reading"] == "1234.56"
    assert problems["1,5"].code == "decimal_comma" and problems["1,5"].args["reading"] == "1.5"
    assert problems["1e400"].code == "not_an_amount"  # an overflow, not a decimal comma
    assert text.code == "not_an_amount" and text.args["examples"] == ["1234.56", "1,234.56"]
    assert "1234.56" in problem_text(comma, "en") and "小数逗号" in problem_text(comma, "zh")
    assert "1234.56 or 1,234.56" in problem_text(text, "en") and "1234.56 或 1,234.56" in problem_text(text, "zh")
    # the policy's own marks: decimal comma, thousands point; text then is described in those marks
    euro = policy.model_copy(update={"input": policy.input.model_copy(update={"decimal": ",", "thousands": "."})})
    p = next(p for p in validate_tables(raw, euro, as_of=AS_OF)[1] if p.column == "amount" and p.value == "abc")
    assert p.code == "not_an_amount" and p.args["examples"] == ["1234,56", "1.234,56"]
    assert "decimal mark ','" in problem_text(p, "en") and "小数点为“,”" in problem_text(p, "zh")


def test_table_and_column_problems(sample_raw, policy):
    raw = edited(sample_raw, "invoices", lambda f: f.rename(columns={"amount": "amout", "currency": "zzz_notes"}))
    raw.pop("customers")
    problems = validate_tables(raw, policy, as_of=AS_OF, source="data")[1]
    by = {(p.code, p.column): p for p in problems}
    assert by[("missing_table", "")].args == {"table": "customers"}
    assert "customers.csv" in problem_text(by[("missing_table", "")], "en")
    assert by[("missing_column", "amount")].args["column"] == "amount"
    hint, none = by[("unknown_column", "amout")], by[("unknown_column", "zzz_notes")]
    assert hint.args["suggestion"] == "amount" and none.args["suggestion"] == ""
    assert "did you mean 'amount'" in problem_text(hint, "en") and "“amount”" in problem_text(hint, "zh")
    assert "did you mean" not in problem_text(none, "en")
    for p in problems:
        assert_localized(p)
    empty = validate_tables(edited(sample_raw, "customers", lambda f: f.iloc[:0]), policy, as_of=AS_OF)[1]
    assert [p.code for p in empty if p.severity == "error"] == ["no_customers"]
    no_assessment = policy.model_copy(update={"assessment": None})
    unused = [p for p in validate_tables(sample_raw, no_assessment, as_of=AS_OF)[1] if p.table == "assessments"]
    assert [p.code for p in unused] == ["assessments_unused"]
    assert_localized(unused[0])


def test_duplicate_keys_say_where_the_other_row_is(sample_raw, policy):
    raw = edited(sample_raw, "customers", lambda f: pd.concat([f, f.iloc[[0]]]))
    dups = [p for p in validate_tables(raw, policy, as_of=AS_OF)[1] if p.code == "duplicate_key"]
    first, second = sorted(dups, key=lambda p: p.row)
    assert first.args == {"columns": ["customer_id"], "first_row": None, "rows": [second.row]}
    assert second.args == {"columns": ["customer_id"], "first_row": first.row, "rows": []}
    assert problem_text(first, "en") == f"duplicate key (customer_id); also on row(s) {second.row}"
    assert problem_text(second, "zh") == f"键值重复（customer_id）；首次出现在第 {first.row} 行"


def test_problems_of_reading_a_file_have_codes(tmp_path, policy):
    """A column without a name, a name given twice, a row with more cells than the header (sources.py)."""
    folder = tmp_path / "src"
    shutil.copytree(DATA_SAMPLE, folder)
    lines = (folder / "fx_rates.csv").read_text(encoding="utf-8").splitlines()
    lines[0] += ",,currency"
    lines[1] += ",stray,USD"
    lines.append("JPY,0.05,2026-09-30,x,y,z")
    (folder / "fx_rates.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    raw, _ = read_tables(folder)
    codes = {p.code: p for p in raw["fx_rates"].problems}
    assert set(codes) == {"unnamed_column", "repeated_column", "extra_cells"}, codes
    assert codes["unnamed_column"].args == {"position": "4"}
    assert codes["repeated_column"].args == {"column": "currency", "positions": ["1", "5"]}
    assert codes["extra_cells"].args == {"cells": 6, "columns": 5}
    for p in validate_tables(raw, policy, as_of=AS_OF)[1]:
        assert_localized(p)


@pytest.mark.parametrize("name", sorted(p.name for p in BAD.glob("*.csv")))
def test_the_bad_files_give_coded_problems_or_an_input_error(tmp_path, policy, name):
    """Each file of tests/data/bad in place of its table: what is read (with the policy's input section when it
    needs one) gives only coded problems; a file that cannot be read at all raises InputError (not a Problem)."""
    from helpers.exceptions import InputError

    folder = tmp_path / "src"
    shutil.copytree(DATA_SAMPLE, folder)
    table = name.split("_")[0] if not name.startswith("fx_rates") else "fx_rates"
    shutil.copy(BAD / name, folder / f"{table}.csv")
    settings = policy.input.model_copy(update={"delimiter": ";", "decimal": ",", "thousands": "."}) \
        if "semicolon" in name else policy.input
    try:
        raw, _ = read_tables(folder, settings=settings)
    except InputError:
        return
    pol = policy.model_copy(update={"input": settings})
    problems = validate_tables(raw, pol, as_of=AS_OF)[1]
    for p in problems:
        assert_localized(p)


@fast(25)
@given(changes=mutations())
def test_random_broken_cells_give_only_coded_problems(small_raw, fuzz_policy, changes):
    """Any text in any cell (the fuzz tests' cells: overflowing numbers, decimal commas, impossible dates,
    control characters, formulas): every problem validation returns has a code and a sentence in both
    languages."""
    changes = resolve(small_raw, changes)
    assume(not hits_known_nul_bug(changes))
    for p in validate_tables(mutated(small_raw, changes), fuzz_policy, as_of=AS_OF)[1]:
        assert_localized(p)


@pytest.fixture(scope="module")
def fuzz_policy(policy):
    return policy


@pytest.fixture(scope="module")
def small_raw(sample_raw, fuzz_policy):
    """Two customers' rows of the sample (as test_fuzz cuts them), clean."""
    keep = ("C001", "C005")
    out = {}
    for name, table in sample_raw.items():
        f = table.frame
        mask = f["customer_id"].isin(keep).to_numpy() if "customer_id" in f and name != "outcomes" else \
            pd.Series(True, index=f.index).to_numpy()
        idx = mask.nonzero()[0][:8 if name in ("invoices", "contacts", "outcomes") else 12]
        out[name] = dataclasses.replace(table, frame=f.iloc[idx].reset_index(drop=True), rows=table.rows[idx])
    assert validate_tables(out, fuzz_policy, as_of=AS_OF)[1] == []
    return out


def test_no_problem_is_made_without_a_code():
    """Every place validate.py and sources.py make a problem passes a code (also the paths no example hits)."""
    missing = []
    for path in (ROOT / "src/helpers/data/validate.py", ROOT / "src/helpers/data/sources.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            fn = node.func
            name = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
            coded = any(k.arg == "code" for k in node.keywords)
            if name in ("add", "table") and getattr(getattr(fn, "value", None), "id", "") == "out" and not coded:
                missing.append(f"{path.name}:{node.lineno}")
            if name == "Problem" and len(node.args) < 9 and not coded:
                missing.append(f"{path.name}:{node.lineno}")
    assert not missing, missing


def test_a_problem_without_a_code_keeps_its_message():
    p = Problem("error", "customers", "name", 3, "C001", "x", "something the code says in English")
    assert problem_text(p, "zh") == "something the code says in English"
    assert problem_rows([p], "zh")[0]["expected"] == "something the code says in English"


# --------------------------------------------------------------------------- rows, workbook, CSV, JSON
@pytest.fixture
def broken_sample(sample_dir, edit_csv):
    """The sample with C001's first balance sheet unbalanced, a text amount in C002's first statement and a
    hostile formula as C003's industry."""
    def statements(f):
        first = f.index[f["customer_id"] == "C001"][0]
        f.loc[first, "equity"] = str(float(f.loc[first, "equity"]) + 5000)
        f.loc[f.index[f["customer_id"] == "C002"][0], "revenue"] = "about 3 million"

    edit_csv(sample_dir, "financial_statements", statements)
    edit_csv(sample_dir, "customers", lambda f: f.__setitem__("industry", f["industry"].where(
        f["customer_id"] != "C003", HOSTILE)))
    return sample_dir


def test_quarantined_problems_become_rows_and_a_workbook_a_clerk_can_fix(broken_sample, tmp_path):
    portfolio = load_portfolio(broken_sample, as_of=AS_OF, strict=False)
    assert {"C001", "C002", "C003"} <= set(portfolio.quarantine)
    problems = [p for cid in ("C001", "C002", "C003") for p in portfolio.quarantine[cid]["problems"]
                if p.severity == "error"]
    rows = problem_rows(problems, "zh")
    assert [set(r) for r in rows] == [set(PROBLEM_COLUMNS)] * len(rows)
    bal = next(r for r in rows if r["code"] == "unbalanced_balance_sheet")
    assert bal["file"] == "financial_statements.csv" and bal["sheet"] == "" and bal["customer_id"] == "C001"
    assert bal["column"] == "total_assets" and bal["row"] == 2 and "资产负债表不平衡" in bal["expected"]
    amount = next(r for r in rows if r["code"] == "not_an_amount")
    assert amount["value"] == "about 3 million" and amount["column"] == "revenue" and amount["customer_id"] == "C002"
    hostile = next(r for r in rows if r["code"] == "unknown_industry")
    assert hostile["value"] == HOSTILE and hostile["file"] == "customers.csv"

    path = write_problems_workbook(problems, tmp_path / "out" / "problems.xlsx", "zh")
    assert path == tmp_path / "out" / "problems.xlsx" and [p.name for p in path.parent.iterdir()] == ["problems.xlsx"]
    ws = openpyxl.load_workbook(path).active
    assert ws.title == "数据问题"
    assert [c.value for c in ws[1]] == ["文件", "工作表", "行号", "列", "客户", "当前值", "级别", "应如何修改"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == f"A1:H{len(problems) + 1}"
    body = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    assert len(body) == len(problems)
    assert ["financial_statements.csv", None, 2, "total_assets", "C001"] == body[rows.index(bal)][:5]
    assert body[rows.index(bal)][6] == "错误" and body[rows.index(bal)][7] == bal["expected"]
    assert body[rows.index(hostile)][5] == "'" + HOSTILE  # a formula no spreadsheet runs
    assert not any(isinstance(v, str) and v.startswith("=") for r in body for v in r)
    assert ws.column_dimensions["H"].width > ws.column_dimensions["C"].width >= 8
    en = openpyxl.load_workbook(write_problems_workbook(problems, tmp_path / "en.xlsx", "en")).active
    assert [c.value for c in en[1]][-1] == "What is expected" and en.title == "Problems"
    assert en.cell(rows.index(bal) + 2, 7).value == "error"


def test_a_workbook_source_names_its_sheet(tmp_path, sample_raw, policy):
    frames = {name: t.frame for name, t in sample_raw.items()}
    frames["financial_statements"] = frames["financial_statements"].copy()
    frames["financial_statements"].loc[0, "revenue"] = "abc"
    book = tmp_path / "book.xlsx"
    write_tables(frames, book)
    raw, _ = read_tables(book)
    p = next(p for p in validate_tables(raw, policy, as_of=AS_OF)[1] if p.column == "revenue")
    row = problem_rows([p], "en")[0]
    assert (row["file"], row["sheet"], row["row"], row["code"]) == ("book.xlsx", "financial_statements", 2,
                                                                     "not_an_amount")


def test_csv_and_json_keep_the_rows_and_neutralize_formulas(broken_sample, tmp_path):
    with pytest.raises(ValidationError) as info:
        load_portfolio(broken_sample, as_of=AS_OF, strict=True)
    problems = info.value.problems
    rows = problem_rows(problems, "zh")
    assert json.loads(problems_json(problems, "zh")) == rows  # JSON round trip, Chinese kept as text
    assert "资产负债表不平衡" in problems_json(problems, "zh")
    write_problems_json(problems, tmp_path / "p.json", "en")
    assert json.loads((tmp_path / "p.json").read_text(encoding="utf-8")) == problem_rows(problems, "en")

    buf = io.StringIO()
    write_problems_csv(problems, buf, "zh")
    read = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert list(read[0]) == list(PROBLEM_COLUMNS) and len(read) == len(rows)
    hostile = next(r for r in read if r["code"] == "unknown_industry")
    assert hostile["value"] == "'" + HOSTILE
    assert not any(v.startswith(("=", "+", "@")) for r in read for v in r.values())
    assert [r["expected"] for r in read] == [r["expected"] for r in rows]
    assert all(r["row"] == ("" if x["row"] is None else str(x["row"])) for r, x in zip(read, rows))

    path = tmp_path / "p.csv"
    write_problems_csv(problems, path, "zh", localized_headers=True)
    data = path.read_bytes()
    assert data.startswith("\ufeff".encode("utf-8"))  # Excel reads Chinese CSV only with a byte-order mark
    header = next(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert header == ["文件", "工作表", "行号", "列", "客户", "当前值", "级别", "code", "应如何修改"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.csv", "p.json", "sample"]  # no temporary file left
