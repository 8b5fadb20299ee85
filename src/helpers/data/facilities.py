"""Which of a customer's bank facilities count for what: one definition, used by scoring, scenarios,
the credit limit and the payment-terms options alike.

Facilities come from the ``bank_credit`` table (status ``active``, ``defaulted`` or ``closed``):

- **open** facilities are those not closed (active or defaulted): what the customer still owes its
  banks and how late it is with them;
- **credit lines** are the open revolving facilities, ``credit_line`` and ``overdraft``: their
  utilization (Σ outstanding / Σ limit) is a scoring characteristic, and a scenario's credit-line cut
  withdraws part of them;
- **usable lines** are the *active* credit lines, overdrafts and trade-finance lines: their unused part
  (Σ max(0, limit − outstanding)) is what a bank could draw on to issue a letter of credit or a
  guarantee for the customer.
"""
from __future__ import annotations

import pandas as pd

__all__ = ["REVOLVING", "INSTRUMENT_LINES", "open_facilities", "credit_lines", "usable_lines", "unused_headroom"]

#: Revolving facility types: drawn and repaid at will.
REVOLVING: tuple[str, ...] = ("credit_line", "overdraft")
#: Facility types a bank can issue a letter of credit or a guarantee against.
INSTRUMENT_LINES: tuple[str, ...] = REVOLVING + ("trade_finance",)


def open_facilities(bank: pd.DataFrame) -> pd.DataFrame:
    """Facilities not closed (status ``active`` or ``defaulted``)."""
    return bank[bank["status"] != "closed"]


def credit_lines(bank: pd.DataFrame) -> pd.DataFrame:
    """Open revolving facilities (:data:`REVOLVING`)."""
    open_ = open_facilities(bank)
    return open_[open_["facility_type"].isin(REVOLVING)]


def usable_lines(bank: pd.DataFrame) -> pd.DataFrame:
    """Active facilities of the :data:`INSTRUMENT_LINES` types."""
    return bank[(bank["status"] == "active") & bank["facility_type"].isin(INSTRUMENT_LINES)]


def unused_headroom(bank: pd.DataFrame) -> float:
    """Σ max(0, limit − outstanding) over the usable lines."""
    lines = usable_lines(bank)
    return float((lines["limit"] - lines["outstanding"]).clip(lower=0).sum())
