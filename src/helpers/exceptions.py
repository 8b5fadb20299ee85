"""One exception root for riskbook; children carry what went wrong and where."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

__all__ = ["printable", "RiskbookError", "PolicyError", "InputError", "Problem", "ValidationError",
           "NotebookError", "KernelError", "RenderError", "ModelError", "OrderError", "DecisionLogError"]


_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text) -> str:
    """``text`` with every invisible or layout-changing character written as its escape.

    Control characters (NUL, newline, tab, ESC, DEL, the C1 range), format characters (bidirectional
    overrides and isolates such as U+202E, zero-width spaces and joiners, the byte-order mark) and the
    line and paragraph separators become ``\\x00``, ``\\n``, ``\\t``, ``\\x1b``, ``\\u202e``, ...,
    so that a message shows what a cell really holds and cannot be reordered or broken by it.
    Backslashes are left alone: escaping twice changes nothing.

    Parameters
    ----------
    text : object
        Turned into text with ``str`` (None becomes ``""``).

    Returns
    -------
    str
    """
    text = "" if text is None else str(text)
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch in _NAMED_ESCAPES:
            out.append(_NAMED_ESCAPES[ch])
        elif unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"):
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else
                       f"\\U{code:08x}")
        else:
            out.append(ch)
    return "".join(out)


class RiskbookError(Exception):
    """Root of every error riskbook raises on purpose."""


class PolicyError(RiskbookError):
    """The credit policy file is missing or invalid."""


class InputError(RiskbookError):
    """A data source cannot be read at all (missing folder, unreadable file, bad URL)."""


@dataclass(frozen=True)
class Problem:
    """One finding of input validation.

    Attributes
    ----------
    severity : str
        ``"error"`` (the data cannot be used) or ``"warning"`` (usable, shown in the report).
    table, column : str
        Where it is; ``column`` may be empty for row- or table-level findings.
    row : int or None
        Line number in the source file (header is line 1, first data row line 2) for CSV,
        the sheet row for Excel, the 1-based row position for SQL.
    customer_id : str or None
        The customer the row belongs to, when known.
    value : str
        The offending value as text.
    message : str
        What was expected and how to fix it.
    source : str
        The file, sheet or SQL table the row came from.
    code : str
        A stable code that the report layer turns into text in the reader's language, with ``args``
        (:func:`helpers.report.problems.problem_text`; catalogue ``problem.<code>``). Every problem that
        validation and reading make has one: errors such as ``missing_value``, ``not_an_amount``,
        ``decimal_comma``, ``date_after_as_of``, ``unbalanced_balance_sheet``, ``duplicate_key``,
        ``unknown_customer``, ``unknown_industry``; the warnings the reports show (``unaudited``,
        ``partial_year``, ``few_years``, ``year_gap``, ``stale_statements``, ``overdrawn``, ``no_statements``,
        ``no_evidence``, ``stale_assessment``, ``encoding``: a CSV file that is not UTF-8; their texts are
        ``warning.<code>``). ``message`` is the English text for the command line.
    args : dict
        The figures and names of the code's sentence (JSON-ready: text, numbers, lists, None).
    """

    severity: str
    table: str
    column: str
    row: int | None
    customer_id: str | None
    value: str
    message: str
    source: str = ""
    code: str = ""
    args: dict = field(default_factory=dict)

    def __str__(self) -> str:
        """One line for people: ``error: file row N (customer C): column = value: message``; every control,
        format or bidirectional character of a field is escaped (see :func:`printable`)."""
        where = printable(self.source or self.table)
        if self.row is not None:
            where += f" row {self.row}"
        if self.customer_id:
            where += f" (customer {printable(self.customer_id)})"
        col = f" {printable(self.column)}" if self.column else ""
        val = "" if self.value in ("", None) else f" = {printable(self.value)}" if self.column else \
            f" value {printable(self.value)}"
        what = f"{col}{val}:" if col or val else ""
        return f"{self.severity}: {where}:{what} {printable(self.message)}"

    def to_dict(self) -> dict:
        """Return the problem as a JSON-ready dict."""
        return {k: getattr(self, k) for k in
                ("severity", "table", "column", "row", "customer_id", "value", "message", "source", "code",
                 "args")}


class ValidationError(RiskbookError):
    """Input data broke the contract. ``problems`` lists every error (and warning) found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        head = f"{len(errors)} problem(s) in the input data:"
        lines = [str(p) for p in errors[:50]]
        if len(errors) > 50:
            lines.append(f"... and {len(errors) - 50} more")
        super().__init__("\n  ".join([head, *lines]))


class NotebookError(RiskbookError):
    """A notebook failed while executing; names the notebook and the cell. ``traceback`` is the failing cell's
    Python traceback as the kernel printed it (plain text), for the batch log."""

    def __init__(self, notebook: str, cell: int | None, ename: str, evalue: str, traceback: str = ""):
        self.notebook, self.cell, self.ename, self.evalue = notebook, cell, ename, evalue
        self.traceback = traceback
        where = f"{notebook}" + (f", cell {cell}" if cell is not None else "")
        super().__init__(f"{where}: {ename}: {evalue}")


class KernelError(RiskbookError):
    """A notebook kernel died, hung or could not be reset (not a failing cell); the runner replaces the
    kernel and tries the customer once more."""


class RenderError(RiskbookError):
    """The PDF report could not be rendered."""


class ModelError(RiskbookError):
    """A scoring model cannot be fitted, or its artifact cannot be trusted."""


class OrderError(RiskbookError):
    """An order check, release or rejection cannot be done as asked. ``code`` is stable
    (``unknown_customer``, ``invalid_amount``, ``unknown_currency``, ``invalid_due_days``, ``invalid_id``,
    ``unknown_entry``, ``not_pending``, ``reason_required``, ``unknown_order``, ...); ``args`` are its
    figures; the text is made in the caller's language from the message catalogue (``error.<code>``)."""

    def __init__(self, code: str, message: str = "", **args):
        self.code, self.args_ = code, args
        super().__init__(message or code)


class DecisionLogError(RiskbookError):
    """The decision log database cannot be opened or has a schema this riskbook does not know."""
