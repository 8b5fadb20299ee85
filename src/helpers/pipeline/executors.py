"""Where a batch's customers run: one interface, a small registry (as Papermill registers its engines).

:func:`run_batch <helpers.pipeline.batch.run_batch>` hands every executor the same jobs (a customer id
and the keyword arguments of :func:`run_customer <helpers.pipeline.batch.run_customer>`) and gets back
``(customer id, CustomerRun or exception)`` pairs as they finish; it writes the manifest itself, so
there is one code path whatever runs the customers.

Registered executors:

``serial``
    In this process, one customer after the other (one worker, or one customer to run).
``processes``
    Local worker processes (``--workers``, default the number of cores), each with one warm kernel
    started when the worker starts. A worker that dies (killed, out of memory) breaks Python's process
    pool; the executor starts a new pool and runs the unfinished customers again (those that were
    running, one at a time, so the one that kills its worker is found), each at most
    :data:`MAX_ATTEMPTS` times in all, so none is lost and none runs forever. With ``recycle_after``
    (the policy's ``batch.worker_max_customers``) the pool is replaced by a fresh one after every
    ``workers × recycle_after`` customers, so each worker process runs about ``recycle_after`` of them:
    WeasyPrint's C libraries keep about 2 MB of every report they render, which no ``gc`` or
    ``malloc_trim`` returns, and a worker that lived through a 2,000-customer night would hold gigabytes.
``dask``
    An existing Dask distributed cluster (``--scheduler tcp://HOST:PORT``). A worker plugin starts a
    warm kernel on every worker and imports what the notebooks need; Dask itself re-runs the tasks of
    a worker that dies. The snapshot, the model artifact and ``--out`` must be paths every worker sees
    (a shared file system); the manifest is written by the client.

A third party adds one with :func:`register_executor`.
"""
from __future__ import annotations

import importlib
import multiprocessing
import os
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Iterator, Protocol

from ..exceptions import RiskbookError
from .engines import kernel_pool

__all__ = ["Executor", "EXECUTORS", "MAX_ATTEMPTS", "register_executor", "make_executor", "SerialExecutor",
           "ProcessExecutor", "warm_worker"]

#: How many times a customer is started in all when the worker running it dies.
MAX_ATTEMPTS = 2

Job = tuple[str, dict]


class Executor(Protocol):
    """Runs ``fn(customer_id, **kwargs)`` for every job; yields ``(customer_id, result or exception)``."""

    workers: int

    def run(self, fn: Callable, jobs: list[Job]) -> Iterator[tuple[str, object]]: ...

    def close(self) -> None: ...


#: Name → executor class, or ``"module:Class"`` for one whose module is imported when first asked for
#: (the ``dask`` executor: ``distributed`` takes a second to import, and only a Dask batch needs it).
EXECUTORS: dict[str, type | str] = {"dask": "helpers.pipeline.dask_executor:DaskExecutor"}


def register_executor(name: str):
    """Class decorator: make an executor available as ``make_executor(name, ...)``."""
    def deco(cls):
        EXECUTORS[name] = cls
        cls.name = name
        return cls
    return deco


def make_executor(name: str, **options) -> Executor:
    """The executor registered as ``name``, built with ``options`` (``workers``, ``engine``, ``scheduler``)."""
    try:
        cls = EXECUTORS[name]
    except KeyError:
        raise RiskbookError(f"unknown executor {name!r}; known: {', '.join(sorted(EXECUTORS))}") from None
    if isinstance(cls, str):
        module, _, attr = cls.partition(":")
        cls = getattr(importlib.import_module(module), attr)
    return cls(**options)


def warm_worker(engine: str) -> None:
    """Worker start-up: import what rendering needs and start the worker's warm kernel."""
    import weasyprint  # noqa: F401 - loads Pango once per worker, not in the first customer's render

    if engine == "warm":
        kernel_pool().warm()


@register_executor("serial")
class SerialExecutor:
    """Customers one after the other in this process (its warm kernel is shut down by :meth:`close`)."""

    def __init__(self, workers: int = 1, engine: str = "warm", **_):
        self.workers, self.engine = 1, engine

    def run(self, fn, jobs):
        for cid, kwargs in jobs:
            try:
                yield cid, fn(cid, **kwargs)
            except Exception as exc:  # noqa: BLE001 - reported per customer by the batch
                yield cid, exc

    def close(self):
        if self.engine == "warm":
            kernel_pool().shutdown()


_STARTED = None  # in a worker process: where it says which customer it starts


def _process_worker(engine: str, started) -> None:
    global _STARTED
    _STARTED = started
    warm_worker(engine)


def _call(fn, cid: str, kwargs: dict):
    _STARTED.put(cid)  # before the work: a worker that dies in it has been seen to start it
    return fn(cid, **kwargs)


@register_executor("processes")
class ProcessExecutor:
    """Local worker processes, each with a warm kernel; a dead worker's customers are run again.

    When a worker dies, Python's pool breaks and every unfinished customer comes back as failed, though
    only one killed its worker. So the customers that had started when the pool broke are run again
    one at a time, each alone in its pool, where a death is its own: such a customer fails after
    :data:`MAX_ATTEMPTS` starts; those that had not started are simply queued again.
    """

    def __init__(self, workers: int | None = None, engine: str = "warm", recycle_after: int | None = None, **_):
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.engine = engine
        if recycle_after is not None and recycle_after < 1:
            raise RiskbookError(f"recycle_after must be at least 1 customer, not {recycle_after}")
        self.recycle_after = recycle_after
        self._pool: ProcessPoolExecutor | None = None
        self._size = 0
        self._context = multiprocessing.get_context()
        self._started = self._context.SimpleQueue()
        self._broke = False
        self.restarts = 0  # pools started because the previous one broke
        self.recycled = 0  # pools replaced after their share of customers (recycle_after)

    def _ensure_pool(self, n: int) -> ProcessPoolExecutor:
        if self._pool is None or self._size != n:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
            if self._broke:  # a pool started because the last one broke
                self.restarts, self._broke = self.restarts + 1, False
            self._pool = ProcessPoolExecutor(max_workers=n, mp_context=self._context, initializer=_process_worker,
                                             initargs=(self.engine, self._started))
            self._size = n
        return self._pool

    def _discard_broken_pool(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool, self._size, self._broke = None, 0, True

    def _drain_started(self) -> list[str]:
        started = []
        while not self._started.empty():
            started.append(self._started.get())
        return started

    def run(self, fn, jobs):
        pending = dict(jobs)
        starts: Counter[str] = Counter()
        suspects: list[str] = []  # running when a pool broke: run again, alone
        while pending:
            alone = bool(suspects)
            round_ = [suspects.pop(0)] if alone else list(pending)
            if not alone and self.recycle_after:  # one pool's share; then a fresh pool (see the module)
                round_ = round_[:self.workers * self.recycle_after]
            pool = self._ensure_pool(1 if alone else min(self.workers, len(round_)))
            futures = {pool.submit(_call, fn, cid, pending[cid]): cid for cid in round_}
            done, broken = set(), None
            for fut in as_completed(futures):
                cid = futures[fut]
                try:
                    result = fut.result()
                except BrokenProcessPool as exc:
                    broken = exc
                    continue
                except Exception as exc:  # noqa: BLE001 - reported per customer by the batch
                    result = exc
                done.add(cid)
                pending.pop(cid)
                yield cid, result
            started = self._drain_started()
            starts.update(started)
            if broken is None:
                if not alone and self.recycle_after and pending and self._pool is not None:
                    self._pool.shutdown(wait=True)  # its workers exit, and their kernels with them
                    self._pool, self._size = None, 0
                    self.recycled += 1
                continue
            self._discard_broken_pool()
            for cid in round_:
                if cid in done or cid not in started:
                    continue  # finished, or never began: queued again at no cost
                if starts[cid] >= MAX_ATTEMPTS:
                    pending.pop(cid)
                    yield cid, RiskbookError(f"the worker process died {starts[cid]} times while running this "
                                             f"customer (the last time it ran alone): {broken}")
                else:
                    suspects.append(cid)

    def close(self):
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool, self._size = None, 0
