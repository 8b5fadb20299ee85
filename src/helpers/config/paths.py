"""Where things are: the project's folders, file digests, library versions and safe folder names."""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import sys
from importlib import metadata
from pathlib import Path

__all__ = ["PROJECT_ROOT", "DATA_SAMPLE", "NOTEBOOKS_DIR", "TEMPLATES_DIR", "REPORTS_DIR", "document_date", "file_sha256", "library_report", "riskbook_version",
           "library_versions", "safe_name"]

#: Repository root (the package is installed editable from ``src/helpers``).
PROJECT_ROOT = Path(__file__).resolve().parents[3]
#: The bundled sample portfolio, the default data source.
DATA_SAMPLE = PROJECT_ROOT / "data" / "sample"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
TEMPLATES_DIR = PROJECT_ROOT / "templates"
REPORTS_DIR = PROJECT_ROOT / "reports"


def library_versions(names) -> dict[str, str]:
    """Installed versions of the named distributions (those not installed are left out)."""
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


def file_sha256(path: str | Path) -> str:
    """Return the SHA-256 hex digest of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def safe_name(customer_id: str) -> str:
    """Turn a customer id into a safe folder name (no separators, no leading dots, ≤ 80 chars).

    Ids that had to be changed get a short hash suffix so two ids never share a folder.
    """
    name = re.sub(r"[^A-Za-z0-9_.\-]", "_", str(customer_id)).lstrip(".")[:60]
    if name != customer_id or not name:
        name = f"{name or 'customer'}-{hashlib.sha256(str(customer_id).encode()).hexdigest()[:8]}"
    return name


def document_date(as_of=None) -> dt.datetime:
    """The date (UTC) a document or artifact carries, never the wall clock when there is an analysis date.

    ``SOURCE_DATE_EPOCH`` (seconds since 1970, the reproducible-builds convention) when it is set;
    else the analysis date ``as_of`` at 00:00 UTC; else (nothing to date it by) now. Reports, their
    attachments and the scorecard artifact are dated from here, so the same inputs give the same bytes.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
    if as_of is not None and str(as_of).strip():
        day = dt.date.fromisoformat(str(as_of)[:10])
        return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)
    return dt.datetime.now(dt.timezone.utc)


_LIBRARIES = ("pandas", "numpy", "statsmodels", "papermill", "weasyprint", "jinja2", "matplotlib", "pydantic", "babel",
              "optbinning", "scipy")


def library_report() -> dict[str, str]:
    """Versions of the libraries a report's figures and rendering depend on, and of Python."""
    return {**library_versions(_LIBRARIES), "python": sys.version.split()[0]}


def riskbook_version() -> str:
    """The installed riskbook's version (``unknown`` when it is not installed)."""
    return library_versions(["riskbook"]).get("riskbook", "unknown")
