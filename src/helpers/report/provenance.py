"""The provenance manifest a riskbook PDF attaches (``riskbook-evidence.json``): what the document rests
on, with the SHA-256 of every attachment, of every full input table and of the fonts, and the code's
version and git revision. :func:`helpers.pipeline.verify.verify_pdf` reads it back."""
from __future__ import annotations

import subprocess
from functools import lru_cache

from ..config import PROJECT_ROOT, SOURCE_CHECKOUT, library_report, riskbook_version
from .pdfa import MANIFEST_NAME, EvidenceFile

__all__ = ["FORMAT", "git_revision", "evidence_manifest"]

#: The manifest's format name; :func:`helpers.pipeline.verify.verify_pdf` refuses others.
FORMAT = "riskbook-evidence/1"


@lru_cache(maxsize=1)
def git_revision() -> str:
    """The checkout's git commit (``+dirty`` when files differ from it), or ``unknown`` outside a checkout
    (an installed package: a virtual environment inside some other repository must not report that one's)."""
    if not SOURCE_CHECKOUT:
        return "unknown"
    try:
        rev = subprocess.run(["git", "-C", str(PROJECT_ROOT), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(PROJECT_ROOT), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return rev + ("+dirty" if dirty else "") if rev else "unknown"


def evidence_manifest(kind: str, files: list[EvidenceFile], fonts: list[dict], **facts) -> dict:
    """The provenance manifest attached as ``riskbook-evidence.json``.

    Parameters
    ----------
    kind : str
        ``customer_report``, ``model_validation`` or ``portfolio_pack``.
    files : list of EvidenceFile
        Every other attachment (their entries: name, role, relationship, bytes, SHA-256).
    fonts : list of dict
        The font files the PDF embeds (:func:`helpers.report.pdfa.write_pdfa` passes them).
    **facts
        What else the report rests on: ``as_of``, ``lang``, ``parameters``, ``data`` (source name, the
        full tables' SHA-256), ``policy``, ``model``, ``context``, ``code_sha256``, ...
    """
    code = facts.pop("code_sha256", "")
    return {"format": FORMAT, "kind": kind, **facts,
            "riskbook": {"version": riskbook_version(), "git_revision": git_revision(), "code_sha256": code},
            "libraries": library_report(),
            "files": [f.entry() for f in files],
            "fonts": fonts,
            "manifest_name": MANIFEST_NAME}
