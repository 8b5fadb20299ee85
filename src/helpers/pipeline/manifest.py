"""What a batch records: the digest of the code a report depends on, the versions it ran with, and
``<out>/manifest.json`` with one entry per requested customer."""
from __future__ import annotations

import datetime as dt
import hashlib
import sys
from dataclasses import asdict
from pathlib import Path

from ..config import NOTEBOOKS_DIR, PROJECT_ROOT, TEMPLATES_DIR, file_sha256, library_report, riskbook_version
from ..data.portfolio import Portfolio
from ..data.store import write_json

__all__ = ["PIPELINE", "MODEL_NOTEBOOK", "code_digest", "library_report", "riskbook_version", "write_manifest"]

#: Notebooks run for every customer, in order (monitoring reads the decisions it watches).
PIPELINE: tuple[str, ...] = ("financial_analysis", "credit_scoring", "scenario_cases", "monitoring")
#: Notebook run once per batch, before the customers: fits and validates the scorecard.
MODEL_NOTEBOOK = "model_development"
PACKAGE_DIR = Path(__file__).resolve().parents[1]


def code_digest(pipeline: tuple[str, ...] = PIPELINE) -> str:
    """SHA-256 over the code a report depends on: pipeline notebooks, templates and helpers."""
    h = hashlib.sha256()
    files = [NOTEBOOKS_DIR / f"{n}.ipynb" for n in pipeline]
    files += sorted(TEMPLATES_DIR.glob("*"))
    files += sorted(PACKAGE_DIR.rglob("*.py")) + sorted(PACKAGE_DIR.rglob("*.po"))
    for f in files:
        if f.is_file():
            h.update(f.relative_to(PROJECT_ROOT).as_posix().encode())
            h.update(file_sha256(f).encode())
    return h.hexdigest()


def write_manifest(out: Path, portfolio, runs: list[CustomerRun], code: str, command: str, seconds: float,
                    model=None, *, lang: str = "en", execution: dict | None = None) -> Path:
    """Write ``<out>/manifest.json``: the run's inputs, code, language and one entry per customer."""
    counts = {s: sum(r.status == s for r in runs) for s in ("ok", "failed", "skipped")}
    manifest = {
        "riskbook_version": riskbook_version(),
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
        "customers": [{**asdict(r), "report": f"{Path(r.folder).name}/report.pdf" if r.pdf_sha256 else None}
                      for r in runs],
    }
    return write_json(out / "manifest.json", manifest)
