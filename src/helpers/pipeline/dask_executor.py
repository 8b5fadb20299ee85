"""The ``dask`` executor: a batch on an existing Dask distributed cluster (``--scheduler tcp://HOST:PORT``).

Every worker gets :class:`WarmKernelPlugin`, which imports what the notebooks and the renderer need and
starts a warm kernel (Dask's equivalent of a ``--preload`` script). Dask re-runs the tasks of a worker
that dies. The snapshot, the model artifact and ``--out`` must be paths every worker sees (a shared file
system such as NFS); an fsspec URL is not supported: notebooks and WeasyPrint read and write local paths.
The client writes the manifest.

Imported by :func:`helpers.pipeline.executors.make_executor` only when asked for ``dask``.
"""
from __future__ import annotations

import os

from distributed import Client, as_completed
from distributed.diagnostics.plugin import WorkerPlugin

from ..exceptions import RiskbookError
from .engines import kernel_pool
from .executors import MAX_ATTEMPTS, register_executor, warm_worker

__all__ = ["DaskExecutor", "WarmKernelPlugin"]


class WarmKernelPlugin(WorkerPlugin):
    """On every worker: import what the notebooks and the renderer need and start a warm kernel; shut the
    worker's kernels down when the worker closes."""

    name = "riskbook-warm-kernels"

    def __init__(self, engine: str = "warm"):
        self.engine = engine

    def setup(self, worker):
        warm_worker(self.engine)

    def teardown(self, worker):
        kernel_pool().shutdown()


@register_executor("dask")
class DaskExecutor:
    """A Dask distributed cluster, reached at ``scheduler`` (``tcp://HOST:PORT``) or given as a ``Client``."""

    def __init__(self, scheduler=None, workers: int | None = None, engine: str = "warm", client=None, **_):
        self._own = client is None
        try:
            self.client = client or Client(scheduler, timeout="30s")
        except OSError as exc:
            raise RiskbookError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
        self.engine = engine
        self.client.register_plugin(WarmKernelPlugin(engine), name=WarmKernelPlugin.name)
        self.workers = max(1, sum(w.get("nthreads", 1) for w in self.client.scheduler_info()["workers"].values()))

    def run(self, fn, jobs):
        futures = {self.client.submit(fn, cid, **kwargs, key=f"riskbook-customer-{cid}-{os.urandom(4).hex()}",
                                      pure=False, retries=MAX_ATTEMPTS - 1): cid for cid, kwargs in jobs}
        for fut in as_completed(futures):
            cid = futures[fut]
            try:
                yield cid, fut.result()
            except Exception as exc:  # noqa: BLE001 - KilledWorker after repeated worker deaths, among others
                yield cid, exc
            finally:
                fut.release()

    def close(self):
        if self._own:
            self.client.close()
