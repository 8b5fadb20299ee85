"""API keys of the order-check service: who may call it, and in which role.

A key file (YAML) lists keys by the SHA-256 of their secret, never the secret itself::

    keys:
      - {name: erp, role: erp, sha256: 3f1c…}
      - {name: 王芳, role: manager, sha256: 9ab0…}

Roles: ``erp`` may check and close orders and read a customer's state; ``manager`` may also release
and reject held orders and use the credit manager's page. :func:`new_key` makes a key and adds its
entry to the file (written to a temporary file, then renamed); the secret is shown once.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..exceptions import RiskbookError

__all__ = ["ApiKey", "KeyRing", "ROLES", "load_keys", "new_key"]

ROLES = ("erp", "manager")
#: What each role may do.
PERMISSIONS = {"erp": {"check", "close", "read"}, "manager": {"check", "close", "read", "decide"}}


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ApiKey:
    """One key: its holder's ``name`` (recorded as the actor of what it does), ``role`` and digest."""

    name: str
    role: str
    sha256: str

    def may(self, permission: str) -> bool:
        """Whether this key's role grants ``permission`` (``check``, ``close``, ``read``, ``decide``)."""
        return permission in PERMISSIONS[self.role]


class KeyRing:
    """The keys of a key file; :meth:`find` looks a presented secret up in constant time per key."""

    def __init__(self, keys: list[ApiKey]):
        if not keys:
            raise RiskbookError("the key file lists no keys: the service never runs open; "
                                "add one with riskbook key NAME --role manager --keys FILE")
        self.keys = list(keys)

    def find(self, secret: str | None) -> ApiKey | None:
        """The key whose secret is ``secret``, or None."""
        if not secret:
            return None
        digest = _digest(secret)
        found = None
        for key in self.keys:  # compare with every key: the time does not tell which one matched
            if hmac.compare_digest(key.sha256, digest):
                found = key
        return found


def load_keys(path: str | Path) -> KeyRing:
    """Read a key file.

    Raises
    ------
    RiskbookError
        When the file is missing, not YAML, or an entry lacks a name, a known role or a SHA-256.
    """
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise RiskbookError(f"cannot read the key file {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise RiskbookError(f"the key file {path} is not valid YAML: {exc}") from None
    keys, problems = [], []
    for i, entry in enumerate(doc.get("keys") or [], start=1) if isinstance(doc, dict) else []:
        if not isinstance(entry, dict):
            problems.append(f"entry {i} is not a mapping")
            continue
        name, role, digest = entry.get("name"), entry.get("role"), str(entry.get("sha256") or "").lower()
        if not name or role not in ROLES or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            problems.append(f"entry {i} needs name, role ({' or '.join(ROLES)}) and a 64-digit sha256")
            continue
        keys.append(ApiKey(str(name), role, digest))
    if problems:
        raise RiskbookError(f"{path}: " + "; ".join(problems))
    return KeyRing(keys)


def new_key(path: str | Path, name: str, role: str) -> str:
    """Make a new secret for ``name`` in ``role``, add its digest to the key file ``path`` (created when
    absent) and return the secret."""
    if role not in ROLES:
        raise RiskbookError(f"role must be one of {', '.join(ROLES)}")
    if not name or not name.strip():
        raise RiskbookError("a key needs the name of its holder")
    path = Path(path)
    doc = {"keys": []}
    if path.exists():
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {"keys": []}
        doc.setdefault("keys", [])
    secret = secrets.token_urlsafe(32)
    doc["keys"].append({"name": name.strip(), "role": role, "sha256": _digest(secret)})
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return secret
