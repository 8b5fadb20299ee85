"""A customer's open items from the receivables ledger, ready for many quick questions.

The order-entry check asks the same customer's ledger, many times a second, how much is open and how
long past due the oldest open invoice is. :class:`OpenItems` keeps one customer's invoices as NumPy
arrays (already in the currency of the limit) so that each answer is a few vector operations, with the
same conventions as :func:`helpers.analysis.monitoring.open_amount_at`: an invoice is open at a date
when it is issued by then and not settled by then (paid in full on or before the date); a partial
payment dated on or before the date reduces the open amount.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["OpenItems", "OpenPosition"]

_DAY = np.timedelta64(1, "D")


@dataclass(frozen=True)
class OpenPosition:
    """The open items at one date.

    Attributes
    ----------
    open_amount : float
        Σ open amount of the invoices open at the date.
    overdue_amount : float
        Σ open amount of the open invoices past their due date.
    oldest_overdue_days : int
        Days past due of the oldest overdue open invoice (date − due date); 0 when none is overdue.
    open_count : int
        Number of open invoices.
    """

    open_amount: float
    overdue_amount: float
    oldest_overdue_days: int
    open_count: int


class OpenItems:
    """One customer's invoices as arrays, for :meth:`at`.

    Parameters
    ----------
    invoices : DataFrame
        The customer's rows of the validated ``invoices`` table, amounts already in the currency of the
        question (see :func:`helpers.analysis.monitoring.convert`).
    """

    def __init__(self, invoices: pd.DataFrame):
        def days(col):
            return invoices[col].to_numpy(dtype="datetime64[D]")

        self._issued = days("invoice_date")
        self._due = days("due_date")
        self._paid_on = days("paid_date")  # NaT while unpaid
        self._amount = invoices["amount"].to_numpy(dtype=float)
        self._paid = invoices["paid_amount"].to_numpy(dtype=float)
        amounts = self._amount[~np.isnan(self._amount)]
        self.median_amount = float(np.median(amounts)) if amounts.size else float("nan")

    def __len__(self) -> int:
        return int(self._amount.size)

    def _open(self, date: np.datetime64) -> np.ndarray:
        """Open amount of every invoice at ``date``: amount, less the payment when it is dated by then;
        0 for an invoice issued after ``date``; never negative."""
        paid = ~np.isnat(self._paid_on) & (self._paid_on <= date)
        open_ = np.where(paid, self._amount - self._paid, self._amount)
        return np.clip(np.where(self._issued <= date, open_, 0.0), 0.0, None)

    def at(self, date) -> OpenPosition:
        """The open position at ``date`` (a date, Timestamp or ``YYYY-MM-DD``).

        overdue = open and ``date`` > due date; days past due = ``date`` − due date.
        """
        d = np.datetime64(pd.Timestamp(date).date(), "D")
        open_ = self._open(d)
        is_open = open_ > 0
        overdue = is_open & (self._due < d)
        oldest = int(((d - self._due[overdue]) / _DAY).max()) if overdue.any() else 0
        return OpenPosition(open_amount=float(open_.sum()), overdue_amount=float(open_[overdue].sum()),
                            oldest_overdue_days=oldest, open_count=int(is_open.sum()))

    def overdue_beyond(self, date, days: float) -> float:
        """Σ open amount at ``date`` of the invoices more than ``days`` days past due (date − due > days)."""
        d = np.datetime64(pd.Timestamp(date).date(), "D")
        open_ = self._open(d)
        late = (open_ > 0) & ((d - self._due) / _DAY > days)
        return float(open_[late].sum())
