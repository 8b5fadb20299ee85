"""Notebook execution: every notebook of the pipeline runs through :func:`execute_notebook`.

Two ways, the same notebooks and the same Papermill parameters and output notebooks:

- **warm** (the batch's default): a :class:`WarmKernel` is started once per worker and reused for
  every notebook of every customer that worker runs. It runs through Papermill's engine registry
  (engine ``riskbook-warm``, the way Papermill's maintainers suggest for kernel reuse), so the output
  notebook is Papermill's, with its parameters cell and per-cell metadata. Before each notebook the
  engine sends :data:`helpers.pipeline.isolation.RESET_CODE` outside the notebook, which restores
  everything a notebook can leave behind (see :mod:`helpers.pipeline.isolation`); a test proves a
  reused kernel gives the same results and PDF as a fresh one.
- **fresh**: Papermill starts a new kernel for the notebook and shuts it down afterwards (what a
  user running ``papermill`` by hand gets; about 1–4 s of imports per notebook).

Failures are told apart: a failing cell is a :class:`~helpers.exceptions.NotebookError` (the
customer failed, the kernel is fine); a cell that runs past ``timeout`` seconds is a
:class:`NotebookError` too, after the kernel is replaced (it is still busy); a kernel that dies or
cannot be reset is a :class:`~helpers.exceptions.KernelError`, after the kernel is replaced, and the
batch tries that customer once more.
"""
from __future__ import annotations

import hashlib
import json
import os
import queue
import re
import shutil
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import papermill as pm
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.utils import merge_kwargs, remove_args

from ..config import NOTEBOOKS_DIR
from ..exceptions import KernelError, NotebookError
from .isolation import PREPARE_CODE, RESET_CODE

__all__ = ["KERNEL_NAME", "ENGINES", "LocalKernelManager", "WarmKernel", "KernelPool", "kernel_pool",
           "execute_notebook", "notebook_path", "notebook_parameters"]

KERNEL_NAME = os.environ.get("RISKBOOK_KERNEL", "riskbook")
#: The ways :func:`execute_notebook` can run a notebook.
ENGINES = ("warm", "fresh")
_KERNEL_ARGS = ["--IPKernelApp.log_level=CRITICAL"]


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _plain(traceback) -> str:
    """A kernel's traceback (lines with terminal colour codes) as plain text."""
    return _ANSI.sub("", "\n".join(traceback or ()))


def _kernel_name() -> str:
    """The project kernel (``make setup`` installs it); when it is not installed (riskbook installed with pip),
    the same kernel for the interpreter riskbook runs on, from a kernel spec riskbook keeps in its cache folder
    (a ``python3`` spec found on the path may belong to another environment, without riskbook)."""
    if KERNEL_NAME not in KernelSpecManager().find_kernel_specs():
        _own_kernel_spec()
    return KERNEL_NAME


def _own_kernel_spec() -> Path:
    """Write ``<cache>/riskbook/jupyter-<interpreter hash>/kernels/<KERNEL_NAME>/kernel.json`` for this
    interpreter and put its folder first on ``JUPYTER_PATH`` (read by every later kernel-spec lookup)."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "riskbook"
    root = base / f"jupyter-{hashlib.sha256(sys.executable.encode()).hexdigest()[:12]}"
    spec = root / "kernels" / KERNEL_NAME / "kernel.json"
    text = json.dumps({"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                       "display_name": "Python (riskbook)", "language": "python"}, indent=1)
    if not spec.is_file() or spec.read_text() != text:
        spec.parent.mkdir(parents=True, exist_ok=True)
        tmp = spec.with_name(f".kernel.json.{os.getpid()}.tmp")
        tmp.write_text(text)
        tmp.replace(spec)
    paths = os.environ.get("JUPYTER_PATH", "").split(os.pathsep)
    if str(root) not in paths:
        os.environ["JUPYTER_PATH"] = os.pathsep.join([str(root), *filter(None, paths)])
    return spec


#: Kernel start-up failures worth another try: a kernel that dies before it answers (on TCP, which
#: Windows keeps, a port can be taken between being chosen and being bound).
_TRANSIENT = ("Kernel died before replying to kernel_info", "Address already in use", "Kernel didn't respond")
_ATTEMPTS = 3


def _retry(exc: BaseException, attempt: int) -> bool:
    """True (after a pause growing with ``attempt``) when a kernel start-up failure is worth another try."""
    if attempt == _ATTEMPTS or not any(t in str(exc) for t in _TRANSIENT):
        return False
    time.sleep(0.5 * attempt)
    return True
#: The longest socket-file prefix used (a Unix-domain socket path must stay under about 107 bytes).
_MAX_SOCKET_PREFIX = 90
_SOCKET_DIR: Path | None = None
_SOCKET_LOCK = threading.Lock()


def _socket_dir() -> Path | None:
    """This process's private folder (mode 0700) for its kernels' socket files, made on first use and removed
    when the process exits; None where Unix-domain sockets cannot be used (Windows, or no temporary folder
    writable and short enough for a socket path)."""
    global _SOCKET_DIR
    if os.name != "posix":
        return None
    with _SOCKET_LOCK:
        if _SOCKET_DIR is None or not _SOCKET_DIR.is_dir():
            for parent in (None, "/tmp"):  # the temporary folder ($TMPDIR), or /tmp when that path is too long
                try:
                    _sweep(Path(parent or tempfile.gettempdir()))
                    folder = Path(tempfile.mkdtemp(prefix=f"riskbook-kernels-{os.getpid()}-", dir=parent))
                except OSError:  # not writable: try the next, or keep TCP
                    continue
                if len(str(folder)) + 14 <= _MAX_SOCKET_PREFIX:
                    break
                folder.rmdir()
            else:
                return None
            from multiprocessing import util

            _SOCKET_DIR = folder
            # run at exit by a plain process (multiprocessing's own atexit hook) and by a worker process alike,
            # after the kernels' shutdown (priority 50); a plain atexit hook would run before that
            util.Finalize(None, shutil.rmtree, args=(str(folder),), kwargs={"ignore_errors": True}, exitpriority=10)
        return _SOCKET_DIR


def _sweep(parent: Path) -> None:
    """Remove the socket folders that processes killed outright (no exit handlers) left in ``parent``: this
    user's ``riskbook-kernels-<pid>-*`` whose process is gone."""
    for folder in parent.glob("riskbook-kernels-*-*"):
        try:
            pid = int(folder.name.split("-")[2])
            if folder.stat().st_uid != os.getuid() or pid == os.getpid():
                continue
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except (ValueError, OSError):  # not one of ours, or a process of another user
            continue


class LocalKernelManager(AsyncKernelManager):
    """Jupyter's kernel manager, talking to its kernel over Unix-domain sockets in :func:`_socket_dir`.

    Jupyter's default transport, TCP on localhost, chooses free ports by binding and releasing them,
    and the kernel binds them again seconds later; in between, another process, or the client's own
    connection attempts to a port that is not bound yet, can take one, and the kernel then loses that
    channel (it dies, or runs without its heartbeat). Socket files named after this kernel in a
    private folder cannot be taken, and no other user of the machine can reach the kernel. Where
    Unix-domain sockets cannot be used the manager keeps TCP. Both ways of running a notebook use it
    (the fresh one through nbclient's ``kernel_manager_class``).
    """

    def __init__(self, **kwargs):
        folder = _socket_dir()
        if folder is not None and "transport" not in kwargs:
            kwargs.update(transport="ipc", ip=str(folder / uuid.uuid4().hex[:12]))
        super().__init__(**kwargs)


def notebook_path(name: str | Path) -> Path:
    """``notebooks/<name>.ipynb`` for a pipeline notebook's name; a path to an ``.ipynb`` file as it is."""
    return Path(name) if str(name).endswith(".ipynb") else NOTEBOOKS_DIR / f"{name}.ipynb"


def _label(name: str | Path) -> str:
    return notebook_path(name).name


@lru_cache(maxsize=None)
def notebook_parameters(name: str | Path) -> frozenset[str]:
    """The parameters the notebook declares in its ``parameters`` cell (as Papermill reads them)."""
    return frozenset(pm.inspect_notebook(str(notebook_path(name))))


class _ResetClient(PapermillNotebookClient):
    """Papermill's notebook client, which first resets the reused kernel (outside the notebook)."""

    reset_code: str = ""
    reset_reply: dict | None = None

    def papermill_execute_cells(self):
        msg_id = self.kc.execute(self.reset_code, silent=True, store_history=False,
                                 user_expressions={"rss": "__import__('helpers.pipeline.isolation', "
                                                          "fromlist=['peak_rss_mb']).peak_rss_mb()"})
        reply = self.wait_for_reply(msg_id)
        content = (reply or {}).get("content", {})
        if content.get("status") != "ok":
            raise KernelError(f"the kernel could not be reset: {content.get('ename')}: {content.get('evalue')}")
        self.reset_reply = content
        super().papermill_execute_cells()


class WarmEngine(NBClientEngine):
    """Papermill engine ``riskbook-warm``: runs the notebook on the given :class:`WarmKernel`."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
                                 start_timeout=60, execution_timeout=None, **kwargs):
        kernel: WarmKernel = kwargs.pop("warm_kernel")
        kwargs = remove_args(["input_path", "timeout", "startup_timeout", "km"], **kwargs)
        client = _ResetClient(nb_man, **merge_kwargs(kwargs, km=kernel.km, timeout=execution_timeout,
                                                     startup_timeout=start_timeout, kernel_name=kernel_name,
                                                     log=pm.log.logger, log_output=log_output,
                                                     stdout_file=stdout_file, stderr_file=stderr_file))
        client.reset_code = RESET_CODE.format(cwd=str(NOTEBOOKS_DIR))
        client.kc = kernel.client()  # connected once per kernel (and thread), not once per notebook
        # Papermill writes the whole output notebook at every cell's start and end (to watch a long run);
        # a batch needs it once, when the notebook ends (Papermill's notebook_complete, also after a failure).
        output_path, nb_man.output_path = nb_man.output_path, None
        try:
            return client.execute()
        finally:
            nb_man.output_path = output_path
            rss = ((client.reset_reply or {}).get("user_expressions", {}).get("rss", {})
                   .get("data", {}).get("text/plain"))
            if rss:
                kernel.peak_rss_mb = float(rss)


papermill_engines.register("riskbook-warm", WarmEngine)


class WarmKernel:
    """One Jupyter kernel of the project's kernel spec, started once and reused for many notebooks.

    Attributes
    ----------
    starts : int
        How many times a kernel process was started (1 + replacements).
    notebooks : int
        Notebooks executed on it.
    peak_rss_mb : float or None
        The kernel process's peak resident memory, as it reported before the last notebook.
    """

    def __init__(self, kernel_name: str | None = None):
        self.kernel_name = kernel_name or _kernel_name()
        self.km: AsyncKernelManager | None = None
        self._clients: dict = {}
        self.starts = 0
        self.notebooks = 0
        self.peak_rss_mb: float | None = None

    @property
    def pid(self) -> int | None:
        """The kernel process's id (None when not running)."""
        provisioner = getattr(self.km, "provisioner", None)
        return getattr(getattr(provisioner, "process", None), "pid", None)

    def alive(self) -> bool:
        return self.km is not None and bool(run_sync(self.km.is_alive)())

    def start(self) -> None:
        """Start a new kernel process (the old one, if any, is shut down first)."""
        self.shutdown()
        for attempt in range(1, _ATTEMPTS + 1):
            km = LocalKernelManager(kernel_name=self.kernel_name)
            try:
                run_sync(km.start_kernel)(cwd=str(NOTEBOOKS_DIR), extra_arguments=_KERNEL_ARGS)
            except RuntimeError as exc:
                if not _retry(exc, attempt):
                    raise KernelError(f"the notebook kernel did not start: {exc}") from exc
                continue
            self.km = km
            self.starts += 1
            self.peak_rss_mb = None
            try:
                self._prepare()  # the first round trip: a kernel that died while starting shows here
                return
            except Exception as exc:  # noqa: BLE001 - a kernel that cannot import the helpers is no use
                self.shutdown()
                if not _retry(exc, attempt):
                    raise KernelError(f"the notebook kernel could not import the helpers: {exc}") from exc

    def _prepare(self, timeout: float = 120) -> None:
        """Import what the notebooks need in the new kernel and record the state every reset returns to."""
        reply = run_sync(self.client(timeout).execute_interactive)(
            PREPARE_CODE, silent=True, store_history=False, timeout=timeout, output_hook=lambda msg: None)
        if reply["content"].get("status") != "ok":
            raise KernelError(f"{reply['content'].get('ename')}: {reply['content'].get('evalue')}")

    def client(self, timeout: float = 60):
        """This kernel's client for the calling thread, connected on first use (waiting up to ``timeout``
        seconds for the kernel to answer) and kept: connecting one (channels, then a kernel_info round trip
        until IOPub answers) costs a good part of a second."""
        key = threading.get_ident()
        kc = self._clients.get(key)
        if kc is None:
            kc = self.km.client()
            kc.start_channels()
            run_sync(kc.wait_for_ready)(timeout=timeout)
            kc.allow_stdin = False
            self._clients[key] = kc
        return kc

    def _close_clients(self) -> None:
        clients, self._clients = self._clients, {}
        for kc in clients.values():
            try:
                kc.stop_channels()
            except Exception:  # noqa: BLE001 - closing a client of a dead kernel
                pass

    def shutdown(self) -> None:
        """Stop the kernel process (now, without waiting for it to finish a cell)."""
        self._close_clients()
        km, self.km = self.km, None
        if km is not None and km.has_kernel:
            try:
                run_sync(km.shutdown_kernel)(now=True)
            except Exception:  # a kernel that is already gone needs no shutdown
                pass

    def execute(self, name: str | Path, output_path: Path, parameters: dict, *, timeout: float | None = None) -> None:
        """Execute the notebook into ``output_path`` on this kernel (see :func:`execute_notebook`)."""
        if not self.alive():
            self.start()
        self.notebooks += 1
        label = _label(name)
        try:
            pm.execute_notebook(str(notebook_path(name)), str(output_path), parameters=parameters,
                                engine_name="riskbook-warm", warm_kernel=self, kernel_name=self.kernel_name,
                                progress_bar=False, log_output=False, execution_timeout=timeout)
        except pm.PapermillExecutionError as exc:
            raise NotebookError(label, exc.exec_count, exc.ename, exc.evalue, _plain(exc.traceback)) from None
        except CellTimeoutError as exc:
            self.start()  # the old kernel is still running the cell
            first = str(exc).strip().splitlines()
            raise NotebookError(label, None, "Timeout",
                                f"a cell ran longer than {timeout:g} s and was stopped"
                                + (f" ({first[0][:120]})" if first else "")) from None
        except (DeadKernelError, KernelError) as exc:
            self.start()
            raise KernelError(f"{label}: the kernel died or could not be reset ({exc}); it was replaced") from None
        except RuntimeError as exc:  # nbclient reports a vanished kernel in several ways
            if self.alive():
                raise
            self.start()
            raise KernelError(f"{label}: the kernel died ({exc}); it was replaced") from None


class KernelPool:
    """The warm kernels of one process: one per thread that runs notebooks at the same time.

    Local workers are processes with one thread, so one kernel each; a Dask worker with several
    threads gets one kernel per busy thread. Kernels are started when first needed and shut down by
    :meth:`shutdown` (at process exit for the process-wide pool, :func:`kernel_pool`).
    """

    def __init__(self, kernel_name: str | None = None):
        self.kernel_name = kernel_name
        self._idle: queue.SimpleQueue[WarmKernel] = queue.SimpleQueue()
        self._all: list[WarmKernel] = []
        self._lock = threading.Lock()

    @contextmanager
    def kernel(self):
        """Borrow a kernel (started if new) for a customer's notebooks."""
        try:
            k = self._idle.get_nowait()
        except queue.Empty:
            k = WarmKernel(self.kernel_name)
            with self._lock:
                self._all.append(k)
        try:
            yield k
        finally:
            self._idle.put(k)

    @property
    def kernels(self) -> list[WarmKernel]:
        with self._lock:
            return list(self._all)

    def warm(self) -> None:
        """Start one kernel now (a worker calls this when it starts, so its first customer waits less)."""
        with self.kernel() as k:
            if not k.alive():
                k.start()

    def shutdown(self) -> None:
        for k in self.kernels:
            k.shutdown()


_POOL: KernelPool | None = None
_POOL_LOCK = threading.Lock()


def kernel_pool() -> KernelPool:
    """This process's :class:`KernelPool` (created on first use; its kernels stop when the process exits)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            import atexit
            from multiprocessing import util

            _POOL = KernelPool()
            atexit.register(_POOL.shutdown)  # a plain process
            util.Finalize(_POOL, _POOL.shutdown, exitpriority=50)  # a multiprocessing worker skips atexit
        return _POOL


def execute_notebook(name: str | Path, output_path: Path, parameters: dict, *, kernel: WarmKernel | None = None,
                     timeout: float | None = None) -> float:
    """Execute ``notebooks/<name>.ipynb`` (or a notebook file) with Papermill into ``output_path``; return seconds.

    Only the parameters the notebook declares are passed (the batch offers every notebook the same set).

    Parameters
    ----------
    name : str or Path
        The notebook's name in ``notebooks/`` (without ``.ipynb``), or the path of an ``.ipynb`` file.
    output_path : Path
        The executed notebook to write.
    parameters : dict
        Values for the ``parameters`` cell; those the notebook does not declare are dropped.
    kernel : WarmKernel, optional
        Run on this reused kernel (reset first); None: a fresh Papermill kernel, shut down afterwards.
        A fresh kernel that dies while starting (not a failing cell) is started again, up to three attempts.
    timeout : float, optional
        Seconds one cell may run; past it the customer fails (and a warm kernel is replaced).

    Raises
    ------
    NotebookError
        When a cell fails or times out; carries the notebook, the cell's execution count and the error.
    KernelError
        When a warm kernel died or could not be reset (it has been replaced).
    """
    wanted = notebook_parameters(name)
    parameters = {k: v for k, v in parameters.items() if k in wanted}
    start = time.perf_counter()
    if kernel is not None:
        kernel.execute(name, output_path, parameters, timeout=timeout)
        return time.perf_counter() - start
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            pm.execute_notebook(str(notebook_path(name)), str(output_path), parameters=parameters,
                                kernel_name=_kernel_name(), progress_bar=False, cwd=str(NOTEBOOKS_DIR),
                                log_output=False, extra_arguments=_KERNEL_ARGS, execution_timeout=timeout,
                                kernel_manager_class=LocalKernelManager)
            break
        except pm.PapermillExecutionError as exc:
            raise NotebookError(_label(name), exc.exec_count, exc.ename, exc.evalue, _plain(exc.traceback)) from None
        except CellTimeoutError:
            raise NotebookError(_label(name), None, "Timeout",
                                f"a cell ran longer than {timeout:g} s and was stopped") from None
        except RuntimeError as exc:
            if not _retry(exc, attempt):
                raise
    return time.perf_counter() - start
