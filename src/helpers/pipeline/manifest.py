"""What a batch records: the digest of the code a report depends on, the versions it ran with, and
``<out>/manifest.json`` with one entry per requested customer."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Callable

from ..config import NOTEBOOKS_DIR, PACKAGE_DIR, PROJECT_ROOT, TEMPLATES_DIR, file_sha256, library_report, riskbook_version
from ..data.portfolio import Portfolio
from ..data.store import to_jsonable, write_json

__all__ = ["PIPELINE", "MODEL_NOTEBOOK", "JOURNAL_NAME", "LOG_NAME", "Journal", "code_digest", "library_report", "riskbook_version",
           "write_manifest"]

#: Notebooks run for every customer, in order (monitoring reads the decisions it watches).
PIPELINE: tuple[str, ...] = ("financial_analysis", "credit_scoring", "scenario_cases", "monitoring")
#: Notebook run once per batch, before the customers: fits and validates the scorecard.
MODEL_NOTEBOOK = "model_development"


def code_digest(pipeline: tuple[str, ...] = PIPELINE) -> str:
    """SHA-256 over the code a report depends on: pipeline notebooks, templates and helpers."""
    h = hashlib.sha256()
    files = [NOTEBOOKS_DIR / f"{n}.ipynb" for n in pipeline]
    files += sorted(TEMPLATES_DIR.glob("*"))
    files += sorted(PACKAGE_DIR.rglob("*.py")) + sorted(PACKAGE_DIR.rglob("*.po"))
    for f in files:
        if f.is_file():  # named as in the repository or the installed package, not by where it is on this machine
            name = f.relative_to(PROJECT_ROOT if f.is_relative_to(PROJECT_ROOT) else PACKAGE_DIR.parent)
            h.update(name.as_posix().encode())
            h.update(file_sha256(f).encode())
    return h.hexdigest()


def write_manifest(out: Path, portfolio, runs: list, code: str, command: str, seconds: float,
                    model=None, *, lang: str = "en", execution: dict | None = None, status: str = "complete") -> Path:
    """Write ``<out>/manifest.json``: the run's inputs, code, language and one entry per customer.

    ``status`` is ``running`` while the batch works (entries not yet finished are ``pending``), ``complete``
    when every customer was run, ``interrupted`` when the batch stopped early (its unfinished customers are
    ``failed`` with the reason). The file is replaced in one rename, so a reader sees one version or the next.
    """
    counts = {s: sum(r.status == s for r in runs) for s in ("ok", "failed", "skipped", "pending")}
    if not counts["pending"]:
        del counts["pending"]
    manifest = {
        "riskbook_version": riskbook_version(),
        "status": status,
        "journal": JOURNAL_NAME,
        "log": LOG_NAME,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "command": command,
        "data": portfolio.source,
        "as_of": f"{portfolio.as_of:%Y-%m-%d}",
        "policy_version": portfolio.policy.policy_version,
        "lang": lang,
        "input_sha256": portfolio.input_hashes,
        "code_sha256": code,
        "requested": len(runs),
        "counts": counts,
        "seconds": round(seconds, 3),
        "execution": execution or {},
        "model": asdict(model) if model else None,
        "customers": [_entry(r) for r in runs],
    }
    return write_json(out / "manifest.json", manifest)


def _entry(run) -> dict:
    entry = {**asdict(run), "report": f"{Path(run.folder).name}/report.pdf" if run.pdf_sha256 else None}
    entry.pop("traceback", None)  # in batch.log
    if not entry["problems"]:
        del entry["problems"]
    return entry


#: The batch's journal beside the manifest: one JSON line per customer as it finishes.
JOURNAL_NAME = "manifest.journal"
#: The batch's log beside the manifest (the standard logging module): one line per customer event, failures
#: with their tracebacks, timings.
LOG_NAME = "batch.log"


class Journal:
    """The manifest written as the batch goes, so a batch killed at any moment leaves a true account.

    :meth:`begin` empties ``<out>/manifest.journal`` and writes ``manifest.json`` with status ``running`` (every
    customer not yet finished ``pending``); :meth:`record` appends the finished customer's entry to the
    journal (flushed and synced to disk: a kill loses nothing that finished) and rewrites the manifest at
    most every ``every`` seconds (a rewrite of thousands of entries per customer would cost more than the
    customers). After a kill, the manifest lists what had finished by its last rewrite and the journal the
    rest; each customer's folder is whole or absent, so a re-run completes exactly the missing customers.

    Parameters
    ----------
    out : Path
        The batch's output folder.
    runs : callable
        Returns the current entry of every requested customer, in order.
    fields : callable
        ``fields(status)`` gives :func:`write_manifest`'s other arguments (portfolio, code, command, model,
        lang, execution, seconds, status).
    """

    def __init__(self, out: Path, runs: Callable[[], list], fields: Callable[[str], dict], every: float = 1.0):
        self.out, self._runs, self._fields, self.every = Path(out), runs, fields, every
        self._fh = None
        self._written = 0.0

    def begin(self, finished: list) -> None:
        self._fh = open(self.out / JOURNAL_NAME, "w", encoding="utf-8")
        for run in finished:
            self._append(run)
        self._write()

    def record(self, run) -> None:
        self._append(run)
        if time.monotonic() - self._written >= self.every:
            self._write()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def _append(self, run) -> None:
        self._fh.write(json.dumps(to_jsonable(_entry(run)), ensure_ascii=False) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def _write(self) -> None:
        f = self._fields("running")
        write_manifest(self.out, f["portfolio"], self._runs(), f["code"], f["command"], f["seconds"], f["model"],
                       lang=f["lang"], execution=f["execution"], status="running")
        self._written = time.monotonic()
