"""The Dask worker plugin of the ``dask`` executor (imported only when a batch runs on Dask)."""
from __future__ import annotations

from distributed.diagnostics.plugin import WorkerPlugin

__all__ = ["WarmKernelPlugin"]


class WarmKernelPlugin(WorkerPlugin):
    """On every worker: import what the notebooks and the renderer need and start a warm kernel (Dask's
    equivalent of a ``--preload`` script); shut the worker's kernels down when the worker closes."""

    name = "riskbook-warm-kernels"

    def __init__(self, engine: str = "warm"):
        self.engine = engine

    def setup(self, worker):
        from .executors import warm_worker

        warm_worker(self.engine)

    def teardown(self, worker):
        from .engines import kernel_pool

        kernel_pool().shutdown()
