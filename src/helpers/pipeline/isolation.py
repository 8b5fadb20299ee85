"""Kernel-side isolation of a reused (warm) kernel: what one notebook run may leave behind, and its reset.

A warm kernel runs many notebooks, of many customers, one after the other. Before each notebook the
runner calls :func:`reset`, which puts back everything a notebook can change and a later one could
see, to the state the kernel had right after :func:`prepare` (a fresh kernel that has imported what
the notebooks import):

- the user namespace, the output history and the execution counter (IPython's
  ``reset(new_session=True)``: cell numbers start at 1 again, as in a fresh kernel);
- open matplotlib figures and ``matplotlib.rcParams``;
- every pandas option (``pd.set_option`` in a notebook, e.g. ``display.float_format``);
- NumPy's floating-point error handling (``np.seterr``) and print options, IPython's ``%precision``;
- the random states of :mod:`random` and of NumPy's legacy global generator;
- the warnings filters, and the "already shown" registries (so a warning shows again, as it would
  in a fresh kernel);
- the working directory, the environment variables, ``sys.path``, the :mod:`decimal` context, the
  root logger's level and handlers;
- then a full garbage collection, so memory stays flat over thousands of notebooks (cheap: what
  :func:`prepare` imported is frozen out of the collector's scans with :func:`gc.freeze`).

Not reset (a notebook that does it is wrong, and no pipeline notebook does): attributes patched onto
imported modules or classes, ``sys.setrecursionlimit``, ``os.umask``.

What is deliberately kept: imported modules (the point of a warm kernel) and their pure caches
(``functools.lru_cache`` of catalogues and formatters: same inputs, same outputs). Reloading
changed code is not needed within a batch (every batch starts its own kernels); the batch records
the code digest it started with.

This module runs inside the kernel; :mod:`helpers.pipeline.engines` drives it.
"""
from __future__ import annotations

import decimal
import gc
import logging
import os
import random
import resource
import sys
import warnings

__all__ = ["prepare", "reset", "peak_rss_mb", "WARM_IMPORTS", "PREPARE_CODE", "RESET_CODE"]

#: What every pipeline notebook imports; imported once when a kernel starts (the expensive part of a
#: fresh kernel: pandas, statsmodels, matplotlib, the helpers package, IPython's display).
WARM_IMPORTS = ("pandas", "numpy", "statsmodels.api", "matplotlib", "matplotlib.pyplot", "IPython.display",
                "helpers", "helpers.report.charts", "collections")

_STATE: dict = {}


def prepare() -> None:
    """Import what the notebooks need and remember the state :func:`reset` returns to.

    Called once, right after the kernel starts (and again after a kernel restart).
    """
    import importlib

    for name in WARM_IMPORTS:
        importlib.import_module(name)
    import matplotlib
    import numpy as np
    import pandas as pd

    _STATE.clear()
    _STATE.update(
        rc=dict(matplotlib.rcParams),
        pandas={key: pd.get_option(key) for key in _pandas_options(pd)},
        random=random.getstate(),
        numpy_random=np.random.get_state(),
        warnings=list(warnings.filters),
        cwd=os.getcwd(),
        environ=dict(os.environ),
        sys_path=list(sys.path),
        numpy_err=np.geterr(),
        numpy_print=np.get_printoptions(),
        decimal=decimal.getcontext().copy(),
        log_level=logging.getLogger().level,
        log_handlers=list(logging.getLogger().handlers),
        precision=_float_precision(),
    )
    # What exists now (modules, their caches) lives as long as the kernel: keep it out of the collector's
    # way, so the full collection of every reset scans only what notebooks made (0.3 s → ms).
    gc.collect()
    gc.freeze()


def _pandas_options(pd) -> list[str]:
    """Every registered pandas option (``pd.describe_option`` lists them; this reads the same registry)."""
    from pandas._config import config

    return sorted(k for k in config._registered_options if k not in config._deprecated_options)


def reset(cwd: str | None = None) -> None:
    """Put the kernel back to the state :func:`prepare` recorded (see the module docstring).

    Parameters
    ----------
    cwd : str, optional
        The working directory for the next notebook (default: the one at :func:`prepare`).
    """
    if not _STATE:
        prepare()
    import matplotlib
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    shell = _shell()
    if shell is not None:
        shell.reset(new_session=True)
    plt.close("all")
    dict.update(matplotlib.rcParams, _STATE["rc"])  # raw values (validated when first set); no key can be added
    for key, value in _STATE["pandas"].items():
        if pd.get_option(key) != value or type(pd.get_option(key)) is not type(value):
            pd.set_option(key, value)
    plain = shell.display_formatter.formatters["text/plain"] if shell is not None else None
    if plain is not None and plain.float_precision != _STATE["precision"]:
        plain.float_precision = _STATE["precision"]  # first: IPython also sets NumPy's print precision here
    np.seterr(**_STATE["numpy_err"])
    np.set_printoptions(**_STATE["numpy_print"])
    random.setstate(_STATE["random"])
    np.random.set_state(_STATE["numpy_random"])
    warnings.resetwarnings()  # bumps the filters' version: every "already warned" registry is void
    warnings.filters[:] = _STATE["warnings"]
    os.environ.clear()
    os.environ.update(_STATE["environ"])
    os.chdir(cwd or _STATE["cwd"])
    sys.path[:] = _STATE["sys_path"]
    decimal.setcontext(_STATE["decimal"].copy())
    root = logging.getLogger()
    root.setLevel(_STATE["log_level"])
    root.handlers[:] = _STATE["log_handlers"]
    gc.collect()


def _float_precision() -> str:
    shell = _shell()
    return shell.display_formatter.formatters["text/plain"].float_precision if shell is not None else ""


def _shell():
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - the kernel always has IPython
        return None
    return get_ipython()


def peak_rss_mb() -> float:
    """This process's own peak resident memory in MB: ``VmHWM`` of ``/proc/self/status`` on Linux
    (``getrusage``'s ``ru_maxrss`` elsewhere, which on Linux would carry over the peak of the process
    that started this one)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)  # kB
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


#: Code the runner sends (silently, outside the notebook) when a kernel starts.
PREPARE_CODE = "import helpers.pipeline.isolation as _riskbook_isolation; _riskbook_isolation.prepare()"
#: Code the runner sends before every notebook; ``{cwd!r}`` is the notebook's working directory.
RESET_CODE = "__import__('helpers.pipeline.isolation', fromlist=['reset']).reset({cwd!r})"
