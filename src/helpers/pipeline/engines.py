"""Notebook execution: every notebook of the pipeline runs through :func:`execute_notebook`, with
Papermill on the project's Jupyter kernel, so a pool of warm kernels (or another engine) can replace
fresh Papermill kernels without touching the batch."""
from __future__ import annotations

import os
import time
from functools import lru_cache
from pathlib import Path

import papermill as pm
from jupyter_client.kernelspec import KernelSpecManager

from ..config import NOTEBOOKS_DIR
from ..exceptions import NotebookError

__all__ = ["KERNEL_NAME", "execute_notebook", "notebook_parameters"]

KERNEL_NAME = os.environ.get("RISKBOOK_KERNEL", "riskbook")


def _kernel_name() -> str:
    """The project kernel when installed (``make setup`` does), else the default python3 kernel."""
    specs = KernelSpecManager().find_kernel_specs()
    return KERNEL_NAME if KERNEL_NAME in specs else "python3"


#: Kernel start-up failures worth another try: with many kernels starting at once on TCP ports, two
#: can race for the same free port and one dies before it answers (a known jupyter_client race).
_TRANSIENT = ("Kernel died before replying to kernel_info", "Address already in use", "Kernel didn't respond")
_ATTEMPTS = 3


@lru_cache(maxsize=None)
def notebook_parameters(name: str) -> frozenset[str]:
    """The parameters ``notebooks/<name>.ipynb`` declares in its ``parameters`` cell (as Papermill reads them)."""
    return frozenset(pm.inspect_notebook(str(NOTEBOOKS_DIR / f"{name}.ipynb")))


def execute_notebook(name: str, output_path: Path, parameters: dict) -> float:
    """Execute ``notebooks/<name>.ipynb`` with Papermill into ``output_path``; return seconds taken.

    Only the parameters the notebook declares are passed (the batch offers every notebook the same set).

    A kernel that dies while starting (not a failing cell) is started again, up to three attempts.

    Raises
    ------
    NotebookError
        When a cell fails; carries the notebook, the cell's execution count and the error.
    """
    wanted = notebook_parameters(name)
    parameters = {k: v for k, v in parameters.items() if k in wanted}
    start = time.perf_counter()
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            pm.execute_notebook(str(NOTEBOOKS_DIR / f"{name}.ipynb"), str(output_path), parameters=parameters,
                                kernel_name=_kernel_name(), progress_bar=False, cwd=str(NOTEBOOKS_DIR),
                                log_output=False, extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
            break
        except pm.PapermillExecutionError as exc:
            raise NotebookError(f"{name}.ipynb", exc.exec_count, exc.ename, exc.evalue) from None
        except RuntimeError as exc:
            if attempt == _ATTEMPTS or not any(t in str(exc) for t in _TRANSIENT):
                raise
            time.sleep(0.5 * attempt)
    return time.perf_counter() - start
