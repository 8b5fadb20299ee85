"""One formatter per language for numbers, percentages, money and dates, built on Babel.

Every figure a reader sees — in the PDF, in the notebooks' tables, inside a finding's sentence — is
formatted by a :class:`Formatter` of the report's language, so a value reads the same everywhere:

========  =====================  =====================
kind      ``en``                 ``zh``
========  =====================  =====================
number    ``1,234.57``           ``1,234.57``
percent   ``12.3 %``             ``12.3%``
money     ``1,235`` (thousands)  ``1,235`` (thousands)
amount    ``12,300 CNY``         ``12,300人民币``
date      ``2026-09-30``         ``2026年9月30日``
missing   ``n/a``                ``不适用``
========  =====================  =====================

Negative money in tables is shown in parentheses, as statements print it.
"""
from __future__ import annotations

import datetime as dt
import math
from functools import lru_cache

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, get_currency_name

from ..exceptions import RiskbookError

__all__ = ["LANGUAGES", "DEFAULT_LANGUAGE", "Formatter", "formatter", "check_language", "is_missing"]

#: The report languages and their Babel locales.
LANGUAGES: dict[str, str] = {"en": "en", "zh": "zh_CN"}
DEFAULT_LANGUAGE = "en"
#: Per language: percent sign spacing, missing-value mark, date pattern.
_STYLE = {
    "en": {"percent": " %", "missing": "n/a", "date": "yyyy-MM-dd"},
    "zh": {"percent": "%", "missing": "不适用", "date": "long"},
}


def check_language(lang: str | None) -> str:
    """Return ``lang`` when it is a report language (``None`` gives the default); raise otherwise."""
    lang = DEFAULT_LANGUAGE if lang in (None, "") else str(lang)
    if lang not in LANGUAGES:
        raise RiskbookError(f"unknown report language {lang!r}; riskbook writes {', '.join(LANGUAGES)}")
    return lang


def is_missing(value) -> bool:
    """None, NaN, ±inf and pandas' missing values have no figure to show."""
    if value is None:
        return True
    try:
        return math.isnan(value) or math.isinf(value)
    except TypeError:
        return str(value) in ("NaT", "<NA>")


def _pattern(digits: int) -> str:
    return "#,##0" + ("." + "0" * digits if digits > 0 else "")


class Formatter:
    """Formats figures for one report language.

    Parameters
    ----------
    lang : {"en", "zh"}
    """

    def __init__(self, lang: str = DEFAULT_LANGUAGE):
        self.lang = check_language(lang)
        self.locale = Locale.parse(LANGUAGES[self.lang])
        self._style = _STYLE[self.lang]

    @property
    def missing(self) -> str:
        """The mark for a figure that is not available."""
        return self._style["missing"]

    def number(self, value, digits: int = 2) -> str:
        """A number with grouping and ``digits`` decimals."""
        if is_missing(value):
            return self.missing
        v = float(value)
        if round(v, digits) == 0:
            v = 0.0  # -0.4 shown with no decimals is "0", not "-0"
        return format_decimal(v, format=_pattern(digits), locale=self.locale)

    def percent(self, value, digits: int = 1) -> str:
        """A fraction as percent: 0.123 → ``12.3 %`` (en), ``12.3%`` (zh)."""
        if is_missing(value):
            return self.missing
        return self.number(float(value) * 100.0, digits) + self._style["percent"]

    def money(self, value, scale: float = 1_000.0, digits: int = 0) -> str:
        """An amount divided by ``scale`` (thousands by default) for tables; negatives in parentheses."""
        if is_missing(value):
            return self.missing
        v = float(value) / scale
        text = self.number(abs(v), digits)
        return f"({text})" if v < 0 and text.strip("0.,") else text

    def amount(self, value, currency: str, digits: int = 0) -> str:
        """An amount with its currency in a sentence: ``12,300 CNY`` (en), ``12,300人民币`` (zh)."""
        if is_missing(value):
            return self.missing
        if self.lang == "en":
            return f"{self.number(value, digits)} {currency}"
        return format_currency(float(value), currency, format=_pattern(digits), locale=self.locale,
                               currency_digits=False, format_type="name")

    def currency_name(self, currency: str) -> str:
        """The currency as the reader names it: the ISO code in English, 人民币 or 美元 in Chinese."""
        return currency if self.lang == "en" else get_currency_name(currency, locale=self.locale)

    def ratio(self, value, unit: str = "x", digits: int | None = None) -> str:
        """A catalogue ratio by its unit: ``x`` 2 decimals, ``%`` percent, ``days`` 0, ``months`` 1,
        ``amount`` in thousands."""
        if unit == "%":
            return self.percent(value, 1 if digits is None else digits)
        if unit == "days":
            return self.number(value, 0 if digits is None else digits)
        if unit == "months":
            return self.number(value, 1 if digits is None else digits)
        if unit == "amount":
            return self.money(value, digits=0 if digits is None else digits)
        return self.number(value, 2 if digits is None else digits)

    def date(self, value) -> str:
        """A date: ``2026-09-30`` (en), ``2026年9月30日`` (zh); ISO strings are accepted."""
        if is_missing(value) or value == "":
            return self.missing
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value[:10])
            except ValueError:
                return value
        if isinstance(value, dt.datetime):
            value = value.date()
        elif hasattr(value, "date") and not isinstance(value, dt.date):  # pandas Timestamp
            value = value.date()
        return format_date(value, format=self._style["date"], locale=self.locale)


@lru_cache(maxsize=None)
def formatter(lang: str = DEFAULT_LANGUAGE) -> Formatter:
    """The (shared) formatter of a language."""
    return Formatter(lang)
