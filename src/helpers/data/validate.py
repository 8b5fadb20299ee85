"""Validation of the contract tables, once, at the input boundary.

Every table declared in :mod:`helpers.data.contract` is checked column by column and rule by rule,
and only then converted to typed frames. All problems are collected before anything is raised, so a
user fixes their data in one pass: :class:`~helpers.exceptions.ValidationError` carries every
:class:`~helpers.exceptions.Problem` with table, row, column, customer, value and what was expected.
Each problem has a stable ``code`` and the figures of its sentence in ``args`` (the English ``message`` is
for the command line); :mod:`helpers.report.problems` says it in the reader's language.
"""
from __future__ import annotations

import difflib
import functools
import re
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from ..config import Policy
from ..exceptions import Problem, printable
from .contract import RATIO_NAMES, STATEMENT_MONEY_COLUMNS, TABLES, UNIT_FACTORS, Column, Table
from .sources import RawTable

__all__ = ["validate_tables", "normalize_statements", "rates_to_base", "whole_months"]

_ROW = "_row"        # source row number kept beside every record while validating
_ID_RE = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}$"
_TRUE = {"true", "t", "yes", "y", "1", "1.0"}
_FALSE = {"false", "f", "no", "n", "0", "0.0"}
_DATE_RE = r"^\d{4}-\d{2}-\d{2}(?:[ T]00:00(?::00(?:\.0+)?)?)?$"


# --------------------------------------------------------------------------- validation
class _Collector:
    """Collects problems; ``add`` takes a boolean mask over a table's rows."""

    def __init__(self):
        self.problems: list[Problem] = []

    def add(self, severity: str, raw: RawTable, mask, column: str, message: str,
            values: pd.Series | None = None, customers: pd.Series | None = None, frame=None,
            code: str | Callable[[int], str] = "", args: dict | Callable[[int], dict] | None = None):
        """Record one problem per True in ``mask`` (positional over the table's rows).

        ``code`` and ``args`` are the problem's stable code and the figures of its sentence; either may be a
        function of the row's position, for codes or figures that differ from row to row (called only for the
        rows in ``mask``)."""
        frame = raw.frame if frame is None else frame
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        idx = np.flatnonzero(mask)
        vals = values if values is not None else (frame[column] if column in frame else None)
        cust = customers if customers is not None else (frame["customer_id"] if "customer_id" in frame else None)
        for i in idx:
            v = "" if vals is None else vals.iloc[i]
            c = None if cust is None else cust.iloc[i]
            c = None if c is None or c != c or c == "" else str(c)
            self.problems.append(Problem(severity, raw.name, column, int(raw.rows[i]), c, _fmt(v), message,
                                         raw.source, code(i) if callable(code) else code,
                                         dict(args(i) if callable(args) else args or {})))

    def table(self, severity: str, raw: RawTable | None, table: str, column: str, message: str, source: str = "",
              code: str = "", args: dict | None = None):
        """Record one problem of a table as a whole (no row)."""
        self.problems.append(Problem(severity, table, column, None, None, "", message,
                                     raw.source if raw is not None else source, code, dict(args or {})))


def _num(v) -> float | None:
    """A figure for a problem's ``args``: a plain float, None for a missing one (JSON-ready)."""
    return None if v is None or pd.isna(v) else float(v)


def _day(v) -> str:
    """A date for a problem's ``args``: ``YYYY-MM-DD``, ``""`` for a missing one."""
    return "" if v is None or pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d")


#: A number as riskbook reads it: optional sign, digits (thousands grouped by commas, or not at all), an
#: optional decimal point, an optional exponent (spreadsheets write 1.5E-05).
_NUMBER_RE = r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?(?:[eE][+-]?\d+)?|[+-]?\.\d+(?:[eE][+-]?\d+)?"
#: The marks of the default convention: decimal point, thousands comma.
_DEFAULT_MARKS = (".", ",")
#: What a thousands mark declared in the policy matches in a cell: a declared space also matches the
#: no-break spaces that French and other locales write (U+00A0, U+202F).
_THOUSANDS_CHARS = {" ": " \u00a0\u202f"}


@functools.lru_cache(maxsize=None)
def _number_re(decimal: str, thousands: str) -> str:
    """:data:`_NUMBER_RE` for other marks: the same shape, with ``decimal`` as the decimal mark and
    ``thousands`` (possibly none) allowed only between groups of three digits."""
    if (decimal, thousands) == _DEFAULT_MARKS:
        return _NUMBER_RE
    d = re.escape(decimal)
    t = "[" + re.escape(_THOUSANDS_CHARS.get(thousands, thousands)) + "]" if thousands else ""
    grouped = rf"\d{{1,3}}(?:{t}\d{{3}})+|" if thousands else ""
    exp = r"(?:[eE][+-]?\d+)?"
    return rf"[+-]?(?:{grouped}\d+)(?:{d}\d*)?{exp}|[+-]?{d}\d+{exp}"


#: Date columns that cannot lie after the analysis date (the ones with their own rule — statement period
#: ends, invoice dates, assessment dates — are checked with it; due dates may of course be later).
_NOT_AFTER_AS_OF = {"customers": ("founded", "relationship_since"), "bank_credit": ("report_date",),
                    "invoices": ("paid_date",), "contacts": ("date", "resolved_date"), "fx_rates": ("as_of",)}


#: The largest statement figure riskbook reads, in whole currency units (a quadrillion): beyond it the ratios
#: of a small business's accounts are no longer meaningful, and a wrong unit is far likelier.
_MAX_AMOUNT = 1e15


def _fmt(v) -> str:
    """A value as a message shows it: numbers with thousands commas, dates as YYYY-MM-DD, text with its
    control, format and bidirectional characters escaped (``\\x00``, ``\\n``, ``\\u202e``)."""
    if isinstance(v, (float, np.floating)):
        return "" if np.isnan(v) else f"{v:,.6g}" if abs(v) < 1e6 else f"{v:,.0f}"
    if isinstance(v, pd.Timestamp):
        return "" if pd.isna(v) else v.strftime("%Y-%m-%d")
    return printable(v)


def _read_numbers(text: pd.Series, decimal: str, thousands: str) -> tuple[pd.Series, pd.Series]:
    """Numbers of a text column written with the given marks, and where a cell has the wrong shape."""
    text = text.str.strip()
    shaped = text.str.fullmatch(_number_re(decimal, thousands))
    cleaned = text
    for mark in _THOUSANDS_CHARS.get(thousands, thousands):
        cleaned = cleaned.str.replace(mark, "", regex=False)
    if decimal != ".":
        cleaned = cleaned.str.replace(decimal, ".", regex=False)
    return cleaned, shaped


def _parse_column(col: Column, text: pd.Series, marks: tuple[str, str] = _DEFAULT_MARKS,
                  stored: np.ndarray | None = None) -> tuple[pd.Series, pd.Series]:
    """Parse one text column by its declared kind. Returns (values, bad) where ``bad`` marks
    non-empty cells that could not be parsed.

    ``marks`` are the decimal and thousands marks of numbers written as text (the policy's ``input``);
    ``stored`` marks the cells the source stored as numbers (workbook, database), whose text always uses
    the default marks."""
    empty = text == ""
    if col.kind == "str":
        return text.where(~empty, None), pd.Series(False, index=text.index)
    if col.kind in ("float", "money", "int"):
        # Only plain numbers, with thousands marks where they group thousands: "1,234.56" is read, while
        # "1.234,56" (a decimal comma), "1,5" or "12,34,567" are refused rather than guessed at (removing
        # every comma made them 1.23456, 15 and 1234567 without a word); other marks only when declared.
        cleaned, shaped = _read_numbers(text, *marks)
        if stored is not None and marks != _DEFAULT_MARKS and stored.any():
            plain, plain_shaped = _read_numbers(text, *_DEFAULT_MARKS)
            cleaned, shaped = cleaned.where(~stored, plain), shaped.where(~stored, plain_shaped)
        num = pd.to_numeric(cleaned.where(~empty & shaped.astype(bool)), errors="coerce").astype(float)
        bad = ~empty & (num.isna() | np.isinf(num.fillna(0.0)))
        if col.kind == "int":
            frac = ~num.isna() & (num != np.round(num))
            bad |= frac
            num = num.where(~bad)
        return num.where(~bad), bad
    if col.kind == "date":
        shaped = text.str.match(_DATE_RE)  # YYYY-MM-DD (a midnight time from spreadsheets is tolerated)
        dates = pd.to_datetime(text.where(~empty & shaped).str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
        return dates, ~empty & dates.isna()
    if col.kind == "bool":
        low = text.str.lower()
        val = pd.Series(np.where(low.isin(_TRUE), True, np.where(low.isin(_FALSE), False, None)),
                        index=text.index, dtype=object)
        return val, ~empty & val.isna()
    raise ValueError(f"unknown column kind {col.kind}")


_EXPECT = {"str": "text", "float": "a number (1234.5 or 1,234.5)",
           "money": "an amount, a number like 1234.56 or 1,234.56 (a decimal comma or a comma that does not "
                    "group thousands is not read)", "int": "a whole number",
           "date": "a date YYYY-MM-DD", "bool": "true or false"}
_MARK_NAMES = {".": "'.'", ",": "','", " ": "a space", "'": "\"'\"", "": "none"}


def _expect(kind: str, marks: tuple[str, str]) -> str:
    """What a cell of ``kind`` should hold, in the marks the policy declares."""
    if kind not in ("float", "money") or marks == _DEFAULT_MARKS:
        return _EXPECT[kind]
    decimal, thousands = marks
    plain = f"1234{decimal}56"
    grouped = f" or 1{thousands}234{decimal}56" if thousands else ""
    what = "an amount, a number" if kind == "money" else "a number"
    return (f"{what} like {plain}{grouped} (the policy's input: decimal {_MARK_NAMES[decimal]}, thousands "
            f"{_MARK_NAMES[thousands]}; other marks, or a thousands mark that does not group thousands, are not read)")


#: The code of a cell that is not a value of its column's kind (see :func:`_parse_codes`).
_NOT_A = {"float": "not_a_number", "money": "not_an_amount", "int": "not_a_whole_number", "date": "not_a_date",
          "bool": "not_a_boolean"}


def _parse_codes(col: Column, text: pd.Series, marks: tuple[str, str]) -> tuple[Callable[[int], str],
                                                                                Callable[[int], dict]]:
    """The code and figures of each unreadable cell of ``col``: ``decimal_comma`` for a number that reads with
    a decimal comma where the policy declares a decimal point (``1.234,56``, ``1,5``), else by the column's
    kind (``not_a_number``, ``not_an_amount``, ``not_a_whole_number``, ``not_a_date``, ``not_a_boolean``)."""
    decimal, thousands = marks
    base: dict = {"kind": col.kind}
    if col.kind in ("float", "money", "int"):
        examples = [f"1234{decimal}56"] + ([f"1{thousands}234{decimal}56"] if thousands else [])
        base.update(decimal=decimal, thousands=thousands,
                    examples=[e.split(decimal)[0] for e in examples] if col.kind == "int" else examples)
        cleaned, comma = _read_numbers(text, ",", ".")  # read the other way round: 1.234,56 → 1234.56
        finite = np.isfinite(pd.to_numeric(cleaned.where(comma.fillna(False).astype(bool)), errors="coerce"))
        comma = (comma.fillna(False).astype(bool) & text.str.contains(",", regex=False) & finite).to_numpy() \
            & (decimal == ".")

        def code(i: int) -> str:
            return "decimal_comma" if comma[i] else _NOT_A[col.kind]

        def args(i: int) -> dict:
            return {**base, "reading": cleaned.iloc[i]} if comma[i] else dict(base)

        return code, args
    if col.kind == "date":
        base["format"] = "YYYY-MM-DD"
    return (lambda i: _NOT_A[col.kind]), (lambda i: dict(base))


def _check_table(raw: RawTable, spec: Table, out: _Collector, marks: tuple[str, str] = _DEFAULT_MARKS) \
        -> pd.DataFrame | None:
    """Check columns, types, ranges and keys of one table; return its typed frame."""
    frame = raw.frame
    present = list(frame.columns)
    missing = [c.name for c in spec.columns if c.required and c.name not in present]
    unknown = [c for c in present if c not in spec.names]
    required = [c.name for c in spec.columns if c.required]
    for name in missing:
        out.table("error", raw, spec.name, name, f"required column '{name}' is missing "
                  f"(expected columns: {', '.join(required)})", code="missing_column",
                  args={"column": name, "expected": required})
    for name in unknown:
        hint = _closest(name, spec.names)
        out.table("error", raw, spec.name, name, f"unknown column '{printable(name)}'" +
                  (f" (did you mean '{hint}'?)" if hint else "") + "; see docs/data-contract.md",
                  code="unknown_column", args={"column": printable(name), "suggestion": hint or ""})
    typed = {}
    for col in spec.columns:
        if col.name not in present:
            continue
        text = frame[col.name]
        values, bad = _parse_column(col, text, marks, raw.numeric.get(col.name))
        if bad.any():
            code, args = _parse_codes(col, text, marks)
            out.add("error", raw, bad, col.name, f"expected {_expect(col.kind, marks)}", code=code, args=args)
        blank = (text == "")
        if not col.nullable:
            out.add("error", raw, blank, col.name, "required value is missing", code="missing_value")
        if col.kind in ("float", "money", "int"):
            if col.min is not None:
                out.add("error", raw, values < col.min, col.name, f"must be at least {col.min:g}", values,
                        code="below_minimum", args={"min": float(col.min)})
            if col.max is not None:
                out.add("error", raw, values > col.max, col.name, f"must be at most {col.max:g}", values,
                        code="above_maximum", args={"max": float(col.max)})
        if col.allowed is not None:
            out.add("error", raw, ~blank & ~text.isin(col.allowed), col.name,
                    f"expected one of: {', '.join(col.allowed)}", code="not_allowed",
                    args={"allowed": list(col.allowed)})
        typed[col.name] = values
    if missing:
        return None
    typed_frame = pd.DataFrame(typed, index=frame.index)
    for col in spec.columns:  # optional columns absent from the file
        if col.name not in typed_frame:
            typed_frame[col.name] = 0.0 if col.kind == "money" else None
    keys = list(spec.key)
    dup = typed_frame.duplicated(keys, keep=False) & typed_frame[keys].notna().all(axis=1)
    if dup.any():
        key_text = frame[keys].agg(" / ".join, axis=1)
        rows_of: dict[str, list[int]] = {}
        for i in np.flatnonzero(dup.to_numpy()):
            rows_of.setdefault(key_text.iloc[i], []).append(int(raw.rows[i]))
        for i in np.flatnonzero(dup.to_numpy()):
            rows, row = rows_of[key_text.iloc[i]], int(raw.rows[i])
            first, others = rows[0], [r for r in rows if r != row][:10]
            where = (f"first seen on row {first}" if first != row else
                     f"also on row{'s' if len(others) > 1 else ''} {', '.join(map(str, others))}")
            out.problems.append(Problem("error", spec.name, ", ".join(keys), row,
                                        frame["customer_id"].iloc[i] if "customer_id" in frame else None,
                                        printable(key_text.iloc[i]), f"duplicate key ({', '.join(keys)}); {where}",
                                        raw.source, "duplicate_key",
                                        {"columns": keys, "first_row": first if first != row else None,
                                         "rows": others if first == row else []}))
    typed_frame[_ROW] = raw.rows
    return typed_frame


def _closest(name: str, options: Iterable[str]) -> str | None:
    match = difflib.get_close_matches(name, list(options), n=1, cutoff=0.75)
    return match[0] if match else None


def _tolerance(total_assets: pd.Series, policy: Policy) -> pd.Series:
    v = policy.validation
    return np.maximum(v.balance_tolerance_abs, v.balance_tolerance_rel * total_assets.abs())


def _check_statements(fs: pd.DataFrame, raw: RawTable, policy: Policy, customers: pd.DataFrame | None,
                      fx: pd.DataFrame | None, as_of: pd.Timestamp, out: _Collector) -> None:
    """Accounting identities, currencies and the warnings on statement coverage."""
    m = {c: fs[c].fillna(0.0) for c in STATEMENT_MONEY_COLUMNS}
    factor = fs["unit"].map(UNIT_FACTORS).astype(float).fillna(1.0)
    for c in STATEMENT_MONEY_COLUMNS:  # in whole units, as the analysis reads them: never beyond 10^15
        out.add("error", raw, ~((m[c] * factor).abs() <= _MAX_AMOUNT), c,
                f"after the unit factor the amount exceeds {_MAX_AMOUNT:.0e} currency units: check the unit column",
                code="amount_too_large", args=lambda i: {"limit": _MAX_AMOUNT, "unit": fs["unit"].iloc[i] or ""})
    tol = _tolerance(m["total_assets"], policy)
    out.add("error", raw, fs["total_assets"] <= 0, "total_assets",
            "total assets must be positive", fs["total_assets"], code="not_positive")

    # a cell that was written but could not be read is reported once, where it is: the subtotals and the
    # balance it enters are not checked with it read as 0 (they would only repeat the error, wrongly)
    unread = {c: (fs[c].isna() & (raw.frame[c] != "")).to_numpy() if c in raw.frame else np.zeros(len(fs), bool)
              for c in STATEMENT_MONEY_COLUMNS}  # raw cells are stripped text, '' when empty (as _parse_column reads)

    def readable(*columns: str) -> np.ndarray:
        return ~np.logical_or.reduce([unread[c] for c in columns])

    def identity(column: str, parts: pd.Series, formula: str):
        diff = (m[column] - parts).abs()
        bad = (diff > tol) & fs[column].notna() & readable(column, *re.findall(r"[a-z_]+", formula))
        values = fs[column].map(_fmt).astype(str) + " ≠ " + parts.map(_fmt).astype(str)
        out.add("error", raw, bad, column, f"subtotal contradicts its parts: {column} should be {formula}", values,
                code="subtotal_mismatch", args=lambda i: {"column": column, "formula": formula,
                                                          "reported": _num(fs[column].iloc[i]),
                                                          "parts": _num(parts.iloc[i])})

    identity("current_assets", m["cash"] + m["receivables"] + m["inventory"] + m["other_current_assets"],
             "cash + receivables + inventory + other_current_assets")
    identity("total_assets", m["current_assets"] + m["fixed_assets"], "current_assets + fixed_assets")
    identity("current_liabilities", m["payables"] + m["short_term_debt"] + m["other_current_liabilities"],
             "payables + short_term_debt + other_current_liabilities")
    identity("total_liabilities", m["current_liabilities"] + m["long_term_debt"] + m["other_noncurrent_liabilities"],
             "current_liabilities + long_term_debt + other_noncurrent_liabilities")
    identity("ebit", m["revenue"] - m["cost_of_sales"] - m["operating_expenses"],
             "revenue − cost_of_sales − operating_expenses")
    identity("net_income", m["ebit"] - m["interest_expense"] - m["income_tax"] + m["other_non_operating"],
             "ebit − interest_expense − income_tax + other_non_operating")
    bal = m["total_liabilities"] + m["equity"]
    gap = m["total_assets"] - bal
    out.add("error", raw, (gap.abs() > tol) & fs["total_assets"].notna()
            & readable("total_assets", "total_liabilities", "equity"), "total_assets",
            "balance sheet does not balance: total_assets ≠ total_liabilities + equity",
            fs["total_assets"].map(_fmt).astype(str) + " ≠ total_liabilities + equity " + bal.map(_fmt).astype(str)
            + " (difference " + gap.map(_fmt).astype(str) + ")", code="unbalanced_balance_sheet",
            args=lambda i: {"total_assets": _num(fs["total_assets"].iloc[i]),
                            "liabilities_and_equity": _num(bal.iloc[i]), "difference": _num(gap.iloc[i])})
    out.add("error", raw, m["depreciation_amortization"] > m["operating_expenses"] + tol,
            "depreciation_amortization", "depreciation_amortization cannot exceed operating_expenses",
            code="depreciation_exceeds_expenses",
            args=lambda i: {"depreciation_amortization": _num(m["depreciation_amortization"].iloc[i]),
                            "operating_expenses": _num(m["operating_expenses"].iloc[i])})
    pe = fs["period_end"]
    fy_mismatch = pe.notna() & fs["fiscal_year"].notna() & (pe.dt.year != fs["fiscal_year"])
    out.add("error", raw, fy_mismatch, "period_end", "period_end must fall in fiscal_year",
            pe.dt.strftime("%Y-%m-%d") + " vs " + fs["fiscal_year"].map(_fmt).astype(str),
            code="period_outside_fiscal_year",
            args=lambda i: {"period_end": _day(pe.iloc[i]), "fiscal_year": int(fs["fiscal_year"].iloc[i])})
    out.add("error", raw, pe > as_of, "period_end", f"statement period ends after as_of {as_of:%Y-%m-%d}",
            code="date_after_as_of", args={"column": "period_end", "as_of": f"{as_of:%Y-%m-%d}"})
    # currencies: statements in another currency than the customer's need rates for both
    if customers is not None:
        cur = fs["customer_id"].map(customers.drop_duplicates("customer_id").set_index("customer_id")["currency"])
        rates = set(fx["currency"]) if fx is not None else set()
        rates.add(policy.base_currency)
        needs = fs["currency"].notna() & cur.notna() & (fs["currency"] != cur)
        lacking = needs & ~(fs["currency"].isin(rates) & cur.isin(rates))
        out.add("error", raw, lacking, "currency",
                "statement currency differs from the customer's currency "
                "and fx_rates has no rate to convert it", fs["currency"] + " vs customer " + cur.astype(object).fillna(""),
                code="statement_currency_without_rate",
                args=lambda i: {"currency": fs["currency"].iloc[i], "customer_currency": cur.iloc[i]})
    # warnings kept for the report
    out.add("warning", raw, fs["audited"] == False, "audited", "statements are not audited",  # noqa: E712
            code="unaudited")
    out.add("warning", raw, fs["months"] < 12, "months", "partial year; flows are annualized for ratios",
            code="partial_year")
    # by the groups' own rows: an id of NUL characters compares unequal to itself in pandas' string compare
    for cid, sub in fs.sort_values(["customer_id", "fiscal_year"]).groupby("customer_id"):
        ys = [int(y) for y in sub["fiscal_year"] if y == y]
        first = int(raw.rows[fs.index.get_indexer(sub.index).min()])
        if len(ys) < policy.validation.min_years:
            out.problems.append(Problem("warning", raw.name, "fiscal_year", first, cid, ", ".join(map(str, ys)),
                                        f"only {len(ys)} year(s) of statements; the policy asks for "
                                        f"{policy.validation.min_years}", raw.source, "few_years",
                                        {"n": len(ys), "min": policy.validation.min_years}))
        gaps = [y for y in range(min(ys), max(ys)) if y not in ys] if ys else []
        if gaps:
            out.problems.append(Problem("warning", raw.name, "fiscal_year", first, cid, ", ".join(map(str, ys)),
                                        f"gap in statements: no year {', '.join(map(str, gaps))}", raw.source,
                                        "year_gap", {"years": gaps}))
    latest = fs.groupby("customer_id")["period_end"].max()
    stale_limit = as_of - pd.DateOffset(months=policy.validation.stale_statement_months)
    for cid, pe_max in latest[latest < stale_limit].items():
        out.problems.append(Problem("warning", raw.name, "period_end", None, cid, f"{pe_max:%Y-%m-%d}",
                                    f"latest statements are older than {policy.validation.stale_statement_months} "
                                    "months", raw.source, "stale_statements",
                                    {"months": policy.validation.stale_statement_months}))


def _check_customers(cu: pd.DataFrame, raw: RawTable, policy: Policy, fx: pd.DataFrame | None, out: _Collector):
    ids = cu["customer_id"].fillna("")
    out.add("error", raw, (ids != "") & ~ids.str.fullmatch(_ID_RE), "customer_id",  # fullmatch: "C001\n" too
            "customer ids may use letters, digits, '-', '_' and '.', start with a letter or digit, "
            "at most 40 characters", code="invalid_customer_id", args={"max_length": 40})
    out.add("error", raw, cu["industry"].notna() & ~cu["industry"].isin(list(policy.industries)), "industry",
            f"unknown industry; the policy knows: {', '.join(policy.industries)}", code="unknown_industry",
            args={"known": list(policy.industries)})
    out.add("error", raw, cu["country"].notna() & ~cu["country"].fillna("").str.match(r"^[A-Z]{2}$"), "country",
            "expected an ISO 3166-1 alpha-2 code such as CN or DE", code="invalid_country")
    rating = cu["third_party_rating"]
    out.add("error", raw, rating.notna() & ~rating.isin(policy.rating_scale), "third_party_rating",
            f"rating not on the policy's rating_scale ({', '.join(policy.rating_scale)})", code="unknown_rating",
            args={"scale": list(policy.rating_scale)})
    rates = set(fx["currency"]) if fx is not None else set()
    rates.add(policy.base_currency)
    out.add("error", raw, cu["currency"].notna() & ~cu["currency"].isin(rates), "currency",
            f"no fx_rates row converts this currency to the base currency {policy.base_currency}",
            code="no_fx_rate", args={"base_currency": policy.base_currency})


def _check_codes(frame: pd.DataFrame, raw: RawTable, out: _Collector):
    if "currency" in frame:
        cur = frame["currency"]
        out.add("error", raw, cur.notna() & ~cur.fillna("").str.match(r"^[A-Z]{3}$"), "currency",
                "expected an ISO 4217 code such as CNY, USD or EUR", code="invalid_currency")


def _check_foreign_keys(frame: pd.DataFrame, raw: RawTable, known: set, out: _Collector):
    ids = frame["customer_id"]
    out.add("error", raw, ids.notna() & ~ids.isin(known), "customer_id",
            "unknown customer id: not in the customers table", code="unknown_customer")


def _check_invoices(inv: pd.DataFrame, raw: RawTable, as_of: pd.Timestamp, out: _Collector):
    out.add("error", raw, inv["amount"] <= 0, "amount", "invoice amount must be positive", code="not_positive")
    out.add("error", raw, inv["due_date"] < inv["invoice_date"], "due_date",
            "due date is before the invoice date", inv["due_date"].dt.strftime("%Y-%m-%d")
            + " < " + inv["invoice_date"].dt.strftime("%Y-%m-%d"), code="due_before_invoice",
            args=lambda i: {"due_date": _day(inv["due_date"].iloc[i]), "invoice_date": _day(inv["invoice_date"].iloc[i])})
    out.add("error", raw, inv["paid_date"] < inv["invoice_date"], "paid_date", "payment date is before the invoice date",
            code="paid_before_invoice", args=lambda i: {"invoice_date": _day(inv["invoice_date"].iloc[i])})
    out.add("error", raw, inv["paid_amount"] > inv["amount"] * (1 + 1e-9) + 0.005, "paid_amount",
            "paid amount exceeds the invoice amount", code="paid_above_amount",
            args=lambda i: {"amount": _num(inv["amount"].iloc[i])})
    out.add("error", raw, (inv["paid_amount"] > 0) & inv["paid_date"].isna(), "paid_date",
            "a payment needs its paid_date", code="payment_without_date")
    out.add("error", raw, inv["invoice_date"] > as_of, "invoice_date", f"invoice dated after as_of {as_of:%Y-%m-%d}",
            code="date_after_as_of", args={"column": "invoice_date", "as_of": f"{as_of:%Y-%m-%d}"})


def _check_contacts(co: pd.DataFrame, raw: RawTable, out: _Collector):
    needs = co["kind"].isin(["complaint", "dispute"])
    out.add("error", raw, needs & co["resolved"].isna(), "resolved",
            "complaints and disputes need resolved = true or false", code="resolved_required")
    out.add("error", raw, co["resolved_date"] < co["date"], "resolved_date", "resolved before it was raised",
            code="resolved_before_raised", args=lambda i: {"date": _day(co["date"].iloc[i])})
    out.add("error", raw, co["resolved_date"].notna() & (co["resolved"] != True), "resolved_date",  # noqa: E712
            "a resolved_date needs resolved = true", code="resolved_date_unresolved")


def whole_months(start, end) -> int:
    """Whole calendar months from ``start`` to ``end``: the largest k with start + k months ≤ end (a month
    added to the 31st ends on the month's last day), so 2025-09-30 → 2026-09-30 is 12, 2025-10-01 → 2026-09-30
    is 11 and 2025-08-31 → 2026-09-30 is 13."""
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    k = (end.year - start.year) * 12 + end.month - start.month
    return k - 1 if start + pd.DateOffset(months=k) > end else k


def _check_assessments(qa: pd.DataFrame, raw: RawTable, policy: Policy, as_of: pd.Timestamp, out: _Collector):
    settings = policy.assessment
    if settings is None:
        out.table("warning", raw, "assessments", "", "the policy has no `assessment` section: the assessments table "
                  "is not used", code="assessments_unused")
        return
    names = [q.name for q in settings.questions]
    known = qa["question"].isin(names)
    out.add("error", raw, qa["question"].notna() & ~known, "question",
            f"unknown question; the policy asks: {', '.join(names)}", code="unknown_question", args={"known": names})
    for q in settings.questions:
        answers = list(settings.levels(q.name))
        rows = (qa["question"] == q.name) & qa["answer"].notna()
        out.add("error", raw, rows & ~qa["answer"].isin(answers), "answer",
                f"not an answer of the '{q.scale}' scale of question {q.name}; expected one of {', '.join(answers)}",
                code="unknown_answer", args={"question": q.name, "scale": q.scale, "answers": answers})
    out.add("error", raw, qa["assessment_date"] > as_of, "assessment_date",
            f"assessment dated after as_of {as_of:%Y-%m-%d}", code="date_after_as_of",
            args={"column": "assessment_date", "as_of": f"{as_of:%Y-%m-%d}"})
    analysts = qa.groupby(["customer_id", "assessment_date"])["analyst"].transform("nunique")
    out.add("error", raw, analysts > 1, "analyst", "one assessment (customer and date) has more than one analyst",
            code="several_analysts", args=lambda i: {"date": _day(qa["assessment_date"].iloc[i])})
    dates = qa["assessment_date"].where(qa["assessment_date"] <= as_of)
    latest = dates.groupby(qa["customer_id"]).transform("max")
    first = ~qa.assign(_d=dates).duplicated(["customer_id", "_d"]) & dates.notna() & (dates == latest)
    # astype(bool): mapping an empty date column keeps its datetime dtype (a table with only its header)
    old = first & dates.map(lambda d: pd.notna(d) and whole_months(d, as_of) > settings.max_age_months).astype(bool)
    out.add("warning", raw, old, "assessment_date",
            f"the customer's latest assessment is older than the policy's {settings.max_age_months} months "
            "(assessment.max_age_months): it is shown but not scored", code="stale_assessment",
            args={"months": settings.max_age_months})
    if "evidence" in qa:
        blank = qa["evidence"].isna() | (qa["evidence"].fillna("").astype(str).str.strip() == "")
        out.add("warning", raw, blank & known, "evidence", "answer given without evidence", code="no_evidence")


def _check_bank(bc: pd.DataFrame, raw: RawTable, out: _Collector):
    out.add("error", raw, bc["max_overdue_days_24m"] < bc["overdue_days"], "max_overdue_days_24m",
            "worst overdue days in 24 months cannot be below the current overdue days", code="overdue_history_below_current",
            args=lambda i: {"overdue_days": _num(bc["overdue_days"].iloc[i])})
    out.add("warning", raw, (bc["status"] == "active") & (bc["outstanding"] > bc["limit"] * 1.0001),
            "outstanding", "facility drawn above its limit (overdrawn)", code="overdrawn")


def _check_convertible(frame: pd.DataFrame, raw: RawTable, policy: Policy, fx: pd.DataFrame | None,
                       out: _Collector):
    """Amounts in a currency without an fx rate cannot be compared with the customer's."""
    rates = set(fx["currency"].dropna()) if fx is not None else set()
    rates.add(policy.base_currency)
    cur = frame["currency"]
    out.add("error", raw, cur.notna() & cur.fillna("").str.match(r"^[A-Z]{3}$") & ~cur.isin(rates), "currency",
            f"no fx_rates row converts this currency to the base currency {policy.base_currency}",
            code="no_fx_rate", args={"base_currency": policy.base_currency})


def _check_benchmarks(bm: pd.DataFrame, raw: RawTable, policy: Policy, out: _Collector):
    out.add("error", raw, bm["industry"].notna() & ~bm["industry"].isin(list(policy.industries)), "industry",
            f"unknown industry; the policy knows: {', '.join(policy.industries)}", code="unknown_industry",
            args={"known": list(policy.industries)})
    out.add("error", raw, bm["ratio"].notna() & ~bm["ratio"].isin(list(RATIO_NAMES)), "ratio",
            "not a ratio of the catalogue (see the ratio definitions in docs/data-contract.md)", code="unknown_ratio")
    out.add("error", raw, (bm["q1"] > bm["median"]) | (bm["median"] > bm["q3"]), "median",
            "quartiles must be ordered: q1 ≤ median ≤ q3",
            bm["q1"].map(_fmt).astype(str) + " / " + bm["median"].map(_fmt).astype(str) + " / " + bm["q3"].map(_fmt).astype(str),
            code="quartiles_out_of_order",
            args=lambda i: {"q1": _num(bm["q1"].iloc[i]), "median": _num(bm["median"].iloc[i]),
                            "q3": _num(bm["q3"].iloc[i])})


def validate_tables(raw_tables: dict[str, RawTable], policy: Policy, *, as_of=None,
                    source: str = "") -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Validate raw contract tables and return typed frames and all problems.

    Parameters
    ----------
    raw_tables : dict of str to RawTable
        As returned by :func:`read_tables`.
    policy : Policy
        Supplies industries, rating scale, base currency and tolerances.
    as_of : date-like, optional
        The analysis date; data dated after it is an error. Defaults to today.
    source : str
        Name of the data source, for messages about missing tables.

    Returns
    -------
    tables : dict of str to DataFrame
        Typed frames (empty frames with the contract's columns for absent optional tables).
    problems : list of Problem
        Every error and warning found, in table order.
    """
    as_of = pd.Timestamp(as_of or pd.Timestamp.today().normalize())
    marks = (policy.input.decimal, policy.input.thousands)
    out = _Collector()
    typed: dict[str, pd.DataFrame | None] = {}
    for name, spec in TABLES.items():
        raw = raw_tables.get(name)
        if raw is None:
            if spec.required:
                out.table("error", None, name, "", f"required table '{name}' is missing from the data source",
                          source, code="missing_table", args={"table": name})
            continue
        out.problems.extend(raw.problems)  # found while reading: the file's encoding, repeated columns, ...
        typed[name] = _check_table(raw, spec, out, marks)
        if typed[name] is not None:
            _check_codes(typed[name], raw, out)
    cu, fx = typed.get("customers"), typed.get("fx_rates")
    if cu is not None:
        _check_customers(cu, raw_tables["customers"], policy, fx, out)
    known = set(cu["customer_id"].dropna()) if cu is not None else set()
    if cu is not None and len(cu) == 0:  # say it once, not once per row of every other table
        out.table("error", raw_tables["customers"], "customers", "",
                  "the customers table has no rows: every other table refers to its customers", code="no_customers")
    for name, frame in typed.items():
        if frame is None:
            continue
        raw = raw_tables[name]
        if TABLES[name].has_customer and name != "customers" and cu is not None and len(cu):
            _check_foreign_keys(frame, raw, known, out)
        if name == "financial_statements":
            _check_statements(frame, raw, policy, cu, fx, as_of, out)
        elif name == "invoices":
            _check_invoices(frame, raw, as_of, out)
        elif name == "contacts":
            _check_contacts(frame, raw, out)
        elif name == "bank_credit":
            _check_bank(frame, raw, out)
        elif name == "assessments":
            _check_assessments(frame, raw, policy, as_of, out)
        elif name == "fx_rates":
            out.add("error", raw, frame["rate_to_base"] <= 0, "rate_to_base", "exchange rate must be positive",
                    code="not_positive")
            out.add("error", raw, (frame["currency"] == policy.base_currency) & (frame["rate_to_base"] != 1.0),
                    "rate_to_base", f"the base currency {policy.base_currency} converts to itself at 1",
                    code="base_rate_not_one", args={"base_currency": policy.base_currency})
        elif name == "industry_benchmarks":
            _check_benchmarks(frame, raw, policy, out)
        if name in ("invoices", "bank_credit"):
            _check_convertible(frame, raw, policy, fx, out)
        for column in _NOT_AFTER_AS_OF.get(name, ()):
            if column in frame:
                out.add("error", raw, frame[column] > as_of, column,
                        f"{column} is after as_of {as_of:%Y-%m-%d}: the data cannot know it yet",
                        frame[column].dt.strftime("%Y-%m-%d"), code="date_after_as_of",
                        args={"column": column, "as_of": f"{as_of:%Y-%m-%d}"})
    if cu is not None and typed.get("financial_statements") is not None:
        with_fs = set(typed["financial_statements"]["customer_id"].dropna())
        raw = raw_tables["customers"]
        out.add("warning", raw, cu["customer_id"].notna() & ~cu["customer_id"].isin(with_fs), "customer_id",
                "no financial statements on file: the financial analysis cannot run for this customer",
                code="no_statements")
    tables = {}
    for name, spec in TABLES.items():
        frame = typed.get(name)
        if frame is None:
            frame = pd.DataFrame({c.name: pd.Series(dtype=object) for c in spec.columns})
        tables[name] = frame.drop(columns=[_ROW], errors="ignore").reset_index(drop=True)
    return tables, out.problems


# --------------------------------------------------------------------------- normalization
def rates_to_base(fx: pd.DataFrame, policy: Policy) -> dict[str, float]:
    """Currency → units of base currency per unit, from ``fx_rates``; the base currency is 1."""
    rates = dict(zip(fx["currency"], fx["rate_to_base"].astype(float))) if len(fx) else {}
    rates[policy.base_currency] = 1.0
    return rates


def normalize_statements(fs: pd.DataFrame, customers: pd.DataFrame, fx: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """Scale statement figures to whole currency units in the customer's currency.

    Each money column is multiplied by the unit factor (``thousands`` → 1,000) and, where the
    statement currency differs from the customer's, by rate_to_base(statement) / rate_to_base(customer).
    The original ``currency`` and ``unit`` are kept as ``source_currency`` and ``source_unit``.
    """
    fs = fs.copy()
    rates = rates_to_base(fx, policy)
    cust_cur = fs["customer_id"].map(customers.drop_duplicates("customer_id").set_index("customer_id")["currency"])
    factor = fs["unit"].map(UNIT_FACTORS).astype(float)
    fx_factor = fs["currency"].map(rates).astype(float) / cust_cur.map(rates).astype(float)
    fx_factor = fx_factor.where(fs["currency"] != cust_cur, 1.0)
    for col in STATEMENT_MONEY_COLUMNS:
        fs[col] = fs[col].astype(float).fillna(0.0) * factor * fx_factor
    fs["source_currency"], fs["source_unit"] = fs["currency"], fs["unit"]
    fs["currency"], fs["unit"] = cust_cur, "units"
    fs["fiscal_year"] = fs["fiscal_year"].astype(int)
    fs["months"] = fs["months"].astype(int)
    fs["audited"] = fs["audited"].astype(bool)
    return fs.sort_values(["customer_id", "fiscal_year"]).reset_index(drop=True)
