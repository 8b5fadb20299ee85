"""Number, money, percent and date formatting for the reports."""
from __future__ import annotations

import datetime as dt
import math

__all__ = ["fmt_number", "fmt_money", "fmt_percent", "fmt_ratio", "fmt_date"]

_MISSING = "n/a"


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value)))


def fmt_number(value, digits: int = 2) -> str:
    """Format a number with thousands separators and ``digits`` decimals; ``n/a`` when missing."""
    if _is_missing(value):
        return _MISSING
    return f"{value:,.{digits}f}"


def fmt_money(value, scale: float = 1_000.0, digits: int = 0) -> str:
    """Format an amount divided by ``scale`` (thousands by default), negatives in parentheses."""
    if _is_missing(value):
        return _MISSING
    v = value / scale
    text = f"{abs(v):,.{digits}f}"
    return f"({text})" if v < 0 and text.strip("0.,") else text


def fmt_percent(value, digits: int = 1) -> str:
    """Format a fraction as percent (0.123 → ``12.3 %``)."""
    if _is_missing(value):
        return _MISSING
    return f"{value * 100:,.{digits}f} %"


def fmt_ratio(value, unit: str = "x") -> str:
    """Format a catalogue ratio by its unit (``x``, ``%``, ``days``, ``months``, ``amount``)."""
    if unit == "%":
        return fmt_percent(value)
    if unit == "days":
        return fmt_number(value, 0)
    if unit == "months":
        return fmt_number(value, 1)
    if unit == "amount":
        return fmt_money(value)
    return fmt_number(value, 2)


def fmt_date(value) -> str:
    """Format an ISO date string or date as ``YYYY-MM-DD``."""
    if _is_missing(value) or value == "":
        return _MISSING
    if isinstance(value, (dt.date, dt.datetime)):
        return value.strftime("%Y-%m-%d")
    return str(value)[:10]
