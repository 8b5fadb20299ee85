"""The input boundary: every validation rule, the three sources, normalization and the Portfolio.

Each test breaks a private copy of data/sample (``sample_dir`` in conftest.py, or ``sample`` below
with the long logs shortened) in one place
and checks that :func:`load_portfolio` reports exactly that place: table, column, CSV line
(header = line 1), customer, value and what was expected.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy
from hypothesis import given, settings, strategies as st

from helpers.config import DATA_SAMPLE, file_sha256, load_policy
from helpers.data.contract import STATEMENT_MONEY_COLUMNS, TABLES
from helpers.exceptions import InputError, PolicyError, ValidationError
from helpers.data import customer_profile, load_portfolio, read_tables, validate_tables, write_tables
from helpers.data.sources import RawTable

AS_OF = "2026-09-30"
IDENTITY_WORDS = ("subtotal contradicts", "does not balance")


# --------------------------------------------------------------------------- helpers
def text(folder: Path, table: str) -> pd.DataFrame:
    return pd.read_csv(Path(folder) / f"{table}.csv", dtype=str, keep_default_na=False)


def load(folder, **kw):
    """Load all or nothing (``strict``): these tests check that each error is reported, not which customers a
    lenient load would set aside (tests/test_batch.py covers that)."""
    kw.setdefault("strict", True)
    return load_portfolio(folder, as_of=kw.pop("as_of", AS_OF), **kw)


def errors_of(data, **kw) -> list:
    with pytest.raises(ValidationError) as info:
        load(data, **kw)
    errors = [p for p in info.value.problems if p.severity == "error"]
    assert errors, "ValidationError without errors"
    return errors


def find(problems, **attrs) -> list:
    return [p for p in problems if all(getattr(p, k) == v for k, v in attrs.items())]


def one(problems, **attrs):
    hits = find(problems, **attrs)
    assert len(hits) == 1, f"expected one problem with {attrs}, got {hits} among:\n" + \
        "\n".join(map(str, problems))
    return hits[0]


def line(index: int) -> int:
    """CSV line number of the data row at 0-based position ``index``."""
    return index + 2


def clean_customers(folder, currency: str | None = None, min_years: int = 3) -> list[str]:
    """Customers whose statements raise no warning: consecutive years, all audited, full years,
    in the customer's currency and in thousands."""
    fs, cu = text(folder, "financial_statements"), text(folder, "customers")
    cur = dict(zip(cu["customer_id"], cu["currency"]))
    found = []
    for cid, g in fs.groupby("customer_id", sort=False):
        ys = sorted(int(y) for y in g["fiscal_year"])
        if (len(ys) >= min_years and ys == list(range(ys[0], ys[0] + len(ys)))
                and (g["audited"].str.lower() == "true").all() and (g["months"] == "12").all()
                and (g["currency"] == cur.get(cid)).all() and (g["unit"] == "thousands").all()
                and (currency is None or cur.get(cid) == currency)):
            found.append(cid)
    assert found, f"the sample has no clean customer in {currency}"
    return found


def statement_row(folder, cid: str, k: int = 0) -> int:
    """0-based position of the k-th statement row of customer ``cid``."""
    fs = text(folder, "financial_statements")
    return int(fs.index[fs["customer_id"] == cid][k])


def _set(column, value, i: int = 0):
    """A change for ``edit_csv``: put ``value`` in ``column`` of the data row at position ``i``
    (or several values in a list of columns)."""
    def change(f):
        f.loc[i, column] = value
    return change


def _shift(column: str, amount: float, i: int):
    """A change for ``edit_csv``: add ``amount`` to a number cell."""
    def change(f):
        f.loc[i, column] = fmt_num(float(f.loc[i, column]) + amount)
    return change


def fmt_num(x: float) -> str:
    return repr(float(x))


def shown(x: float) -> str:
    """A number as messages show it: six significant digits with thousands commas, whole from a million."""
    return f"{x:,.6g}" if abs(x) < 1e6 else f"{x:,.0f}"


# --------------------------------------------------------------------------- the sample
LOG_ROWS = 200  # rows kept of each of the three long logs: every rule test stays fast


@pytest.fixture
def sample(sample_dir, edit_csv) -> Path:
    """The private sample copy with invoices and contacts cut to their first rows and without the
    (optional, customer-independent) outcomes history: dropping rows of those logs cannot break
    any rule, and every rule test stays fast. Tests of the sources use the whole copy."""
    for name in ("invoices", "contacts"):
        edit_csv(sample_dir, name, lambda f: f.head(LOG_ROWS))
    (sample_dir / "outcomes.csv").unlink()
    return sample_dir


@pytest.fixture(scope="module")
def sample_portfolio():
    return load(DATA_SAMPLE)


def test_sample_validates_with_warnings_only_and_typed_tables(sample_portfolio):
    p = sample_portfolio
    assert p.warnings and {w.severity for w in p.warnings} == {"warning"}
    fs = p.statements
    assert fs["fiscal_year"].dtype.kind == "i" and fs["months"].dtype.kind == "i"
    assert fs["audited"].dtype == bool
    assert pd.api.types.is_datetime64_any_dtype(fs["period_end"])
    assert (fs["unit"] == "units").all()
    assert set(TABLES) <= set(p.tables)
    assert p.input_hashes["policy"] == file_sha256(DATA_SAMPLE / "policy.yaml")
    assert p.input_hashes["customers"] == file_sha256(DATA_SAMPLE / "customers.csv")


# --------------------------------------------------------------------------- columns and tables
@pytest.mark.parametrize("table, column", [
    ("customers", "industry"), ("financial_statements", "total_assets"), ("invoices", "due_date"),
    ("bank_credit", "limit"), ("contacts", "kind"), ("fx_rates", "rate_to_base"),
])
def test_missing_required_column(sample, edit_csv, table, column):
    edit_csv(sample, table, lambda f: f.drop(columns=[column]))
    p = one(errors_of(sample), table=table, column=column)
    assert p.row is None and p.source == f"{table}.csv"
    assert f"required column '{column}' is missing" in p.message


def test_unknown_column_with_did_you_mean_hint(sample, edit_csv):
    edit_csv(sample, "financial_statements", lambda f: f.rename(columns={"revenue": "reveune"}))
    errors = errors_of(sample)
    typo = one(errors, table="financial_statements", column="reveune")
    assert "unknown column 'reveune'" in typo.message and "did you mean 'revenue'" in typo.message
    one(errors, table="financial_statements", column="revenue")  # and the real one is missing


def test_unknown_column_without_a_close_name_has_no_hint(sample, edit_csv):
    def add(f):
        f["remarks"] = "x"
    edit_csv(sample, "invoices", add)
    p = one(errors_of(sample), table="invoices", column="remarks")
    assert "unknown column 'remarks'" in p.message and "did you mean" not in p.message


@pytest.mark.parametrize("table", ["customers", "financial_statements"])
def test_missing_required_table(sample, table):
    (sample / f"{table}.csv").unlink()
    p = one(errors_of(sample), table=table)
    assert p.row is None and p.column == ""
    assert f"required table '{table}' is missing" in p.message
    assert p.source == str(sample)


def test_missing_optional_table_is_an_empty_frame_with_contract_columns(sample):
    (sample / "invoices.csv").unlink()
    p = load(sample)
    assert len(p.tables["invoices"]) == 0
    assert list(p.tables["invoices"].columns) == TABLES["invoices"].names
    assert "invoices" not in p.input_hashes


# --------------------------------------------------------------------------- types, blanks, ranges
@pytest.mark.parametrize("table, column, bad, expected", [
    ("financial_statements", "revenue", "lots", "expected an amount, a number like 1234.56 or 1,234.56 (a decimal comma or a comma that does not "
     "group thousands is not read)"),
    ("financial_statements", "period_end", "2024-13-45", "expected a date YYYY-MM-DD"),
    ("financial_statements", "period_end", "31/12/2024", "expected a date YYYY-MM-DD"),
    ("financial_statements", "audited", "maybe", "expected true or false"),
    ("financial_statements", "fiscal_year", "2024.5", "expected a whole number"),
    ("invoices", "amount", "12abc", "expected an amount, a number like 1234.56 or 1,234.56 (a decimal comma or a comma that does not "
     "group thousands is not read)"),
    ("invoices", "invoice_date", "2024-02-30", "expected a date YYYY-MM-DD"),
    ("bank_credit", "overdue_days", "three", "expected a whole number"),
    ("customers", "employees", "12.5", "expected a whole number"),
])
def test_wrong_type(sample, edit_csv, table, column, bad, expected):
    i = 3
    cid = text(sample, table)["customer_id"][i]
    edit_csv(sample, table, _set(column, bad, i))
    p = one(errors_of(sample), table=table, column=column, row=line(i), value=bad)
    assert p.customer_id == cid and p.message == expected and p.source == f"{table}.csv"


@pytest.mark.parametrize("table, column", [
    ("customers", "name"), ("financial_statements", "period_end"), ("financial_statements", "audited"),
    ("invoices", "invoice_date"), ("bank_credit", "lender"), ("contacts", "date"),
])
def test_required_value_missing(sample, edit_csv, table, column):
    i = 5
    cid = text(sample, table)["customer_id"][i]
    edit_csv(sample, table, _set(column, "", i))
    errors = errors_of(sample)
    p = one(errors, table=table, column=column, row=line(i))
    assert p.message == "required value is missing" and p.value == "" and p.customer_id == cid


def test_blank_in_a_nullable_column_is_fine(sample, edit_csv):
    edit_csv(sample, "customers", _set("employees", "", 0))
    assert load(sample).customers["employees"].isna().iloc[0]


@pytest.mark.parametrize("table, column, bad, limit", [
    ("financial_statements", "inventory", "-5", "must be at least 0"),
    ("customers", "employees", "-3", "must be at least 0"),
    ("bank_credit", "overdue_days", "-1", "must be at least 0"),
    ("financial_statements", "months", "13", "must be at most 12"),
    ("financial_statements", "months", "0", "must be at least 1"),
])
def test_out_of_range(sample, edit_csv, table, column, bad, limit):
    i = 2
    cid = text(sample, table)["customer_id"][i]
    edit_csv(sample, table, _set(column, bad, i))
    p = one(errors_of(sample), table=table, column=column, row=line(i), message=limit)
    assert p.value == bad and p.customer_id == cid


@pytest.mark.parametrize("table, column, bad, allowed", [
    ("financial_statements", "unit", "hundreds", "units, thousands, millions"),
    ("bank_credit", "facility_type", "mortgage", "term_loan, credit_line, overdraft"),
    ("bank_credit", "status", "open", "active, closed, defaulted"),
    ("contacts", "kind", "letter", "visit, call, email"),
])
def test_not_in_allowed_values(sample, edit_csv, table, column, bad, allowed):
    i = 1
    edit_csv(sample, table, _set(column, bad, i))
    errors = errors_of(sample)
    p = one(errors, table=table, column=column, row=line(i))
    assert p.value == bad and p.message.startswith("expected one of: ") and allowed in p.message
    assert len(errors) == 1


# --------------------------------------------------------------------------- keys and references
def test_duplicate_statement_key_reports_both_rows(sample, edit_csv):
    fs = text(sample, "financial_statements")
    i, n = 4, len(fs)
    cid, fy = fs["customer_id"][i], fs["fiscal_year"][i]
    edit_csv(sample, "financial_statements", lambda f: pd.concat([f, f.iloc[[i]]], ignore_index=True))
    errors = errors_of(sample)
    dups = find(errors, table="financial_statements", column="customer_id, fiscal_year")
    assert sorted(p.row for p in dups) == [line(i), line(n)]
    first, second = sorted(dups, key=lambda p: p.row)
    for p in dups:
        assert p.customer_id == cid and p.value == f"{cid} / {fy}"
    assert first.message == f"duplicate key (customer_id, fiscal_year); also on row {line(n)}"
    assert second.message == f"duplicate key (customer_id, fiscal_year); first seen on row {line(i)}"
    assert len(errors) == 2


def test_duplicate_invoice_id_reports_both_rows(sample, edit_csv):
    inv = text(sample, "invoices")
    first = inv["invoice_id"][0]
    edit_csv(sample, "invoices", _set("invoice_id", first, 10))
    dups = find(errors_of(sample), table="invoices", column="invoice_id")
    assert sorted(p.row for p in dups) == [line(0), line(10)] and {p.value for p in dups} == {first}


@pytest.mark.parametrize("table", ["invoices", "bank_credit", "contacts", "financial_statements"])
def test_unknown_customer_id(sample, edit_csv, table):
    i = 7
    edit_csv(sample, table, _set("customer_id", "C999X", i))
    p = one(errors_of(sample), table=table, column="customer_id", row=line(i))
    assert p.customer_id == "C999X" and p.value == "C999X"
    assert "unknown customer id" in p.message and "customers table" in p.message


def test_bad_customer_id_characters(sample, edit_csv):
    def add(f):
        row = f.iloc[[0]].copy()
        row["customer_id"] = "../evil"
        return pd.concat([f, row], ignore_index=True)
    n = len(text(sample, "customers"))
    edit_csv(sample, "customers", add)
    errors = errors_of(sample)
    p = one(errors, table="customers", column="customer_id", row=line(n))
    assert p.value == "../evil" and "letters, digits" in p.message
    assert len(errors) == 1


@pytest.mark.parametrize("column, bad, expected", [
    ("industry", "mining", "unknown industry; the policy knows: electronics"),
    ("third_party_rating", "AAA+", "rating not on the policy's rating_scale (AAA, AA, A"),
    ("country", "China", "ISO 3166-1 alpha-2"),
    ("currency", "GBP", "no fx_rates row converts this currency to the base currency CNY"),
])
def test_customer_codes(sample, edit_csv, column, bad, expected):
    i = 3
    cid = text(sample, "customers")["customer_id"][i]
    edit_csv(sample, "customers", _set(column, bad, i))
    errors = errors_of(sample)
    p = one(errors, table="customers", column=column, row=line(i))
    assert p.value == bad and p.customer_id == cid and expected in p.message


def test_malformed_customer_currency_is_reported_once(sample, edit_csv):
    edit_csv(sample, "customers", _set("currency", "usd", 0))
    errors = errors_of(sample)
    iso = find(errors, table="customers", column="currency", message="expected an ISO 4217 code such as CNY, USD or EUR")
    assert len(iso) == 1


# --------------------------------------------------------------------------- statement rules
def test_negative_total_assets(sample, edit_csv):
    i = 0
    cid = text(sample, "financial_statements")["customer_id"][i]
    edit_csv(sample, "financial_statements", _set("total_assets", "-100", i))
    p = one(errors_of(sample), table="financial_statements", column="total_assets", row=line(i),
            message="total assets must be positive")
    assert p.value == "-100" and p.customer_id == cid


def _tolerance(row) -> float:
    return max(1.0, 0.005 * abs(float(row["total_assets"])))


@pytest.mark.parametrize("share, fails", [(1.3, True), (0.7, False)])
def test_balance_sheet_tolerance(sample, edit_csv, share, fails):
    i = 1
    row = text(sample, "financial_statements").iloc[i]
    shift = share * _tolerance(row)
    edit_csv(sample, "financial_statements", _shift("equity", shift, i))
    if not fails:
        load(sample)
        return
    errors = errors_of(sample)
    p = one(errors, table="financial_statements", column="total_assets", row=line(i))
    assert "balance sheet does not balance" in p.message and p.customer_id == row["customer_id"]
    assets = float(row["total_assets"])
    sides = float(row["total_liabilities"]) + float(row["equity"]) + shift
    assert p.value == f"{shown(assets)} ≠ total_liabilities + equity {shown(sides)} (difference {shown(assets - sides)})"
    assert len(errors) == 1


@pytest.mark.parametrize("part, subtotal, formula", [
    ("cash", "current_assets", "cash + receivables + inventory + other_current_assets"),
    ("fixed_assets", "total_assets", "current_assets + fixed_assets"),
    ("payables", "current_liabilities", "payables + short_term_debt + other_current_liabilities"),
    ("long_term_debt", "total_liabilities", "current_liabilities + long_term_debt + other_noncurrent_liabilities"),
    ("cost_of_sales", "ebit", "revenue − cost_of_sales − operating_expenses"),
    ("interest_expense", "net_income", "ebit − interest_expense − income_tax + other_non_operating"),
])
def test_subtotal_identities(sample, edit_csv, part, subtotal, formula):
    i = 2
    row = text(sample, "financial_statements").iloc[i]
    shift = 5 * _tolerance(row)
    edit_csv(sample, "financial_statements", _shift(part, shift, i))
    errors = errors_of(sample)
    p = one(errors, table="financial_statements", row=line(i))
    assert p.column == subtotal and p.customer_id == row["customer_id"]
    assert p.message == f"subtotal contradicts its parts: {subtotal} should be {formula}"


@pytest.mark.parametrize("column", ["revenue", "cash", "equity", "total_liabilities", "current_assets"])
def test_an_unreadable_amount_is_one_error_not_a_cascade(sample, edit_csv, column):
    """A written cell that cannot be read is reported where it is, once: the subtotals and the balance it enters
    are not checked with it read as 0 (which reported, e.g., "ebit should be revenue − …" against a wrong 0)."""
    i = 2
    edit_csv(sample, "financial_statements", _set(column, "abc", i))
    here = [p for p in errors_of(sample) if p.table == "financial_statements" and p.row == line(i)]
    assert [(p.column, p.code) for p in here] == [(column, "not_an_amount")], "\n".join(map(str, here))


def test_an_empty_part_still_counts_as_zero_in_the_identities(sample, edit_csv):
    """Only unreadable cells are left out: an empty cell is 0 in the identities (and, being required, missing),
    so the subtotal it breaks is still reported."""
    i = 2
    row = text(sample, "financial_statements").iloc[i]
    assert float(row["inventory"]) > 5 * _tolerance(row)
    edit_csv(sample, "financial_statements", _set("inventory", "", i))
    here = [p for p in errors_of(sample) if p.table == "financial_statements" and p.row == line(i)]
    assert sorted((p.column, p.code) for p in here) == [("current_assets", "subtotal_mismatch"),
                                                        ("inventory", "missing_value")]


def test_statement_currency_without_fx_rate(sample, edit_csv):
    i = 0
    fs, cu = text(sample, "financial_statements"), text(sample, "customers")
    cid = fs["customer_id"][i]
    cur = cu.set_index("customer_id")["currency"][cid]
    edit_csv(sample, "financial_statements", _set("currency", "GBP", i))
    errors = errors_of(sample)
    p = one(errors, table="financial_statements", column="currency", row=line(i))
    assert p.value == f"GBP vs customer {cur}" and "fx_rates has no rate" in p.message
    assert len(errors) == 1


def test_period_end_after_as_of(sample, edit_csv):
    cid = clean_customers(sample)[0]
    i = statement_row(sample, cid, -1)

    def later(f):
        f.loc[i, "fiscal_year"], f.loc[i, "period_end"] = "2026", "2026-12-31"
    edit_csv(sample, "financial_statements", later)
    errors = errors_of(sample)
    p = one(errors, table="financial_statements", column="period_end", row=line(i))
    assert p.customer_id == cid and p.message == f"statement period ends after as_of {AS_OF}"
    assert len(errors) == 1


@pytest.mark.parametrize("table, change, column, message", [
    ("financial_statements", _set("period_end", "2019-12-31"), "period_end", "period_end must fall in fiscal_year"),
    ("financial_statements", _set("depreciation_amortization", "1e9"), "depreciation_amortization",
     "depreciation_amortization cannot exceed operating_expenses"),
    ("bank_credit", _set("overdue_days", "9999"), "max_overdue_days_24m", "worst overdue days in 24 months cannot be below the current overdue days"),
    ("invoices", _set(["invoice_date", "due_date", "paid_amount", "paid_date"], ["2027-01-01", "2027-02-01", "0", ""]),
     "invoice_date", f"invoice dated after as_of {AS_OF}"),
    ("invoices", _set(["amount", "paid_amount", "paid_date"], ["0", "0", ""]), "amount", "invoice amount must be positive"),
    ("contacts", _set(["resolved", "resolved_date"], ["true", "1999-01-01"]), "resolved_date",
     "resolved before it was raised"),
    ("contacts", _set(["resolved", "resolved_date"], ["", "2026-01-01"]), "resolved_date",
     "a resolved_date needs resolved = true"),
])
def test_other_row_rules(sample, edit_csv, table, change, column, message):
    edit_csv(sample, table, change)
    errors = errors_of(sample)
    p = one(errors, table=table, column=column, row=line(0))
    assert message in p.message
    assert len(errors) == 1


# --------------------------------------------------------------------------- invoices and contacts
def _paid_invoice(folder) -> int:
    inv = text(folder, "invoices")
    paid = (inv["paid_date"] != "") & (inv["paid_amount"].astype(float) > 0)
    return int(inv.index[paid][0])


def test_due_date_before_invoice_date(sample, edit_csv):
    inv = text(sample, "invoices")
    i = 6
    day = (pd.Timestamp(inv["invoice_date"][i]) - pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    edit_csv(sample, "invoices", _set("due_date", day, i))
    p = one(errors_of(sample), table="invoices", column="due_date", row=line(i))
    assert p.value == f"{day} < {inv['invoice_date'][i]}" and p.customer_id == inv["customer_id"][i]
    assert p.message == "due date is before the invoice date"


def test_paid_date_before_invoice_date(sample, edit_csv):
    i = _paid_invoice(sample)
    inv = text(sample, "invoices")
    day = (pd.Timestamp(inv["invoice_date"][i]) - pd.Timedelta(days=3)).strftime("%Y-%m-%d")
    edit_csv(sample, "invoices", _set("paid_date", day, i))
    p = one(errors_of(sample), table="invoices", column="paid_date", row=line(i))
    assert p.value == day and p.message == "payment date is before the invoice date"


def test_paid_amount_above_amount(sample, edit_csv):
    i = _paid_invoice(sample)
    inv = text(sample, "invoices")
    more = fmt_num(float(inv["amount"][i]) + 1.0)
    edit_csv(sample, "invoices", _set("paid_amount", more, i))
    p = one(errors_of(sample), table="invoices", column="paid_amount", row=line(i))
    assert p.value == more and p.message == "paid amount exceeds the invoice amount"


def test_payment_without_paid_date(sample, edit_csv):
    i = _paid_invoice(sample)
    edit_csv(sample, "invoices", _set("paid_date", "", i))
    p = one(errors_of(sample), table="invoices", column="paid_date", row=line(i))
    assert p.message == "a payment needs its paid_date"


def test_complaint_without_resolved(sample, edit_csv):
    i = 4

    def complain(f):
        f.loc[i, ["kind", "resolved", "resolved_date"]] = ["complaint", "", ""]
    edit_csv(sample, "contacts", complain)
    p = one(errors_of(sample), table="contacts", column="resolved", row=line(i))
    assert p.message == "complaints and disputes need resolved = true or false"


# --------------------------------------------------------------------------- all at once
def test_all_problems_in_all_tables_are_reported_at_once(sample, edit_csv):
    edit_csv(sample, "customers", _set("industry", "mining", 1))
    edit_csv(sample, "financial_statements", _set("unit", "hundreds", 2))
    edit_csv(sample, "financial_statements", _set("audited", "maybe", 5))
    edit_csv(sample, "bank_credit", _set("facility_type", "mortgage", 3))
    edit_csv(sample, "contacts", _set("kind", "letter", 4))
    edit_csv(sample, "invoices", _set("customer_id", "NOBODY", 6))
    edit_csv(sample, "fx_rates", _set("as_of", "yesterday", 0))
    with pytest.raises(ValidationError) as info:
        load(sample)
    errors = [p for p in info.value.problems if p.severity == "error"]
    assert sorted((p.table, p.column, p.row) for p in errors) == sorted([
        ("customers", "industry", line(1)), ("financial_statements", "unit", line(2)),
        ("financial_statements", "audited", line(5)), ("bank_credit", "facility_type", line(3)),
        ("contacts", "kind", line(4)), ("invoices", "customer_id", line(6)), ("fx_rates", "as_of", line(0)),
    ])
    assert "7 problem(s) in the input data" in str(info.value)
    assert any(p.severity == "warning" for p in info.value.problems)  # warnings travel along


# --------------------------------------------------------------------------- warnings
def _unaudited(f, rows):
    f.loc[rows[1], "audited"] = "false"


def _one_year(f, rows):
    return f.drop(index=rows[:-1])


def _gap(f, rows):
    return f.drop(index=[rows[1]])


def _partial(f, rows):
    f.loc[rows[0], "months"] = "6"


def _stale(f, rows):
    assert len(rows) >= 3 and f.loc[rows[-2], "period_end"] < "2025-03-31", "sample changed: pick another case"
    return f.drop(index=rows[-1:])


@pytest.mark.parametrize("change, column, message, row_k", [
    (_unaudited, "audited", "statements are not audited", 1),
    (_one_year, "fiscal_year", "only 1 year(s) of statements; the policy asks for 2", 0),
    (_gap, "fiscal_year", "gap in statements: no year ", 0),
    (_partial, "months", "partial year; flows are annualized for ratios", 0),
    (_stale, "period_end", "latest statements are older than 18 months", None),
])
def test_warnings_are_kept_not_raised(sample, edit_csv, sample_portfolio, change, column, message, row_k):
    cid = clean_customers(sample)[0]
    fs = text(sample, "financial_statements")
    rows = list(fs.index[fs["customer_id"] == cid])
    assert sample_portfolio.customer(cid).warnings == []
    edit_csv(sample, "financial_statements", lambda f: change(f, rows))
    p = load(sample)  # must not raise
    w = one(p.warnings, customer_id=cid, column=column)
    assert w.severity == "warning" and w.table == "financial_statements" and w.message.startswith(message)
    if row_k is not None:
        kept = text(sample, "financial_statements")
        assert w.row == line(int(kept.index[kept["customer_id"] == cid][row_k]))
    assert p.customer(cid).warnings == [w]


def test_sample_gap_partial_and_unaudited_warnings_match_the_data(sample_portfolio):
    """Cross-check against the bundled data: exactly the real gaps, partial and unaudited years."""
    fs = pd.read_csv(DATA_SAMPLE / "financial_statements.csv")
    p = sample_portfolio
    partial = {w.customer_id for w in p.warnings if w.column == "months"}
    assert partial == set(fs.loc[fs["months"] < 12, "customer_id"])
    gaps = {cid for cid, ys in fs.groupby("customer_id")["fiscal_year"]
            if ys.max() - ys.min() + 1 != ys.nunique()}
    assert {w.customer_id for w in p.warnings if w.message.startswith("gap")} == gaps
    unaudited = fs[~fs["audited"].astype(bool)]
    assert sorted(w.row for w in p.warnings if w.column == "audited") == sorted(unaudited.index + 2)


# --------------------------------------------------------------------------- CSV line numbers
def test_blank_lines_do_not_shift_row_numbers(sample):
    path = sample / "invoices.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(3, "")                       # a blank line 4 in the file
    lines.insert(6, ",,,,,,,")                # and an empty record on line 7 (spreadsheet export)
    cells = lines[10].split(",")
    cells[5] = "oops"                         # amount on line 11
    lines[10] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    p = one(errors_of(sample), table="invoices", column="amount")
    assert p.row == 11 and p.value == "oops"


# --------------------------------------------------------------------------- inputs untouched
def test_load_never_modifies_the_input_files(sample_dir, edit_csv, tree_hashes):
    before = tree_hashes(sample_dir)
    load(sample_dir)
    assert tree_hashes(sample_dir) == before
    edit_csv(sample_dir, "customers", _set("industry", "mining", 1))
    edit_csv(sample_dir, "invoices", _set("amount", "x", 1))
    before = tree_hashes(sample_dir)
    errors_of(sample_dir)
    assert tree_hashes(sample_dir) == before


# --------------------------------------------------------------------------- sources
def _small_raw(folder: Path) -> dict[str, pd.DataFrame]:
    """Every contract table as raw text; the three large logs cut to a few hundred rows."""
    raw = {name: text(folder, name) for name in TABLES}
    for name in ("invoices", "contacts", "outcomes"):
        raw[name] = raw[name].head(300)
    return raw


@pytest.fixture
def three_sources(sample_dir, tmp_path):
    raw = _small_raw(sample_dir)
    # text a spreadsheet reader may take for "missing": Namibia's country code, the word None
    raw["customers"].loc[0, ["country", "name_en", "account_manager"]] = ["NA", "None", "n/a"]
    folder = tmp_path / "csv"
    write_tables(raw, folder)
    shutil.copy(sample_dir / "policy.yaml", folder / "policy.yaml")
    book = tmp_path / "book" / "portfolio.xlsx"
    book.parent.mkdir()
    write_tables(raw, book)
    url = f"sqlite:///{tmp_path / 'portfolio.db'}"
    write_tables(raw, url)
    return raw, folder, book, url, sample_dir / "policy.yaml"


def test_folder_workbook_and_sql_give_identical_tables(three_sources, tree_hashes):
    raw, folder, book, url, policy = three_sources
    before = tree_hashes(book.parent)
    from_csv = load(folder)
    from_book = load(book, policy=policy)
    from_sql = load(url, policy=policy)
    assert tree_hashes(book.parent) == before
    for name in TABLES:
        for other in (from_book, from_sql):
            pd.testing.assert_frame_equal(other.tables[name], from_csv.tables[name], obj=name)
    assert len(from_csv.statements) == len(raw["financial_statements"])
    first = from_book.customers.iloc[0]
    assert (first["country"], first["name_en"], first["account_manager"]) == ("NA", "None", "n/a")
    assert [w.to_dict() | {"source": ""} for w in from_book.warnings] == \
        [w.to_dict() | {"source": ""} for w in from_csv.warnings]
    assert from_book.source == str(book) and from_sql.source == url
    assert from_sql.input_hashes["customers"] != "" and from_sql.input_hashes["policy"] == file_sha256(policy)


def test_sql_with_typed_columns_gives_the_same_tables(sample, tmp_path):
    typed = {name: pd.read_csv(sample / f"{name}.csv") for name in ("customers", "financial_statements",
                                                                       "fx_rates", "bank_credit")}
    url = f"sqlite:///{tmp_path / 'typed.db'}"
    write_tables(typed, url)
    from_sql = load(url, policy=sample / "policy.yaml")
    for name in ("invoices", "contacts", "assessments", "outcomes", "industry_benchmarks"):
        (sample / f"{name}.csv").unlink(missing_ok=True)
    from_csv = load(sample)
    for name in TABLES:
        pd.testing.assert_frame_equal(from_sql.tables[name], from_csv.tables[name], obj=name)


def test_error_rows_are_sheet_rows_in_a_workbook_and_positions_in_sql(three_sources):
    raw, folder, book, url, policy = three_sources
    i = 4
    raw["financial_statements"].loc[i, "revenue"] = "n/a"
    write_tables(raw, book)
    write_tables(raw, url)
    p = one(errors_of(book, policy=policy), column="revenue", value="n/a")
    assert p.row == i + 2 and p.source == "portfolio.xlsx[financial_statements]"
    p = one(errors_of(url, policy=policy), column="revenue", value="n/a")
    assert p.row == i + 1 and p.source == f"{url}:financial_statements"


def test_workbook_uses_the_policy_beside_it(sample, tmp_path):
    book = tmp_path / "portfolio.xlsx"
    write_tables({"customers": text(sample, "customers").head(3)}, book)
    with pytest.raises(PolicyError, match="policy file not found"):
        load(book)
    shutil.copy(sample / "policy.yaml", tmp_path / "policy.yaml")
    # the policy is found now; the workbook itself lacks the statements sheet
    one(errors_of(book), table="financial_statements", message="required table 'financial_statements' is "
        "missing from the data source")


def test_sql_without_policy_is_an_input_error(three_sources):
    url = three_sources[3]
    with pytest.raises(InputError, match="explicit policy"):
        load(url)


def test_missing_folder_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load(tmp_path / "nowhere")


def test_unsupported_file_is_an_input_error(tmp_path):
    f = tmp_path / "portfolio.txt"
    f.write_text("hello")
    with pytest.raises(InputError, match="unsupported data source"):
        load(f)


def test_missing_sqlite_file_is_an_input_error_and_not_created(tmp_path, sample):
    db = tmp_path / "typo.db"
    with pytest.raises(InputError, match="typo.db"):
        load(f"sqlite:///{db}", policy=sample / "policy.yaml")
    assert not db.exists()


def test_sql_password_is_redacted(three_sources, monkeypatch):
    raw, folder, book, url, policy = three_sources
    real = sqlalchemy.create_engine

    def no_credentials(u, *a, **kw):  # SQLite takes no credentials; drop them after inputs.py saw them
        return real(sqlalchemy.engine.URL.create("sqlite", database=sqlalchemy.engine.make_url(u).database),
                    *a, **kw)
    monkeypatch.setattr(sqlalchemy, "create_engine", no_credentials)
    secret = url.replace("sqlite:///", "sqlite://bob:s3cr3t@/")
    p = load(secret, policy=policy)
    assert "s3cr3t" not in p.source and p.source.startswith("sqlite://bob:***@")
    raw["customers"].loc[0, "industry"] = "mining"
    write_tables(raw, url)
    with pytest.raises(ValidationError) as info:
        load(secret, policy=policy)
    assert "s3cr3t" not in str(info.value)
    assert all("s3cr3t" not in p.source for p in info.value.problems)


def test_unreadable_database_is_an_input_error_without_the_password(sample):
    with pytest.raises(InputError) as info:
        load("postgresql://bob:s3cr3t@127.0.0.1:1/risk", policy=sample / "policy.yaml")
    assert "s3cr3t" not in str(info.value) and "bob:***@" in str(info.value)


# --------------------------------------------------------------------------- normalization
def test_units_and_thousands_normalize_to_the_same_figures(sample, edit_csv):
    cid = clean_customers(sample)[0]
    base = load(sample).customer(cid).statements

    def to_units(f):
        rows = f["customer_id"] == cid
        for c in STATEMENT_MONEY_COLUMNS:
            if c in f:
                f.loc[rows, c] = [fmt_num(float(v) * 1000) if v != "" else "" for v in f.loc[rows, c]]
        f.loc[rows, "unit"] = "units"
    edit_csv(sample, "financial_statements", to_units)
    units = load(sample).customer(cid).statements
    assert list(units["source_unit"].unique()) == ["units"] and list(base["source_unit"].unique()) == ["thousands"]
    cols = list(STATEMENT_MONEY_COLUMNS)
    np.testing.assert_allclose(units[cols].to_numpy(float), base[cols].to_numpy(float), rtol=1e-12)
    assert (units["unit"] == "units").all()


def test_foreign_currency_statements_are_converted_by_hand(sample, edit_csv):
    cny = clean_customers(sample, "CNY")[0]
    usd = clean_customers(sample, "USD")[0]
    fs = text(sample, "financial_statements")
    i, j = statement_row(sample, cny), statement_row(sample, usd)
    rev_i, cash_j = float(fs["revenue"][i]), float(fs["cash"][j])
    pd.DataFrame({"currency": ["USD", "EUR"], "rate_to_base": ["7.0", "8.0"],
                  "as_of": [AS_OF, AS_OF]}).to_csv(sample / "fx_rates.csv", index=False)

    def to_eur(f):
        f.loc[f["customer_id"].isin([cny, usd]), "currency"] = "EUR"
    edit_csv(sample, "financial_statements", to_eur)
    p = load(sample)
    a = p.customer(cny).statements.iloc[0]
    assert a["revenue"] == pytest.approx(rev_i * 1000 * 8.0)           # thousands EUR → CNY
    assert a["currency"] == "CNY" and a["source_currency"] == "EUR"
    b = p.customer(usd).statements.iloc[0]
    assert b["cash"] == pytest.approx(cash_j * 1000 * 8.0 / 7.0)       # EUR → CNY → USD
    assert b["currency"] == "USD" and b["source_currency"] == "EUR"


def test_zero_fx_rate_is_rejected(sample, edit_csv):
    edit_csv(sample, "fx_rates", _set("rate_to_base", "0", 0))
    p = one(errors_of(sample), table="fx_rates", column="rate_to_base", row=2)
    assert p.value == "0" and "positive" in p.message


# --------------------------------------------------------------------------- portfolio
def test_customer_slices_every_table(sample_portfolio):
    p = sample_portfolio
    cid = next(c for c in p.customer_ids
               if all((p.tables[t]["customer_id"] == c).any() for t in ("bank_credit", "invoices", "contacts")))
    c = p.customer(cid)
    for name, part in (("financial_statements", c.statements), ("bank_credit", c.bank_credit),
                       ("invoices", c.invoices), ("contacts", c.contacts)):
        assert len(part) == (p.tables[name]["customer_id"] == cid).sum() > 0
        assert set(part["customer_id"]) == {cid}
    row = p.customers.set_index("customer_id").loc[cid]
    assert c.name == row["name"] and c.currency == row["currency"]
    assert c.industry == p.policy.industries[row["industry"]]
    assert c.domestic == (row["country"] == p.policy.home_country)
    assert all(w.customer_id == cid for w in c.warnings)


def test_unknown_customer_is_a_key_error_naming_it(sample_portfolio):
    with pytest.raises(KeyError, match="C404"):
        sample_portfolio.customer("C404")


def test_customer_digest_tracks_only_that_customers_rows(sample, edit_csv):
    bank = text(sample, "bank_credit")
    mine = bank["customer_id"][0]
    other_i = int(bank.index[bank["customer_id"] != mine][0])
    other = bank["customer_id"][other_i]
    before = load(sample)
    digest, other_digest = before.customer_digest(mine), before.customer_digest(other)
    assert digest != other_digest
    edit_csv(sample, "bank_credit", _shift("outstanding", 1.0, other_i))
    after = load(sample)
    assert after.customer_digest(mine) == digest and after.customer_digest(other) != other_digest
    edit_csv(sample, "bank_credit", _shift("outstanding", 1.0, 0))
    assert load(sample).customer_digest(mine) != digest


def test_any_invoice_changes_every_digest_since_the_provision_matrix_uses_the_whole_ledger(sample, edit_csv):
    inv = text(sample, "invoices")
    mine = inv["customer_id"][0]
    other_i = int(inv.index[inv["customer_id"] != mine][0])
    digest = load(sample).customer_digest(mine)
    edit_csv(sample, "invoices", _shift("amount", 1.0, other_i))
    assert load(sample).customer_digest(mine) != digest


def test_customer_profile_has_warnings_and_provenance(sample_portfolio):
    p = sample_portfolio
    cid = next(w.customer_id for w in p.warnings if w.column == "audited")
    prof = customer_profile(p, cid)
    assert prof["warnings"] == [w.to_dict() for w in p.warnings if w.customer_id == cid] != []
    prov = prof["provenance"]
    assert prov["policy_sha256"] == file_sha256(DATA_SAMPLE / "policy.yaml") == p.policy.sha256
    assert prov["customer_inputs_sha256"] == p.customer_digest(cid)
    assert prov["input_sha256"]["financial_statements"] == file_sha256(DATA_SAMPLE / "financial_statements.csv")
    fs = p.statements[p.statements["customer_id"] == cid]
    assert prof["statement_years"] == sorted(fs["fiscal_year"].tolist())
    assert set(prof["audited_years"]) == set(fs.loc[fs["audited"], "fiscal_year"]) != set(prof["statement_years"])
    assert prof["summary"]["data_warnings"] == len(prof["warnings"])


# --------------------------------------------------------------------------- property
@pytest.fixture(scope="module")
def raw_sample():
    tables, _ = read_tables(DATA_SAMPLE)
    return tables, load_policy(DATA_SAMPLE / "policy.yaml")


@settings(max_examples=25, deadline=None)
@given(factor=st.floats(min_value=1e-3, max_value=1e4),
       share=st.floats(min_value=0.0, max_value=0.9) | st.floats(min_value=1.1, max_value=5.0),
       k=st.integers(min_value=0, max_value=20))
def test_scaled_statements_still_balance(raw_sample, factor, share, k):
    """Scaling every money figure of the (exactly balanced) sample by a positive factor, unit kept,
    keeps every identity: no error at all. Moving one row's equity by ``share`` of its tolerance
    max(abs, rel × total_assets) breaks the balance exactly when share > 1."""
    tables, policy = raw_sample
    fs = tables["financial_statements"]
    frame = fs.frame.copy()
    for c in STATEMENT_MONEY_COLUMNS:
        if c in frame:
            frame[c] = [repr(float(v) * factor) if v != "" else "" for v in frame[c]]
    v = policy.validation
    tol = max(v.balance_tolerance_abs, v.balance_tolerance_rel * abs(float(frame.loc[k, "total_assets"])))
    frame.loc[k, "equity"] = repr(float(frame.loc[k, "equity"]) + share * tol)
    scaled = {"customers": tables["customers"], "fx_rates": tables["fx_rates"],
              "financial_statements": RawTable(fs.name, frame, fs.source, fs.rows)}
    _, problems = validate_tables(scaled, policy, as_of=AS_OF)
    errors = [p for p in problems if p.severity == "error"]
    if share < 1:
        assert errors == []
    else:
        assert [(p.column, p.row) for p in errors] == [("total_assets", int(fs.rows[k]))]
        assert any(w in errors[0].message for w in IDENTITY_WORDS)


# --------------------------------------------------------------------------- rules added with the ratio catalogue
def test_customer_without_statements_is_a_warning_not_an_error(sample, edit_csv):
    cu = text(sample, "customers")
    row = cu.iloc[[0]].assign(customer_id="NOFS1", name="No Statements Ltd")
    edit_csv(sample, "customers", lambda f: pd.concat([f, row], ignore_index=True))
    p = load(sample)
    w = [w for w in p.warnings if w.customer_id == "NOFS1"]
    assert len(w) == 1 and w[0].row == len(cu) + 2 and "no financial statements" in w[0].message


@pytest.mark.parametrize("value", ["2025", "2025-12", "31/12/2025", "2025-12-31T10:30:00"])
def test_dates_must_be_year_month_day(sample, edit_csv, value):
    edit_csv(sample, "financial_statements", _set("period_end", value))
    p = one(errors_of(sample), table="financial_statements", column="period_end", row=2)
    assert p.message == "expected a date YYYY-MM-DD" and p.value == value


def test_spreadsheet_midnight_time_is_accepted(sample, edit_csv):
    fs = text(sample, "financial_statements")
    edit_csv(sample, "financial_statements", _set("period_end", fs.loc[0, "period_end"] + " 00:00:00"))
    assert load(sample).statements is not None


def test_invoice_currency_without_fx_rate_is_an_error(sample, edit_csv):
    edit_csv(sample, "invoices", _set("currency", "GBP", 3))
    p = one(errors_of(sample), table="invoices", column="currency", row=5)
    assert "no fx_rates row converts" in p.message and p.value == "GBP"


def test_base_currency_rate_must_be_one(sample, edit_csv):
    fx = text(sample, "fx_rates")
    row = fx.iloc[[0]].assign(currency="CNY", rate_to_base="1.1")
    edit_csv(sample, "fx_rates", lambda f: pd.concat([f, row], ignore_index=True))
    p = one(errors_of(sample), table="fx_rates", column="rate_to_base")
    assert "converts to itself at 1" in p.message


@pytest.mark.parametrize("column,value,message", [
    ("industry", "mining", "unknown industry"),
    ("ratio", "current_ratio_x", "not a ratio of the catalogue"),
    ("q1", "9.9", "quartiles must be ordered"),
])
def test_industry_benchmark_rules(sample, edit_csv, column, value, message):
    edit_csv(sample, "industry_benchmarks", _set(column, value))
    errors = errors_of(sample)
    p = one(errors, table="industry_benchmarks", row=2)
    assert message in p.message


def test_header_only_assessments_table_validates(sample_dir, edit_csv):
    """A customer without qualitative assessments (its extract's assessments table has only a header, as
    ``riskbook verify`` loads it) validates: the age check of an empty date column used to raise TypeError."""
    edit_csv(sample_dir, "assessments", lambda f: f.iloc[:0])
    pf = load_portfolio(sample_dir, as_of="2026-09-30")
    assert pf.tables["assessments"].empty
    assert not any(w.table == "assessments" and w.code == "stale_assessment" for w in pf.warnings)


# --------------------------------------------------------------------------- numbers are never guessed
@pytest.mark.parametrize("cell", ["1.234,56", "1,5", "12,34,567", "1_000", "1 234", "(1,200)", "1.2.3"])
def test_an_ambiguous_or_foreign_number_is_refused_not_guessed(sample, edit_csv, cell):
    """A European amount and a comma that does not group thousands are errors naming file, row, column and
    value; before, every comma was dropped and 1.234,56 became 1.23456 (and 1,5 became 15) silently."""
    edit_csv(sample, "invoices", _set("amount", cell, 3))
    p = one(errors_of(sample), table="invoices", column="amount")
    assert p.row == 5 and p.value == cell and p.source == "invoices.csv"  # header is line 1, row 3 is line 5
    assert "1,234.56" in p.message and "decimal comma" in p.message


@pytest.mark.parametrize("cell, value", [("1,234.56", 1234.56), ("1,500", 1500.0), ("12345.5", 12345.5),
                                         (" 42 ", 42.0), ("1.5E+03", 1500.0), ("2,000,000", 2e6)])
def test_plain_and_thousands_grouped_numbers_are_read(sample, edit_csv, cell, value):
    edit_csv(sample, "invoices", lambda f: f.assign(paid_amount=f["paid_amount"].where(f.index != 3, "0"),
                                                      paid_date=f["paid_date"].where(f.index != 3, "")))
    edit_csv(sample, "invoices", _set("amount", cell, 3))
    portfolio = load(sample)
    inv = portfolio.tables["invoices"]
    assert inv["amount"].iloc[3] == value


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False),
       st.sampled_from(["{:,.2f}", "{:.2f}", "{!r}", "{:,}", "{:.3E}"]))
def test_numbers_written_the_usual_ways_read_back_as_written(x, pattern):
    from helpers.data.contract import Column
    from helpers.data.validate import _parse_column

    cell = pattern.format(x)
    values, bad = _parse_column(Column("amount", "money", description=""), pd.Series([cell]))
    assert not bad.iloc[0] and values.iloc[0] == float(cell.replace(",", ""))


@given(st.integers(0, 999), st.integers(1, 99).filter(lambda n: n >= 10 ** 0 and len(str(n)) != 3))
def test_a_comma_not_grouping_three_digits_is_never_read(head, tail):
    from helpers.data.contract import Column
    from helpers.data.validate import _parse_column

    cell = f"{head},{tail}"  # 1,5 / 12,34 / 999,7: a decimal comma, not thousands
    values, bad = _parse_column(Column("amount", "money", description=""), pd.Series([cell]))
    assert bad.iloc[0] and pd.isna(values.iloc[0])



# --------------------------------------------------------------------------- messages, not tracebacks
def test_a_duplicate_customer_is_reported_not_a_crash(sample, edit_csv):
    edit_csv(sample, "customers", lambda f: pd.concat([f, f.iloc[[0]]], ignore_index=True))
    errors = errors_of(sample)  # before: pandas InvalidIndexError while mapping currencies
    dups = find(errors, table="customers", column="customer_id")
    assert sorted(p.row for p in dups) == [2, len(text(sample, "customers")) + 1]


def test_a_header_only_statements_file_validates_with_a_warning_per_customer(sample):
    header = (sample / "financial_statements.csv").read_text(encoding="utf-8").splitlines()[0]
    (sample / "financial_statements.csv").write_text(header + "\n", encoding="utf-8")
    portfolio = load(sample)  # before: numpy UFuncNoLoopError in the accounting identities
    assert len(portfolio.statements) == 0
    assert sum("no financial statements on file" in w.message for w in portfolio.warnings) == \
        len(portfolio.customer_ids)


def test_a_header_only_customers_file_says_so_once(sample):
    header = (sample / "customers.csv").read_text(encoding="utf-8").splitlines()[0]
    (sample / "customers.csv").write_text(header + "\n", encoding="utf-8")
    errors = errors_of(sample)  # before: one "unknown customer" error per row of every table (10,636)
    assert [p.message for p in errors] == ["the customers table has no rows: every other table refers to its "
                                           "customers"]


def test_a_table_that_is_a_folder_is_an_input_error(sample):
    (sample / "contacts.csv").unlink()
    (sample / "contacts.csv").mkdir()
    with pytest.raises(InputError, match="contacts.csv: is not a file"):  # before: IsADirectoryError
        load(sample)


@pytest.mark.parametrize("table, column", [("customers", "relationship_since"), ("customers", "founded"),
                                           ("bank_credit", "report_date"), ("contacts", "date"),
                                           ("fx_rates", "as_of")])
def test_a_date_after_as_of_is_an_error(sample, edit_csv, table, column):
    """A bank report dated next year or a relationship that starts in the future used to pass (and scoring
    clipped the negative age to zero)."""
    edit_csv(sample, table, _set(column, "2027-01-15", 0))
    p = one(errors_of(sample, as_of="2026-09-30"), table=table, column=column)
    assert p.row == 2 and p.value == "2027-01-15" and "after as_of 2026-09-30" in p.message


def test_a_payment_after_as_of_is_an_error_but_a_later_due_date_is_not(sample, edit_csv):
    inv = text(sample, "invoices")
    i = int(inv.index[inv["paid_date"] != ""][0])
    edit_csv(sample, "invoices", _set("paid_date", "2026-11-01", i))
    p = one(errors_of(sample, as_of="2026-09-30"), table="invoices", column="paid_date")
    assert p.row == i + 2
    edit_csv(sample, "invoices", _set("paid_date", inv.loc[i, "paid_date"], i))
    load(sample, as_of="2026-09-30")  # invoices due after the as-of date (the sample has hundreds) are fine
