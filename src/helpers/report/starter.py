"""The starter data folder that ``riskbook init DIR`` writes: a workbook to fill and a commented policy.

:func:`write_starter` writes ``portfolio.xlsx`` — an instructions sheet first, then one sheet per
contract table (:data:`helpers.data.TABLES`) with its header row in contract order, a note on every
column name (meaning, unit, format, whether it must be filled), Excel data validation (drop-down lists
for the codes the contract and the policy enumerate, dates, whole and decimal numbers) and a frozen
header — and ``policy.yaml``, the sample policy with every setting explained in comments in the chosen
language (the English one is ``data/sample/policy.yaml`` itself, the Chinese one its twin
``starter_data/policy.zh.yaml``, identical as data). Every text comes from the message catalogue
(``starter.po``); column names stay the contract's names.

No table is pre-filled: ``fx_rates`` holds dated market rates that would go stale, and
``industry_benchmarks`` are external figures the sample only illustrates; both are optional in the
contract (the base currency needs no rate, and without benchmarks customers are compared with their
peers in the portfolio).
"""
from __future__ import annotations

import datetime as dt
import io
import math
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.datavalidation import DataValidation

from ..config import DATA_SAMPLE, Policy, load_policy
from ..data.contract import RATIO_NAMES, TABLES, Column, Table
from ..data.store import atomic_write_bytes
from ..exceptions import RiskbookError
from .formatting import check_language
from .messages import messages

__all__ = ["write_starter", "starter_policy_path", "WORKBOOK_NAME", "POLICY_NAME", "LISTS_SHEET"]

WORKBOOK_NAME = "portfolio.xlsx"
POLICY_NAME = "policy.yaml"
#: The hidden sheet holding drop-down lists too long for Excel's inline lists (255 characters).
LISTS_SHEET = "lists"
#: The policy each language's starter copies: the sample policy, commented in that language.
_POLICIES = {"en": DATA_SAMPLE / "policy.yaml",
             "zh": Path(__file__).resolve().parent / "starter_data" / "policy.zh.yaml"}
#: Currencies offered in the drop-downs besides the policy's base currency (any other ISO 4217 code is
#: accepted after a warning; every currency but the base one needs its row in fx_rates).
_CURRENCIES = ("USD", "EUR", "HKD", "JPY", "GBP", "SGD", "KRW", "AUD", "CAD", "CHF")
#: Rows a validation covers: the whole sheet below the header.
_LAST_ROW = 1_048_576
#: Excel's limits: an inline list formula, an input message and its title.
_MAX_LIST, _MAX_PROMPT, _MAX_TITLE = 255, 255, 32
#: Bounds of numeric columns without their own: statement figures beyond 1e15 are refused by the
#: validation anyway (:data:`helpers.data.validate._MAX_AMOUNT`).
_NUMBER_BOUND = 1e15
_DATE_MIN, _DATE_MAX = dt.date(1900, 1, 1), dt.date(2100, 12, 31)
_REQUIRED_FILL = PatternFill("solid", fgColor="1F4E78")
_OPTIONAL_FILL = PatternFill("solid", fgColor="DDEBF7")
_BOOL_CHOICES = ("TRUE", "FALSE")


def starter_policy_path(lang: str) -> Path:
    """The policy file the starter of ``lang`` copies (``en``: the sample policy; ``zh``: its Chinese twin)."""
    return _POLICIES[check_language(lang)]


def write_starter(folder: str | Path, lang: str = "en") -> list[Path]:
    """Write a ready-to-fill data folder: ``portfolio.xlsx`` and ``policy.yaml``.

    Parameters
    ----------
    folder : str or Path
        Where to write; created when missing. Neither file may exist in it yet.
    lang : str
        ``"en"`` or ``"zh"``: the language of the notes, prompts, instructions and policy comments.

    Returns
    -------
    list of Path
        The files written: the workbook, then the policy.

    Raises
    ------
    RiskbookError
        When a file to write exists already (nothing is overwritten; the message names them), or the
        language is not one riskbook writes.

    Notes
    -----
    The workbook's sheets are named exactly as the contract's tables, so that
    :func:`helpers.data.read_tables` reads it; a sheet left with only its header row reads as an empty
    table. Each file is written through a temporary file and a rename; when the second cannot be
    written, the first is removed again.
    """
    lang = check_language(lang)
    folder = Path(folder)
    targets = [folder / WORKBOOK_NAME, folder / POLICY_NAME]
    existing = [p for p in targets if p.exists() or p.is_symlink()]
    if existing:
        raise RiskbookError("refusing to overwrite " + ", ".join(str(p) for p in existing)
                            + ": choose an empty folder, or move these files away first")
    source = starter_policy_path(lang)
    policy = load_policy(source)
    contents = [_workbook_bytes(policy, lang, folder / WORKBOOK_NAME), source.read_bytes()]
    written: list[Path] = []
    try:
        for path, data in zip(targets, contents):
            written.append(atomic_write_bytes(path, data))
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return written


# --------------------------------------------------------------------------- what each column takes
def _choices(table: Table, col: Column, policy: Policy) -> tuple[list[str], str] | None:
    """The values a column's drop-down offers and how strictly: ``"stop"`` refuses others, ``"warning"``
    asks first (currencies beyond the list, customers not yet entered); None for a free column."""
    name = col.name
    if col.allowed is not None:
        return list(col.allowed), "stop"
    if col.kind == "bool":
        return list(_BOOL_CHOICES), "stop"
    if name == "industry":
        return list(policy.industries), "stop"
    if name == "third_party_rating":
        return list(policy.rating_scale), "stop"
    if name == "currency" and table.name != "fx_rates":
        return list(dict.fromkeys((policy.base_currency, *_CURRENCIES))), "warning"
    if table.name == "assessments" and name == "question":
        return [q.name for q in policy.assessment.questions], "stop"
    if table.name == "assessments" and name == "answer":
        return list(dict.fromkeys(lv.answer for scale in policy.assessment.scales.values() for lv in scale)), "stop"
    if table.name == "industry_benchmarks" and name == "ratio":
        return list(RATIO_NAMES), "stop"
    return None


def _number(v: float) -> str:
    """A bound as a reader reads it: 1900, 0.5, -0.1."""
    return f"{v:g}" if abs(v) < 1e7 else f"{v:,.0f}"


def _range_text(col: Column, t) -> str:
    lo, hi = col.min, col.max
    if lo is not None and hi is not None:
        return t("starter.range.between", min=_number(lo), max=_number(hi))
    if lo is not None:
        return t("starter.range.min", min=_number(lo))
    if hi is not None:
        return t("starter.range.max", max=_number(hi))
    return ""


def _format_text(table: Table, col: Column, policy: Policy, t, *, short: bool = False) -> str:
    """Format, range and choices of a column, as one or two sentences."""
    parts = [t(f"starter.kind.{col.kind}")]
    if col.kind in ("int", "float", "money"):
        parts.append(_range_text(col, t))
    choice = _choices(table, col, policy)
    if col.name == "currency" and table.name != "fx_rates":
        parts.append(t("starter.choices.currency", base=policy.base_currency))
    elif table.has_customer and table.name != "customers" and col.name == "customer_id":
        parts.append(t("starter.choices.customer"))
    elif choice is not None and col.kind != "bool":
        listed = t("starter.choices", values=_list_sep(t).join(choice[0]))
        parts.append(t("starter.choices.long") if short and len(listed) > _MAX_PROMPT // 2 else listed)
    return _sentence_sep(t).join(p for p in parts if p)


def _sentence_sep(t) -> str:
    """Between two sentences: a space in English, nothing after a Chinese full stop."""
    return "" if t.lang == "zh" else " "


def _list_sep(t) -> str:
    """Between the items of a list of codes: ', ' in English, the enumeration comma in Chinese."""
    return "、" if t.lang == "zh" else ", "


def _prompt(table: Table, col: Column, policy: Policy, t) -> str:
    """The input message of a column's cells: its meaning and format, or the format alone when both do not fit."""
    fmt = _format_text(table, col, policy, t, short=True)
    full = _sentence_sep(t).join((t(f"starter.column.{table.name}.{col.name}"), fmt))
    return full if len(full) <= _MAX_PROMPT else fmt[:_MAX_PROMPT]


def _note(table: Table, col: Column, policy: Policy, t) -> str:
    """The note on a column's header: meaning and unit, whether to fill it, format and choices."""
    fill = t("starter.note.may_be_empty" if col.nullable else "starter.note.must_fill")
    return "\n".join((t(f"starter.column.{table.name}.{col.name}"), fill, _format_text(table, col, policy, t)))


def _width(text: str) -> int:
    """Display width of a text in Excel's character units (a CJK character takes two)."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


# --------------------------------------------------------------------------- the workbook
class _Lists:
    """Drop-down lists: inline when they fit Excel's 255 characters, else a column of the hidden lists sheet."""

    def __init__(self, book: Workbook):
        self._book, self._sheet, self._next = book, None, 1

    def formula(self, values: list[str]) -> str:
        inline = ",".join(values)
        if len(inline) + 2 <= _MAX_LIST:
            return f'"{inline}"'
        if self._sheet is None:
            self._sheet = self._book.create_sheet(LISTS_SHEET)
            self._sheet.sheet_state = "hidden"
        letter = get_column_letter(self._next)
        for row, value in enumerate(values, 1):
            self._sheet.cell(row=row, column=self._next, value=value)
        self._next += 1
        return f"{LISTS_SHEET}!${letter}$1:${letter}${len(values)}"


def _validation(table: Table, col: Column, policy: Policy, t, lists: _Lists, ref: str) -> DataValidation | None:
    """The Excel data validation of one column (its cells below the header), with prompt and error texts."""
    choice = _choices(table, col, policy)
    first = ref.split(":")[0]
    if choice is not None:
        values, style = choice
        dv = DataValidation(type="list", formula1=lists.formula(values), allow_blank=True, errorStyle=style)
        if style == "warning":
            dv.error = t("starter.error.currency", base=policy.base_currency)
        else:
            dv.error = t("starter.error.bool" if col.kind == "bool" else "starter.error.list")
    elif table.has_customer and table.name != "customers" and col.name == "customer_id":
        dv = DataValidation(type="list", formula1=f"customers!$A$2:$A${_LAST_ROW}", allow_blank=True,
                            errorStyle="warning")
        dv.error = t("starter.error.customer")
    elif col.kind == "date":
        dv = DataValidation(type="date", operator="between", formula1=str(int(to_excel(_DATE_MIN))),
                            formula2=str(int(to_excel(_DATE_MAX))), allow_blank=True)
        dv.error = t("starter.error.date")
    elif col.kind in ("int", "float", "money"):
        lo = col.min if col.min is not None else -_NUMBER_BOUND
        hi = col.max if col.max is not None else _NUMBER_BOUND
        dv = DataValidation(type="whole" if col.kind == "int" else "decimal", operator="between",
                            formula1=_number(lo).replace(",", ""), formula2=_number(hi).replace(",", ""),
                            allow_blank=True)
        dv.error = _sentence_sep(t).join(p for p in (t("starter.error.whole" if col.kind == "int"
                                                       else "starter.error.decimal"), _range_text(col, t)) if p)
    elif col.name in ("country", "currency"):  # ISO codes: customers.country, outcomes.country, fx_rates.currency
        n, example = (2, "CN") if col.name == "country" else (3, policy.base_currency)
        dv = DataValidation(type="custom", formula1=f"AND(LEN({first})={n},EXACT({first},UPPER({first})))",
                            allow_blank=True)
        dv.error = t("starter.error.code", n=n, example=example)
    else:
        return None
    dv.errorTitle = t("starter.error.title")[:_MAX_TITLE]
    dv.promptTitle = col.name[:_MAX_TITLE]
    dv.prompt = _prompt(table, col, policy, t)
    dv.error = dv.error[:_MAX_PROMPT]
    dv.showInputMessage = dv.showErrorMessage = True
    dv.add(ref)
    return dv


_NUMBER_FORMATS = {"date": "yyyy-mm-dd", "str": "@", "int": "0"}


def _table_sheet(book: Workbook, table: Table, policy: Policy, t, lists: _Lists) -> None:
    ws = book.create_sheet(table.name)
    for i, col in enumerate(table.columns, 1):
        letter = get_column_letter(i)
        cell = ws.cell(row=1, column=i, value=col.name)
        cell.font = Font(bold=True, color="FFFFFF" if not col.nullable else "1F1F1F")
        cell.fill = _OPTIONAL_FILL if col.nullable else _REQUIRED_FILL
        cell.alignment = Alignment(vertical="center")
        note = _note(table, col, policy, t)
        lines = sum(math.ceil(max(_width(part), 1) / 48) for part in note.split("\n"))
        cell.comment = Comment(note, "riskbook", width=320, height=max(80, 18 * lines + 10))
        wide = 30 if col.name in ("name", "name_en", "summary", "evidence", "lender", "rating_agency", "source") else 0
        ws.column_dimensions[letter].width = max(len(col.name) + 4, 12 if col.kind == "date" else 10, wide)
        if col.kind in _NUMBER_FORMATS:
            ws.column_dimensions[letter].number_format = _NUMBER_FORMATS[col.kind]
        dv = _validation(table, col, policy, t, lists, f"{letter}2:{letter}{_LAST_ROW}")
        if dv is not None:
            ws.add_data_validation(dv)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}1"


def _instructions(ws, policy: Policy, t, workbook: Path) -> None:
    """The first sheet: what each sheet holds, how to fill it in, how to check and run, every column."""
    widths = {"A": 24, "B": 30, "C": 16, "D": 90}
    for letter, w in widths.items():
        ws.column_dimensions[letter].width = w
    total = sum(widths.values())
    wrap = Alignment(wrap_text=True, vertical="top")
    row = 1

    def paragraph(text: str, *, bold: bool = False, size: float | None = None, mono: bool = False) -> None:
        nonlocal row
        cell = ws.cell(row=row, column=1, value=text)
        cell.alignment = wrap
        cell.font = Font(bold=bold, size=size, name="Consolas" if mono else None)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=4)
        lines = max(1, math.ceil(_width(text) * 1.1 / total))
        ws.row_dimensions[row].height = max(15, 15 * lines) + (6 if size else 0)
        row += 1

    def heading(text: str) -> None:
        nonlocal row
        row += 1
        paragraph(text, bold=True, size=12)

    def table_row(values: list[str], *, bold: bool = False, fill: PatternFill | None = None) -> None:
        nonlocal row
        for i, value in enumerate(values, 1):
            cell = ws.cell(row=row, column=i, value=value)
            cell.alignment = wrap
            cell.font = Font(bold=bold)
            if fill is not None:
                cell.fill = fill
        last = _width(values[-1]) * 1.1 / widths[get_column_letter(len(values))]
        ws.row_dimensions[row].height = 15 * max(1, math.ceil(last))
        row += 1

    base = policy.base_currency
    paragraph(t("starter.instructions.title"), bold=True, size=14)
    paragraph(t("starter.instructions.intro"))
    heading(t("starter.instructions.sheets"))
    table_row([t("starter.heading.sheet"), t("starter.heading.need"), "", t("starter.heading.content")],
              bold=True, fill=_OPTIONAL_FILL)
    for name, table in TABLES.items():
        table_row([name, t("starter.table_required" if table.required else "starter.table_optional"), "",
                   t(f"starter.table.{name}", base=base)])
        link = ws.cell(row=row - 1, column=1)
        link.hyperlink = f"#'{name}'!A1"
        link.font = Font(color="0563C1", underline="single")
    heading(t("starter.instructions.rules"))
    for key in ("headers", "dates", "numbers", "units", "codes", "ids", "shared", "policy", "excel"):
        paragraph(t(f"starter.instructions.{key}", base=base) if key in ("units", "shared")
                  else t(f"starter.instructions.{key}"))
    heading(t("starter.instructions.steps"))
    paragraph(t("starter.instructions.step_fill"))
    paragraph(t("starter.instructions.step_validate"))
    paragraph(f"riskbook validate --data {workbook.as_posix()}", mono=True)
    paragraph(t("starter.instructions.step_run"))
    paragraph(f"riskbook batch --data {workbook.as_posix()}", mono=True)
    heading(t("starter.instructions.columns"))
    table_row([t("starter.heading.sheet"), t("starter.heading.column"), t("starter.heading.fill"),
               t("starter.heading.meaning")], bold=True, fill=_OPTIONAL_FILL)
    for name, table in TABLES.items():
        for col in table.columns:
            table_row([name, col.name, t("starter.fill.optional" if col.nullable else "starter.fill.required"),
                       _sentence_sep(t).join((t(f"starter.column.{name}.{col.name}"),
                                              _format_text(table, col, policy, t)))])
    ws.freeze_panes = "A2"


def _workbook_bytes(policy: Policy, lang: str, workbook: Path) -> bytes:
    """The starter workbook as ``.xlsx`` bytes."""
    t = messages(lang)
    book = Workbook()
    ws = book.active
    ws.title = t("starter.sheet.instructions")
    lists = _Lists(book)
    for table in TABLES.values():
        _table_sheet(book, table, policy, t, lists)
    _instructions(ws, policy, t, workbook)
    if LISTS_SHEET in book.sheetnames:  # the hidden lists last, after the tables
        book.move_sheet(LISTS_SHEET, offset=len(book.sheetnames) - 1 - book.sheetnames.index(LISTS_SHEET))
    book.active = 0
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
