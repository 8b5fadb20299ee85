"""``scripts/make_sample_data.py --customers N``: a bigger sample that keeps the bundled 60 customers as they are."""
from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest

from helpers import load_portfolio
from helpers.config import DATA_SAMPLE

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "make_sample_data.py"
N = 80
#: Tables whose rows belong to a current customer; the others must not change with N at all.
PER_CUSTOMER = ("customers", "financial_statements", "bank_credit", "invoices", "contacts", "assessments")
UNCHANGED = ("outcomes", "fx_rates", "industry_benchmarks")


@pytest.fixture(scope="module")
def bigger(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample80")
    shutil.copy(Path(DATA_SAMPLE) / "policy.yaml", out / "policy.yaml")
    subprocess.run([sys.executable, str(SCRIPT), "--out", str(out), "--customers", str(N)], check=True,
                   capture_output=True, text=True, timeout=120)
    return out


def rows_by_customer(path: Path) -> tuple[str, dict[str, list[str]]]:
    """The header line and each customer's CSV text lines, in file order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header = next(csv.reader([lines[0]]))
    col = header.index("customer_id")
    by = defaultdict(list)
    for line in lines[1:]:
        by[next(csv.reader([line]))[col]].append(line)
    return lines[0], by


def test_first_60_customers_unchanged(bigger):
    base_ids = pd.read_csv(Path(DATA_SAMPLE) / "customers.csv", dtype=str)["customer_id"].tolist()
    assert len(base_ids) == 60
    for table in PER_CUSTOMER:
        head0, base = rows_by_customer(Path(DATA_SAMPLE) / f"{table}.csv")
        head1, new = rows_by_customer(bigger / f"{table}.csv")
        assert head1 == head0, table
        for cid in base_ids:
            assert new.get(cid, []) == base.get(cid, []), f"{table}: rows of {cid} changed"
        # the base rows come first, the extra customers' after them
        n_base = sum(len(v) for v in base.values())
        assert (bigger / f"{table}.csv").read_text(encoding="utf-8").splitlines()[:n_base + 1] == \
            (Path(DATA_SAMPLE) / f"{table}.csv").read_text(encoding="utf-8").splitlines(), table
    for table in UNCHANGED:
        assert (bigger / f"{table}.csv").read_bytes() == (Path(DATA_SAMPLE) / f"{table}.csv").read_bytes(), table


def test_extra_customers_ids_and_names(bigger):
    cu = pd.read_csv(bigger / "customers.csv", dtype=str)
    assert cu["customer_id"].nunique() == len(cu) == N
    assert cu["customer_id"].iloc[60:].tolist() == [f"C{k:03d}" for k in range(59, N - 1)]
    assert cu["name"].nunique() == N and cu["name_en"].nunique() == N
    for table, col in (("invoices", "invoice_id"), ("contacts", "contact_id")):
        ids = pd.read_csv(bigger / f"{table}.csv", dtype=str)[col]
        assert ids.is_unique and (ids.str.split("-").str[1].astype(int).diff().dropna() == 1).all(), table


def test_bigger_sample_validates(bigger):
    pf = load_portfolio(bigger, as_of="2026-09-30")  # raises ValidationError on any error
    assert pf.tables["customers"]["customer_id"].nunique() == N
    extra = set(pf.tables["customers"]["customer_id"].iloc[60:])
    for table in ("financial_statements", "bank_credit", "invoices", "contacts", "assessments"):
        assert extra & set(pf.tables[table]["customer_id"]), f"no extra customer in {table}"


def test_extra_statements_are_not_copies(bigger):
    fs = pd.read_csv(bigger / "financial_statements.csv")
    figures = [c for c in fs.columns if c not in ("customer_id", "fiscal_year", "period_end", "months", "currency",
                                                  "unit", "audited")]
    base_ids = set(pd.read_csv(Path(DATA_SAMPLE) / "customers.csv")["customer_id"])
    is_base = fs["customer_id"].isin(base_ids)
    key = lambda df: set(map(tuple, df[figures].fillna(-1).to_numpy().tolist()))  # noqa: E731
    base_rows, extra = key(fs[is_base]), fs[~is_base]
    assert extra["customer_id"].nunique() == N - 60
    assert not key(extra) & base_rows
    assert len(key(extra)) == len(extra)
