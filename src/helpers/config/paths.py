"""Where things are: the project's folders, file digests, library versions and safe folder names."""
from __future__ import annotations

import hashlib
import re
from importlib import metadata
from pathlib import Path

__all__ = ["PROJECT_ROOT", "DATA_SAMPLE", "NOTEBOOKS_DIR", "TEMPLATES_DIR", "REPORTS_DIR", "file_sha256",
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
