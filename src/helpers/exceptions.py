"""One exception root for riskbook; children carry what went wrong and where."""
from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["RiskbookError", "PolicyError", "InputError", "Problem", "ValidationError",
           "NotebookError", "KernelError", "RenderError", "ModelError", "OrderError", "DecisionLogError"]


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
        For warnings the reports show: a stable code (``unaudited``, ``partial_year``, ``few_years``,
        ``year_gap``, ``stale_statements``, ``overdrawn``, ``no_statements``, ``no_evidence``,
        ``stale_assessment``) that the report turns
        into text in its language, with ``args``. ``message`` is the English text for the command line.
    args : dict
        The figures of the code's message.
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
        where = self.source or self.table
        if self.row is not None:
            where += f" row {self.row}"
        if self.customer_id:
            where += f" (customer {self.customer_id})"
        col = f" {self.column}" if self.column else ""
        val = f" = {self.value!s}" if self.value not in ("", None) else ""
        return f"{self.severity}: {where}:{col}{val}: {self.message}"

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
    """A notebook failed while executing; names the notebook and the cell."""

    def __init__(self, notebook: str, cell: int | None, ename: str, evalue: str):
        self.notebook, self.cell, self.ename, self.evalue = notebook, cell, ename, evalue
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
