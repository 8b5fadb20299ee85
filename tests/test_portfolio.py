"""The validated portfolio: signed snapshots (no code from a data file) and quarantined customers."""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from helpers.cli import main
from helpers.config import DATA_SAMPLE
from helpers.data.portfolio import SNAPSHOT_SUFFIX, load_portfolio, load_snapshot
from helpers.exceptions import InputError, ValidationError


class _Payload:
    """Unpickling this object runs a command: what a crafted snapshot does."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _crafted(folder: Path, marker: Path, signed_like: bool = False) -> Path:
    path = folder / f"evil{SNAPSHOT_SUFFIX}"
    body = pickle.dumps(_Payload(marker))
    # one that copies the header shape of a real snapshot, with a made-up signature
    path.write_bytes((b"RISKBOOK-SNAPSHOT-1\n" + b"0" * 64 + b"\n" + body) if signed_like else body)
    return path


@pytest.mark.parametrize("signed_like", [False, True])
def test_a_crafted_snapshot_is_refused_before_anything_is_unpickled(tmp_path, signed_like):
    marker = tmp_path / "pwned"
    path = _crafted(tmp_path, marker, signed_like)
    assert not marker.exists()
    with pytest.raises(InputError, match="not a snapshot written by this user's riskbook"):
        load_portfolio(path)
    with pytest.raises(InputError):
        load_snapshot(path, raw=True)
    assert not marker.exists()
    # the payload is live: unpickling it directly does run the command (so the test would catch a loader that unpickles)
    pickle.loads(pickle.dumps(_Payload(marker)))
    assert marker.exists()


def test_the_cli_never_takes_a_snapshot_as_data(tmp_path):
    marker = tmp_path / "pwned"
    path = _crafted(tmp_path, marker)
    for command in ("validate", "batch"):
        proc = subprocess.run([sys.executable, "-m", "helpers.cli", command, "--data", str(path), "--out",
                               str(tmp_path / "out")] if command == "batch" else
                              [sys.executable, "-m", "helpers.cli", command, "--data", str(path)],
                              capture_output=True, text=True, cwd=tmp_path)
        assert proc.returncode == 2, proc.stderr
        assert "internal cache, not a data source" in proc.stderr
        assert "Traceback" not in proc.stderr
    assert not marker.exists()
    assert not (tmp_path / "out").exists()


def test_a_real_snapshot_round_trips_and_any_changed_byte_is_refused(portfolio, tmp_path):
    path = portfolio.save(tmp_path / f"p{SNAPSHOT_SUFFIX}")
    back = load_snapshot(path, raw=True)
    assert back.customer_ids == portfolio.customer_ids
    assert back.customer_digest("CASE1") == portfolio.customer_digest("CASE1")
    assert set(back.raw) == set(portfolio.raw)
    data = bytearray(path.read_bytes())
    data[-10] ^= 0x01  # one bit of the pickled body
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match="signature does not match"):
        load_snapshot(path)
    # no temporary files left beside it
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"p{SNAPSHOT_SUFFIX}", f"p{SNAPSHOT_SUFFIX}.raw"]


def test_a_snapshot_signed_under_another_key_is_refused(portfolio, tmp_path, monkeypatch):
    monkeypatch.setenv("RISKBOOK_CACHE_KEY", "11" * 32)
    path = portfolio.save(tmp_path / f"p{SNAPSHOT_SUFFIX}")
    assert load_snapshot(path).customer_ids == portfolio.customer_ids
    monkeypatch.setenv("RISKBOOK_CACHE_KEY", "22" * 32)
    with pytest.raises(InputError, match="signature does not match"):
        load_snapshot(path)
    monkeypatch.setenv("RISKBOOK_CACHE_KEY", "zz")
    with pytest.raises(InputError, match="RISKBOOK_CACHE_KEY"):
        load_snapshot(path)


def test_the_key_file_is_made_once_readable_by_its_owner_only(portfolio, tmp_path, monkeypatch):
    monkeypatch.delenv("RISKBOOK_CACHE_KEY", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = portfolio.save(tmp_path / f"p{SNAPSHOT_SUFFIX}")
    key = tmp_path / "cache" / "riskbook" / "snapshot.key"
    assert key.is_file() and oct(key.stat().st_mode & 0o777) == "0o600"
    first = key.read_bytes()
    assert len(first) == 32
    assert load_snapshot(path).customer_ids == portfolio.customer_ids
    assert key.read_bytes() == first


# --------------------------------------------------------------------------- quarantine
AS_OF = "2026-09-30"


def _unbalance(frame, customer="C005", year="2025"):
    row = (frame.customer_id == customer) & (frame.fiscal_year == year)
    frame.loc[row, "equity"] = str(float(frame.loc[row, "equity"].iloc[0]) + 1000)


def test_a_customer_whose_own_rows_break_the_contract_is_set_aside_and_the_rest_load(sample_dir, edit_csv):
    edit_csv(sample_dir, "financial_statements", _unbalance)
    edit_csv(sample_dir, "invoices", lambda f: f.__setitem__("amount", f["amount"].where(
        ~((f.customer_id == "C007") & (f.index == f.index[f.customer_id == "C007"][0])), "-5")))
    p = load_portfolio(sample_dir, as_of=AS_OF)
    assert sorted(p.quarantine) == ["C005", "C007"]
    assert "C005" not in p.customer_ids and "C007" not in p.customer_ids and len(p.customer_ids) == 58
    for name, table in p.tables.items():
        if "customer_id" in table:
            assert not table["customer_id"].isin(["C005", "C007"]).any(), name
    for name, table in p.raw.items():
        if "customer_id" in table and name != "outcomes":
            assert not table["customer_id"].isin(["C005", "C007"]).any(), name
    c005 = p.quarantine["C005"]
    errors = [x for x in c005["problems"] if x.severity == "error"]
    assert c005["name"] and [(e.table, e.customer_id) for e in errors] == [("financial_statements", "C005")]
    assert errors[0].row == 14  # the file's line of C005's 2025 statements
    assert {x.table for x in p.quarantine["C007"]["problems"] if x.severity == "error"} == {"invoices"}
    assert not any(w.customer_id in ("C005", "C007") for w in p.warnings)
    # the others' digest knows who was set aside (their peers and the provision matrix are without them)
    clean = load_portfolio(DATA_SAMPLE, as_of=AS_OF)
    assert p.customer_digest("C001") != clean.customer_digest("C001")
    with pytest.raises(ValidationError) as err:
        load_portfolio(sample_dir, as_of=AS_OF, strict=True)
    assert {x.customer_id for x in err.value.problems if x.severity == "error"} == {"C005", "C007"}


def test_an_error_of_the_source_as_a_whole_still_stops_everything(sample_dir, edit_csv):
    edit_csv(sample_dir, "financial_statements", _unbalance)
    edit_csv(sample_dir, "fx_rates", lambda f: f.__setitem__("rate_to_base", f["rate_to_base"].where(f.index != 1, "0")))
    with pytest.raises(ValidationError) as err:
        load_portfolio(sample_dir, as_of=AS_OF)
    tables = {x.table for x in err.value.problems if x.severity == "error"}
    assert tables == {"fx_rates", "financial_statements"}  # both reported, in one pass


def test_a_row_of_no_known_customer_stops_everything(sample_dir, edit_csv):
    edit_csv(sample_dir, "bank_credit", lambda f: f.__setitem__("customer_id", f["customer_id"].where(f.index != 0, "NOBODY")))
    with pytest.raises(ValidationError, match="unknown customer id"):
        load_portfolio(sample_dir, as_of=AS_OF)


def test_when_every_customer_would_be_set_aside_nothing_loads(sample_dir, edit_csv):
    edit_csv(sample_dir, "customers", lambda f: f.__setitem__("industry", "no_such_industry"))
    with pytest.raises(ValidationError, match="unknown industry"):
        load_portfolio(sample_dir, as_of=AS_OF)


def test_validate_names_the_customers_a_batch_sets_aside(sample_dir, edit_csv, capsys):
    edit_csv(sample_dir, "financial_statements", _unbalance)
    assert main(["validate", "--data", str(sample_dir), "--as-of", AS_OF]) == 1
    err = capsys.readouterr().err
    assert "set aside: C005" in err and "balance sheet does not balance" in err
    assert main(["validate", "--data", str(sample_dir), "--as-of", AS_OF, "--strict"]) == 2
    assert "fails validation" in capsys.readouterr().err


def test_a_customers_extract_is_exactly_its_rows_as_read_in_file_order(sample_dir, edit_csv):
    """customer_extract (the report's evidence) gives each customer exactly its rows of every per-customer table
    as read, in file order, and the whole shared tables; a customer with no rows gets the header only. Checked
    against a plain filter for every customer, with one customer's invoices moved to the end of the file."""
    def move_c002_last(frame):
        mine = frame["customer_id"] == "C002"
        return pd.concat([frame[~mine], frame[mine]])
    edit_csv(sample_dir, "invoices", move_c002_last)
    p = load_portfolio(sample_dir)
    for cid in p.customer_ids:
        extract = p.customer_extract(cid)
        assert "outcomes" not in extract
        for name, frame in extract.items():
            raw = p.raw[name]
            if name in ("fx_rates", "industry_benchmarks"):
                assert frame.equals(raw.reset_index(drop=True))
            else:
                expected = raw[raw["customer_id"] == cid].reset_index(drop=True)
                assert frame.equals(expected), (cid, name)
                assert list(frame.columns) == list(raw.columns)
