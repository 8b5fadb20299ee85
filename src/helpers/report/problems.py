"""The problems input validation finds, in words: for the command line, as JSON or CSV for machines, and as a
workbook a credit clerk fixes the data with.

Validation (:mod:`helpers.data.validate`, :mod:`helpers.data.sources`) gives every
:class:`~helpers.exceptions.Problem` a stable ``code`` and the figures of its sentence in ``args``; this module
makes the sentence in the reader's language from the catalogue (``problem.<code>``; the warnings the reports
already show keep their ``warning.<code>`` texts). A problem without a code (made elsewhere) keeps its English
``message``.

Every text cell of the workbook and the CSV file goes through :func:`~helpers.report.pack.text_cell`: a value a
spreadsheet would run as a formula (``=cmd|' /C calc'!A0``) is written with a leading ``'``.
"""
from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path
from typing import IO, Iterable

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..data.store import atomic_write_bytes, json_bytes
from ..exceptions import Problem, printable
from .formatting import check_language, formatter
from .messages import messages
from .pack import text_cell

__all__ = ["PROBLEM_COLUMNS", "problem_key", "problem_text", "problem_line", "problem_rows", "problems_workbook",
           "write_problems_workbook", "write_problems_csv", "problems_json", "write_problems_json"]

#: The keys of :func:`problem_rows`, in the order of the CSV file's and the workbook's columns.
PROBLEM_COLUMNS = ("file", "sheet", "row", "column", "customer_id", "value", "severity", "code", "expected")
#: The workbook's columns: (row key, header key, width limit).
_SHEET_COLUMNS = (("file", "problem.header.file", 40), ("sheet", "problem.header.sheet", 24),
                  ("row", "problem.header.row", 8), ("column", "problem.header.column", 30),
                  ("customer_id", "problem.header.customer", 24), ("value", "problem.header.value", 40),
                  ("severity", "problem.header.severity", 12), ("expected", "problem.header.expected", 90))
#: ``args`` that hold a date (YYYY-MM-DD), shown in the language's date form.
_DATES = {"as_of", "period_end", "due_date", "invoice_date", "date"}
#: ``args`` that hold a number mark of the policy's ``input`` section.
_MARKS = {"decimal", "thousands"}
_MARK_KEYS = {".": "dot", ",": "comma", " ": "space", "'": "apostrophe", "": "none"}
#: Codes whose sentence has a second form, chosen by an argument.
_VARIANTS = {"unknown_column": lambda a: "unknown_column_hint" if a.get("suggestion") else "unknown_column",
             "duplicate_key": lambda a: "duplicate_key_first" if a.get("first_row") is not None else "duplicate_key"}
#: ``source`` of a workbook sheet: ``book.xlsx[customers]``.
_SHEET_RE = re.compile(r"^(.*)\[([^\[\]]*)\]$")
_HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")


def problem_key(problem: Problem) -> str | None:
    """The catalogue key of a problem's sentence: ``problem.<code>`` (or its variant: ``unknown_column_hint`` when
    a close column name is suggested, ``duplicate_key_first`` for a repeat of an earlier row), else the warnings'
    own ``warning.<code>``; None for a problem without a code.

    Parameters
    ----------
    problem : Problem

    Returns
    -------
    str or None
    """
    if not problem.code:
        return None
    code = _VARIANTS.get(problem.code, lambda a: problem.code)(problem.args or {})
    t = messages("en")
    if f"problem.{code}" in t:
        return f"problem.{code}"
    if f"warning.{code}" in t:
        return f"warning.{code}"
    return f"problem.{code}"  # missing from the catalogue: Messages says so clearly


def _figure(value, f) -> str:
    """A number in the language's grouping: whole numbers without decimals, others with two (six below one);
    one of 10^15 or more (beyond any statement figure riskbook reads), or not finite, in exponent form."""
    v = float(value)
    if not math.isfinite(v) or abs(v) >= 1e15:
        return f"{v:.6g}"
    if v == round(v):
        return f.number(v, 0)
    return f.number(v, 2 if abs(v) >= 1 else 6)


def _words(key: str, value, lang: str) -> str:
    """One argument as the sentence shows it."""
    t, f = messages(lang), formatter(lang)
    if value is None:
        return f.missing
    if key in _MARKS:
        return t(f"problem.mark.{_MARK_KEYS.get(value, 'none')}") if value in _MARK_KEYS else str(value)
    if key in _DATES:
        return f.date(value) if value else f.missing
    if isinstance(value, (list, tuple)):
        join = t("problem.or") if key == "examples" else t("problem.list_separator")
        return join.join(str(v) for v in value)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return _figure(value, f)
    return str(value)  # text, and whole numbers that are rows, years or counts (no grouping: row 1234)


def problem_text(problem: Problem, lang: str = "en") -> str:
    """The problem's sentence in ``lang``: what is wrong and what is expected, from the catalogue.

    The sentence's placeholders are filled from ``problem.args`` (lists joined, figures and dates in the
    language's form, number marks named), with ``column`` and ``value`` taken from the problem itself when the
    args do not give them. A problem without a code keeps its (English) ``message``.

    Parameters
    ----------
    problem : Problem
    lang : {"en", "zh"}

    Returns
    -------
    str

    Raises
    ------
    RiskbookError
        When the catalogue lacks the code's sentence or an argument it needs (the catalogue tests keep this
        from happening for the codes validation makes).
    """
    lang = check_language(lang)
    key = problem_key(problem)
    if key is None:
        return problem.message
    args = {"column": problem.column, "value": problem.value, **(problem.args or {})}
    return messages(lang)(key, **{k: _words(k, v, lang) for k, v in args.items()})


def _file_and_sheet(source: str) -> tuple[str, str]:
    """``book.xlsx[customers]`` → (``book.xlsx``, ``customers``); any other source is a file (or table) alone."""
    m = _SHEET_RE.match(source or "")
    return (m.group(1), m.group(2)) if m else (source or "", "")


def problem_line(problem: Problem, lang: str = "en") -> str:
    """One line for people, in ``lang``: ``error: file row N (customer C): column = value: sentence`` (the
    English form of :class:`~helpers.exceptions.Problem`'s ``str``), every field escaped with
    :func:`~helpers.exceptions.printable`."""
    t = messages(check_language(lang))
    where = printable(problem.source or problem.table)
    if problem.row is not None:
        where = t("problem.line.row", where=where, row=problem.row)
    if problem.customer_id:
        where += t("problem.line.customer", customer=printable(problem.customer_id))
    col = f" {printable(problem.column)}" if problem.column else ""
    val = "" if problem.value in ("", None) else f" = {printable(problem.value)}" if problem.column else \
        t("problem.line.value", value=printable(problem.value))
    what = f"{col}{val}:" if col or val else ""
    return f"{t(f'problem.severity.{problem.severity}')}: {where}:{what} {printable(problem_text(problem, lang))}"


def problem_rows(problems: Iterable[Problem], lang: str = "en") -> list[dict]:
    """The problems as rows for machines and spreadsheets, one dict per problem, in the given order.

    Parameters
    ----------
    problems : iterable of Problem
    lang : {"en", "zh"}
        The language of ``expected``.

    Returns
    -------
    list of dict
        Keys (:data:`PROBLEM_COLUMNS`): ``file`` (the CSV file, workbook or SQL table the problem is in; the
        data source for a missing table), ``sheet`` (the sheet of a workbook, else ``""``), ``row`` (the line or
        sheet row, None for a problem of a whole table or column), ``column``, ``customer_id`` (None when
        unknown), ``value`` (the cell as text, control characters escaped), ``severity`` (``"error"`` or
        ``"warning"``), ``code`` and ``expected`` (:func:`problem_text`).
    """
    lang = check_language(lang)
    rows = []
    for p in problems:
        file, sheet = _file_and_sheet(p.source or p.table)
        rows.append({"file": file, "sheet": sheet, "row": p.row, "column": p.column, "customer_id": p.customer_id,
                     "value": p.value, "severity": p.severity, "code": p.code, "expected": problem_text(p, lang)})
    return rows


def _width(value) -> float:
    """How wide a cell's text is, a CJK character counting two."""
    return 0 if value is None else sum(2 if ord(ch) > 0x2E7F else 1 for ch in str(value))


def problems_workbook(problems: Iterable[Problem], lang: str = "en") -> bytes:
    """The problems as an ``.xlsx`` workbook (bytes): one sheet, one row per problem.

    Columns (headers in ``lang``): file, sheet, row, column, customer, value, severity, what is expected.
    The header is bold, frozen and filtered; widths follow the contents; every text cell is neutralized
    by :func:`~helpers.report.pack.text_cell`.

    Parameters
    ----------
    problems : iterable of Problem
    lang : {"en", "zh"}

    Returns
    -------
    bytes
    """
    lang = check_language(lang)
    t = messages(lang)
    rows = problem_rows(problems, lang)
    wb = Workbook()
    ws = wb.active
    ws.title = t("problem.sheet_title")[:31]
    headers = [t(key) for _, key, _ in _SHEET_COLUMNS]
    ws.append([text_cell(h) for h in headers])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for r in rows:
        values = [r[name] for name, _, _ in _SHEET_COLUMNS]
        values[6] = t(f"problem.severity.{r['severity']}") if r["severity"] in ("error", "warning") else r["severity"]
        ws.append([text_cell(v) if isinstance(v, str) else v for v in values])
    for j, (name, _, limit) in enumerate(_SHEET_COLUMNS, start=1):
        letter = get_column_letter(j)
        width = max([_width(headers[j - 1])] + [_width(c.value) for c in ws[letter][1:]]) + 2
        ws.column_dimensions[letter].width = min(max(width, 8), limit)
        if name in ("expected", "value"):
            for cell in ws[letter][1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        if name in ("customer_id", "value", "column"):
            for cell in ws[letter][1:]:
                cell.number_format = "@"  # an id such as 0012 stays text when the clerk edits it
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(_SHEET_COLUMNS))}{max(1, len(rows) + 1)}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_problems_workbook(problems: Iterable[Problem], path: str | Path, lang: str = "en") -> Path:
    """Write :func:`problems_workbook` to ``path`` atomically (a temporary file in the same folder, then a
    rename: a reader never sees half a workbook, and a failed write leaves the old file).

    Parameters
    ----------
    problems : iterable of Problem
    path : str or Path
        The ``.xlsx`` file to write; its folder is created.
    lang : {"en", "zh"}

    Returns
    -------
    Path
        ``path``.
    """
    return atomic_write_bytes(path, problems_workbook(problems, lang))


def _csv_text(problems: Iterable[Problem], lang: str, localized_headers: bool) -> str:
    lang = check_language(lang)
    t = messages(lang)
    buf = io.StringIO(newline="")
    out = csv.writer(buf, lineterminator="\r\n")
    headers = {name: t(key) for name, key, _ in _SHEET_COLUMNS}
    headers["code"] = "code"
    out.writerow([text_cell(headers[c]) if localized_headers else c for c in PROBLEM_COLUMNS])
    for r in problem_rows(problems, lang):
        out.writerow(["" if r[c] is None else text_cell(r[c]) if isinstance(r[c], str) else r[c]
                      for c in PROBLEM_COLUMNS])
    return buf.getvalue()


def write_problems_csv(problems: Iterable[Problem], target: str | Path | IO[str], lang: str = "en", *,
                       localized_headers: bool = False) -> None:
    """Write the problems as CSV: a header row, then one row per :func:`problem_rows` dict.

    Text a spreadsheet would take for a formula gets a leading ``'`` (:func:`~helpers.report.pack.text_cell`);
    None is an empty cell. A path is written atomically as UTF-8 with a byte-order mark (which Excel needs to
    read Chinese text); a text stream (``sys.stdout``) gets the text as it is.

    Parameters
    ----------
    problems : iterable of Problem
    target : str, Path or text stream
    lang : {"en", "zh"}
        The language of ``expected`` (and of the headers, with ``localized_headers``).
    localized_headers : bool
        Headers in ``lang`` (as the workbook's, and ``code``) instead of the keys of :data:`PROBLEM_COLUMNS`.
    """
    text = _csv_text(problems, lang, localized_headers)
    if isinstance(target, (str, Path)):
        atomic_write_bytes(target, ("\ufeff" + text).encode("utf-8"))
    else:
        target.write(text)


def problems_json(problems: Iterable[Problem], lang: str = "en") -> str:
    """:func:`problem_rows` as pretty, UTF-8 JSON text (a list of objects; None as null)."""
    return json_bytes(problem_rows(problems, lang)).decode("utf-8")


def write_problems_json(problems: Iterable[Problem], target: str | Path | IO[str], lang: str = "en") -> None:
    """Write :func:`problems_json` to a path (atomically) or a text stream.

    Parameters
    ----------
    problems : iterable of Problem
    target : str, Path or text stream
    lang : {"en", "zh"}
    """
    text = problems_json(problems, lang)
    if isinstance(target, (str, Path)):
        atomic_write_bytes(target, text.encode("utf-8"))
    else:
        target.write(text)

