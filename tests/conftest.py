"""Shared, generic fixtures: a private copy of the sample portfolio and text-level CSV editing."""
from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import settings as hypothesis_settings

from helpers.config import DATA_SAMPLE

# Property tests draw the same examples on every ``make test`` run (derandomized), so a red run means the code
# changed, not the draw; a failure prints the blob that reproduces it. ``make fuzz`` explores: new random
# examples, many more of them (RISKBOOK_FUZZ_SCALE), failures kept in .hypothesis/ and replayed first.
hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
hypothesis_settings.register_profile("explore", derandomize=False, print_blob=True)
hypothesis_settings.load_profile(os.environ.get("RISKBOOK_HYPOTHESIS", "ci"))


def _read_text(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.fixture
def sample_dir(tmp_path) -> Path:
    """A fresh copy of data/sample (CSV files + policy.yaml) that a test may break."""
    target = tmp_path / "sample"
    shutil.copytree(DATA_SAMPLE, target)
    return target


@pytest.fixture
def edit_csv():
    """``edit(folder, table, change)``: read ``<table>.csv`` as text, apply ``change(frame)`` (which
    may modify the frame in place or return a new one) and write it back without an index."""

    def edit(folder, table, change):
        path = Path(folder) / f"{table}.csv"
        frame = _read_text(path)
        result = change(frame)
        (frame if result is None else result).to_csv(path, index=False)

    return edit


@pytest.fixture
def process_gone():
    """``gone(pid, within=30)``: whether the process ``pid`` has exited (or is a zombie) within ``within`` seconds."""
    import psutil

    def gone(pid: int, within: float = 30.0) -> bool:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            try:
                if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                    return True
            except psutil.NoSuchProcess:
                return True
            time.sleep(0.1)
        return False

    return gone


@pytest.fixture
def tree_hashes():
    """``hashes(folder)``: SHA-256 of every file under ``folder``, by relative path."""

    def hashes(folder):
        folder = Path(folder)
        return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(folder.rglob("*")) if p.is_file()}

    return hashes


@pytest.fixture(scope="session")
def portfolio():
    """The bundled sample, validated as of its reporting date; shared read-only by the decision tests."""
    from helpers import load_portfolio

    return load_portfolio(as_of="2026-09-30")


@pytest.fixture(scope="session")
def scorecard(portfolio):
    """The scorecard developed on the sample's outcome history (out-of-time split of the policy)."""
    from helpers.scoring.development import develop_scorecard

    return develop_scorecard(portfolio)[0]


from servers import browser, page, postgres_db, postgres_url  # noqa: E402,F401  real servers, see tests/servers.py
