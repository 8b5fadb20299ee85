"""The validated portfolio: signed snapshots (no code from a data file) and quarantined customers."""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.data.portfolio import SNAPSHOT_SUFFIX, load_portfolio, load_snapshot
from helpers.exceptions import InputError


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
