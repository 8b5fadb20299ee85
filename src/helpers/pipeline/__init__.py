"""Layer 7, pipeline: notebook execution, the batch, its manifest, the evidence reports carry and ``verify``.

The names below are loaded when first used (PEP 562): a notebook kernel imports
:mod:`helpers.pipeline.isolation` and must not pay for Papermill, nbformat and jsonschema (whose format
checkers take seconds to import), which only the batch and ``verify`` need.
"""
from __future__ import annotations

import importlib

_WHERE = {"BatchResult": "batch", "CustomerRun": "batch", "ModelRun": "batch", "run_batch": "batch",
          "run_customer": "batch", "run_model": "batch", "execute_notebook": "engines", "MODEL_NOTEBOOK": "manifest",
          "PIPELINE": "manifest", "code_digest": "manifest", "Verification": "verify", "verify_pdf": "verify",
          "verification_lines": "verify"}

__all__ = list(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_WHERE))
