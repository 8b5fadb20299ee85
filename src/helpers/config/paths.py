"""Where things are: the project's folders, file digests, library versions and safe folder names."""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import sys
from importlib import metadata, resources
from pathlib import Path

__all__ = ["PACKAGE_DIR", "SOURCE_CHECKOUT", "PROJECT_ROOT", "DATA_SAMPLE", "NOTEBOOKS_DIR", "TEMPLATES_DIR", "REPORTS_DIR", "document_date", "file_sha256", "library_report", "riskbook_version",
           "library_versions", "safe_name"]

#: The ``helpers`` package folder (``src/helpers`` in a checkout, ``site-packages/helpers`` when installed).
PACKAGE_DIR = Path(__file__).resolve().parents[1]
_CHECKOUT = PACKAGE_DIR.parents[1]
#: True when riskbook runs from its repository (an editable install, or ``src`` on the path); False when it
#: was installed from a wheel, whose notebooks, templates and sample data are package resources.
SOURCE_CHECKOUT = all((_CHECKOUT / name).exists() for name in ("pyproject.toml", "notebooks", "templates", "src"))
#: Where the notebooks, templates and sample data are: the repository, or ``helpers/_resources`` of an
#: installed package (pyproject.toml maps the repository's folders there).
PROJECT_ROOT = _CHECKOUT if SOURCE_CHECKOUT else Path(str(resources.files("helpers").joinpath("_resources")))
#: The bundled sample portfolio, the default data source.
DATA_SAMPLE = PROJECT_ROOT / "data" / "sample"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
TEMPLATES_DIR = PROJECT_ROOT / "templates"
#: Default output folder: ``reports/`` of the repository in a checkout; of the current directory (when the
#: process started) for an installed package, never inside the package.
REPORTS_DIR = PROJECT_ROOT / "reports" if SOURCE_CHECKOUT else Path.cwd() / "reports"


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


#: Longest folder name :func:`safe_name` returns.
SAFE_NAME_MAX = 80
_SAFE_KEEP = 60          # characters of the id kept before the suffix
_SUFFIX = re.compile(r"-[0-9a-f]{16}$")
#: Names the batch's own files and folders in ``--out`` start with (compared without case, as a
#: case-insensitive file system does): a customer folder of such a name would replace the model or block
#: the manifest or the pack (``model``, ``model_validation.pdf``, ``manifest.json``, ``manifest.journal``,
#: ``portfolio.{json,xlsx,pdf}``, ``provision_matrix.json``, ``decisions.sqlite``); folders starting with
#: ``model`` are not read as customers (:func:`helpers.report.pack.read_summaries`).
_RESERVED_PREFIXES = ("model", "manifest.", "portfolio.", "provision_matrix.", "decisions.")
#: Names Windows reserves for devices, with or without an extension.
_DEVICES = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))})


def _reserved(name: str) -> bool:
    low = name.lower()
    return low.startswith(_RESERVED_PREFIXES) or low.split(".", 1)[0] in _DEVICES or name.endswith(".")


def safe_name(customer_id: str) -> str:
    """Turn a customer id into a safe folder name: one path component of at most :data:`SAFE_NAME_MAX`
    (80) characters from ``A-Z a-z 0-9 _ . -``, never starting with a dot, never ``.`` or ``..``.

    An id that is such a name already is its own folder name (``CASE1``). Any other id — with a separator,
    ``..``, a NUL byte or other characters, longer than 60 characters, a name of the batch's own files
    (``model``, ``portfolio.pdf``, ...) or of a Windows device (``NUL``), or one that ends like a changed
    name does — keeps its first 60 safe characters and gets ``-`` and 16 hex digits of its SHA-256. So an
    unchanged name never ends in such a suffix, a changed one always does, and two ids share a folder only
    if 64 bits of their SHA-256 agree.

    Parameters
    ----------
    customer_id : str
        Any text (it is converted with ``str``).

    Returns
    -------
    str
    """
    text = str(customer_id)
    name = re.sub(r"[^A-Za-z0-9_.\-]", "_", text).lstrip(".")[:_SAFE_KEEP]
    if name != text or not name or _SUFFIX.search(name) or _reserved(name):
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        name = f"{name or 'customer'}-{digest}"
        if _reserved(name):  # "model…" would still start like the model's folder
            name = f"c-{name}"
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
