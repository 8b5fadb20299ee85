"""Filling riskbook's starter workbook the way a clerk would, from the bundled sample (shared by tests)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd

from helpers.config import DATA_SAMPLE
from helpers.data import TABLES

#: The tables of one customer's own data, in the order a clerk fills them.
CUSTOMER_TABLES = ("customers", "financial_statements", "bank_credit", "invoices", "contacts", "assessments")


def sample_cell(value: str, kind: str):
    """A sample CSV cell as a clerk would type it into Excel: dates as dates, numbers as numbers."""
    if value == "":
        return None
    if kind == "date":
        return dt.date.fromisoformat(value)
    if kind == "int":
        return int(float(value))
    if kind in ("float", "money"):
        return float(value)
    if kind == "bool":
        return value.strip().lower() in ("true", "yes", "1")
    return value


def fill_from_sample(workbook: Path, customers, *, tables=CUSTOMER_TABLES, whole=("fx_rates",)) -> dict[str, int]:
    """Append the sample's rows of ``customers`` to each of ``tables`` and every sample row of the ``whole``
    tables to the workbook's sheets (openpyxl); returns the rows written per sheet."""
    book = openpyxl.load_workbook(workbook)
    filled = {}
    for name in (*tables, *whole):
        table = TABLES[name]
        sample = pd.read_csv(DATA_SAMPLE / f"{name}.csv", dtype=str, keep_default_na=False)
        if name not in whole and "customer_id" in sample and table.has_customer:
            sample = sample[sample["customer_id"].isin(customers)]
        ws = book[name]
        for record in sample.to_dict("records"):
            ws.append([sample_cell(record.get(col.name, ""), col.kind) for col in table.columns])
        filled[name] = len(sample)
    book.save(workbook)
    return filled
