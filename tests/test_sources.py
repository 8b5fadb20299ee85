"""Reading bad input as a new user would: encodings, separators, blank and repeated rows and columns, row numbers,
control characters, declared input conventions and SQL sources — never a guessed number, always a clear message.

Small bad files live in ``tests/data/bad/``; the rest is built from a private copy of the sample (``sample_dir``).
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql

from helpers.config import DATA_SAMPLE, load_policy
from helpers.config.policy import InputSettings
from helpers.data import load_portfolio, read_tables, validate_tables, write_tables
from helpers.data.sources import redact, select_table
from helpers.exceptions import InputError, PolicyError, Problem, ValidationError, printable
from helpers.report.localize import text_for, warning_text

AS_OF = "2026-09-30"
BAD = Path(__file__).parent / "data" / "bad"
POLICY = load_policy(DATA_SAMPLE / "policy.yaml")


def load(data, **kw):
    kw.setdefault("strict", True)
    return load_portfolio(data, as_of=kw.pop("as_of", AS_OF), **kw)


def errors_of(data, **kw) -> list[Problem]:
    with pytest.raises(ValidationError) as info:
        load(data, **kw)
    return [p for p in info.value.problems if p.severity == "error"]


def folder_with(tmp_path, **files: Path | bytes) -> Path:
    """A folder holding ``<table>.csv`` files copied from fixtures (or given as bytes)."""
    folder = tmp_path / "src"
    folder.mkdir(exist_ok=True)
    for table, content in files.items():
        target = folder / f"{table}.csv"
        target.write_bytes(content if isinstance(content, bytes) else Path(content).read_bytes())
    return folder


def with_input(**settings):
    """The sample policy with an ``input`` section."""
    return POLICY.model_copy(update={"input": InputSettings(**settings)})


# =========================================================================================== 1. encodings
def test_a_gbk_file_from_chinese_windows_is_read_and_its_encoding_recorded_with_a_warning(tmp_path):
    original = (DATA_SAMPLE / "customers.csv").read_text(encoding="utf-8").splitlines()[:12]
    tables, _ = read_tables(folder_with(tmp_path, customers=BAD / "customers_gbk.csv"))
    raw = tables["customers"]
    assert raw.encoding == "gb18030"
    assert list(raw.frame.columns) == original[0].split(",")
    assert raw.frame.loc[2, "name"] == "宁波市利源供应链管理有限公司" and raw.frame.loc[2, "account_manager"] == "李娜"
    assert list(raw.rows) == list(range(2, 13))
    [warning] = raw.problems
    assert (warning.severity, warning.code, warning.args) == \
        ("warning", "encoding", {"file": "customers.csv", "encoding": "gb18030"})


def test_the_whole_sample_saved_as_gbk_loads_like_the_utf8_one_with_one_warning(sample_dir):
    path = sample_dir / "customers.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("gbk"))
    gbk, utf8 = load(sample_dir), load(DATA_SAMPLE)
    pd.testing.assert_frame_equal(gbk.customers, utf8.customers)
    extra = [w for w in gbk.warnings if w.code == "encoding"]
    assert len(extra) == 1 and len(gbk.warnings) == len(utf8.warnings) + 1
    assert str(extra[0]) == "warning: customers.csv: value gb18030: read as gb18030, not UTF-8; saving it as " \
                            "UTF-8 avoids any doubt"
    en, zh = (warning_text(extra[0].to_dict(), text_for(lang)) for lang in ("en", "zh"))
    assert "customers.csv" in en and "gb18030" in en and "UTF-8" in en
    assert "customers.csv" in zh and "gb18030" in zh and "编码" in zh


def test_utf8_with_a_byte_order_mark_is_utf8_without_a_warning(tmp_path):
    text = (DATA_SAMPLE / "customers.csv").read_text(encoding="utf-8")
    tables, _ = read_tables(folder_with(tmp_path, customers=text.encode("utf-8-sig")))
    raw = tables["customers"]
    assert raw.encoding == "utf-8" and raw.problems == [] and raw.frame.columns[0] == "customer_id"


def test_bytes_that_could_be_several_encodings_are_refused_naming_the_file_and_the_fix(tmp_path):
    folder = folder_with(tmp_path, customers=BAD / "customers_ambiguous_gbk.csv")
    with pytest.raises(InputError) as info:
        read_tables(folder)
    message = str(info.value)
    assert "customers.csv" in message and "cannot be told for sure" in message and "gb18030" in message
    assert "input: {encoding: gb18030}" in message and "nothing is guessed" in message


def test_a_declared_encoding_reads_what_detection_cannot_tell(tmp_path):
    folder = folder_with(tmp_path, customers=BAD / "customers_ambiguous_gbk.csv")
    tables, _ = read_tables(folder, settings=InputSettings(encoding="gbk"))
    assert tables["customers"].frame.loc[0, "name"] == "李娜" and tables["customers"].encoding == "gbk"
    assert [p.code for p in tables["customers"].problems] == ["encoding"]


def test_a_single_byte_code_page_is_never_guessed_but_read_when_declared(tmp_path):
    folder = folder_with(tmp_path, customers=BAD / "customers_cp1252.csv")
    with pytest.raises(InputError) as info:
        read_tables(folder)
    assert "customers.csv: not UTF-8 (the bytes b'\\xfc' on line 2)" in str(info.value)
    assert "cp1252" in str(info.value)
    tables, _ = read_tables(folder, settings=InputSettings(encoding="cp1252"))
    assert list(tables["customers"].frame["name"]) == ["Müller Elektronik GmbH", "Société Générale"]


def test_a_damaged_utf8_file_is_an_error_naming_the_line(tmp_path):
    text = (DATA_SAMPLE / "customers.csv").read_text(encoding="utf-8")
    data = text.encode("utf-8")
    at = data.index("李娜".encode("utf-8"))
    data = data[:at] + b"\xff" + data[at + 1:]
    with pytest.raises(InputError) as info:
        read_tables(folder_with(tmp_path, customers=data))
    line = data[:at].count(b"\n") + 1
    assert f"customers.csv: not valid UTF-8: the bytes b'\\xff' on line {line}" in str(info.value)


def test_a_declared_encoding_that_does_not_fit_names_the_line(tmp_path):
    with pytest.raises(InputError) as info:
        read_tables(folder_with(tmp_path, customers=BAD / "customers_gbk.csv"),
                    settings=InputSettings(encoding="utf-8"))
    assert "cannot be read as utf-8 (the policy's input.encoding)" in str(info.value) and "on line 4" in str(info.value)


def test_excel_unicode_text_utf16_with_tabs_is_detected_and_read_when_the_tab_is_declared(tmp_path):
    text = (DATA_SAMPLE / "fx_rates.csv").read_text(encoding="utf-8").replace(",", "\t")
    folder = folder_with(tmp_path, fx_rates=text.encode("utf-16"))
    with pytest.raises(InputError, match=r"separates its columns with a tab, not ','"):
        read_tables(folder)
    tables, _ = read_tables(folder, settings=InputSettings(delimiter="\t"))
    assert tables["fx_rates"].encoding == "utf-16" and list(tables["fx_rates"].frame["currency"]) == ["USD", "EUR"]


# =========================================================================================== 2. blank rows
def _sample_workbook(sample_dir, tmp_path) -> Path:
    raw = {n: pd.read_csv(sample_dir / f"{n}.csv", dtype=str, keep_default_na=False)
           for n in ("customers", "financial_statements", "fx_rates", "bank_credit")}
    book = tmp_path / "book" / "portfolio.xlsx"
    book.parent.mkdir()
    write_tables(raw, book)
    shutil.copy(sample_dir / "policy.yaml", book.parent / "policy.yaml")
    return book


def test_blank_rows_in_a_sheet_are_skipped_like_blank_csv_lines_keeping_sheet_row_numbers(sample_dir, tmp_path):
    book = _sample_workbook(sample_dir, tmp_path)
    before = load(book)
    wb = openpyxl.load_workbook(book)
    ws = wb["financial_statements"]
    ws.insert_rows(4, amount=2)                      # two blank sheet rows 4 and 5
    ws.cell(row=8, column=1).value = " "              # a row of blanks (one space) ...
    for col in range(2, ws.max_column + 1):
        ws.cell(row=8, column=col).value = None      # ... is blank too: it replaced the statement on row 8
    revenue = [c.value for c in ws[1]].index("revenue") + 1
    ws.cell(row=10, column=revenue).value = "lots"    # a bad value on sheet row 10
    wb.save(book)
    errors = errors_of(book)  # the bad revenue (and the subtotal it leaves unexplained), nothing on the blank rows
    assert {p.row for p in errors} == {10} and ("revenue", "lots") in [(p.column, p.value) for p in errors], \
        [str(p) for p in errors]
    assert not [p for p in errors if p.message == "required value is missing"]
    tables, _ = read_tables(book)
    rows = tables["financial_statements"].rows
    assert list(rows[:6]) == [2, 3, 6, 7, 9, 10] and len(rows) == len(before.statements) - 1


# =========================================================================================== 3. separators
def test_a_semicolon_file_is_a_clear_error_saying_how_to_declare_it(sample_dir):
    shutil.copy(BAD / "fx_rates_semicolon.csv", sample_dir / "fx_rates.csv")
    with pytest.raises(InputError) as info:
        load(sample_dir)
    message = str(info.value)
    assert "fx_rates.csv: the header row separates its columns with ';', not ','" in message
    assert 'input: {delimiter: ";"}' in message and 'decimal: ","' in message


def test_a_declared_semicolon_and_decimal_comma_are_read(tmp_path):
    folder = folder_with(tmp_path, fx_rates=BAD / "fx_rates_semicolon.csv")
    settings = dict(delimiter=";", decimal=",", thousands=".")
    tables, _ = read_tables(folder, settings=InputSettings(**settings))
    typed, problems = validate_tables(tables, with_input(**settings), as_of=AS_OF)
    assert list(typed["fx_rates"]["rate_to_base"]) == [7.12, 7.82]
    assert not [p for p in problems if p.table == "fx_rates"]


# =========================================================================================== 4. repeated headers
def _repeat_revenue(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([frame, frame[["revenue"]]], axis=1)  # pandas writes the name twice


def test_a_repeated_column_is_named_with_both_positions_in_csv(sample_dir):
    fs = pd.read_csv(sample_dir / "financial_statements.csv", dtype=str, keep_default_na=False)
    _repeat_revenue(fs).to_csv(sample_dir / "financial_statements.csv", index=False)
    first, last = list(fs.columns).index("revenue") + 1, len(fs.columns) + 1
    errors = errors_of(sample_dir)
    assert [(p.table, p.column, p.row, p.source, p.message) for p in errors] == [
        ("financial_statements", "revenue", None, "financial_statements.csv",
         f"column 'revenue' appears more than once (columns {first} and {last}); keep one")]
    assert not any("revenue.1" in str(p) for p in errors)


def test_a_repeated_column_is_named_with_both_positions_in_a_sheet(sample_dir, tmp_path):
    book = _sample_workbook(sample_dir, tmp_path)
    wb = openpyxl.load_workbook(book)
    ws = wb["financial_statements"]
    header = [c.value for c in ws[1]]
    ws.cell(row=1, column=len(header) + 1).value = "revenue"
    wb.save(book)
    p = [e for e in errors_of(book) if e.column == "revenue"]
    first = header.index("revenue") + 1
    letter = openpyxl.utils.get_column_letter
    assert [e.message for e in p] == [f"column 'revenue' appears more than once (columns {first} ({letter(first)}) "
                                      f"and {len(header) + 1} ({letter(len(header) + 1)})); keep one"]
    assert p[0].source == "portfolio.xlsx[financial_statements]"


def test_values_under_a_column_without_a_name_are_an_error_and_a_row_with_extra_cells_is_not_read(sample_dir):
    path = sample_dir / "fx_rates.csv"
    path.write_text("currency,rate_to_base,as_of,\nUSD,7.12,2026-09-30,\nEUR,7.82,2026-09-30,x\n"
                    "JPY,0,05,2026-09-30,\n", encoding="utf-8")
    errors = [p for p in errors_of(sample_dir) if p.table == "fx_rates"]
    assert [(p.row, p.column, p.value, p.message) for p in errors] == [
        (None, "", "", "column 4 has values but no name in the header row; name it or remove it"),
        (4, "", "JPY | 0 | 05 | 2026-09-30 | ", "the row has 5 cells but the header has 4 columns, so its values "
         "cannot be matched to columns and the row is not read: a value holding the separator must be quoted "
         "(\"Acme, Ltd\")")]  # and no number is read from "0,05"


# =========================================================================================== 5. balance
def test_the_balance_error_names_total_assets_and_shows_both_sides_and_the_difference(sample_dir, edit_csv):
    def unbalance(f):
        f.loc[0, "equity"] = repr(float(f.loc[0, "equity"]) - 100.0)
    edit_csv(sample_dir, "financial_statements", unbalance)
    fs = pd.read_csv(sample_dir / "financial_statements.csv")
    assets, sides = fs.loc[0, "total_assets"], fs.loc[0, "total_liabilities"] + fs.loc[0, "equity"]
    [p] = [e for e in errors_of(sample_dir) if "does not balance" in e.message]
    assert p.column == "total_assets" and p.row == 2
    assert p.value == f"{assets:,.6g} ≠ total_liabilities + equity {sides:,.6g} (difference {assets - sides:,.6g})"
    assert f"total_assets = {assets:,.6g} ≠ total_liabilities + equity" in str(p)


# =========================================================================================== 6. control characters
@pytest.mark.parametrize("raw, shown", [
    ("C\x00X", "C\\x00X"), ("C\nX", "C\\nX"), ("C\tX", "C\\tX"), ("C\x1b[2JX", "C\\x1b[2JX"),
    ("C\u202eX", "C\\u202eX"), ("C\u200bX", "C\\u200bX"), ("C\u2028X", "C\\u2028X"), ("C\x7fX", "C\\x7fX"),
])
def test_control_and_bidi_characters_in_values_are_escaped_in_messages(sample_dir, edit_csv, raw, shown):
    edit_csv(sample_dir, "bank_credit", lambda f: f.assign(customer_id=f["customer_id"].where(f.index != 0, raw)))
    [p] = [e for e in errors_of(sample_dir) if e.table == "bank_credit"]
    assert p.value == shown and p.customer_id == raw  # the id stays the key; only text for people is escaped
    text = str(p)
    assert f"(customer {shown})" in text and f"= {shown}" in text and raw not in text
    assert text.isprintable()


def test_printable_escapes_once_and_keeps_ordinary_text():
    assert printable("宁波 Müller & Co., 1 234") == "宁波 Müller & Co., 1 234"
    assert printable("a\u202eb") == "a\\u202eb" == printable(printable("a\u202eb"))
    assert printable(None) == ""
    p = Problem("error", "customers", "name\u202e", 3, "C\x00", "x\ny", "bad \x1b value", "customers.csv")
    assert str(p) == "error: customers.csv row 3 (customer C\\x00): name\\u202e = x\\ny: bad \\x1b value"


# =========================================================================================== 7. row numbers
def test_csv_rows_are_the_line_where_a_record_starts_after_a_multiline_cell(sample_dir):
    shutil.copy(BAD / "contacts_multiline.csv", sample_dir / "contacts.csv")
    [p] = [e for e in errors_of(sample_dir) if e.table == "contacts"]
    assert (p.column, p.row, p.value) == ("kind", 7, "letter")
    tables, _ = read_tables(sample_dir)
    contacts = tables["contacts"]
    assert list(contacts.rows) == [2, 6, 7]
    assert contacts.frame.loc[0, "summary"] == "Visited the plant.\nSecond shift idle;\nasked for the 2024 accounts."
    assert contacts.frame.loc[2, "summary"] == 'Sent the "overdue" reminder.'


def test_an_unclosed_quote_stops_reading_at_the_line_where_the_record_starts(sample_dir):
    path = sample_dir / "contacts.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(lines[:-1] + [lines[-1] + ',"']) + "\n", encoding="utf-8")  # never closed
    with pytest.raises(InputError, match=rf"contacts.csv line {len(lines)}: cannot split the line into cells: a "
                                         r"quoted cell is not closed before the end of the file"):
        read_tables(sample_dir)
    lines[4] += ',"'  # opened on line 5; the next quote of the file closes it and something else follows
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"contacts.csv line 5: cannot split the line into cells: "):
        read_tables(sample_dir)


def test_sql_rows_are_ordinals(sample_dir, tmp_path):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    write_tables({"fx_rates": pd.read_csv(sample_dir / "fx_rates.csv", dtype=str)}, url)
    tables, _ = read_tables(url)
    assert list(tables["fx_rates"].rows) == [1, 2]


# =========================================================================================== 8. declared marks
@pytest.mark.parametrize("settings, cell, value", [
    (dict(decimal=",", thousands="."), "1.234,56", 1234.56),
    (dict(decimal=",", thousands="."), "1,5", 1.5),
    (dict(decimal=",", thousands="."), "1.234.567", 1234567.0),
    (dict(decimal=",", thousands=" "), "1 234,5", 1234.5),
    (dict(decimal=",", thousands=" "), "1\u202f234,5", 1234.5),
    (dict(decimal=".", thousands="'"), "1'234.5", 1234.5),
    (dict(decimal=",", thousands=""), "1234,5", 1234.5),
    (dict(decimal=".", thousands=""), "1234.5", 1234.5),
])
def test_declared_marks_are_read(sample_dir, edit_csv, settings, cell, value):
    edit_csv(sample_dir, "invoices", lambda f: f.head(20))
    edit_csv(sample_dir, "invoices", lambda f: f.assign(amount=f["amount"].where(f.index != 3, cell),
                                                          paid_amount=f["paid_amount"].where(f.index != 3, "0"),
                                                          paid_date=f["paid_date"].where(f.index != 3, "")))
    policy = with_input(**settings)
    tables, _ = read_tables(sample_dir, settings=policy.input)
    # the rest of the sample writes 1234.5, an error with some of these marks: only the invoices are looked at
    typed, problems = validate_tables({n: tables[n] for n in ("customers", "invoices")}, policy, as_of=AS_OF)
    assert typed["invoices"]["amount"].iloc[3] == pytest.approx(value)
    assert not [p for p in problems if p.table == "invoices" and p.row == 5 and p.severity == "error"]
    _, default = validate_tables({n: tables[n] for n in ("customers", "invoices")}, POLICY, as_of=AS_OF)
    if settings != dict(decimal=".", thousands=""):  # the default marks refuse the cell (1234.5 reads either way)
        assert [p.value for p in default if p.table == "invoices" and p.column == "amount"] == [cell]


@pytest.mark.parametrize("settings, cell", [
    (dict(decimal=",", thousands="."), "1.5"),         # a point that does not group thousands
    (dict(decimal=",", thousands="."), "1,234.56"),    # the other convention
    (dict(decimal=",", thousands="."), "12.34.567"),
    (dict(decimal=",", thousands=" "), "1 23,5"),
    (dict(decimal=",", thousands=""), "1.234,5"),      # no thousands mark declared
    (dict(decimal=".", thousands="'"), "1,234.5"),
])
def test_declared_marks_keep_the_strictness(settings, cell):
    from helpers.data.contract import Column
    from helpers.data.validate import _parse_column

    values, bad = _parse_column(Column("amount", "money"), pd.Series([cell]),
                                (settings["decimal"], settings["thousands"]))
    assert bad.iloc[0] and pd.isna(values.iloc[0])


def test_the_expected_text_of_a_number_names_the_declared_marks(sample_dir, edit_csv):
    edit_csv(sample_dir, "fx_rates", lambda f: f.assign(rate_to_base=["7,12", "7.82"]))
    policy = with_input(decimal=",", thousands=".")
    tables, _ = read_tables(sample_dir, settings=policy.input)
    _, problems = validate_tables({"fx_rates": tables["fx_rates"]}, policy, as_of=AS_OF)
    [p] = [e for e in problems if e.table == "fx_rates"]
    assert p.row == 3 and p.value == "7.82"
    assert p.message == ("expected a number like 1234,56 or 1.234,56 (the policy's input: decimal ',', thousands '.'; "
                         "other marks, or a thousands mark that does not group thousands, are not read)")


def test_numbers_a_workbook_stores_as_numbers_need_no_marks(sample_dir, tmp_path):
    typed = {n: pd.read_csv(sample_dir / f"{n}.csv") for n in ("customers", "financial_statements", "fx_rates")}
    book = tmp_path / "typed.xlsx"
    write_tables(typed, book)
    tables, _ = read_tables(book)
    assert tables["fx_rates"].numeric["rate_to_base"].all()
    typed_comma, problems = validate_tables(tables, with_input(decimal=",", thousands="."), as_of=AS_OF)
    assert not [p for p in problems if p.severity == "error"], [str(p) for p in problems][:5]
    plain, _ = validate_tables(tables, POLICY, as_of=AS_OF)
    pd.testing.assert_frame_equal(typed_comma["financial_statements"], plain["financial_statements"])


@pytest.mark.parametrize("section, words", [
    ({"encoding": "no-such-codec"}, "unknown encoding 'no-such-codec'"),
    ({"encoding": "base64"}, "'base64' is not a text encoding"),
    ({"delimiter": "|"}, "input.delimiter"),
    ({"decimal": ","}, "thousands must differ from decimal ','"),
    ({"thousands": "_"}, "input.thousands"),
    ({"separator": ";"}, "input.separator"),
])
def test_an_invalid_input_section_is_a_policy_error(tmp_path, section, words):
    text = (DATA_SAMPLE / "policy.yaml").read_text(encoding="utf-8")
    path = tmp_path / "policy.yaml"
    path.write_text(text + "\ninput: " + repr(section).replace("'", '"') + "\n", encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert words in str(info.value)


def test_the_commented_example_of_the_sample_policy_is_valid(tmp_path):
    text = (DATA_SAMPLE / "policy.yaml").read_text(encoding="utf-8")
    block = re.search(r"^# input:\n(?:#   .*\n)+", text, re.M).group(0)
    path = tmp_path / "policy.yaml"
    path.write_text(text.replace(block, re.sub(r"^# ?", "", block, flags=re.M)), encoding="utf-8")
    assert load_policy(path).input == InputSettings()


def test_a_declared_input_section_reaches_the_reader_through_load_portfolio(sample_dir):
    for name in ("customers", "financial_statements", "bank_credit", "invoices", "contacts", "assessments",
                 "outcomes", "fx_rates", "industry_benchmarks"):
        frame = pd.read_csv(sample_dir / f"{name}.csv", dtype=str, keep_default_na=False)
        frame.to_csv(sample_dir / f"{name}.csv", sep=";", index=False)
    policy = sample_dir / "policy.yaml"
    policy.write_text(policy.read_text(encoding="utf-8") + '\ninput: {delimiter: ";"}\n', encoding="utf-8")
    assert load(sample_dir).tables["fx_rates"]["rate_to_base"].tolist() == [7.12, 7.82]


# =========================================================================================== 9. SQL
def test_the_select_is_quoted_by_the_dialect_backticks_for_mysql():
    assert str(select_table("customers").compile(dialect=mysql.dialect())) == "SELECT * \nFROM `customers`"
    assert str(select_table("customers", "risk").compile(dialect=mysql.dialect())) == \
        "SELECT * \nFROM `risk`.`customers`"
    assert str(select_table("customers", "risk").compile(dialect=postgresql.dialect())) == \
        'SELECT * \nFROM "risk"."customers"'


def test_read_tables_runs_the_dialect_quoted_select(sample_dir, tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    write_tables({"fx_rates": pd.read_csv(sample_dir / "fx_rates.csv", dtype=str)}, url)
    seen = []
    real = sa.create_engine

    def spy(*a, **kw):
        engine = real(*a, **kw)
        sa.event.listen(engine, "before_cursor_execute", lambda c, cur, stmt, *rest: seen.append(stmt))
        return engine
    monkeypatch.setattr(sa, "create_engine", spy)
    read_tables(url)
    assert 'SELECT * \nFROM "fx_rates"' in seen


def test_schema_is_for_databases_only(tmp_path):
    with pytest.raises(InputError, match="schema='risk' is for a database"):
        read_tables(DATA_SAMPLE, schema="risk")


def test_a_table_in_a_named_schema_of_a_real_postgresql_is_read(postgres_db, sample_dir):
    raw = {n: pd.read_csv(sample_dir / f"{n}.csv", dtype=str, keep_default_na=False)
           for n in ("customers", "financial_statements", "fx_rates")}
    engine = sa.create_engine(postgres_db)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text('CREATE SCHEMA "Risk Data"'))
            for name, frame in raw.items():
                frame.to_sql(name, conn, schema="Risk Data", index=False)
            raw["customers"].head(2).to_sql("customers", conn, index=False)  # a different table in public
    finally:
        engine.dispose()
    tables, kind = read_tables(postgres_db, schema="Risk Data")
    assert kind == "sql" and set(tables) == set(raw)
    assert len(tables["customers"].frame) == len(raw["customers"])
    assert tables["customers"].source.endswith(":Risk Data.customers")
    typed, problems = validate_tables(tables, POLICY, as_of=AS_OF)
    assert not [p for p in problems if p.severity == "error"]
    assert len(typed["financial_statements"]) == len(raw["financial_statements"])
    public, _ = read_tables(postgres_db)
    assert set(public) == {"customers"} and len(public["customers"].frame) == 2
    with pytest.raises(InputError, match="the database has no schema 'nowhere'"):
        read_tables(postgres_db, schema="nowhere")


SECRET = "s3cr3t-Pw"


@pytest.mark.parametrize("url", [
    f"postgresql+psycopg://bob:{SECRET}@127.0.0.1:1/risk",                    # nothing listens on port 1
    f"postgresql+psycopg://bob:{SECRET}@127.0.0.1:notaport/risk",             # ValueError inside SQLAlchemy
    f"postgresql+psycopg://bob:{SECRET}@nohost.invalid/risk",
    f"postgresql+psycopg://bob@127.0.0.1:1/risk?password={SECRET}&connect_timeout=2",
    f"postgresql+psycopg://bob@127.0.0.1:1/risk?password={SECRET}&bogus=1",   # the driver names the bad option
    f"postgresql+psycopg://bob:{SECRET[:3]}@{SECRET[3:]}@127.0.0.1:1/risk",   # an unencoded '@' in the password
    f"nosuchdb://bob:{SECRET}@host/db",
])
def test_an_unreachable_or_malformed_database_url_never_shows_its_password(url):
    with pytest.raises(InputError) as info:
        read_tables(url)
    text = str(info.value)
    assert SECRET not in text and SECRET[3:] not in text
    assert "cannot read the database" in text or "write an '@'" in text
    assert info.value.__cause__ is None  # no chained driver text either
    assert info.value.__context__ is None or info.value.__suppress_context__


def test_a_wrong_user_on_a_real_postgresql_never_shows_the_password(postgres_url):
    url = sa.engine.make_url(postgres_url).set(username="nobody", password=SECRET)
    with pytest.raises(InputError) as info:
        read_tables(url.render_as_string(hide_password=False))
    text = str(info.value)
    assert SECRET not in text and "nobody" in text and ":***@" in text


def test_a_driver_that_echoes_the_password_is_scrubbed(monkeypatch):
    class Echo(Exception):
        pass

    def connect(*a, **kw):
        raise sa.exc.OperationalError("connect", {}, Echo(f"invalid dsn: 'host=db user=bob password={SECRET}'; "
                                                          f"{SECRET} rejected"))
    engine = sa.create_engine("sqlite://")
    monkeypatch.setattr(engine, "connect", connect)
    monkeypatch.setattr(sa, "create_engine", lambda *a, **kw: engine)
    with pytest.raises(InputError) as info:
        read_tables(f"postgresql+psycopg://bob:{SECRET}@db/risk")
    assert SECRET not in str(info.value) and "password=***" in str(info.value)


@pytest.mark.parametrize("url, shown", [
    ("postgresql://bob:pw123@h/db", "postgresql://bob:***@h/db"),
    ("postgresql://:pw123@h/db", "postgresql://:***@h/db"),
    ("postgresql://bob:p@ss123@h:5432/db", "postgresql://bob:***@h:5432/db"),
    ("postgresql://bob:p%40ss/w?d@h/db", "postgresql://bob:***@h/db"),
    ("postgresql://bob@h/db?password=pw123&sslmode=require", "postgresql://bob@h/db?password=***&sslmode=require"),
    ("postgresql://bob@h/db?sslmode=require&PASSWORD=pw123", "postgresql://bob@h/db?sslmode=require&PASSWORD=***"),
    ("postgresql://bob@h/db?sslpassword=pw123", "postgresql://bob@h/db?sslpassword=***"),
    ("mysql+pymysql://bob@h/db?passwd=pw123", "mysql+pymysql://bob@h/db?passwd=***"),
    ("mssql+pyodbc://h/db?odbc_connect=DRIVER={ODBC 18};UID=bob;PWD={p;w123};Encrypt=yes",
     "mssql+pyodbc://h/db?odbc_connect=DRIVER={ODBC 18};UID=bob;PWD=***;Encrypt=yes"),
    ("mssql+pyodbc:///?odbc_connect=DRIVER%3D%7BODBC%7D%3BUID%3Dbob%3BPwd%3Dpw123%3BEncrypt%3Dyes",
     "mssql+pyodbc:///?odbc_connect=DRIVER%3D%7BODBC%7D%3BUID%3Dbob%3BPwd%3D***%3BEncrypt%3Dyes"),
    ("sqlite:///data/portfolio.db", "sqlite:///data/portfolio.db"),
    ("postgresql://h:5432/db", "postgresql://h:5432/db"),
])
def test_redact_hides_every_form_of_password(url, shown):
    assert redact(url) == shown
