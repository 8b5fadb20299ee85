"""Scale-out: where a batch's customers run (helpers.pipeline.executors), and what happens when a worker dies.

- ``processes``: a worker process that dies breaks Python's process pool; the executor starts a new pool
  and runs the unfinished jobs again, each at most ``MAX_ATTEMPTS`` times.
- ``dask``: a real ``distributed.LocalCluster`` (two worker processes, with nannies); a worker killed in
  the middle of a batch is restarted by its nanny and its customer is run again by Dask.
- the registry: one code path from ``run_batch`` to whatever executor is named.

The job functions of the process-pool tests are module-level functions of this module: the pool forks
(Linux), so its workers have this module and unpickle them by reference.
"""
from __future__ import annotations

import hashlib
import json
import os
import signal
import threading
import time
from collections import Counter
from pathlib import Path

import psutil
import pytest

from helpers.exceptions import RiskbookError
from helpers.pipeline import run_batch
from helpers.pipeline.batch import CustomerRun
from helpers.pipeline.executors import EXECUTORS, MAX_ATTEMPTS, ProcessExecutor, make_executor, register_executor

AS_OF = "2026-09-30"


@pytest.fixture(scope="module")
def model(scorecard, tmp_path_factory) -> Path:
    """The sample's scorecard as an artifact, so no batch of this module fits one."""
    return scorecard.to_json(tmp_path_factory.mktemp("model") / "scorecard.json")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------- processes


def job(cid: str, *, mode: str, marker_dir: str, seconds: float = 0.0) -> dict:
    """A stand-in for run_customer in a pool worker: ``ok`` returns; ``die_once`` kills its worker process the
    first time it runs (a marker file remembers), ``always_die`` every time; ``sleep`` first waits ``seconds``."""
    marker = Path(marker_dir) / f"{cid}.started"
    with marker.open("a") as fh:  # one line per start of this job, with the worker's pid
        fh.write(f"{os.getpid()}\n")
    starts = marker.read_text().split()
    if mode == "always_die" or (mode == "die_once" and len(starts) == 1):
        os._exit(1)
    time.sleep(seconds)
    return {"cid": cid, "pid": os.getpid(), "starts": len(starts)}


def _run(ex, jobs) -> dict:
    results = list(ex.run(job, jobs))
    ids = [cid for cid, _ in results]
    assert sorted(ids) == sorted(cid for cid, _ in jobs) and len(set(ids)) == len(ids)  # none lost, none twice
    return dict(results)


def test_a_worker_that_dies_is_replaced_and_its_job_run_again(tmp_path, process_gone):
    ex = make_executor("processes", workers=2, engine="fresh")
    assert isinstance(ex, ProcessExecutor) and ex.workers == 2
    try:
        results = _run(ex, [("A", {"mode": "die_once", "marker_dir": str(tmp_path)}),
                            ("B", {"mode": "ok", "marker_dir": str(tmp_path)})])
    finally:
        ex.close()
    assert ex.restarts == 1
    a = results["A"]
    assert a == {"cid": "A", "pid": a["pid"], "starts": 2}
    died = int((tmp_path / "A.started").read_text().split()[0])
    assert a["pid"] != died and process_gone(died, within=30)  # a new worker process ran it
    assert results["B"]["cid"] == "B"


def test_a_job_that_always_kills_its_worker_ends_as_an_error_after_max_attempts(tmp_path):
    ex = make_executor("processes", workers=2, engine="fresh")
    try:
        results = _run(ex, [("BAD", {"mode": "always_die", "marker_dir": str(tmp_path)})])
    finally:
        ex.close()
    err = results["BAD"]
    assert isinstance(err, RiskbookError) and f"died {MAX_ATTEMPTS} times" in str(err)
    assert len((tmp_path / "BAD.started").read_text().split()) == MAX_ATTEMPTS  # never more
    assert ex.restarts == MAX_ATTEMPTS - 1 and ex._pool is None


def test_a_job_that_always_kills_its_worker_does_not_take_the_others_down(tmp_path):
    ex = make_executor("processes", workers=2, engine="fresh")
    try:
        results = _run(ex, [("BAD", {"mode": "always_die", "marker_dir": str(tmp_path)}),
                            ("GOOD", {"mode": "sleep", "seconds": 2, "marker_dir": str(tmp_path)})])
    finally:
        ex.close()
    assert isinstance(results["BAD"], RiskbookError)
    assert isinstance(results["GOOD"], dict), results["GOOD"]


def test_workers_are_replaced_after_their_share_of_customers(tmp_path, process_gone):
    """recycle_after=2 with 2 workers: a fresh pool after every 4 customers, so no worker process runs more
    than 4 and 9 customers need 3 pools; without it, the same 2 processes run them all."""
    jobs = [(f"C{i}", {"mode": "sleep", "seconds": 0.2, "marker_dir": str(tmp_path / "r")}) for i in range(9)]
    (tmp_path / "r").mkdir()
    ex = make_executor("processes", workers=2, engine="fresh", recycle_after=2)
    try:
        results = _run(ex, jobs)
    finally:
        ex.close()
    by_pid = Counter(r["pid"] for r in results.values())
    assert ex.recycled == 2 and ex.restarts == 0
    assert max(by_pid.values()) <= 4 and len(by_pid) >= 3, by_pid
    assert all(process_gone(pid, within=30) for pid in by_pid)  # the replaced workers exited
    assert all(r["starts"] == 1 for r in results.values())  # nothing ran twice

    (tmp_path / "k").mkdir()
    ex = make_executor("processes", workers=2, engine="fresh")
    try:
        kept = _run(ex, [(cid, {**kw, "marker_dir": str(tmp_path / "k")}) for cid, kw in jobs])
    finally:
        ex.close()
    assert ex.recycled == 0 and len({r["pid"] for r in kept.values()}) <= 2


@pytest.mark.parametrize("workers, customers, recycle, scheduler, expected", [
    (None, 1, 100, None, "serial"),           # one customer: nothing to share out
    (1, 100, 100, None, "serial"),            # one worker within its share: in this process
    (1, 101, 100, None, "processes"),         # one worker past its share: a worker process, replaced after 100
    (1, 2000, None, None, "serial"),          # no limit set in the policy: one worker stays in this process
    (2, 2, 100, None, "processes"),
    (None, 60, 100, None, "processes"),
    (1, 1, 100, "tcp://x:1", "dask"),
])
def test_the_executor_a_batch_picks(workers, customers, recycle, scheduler, expected):
    from helpers.pipeline.batch import _executor_name

    assert _executor_name(workers, customers, recycle, scheduler) == expected


def test_recycle_after_below_one_is_refused():
    with pytest.raises(RiskbookError, match="at least 1"):
        make_executor("processes", workers=2, recycle_after=0)


# --------------------------------------------------------------------------- the registry


def test_an_unknown_executor_is_refused_with_the_known_names():
    with pytest.raises(RiskbookError) as caught:
        make_executor("kubernetes", workers=2)
    message = str(caught.value)
    assert "'kubernetes'" in message
    for name in ("dask", "processes", "serial"):
        assert name in message and name in EXECUTORS


def test_a_registered_executor_is_the_one_run_batch_uses(portfolio, model, tmp_path):
    calls = []

    @register_executor("recording")
    class Recording:
        """Runs nothing: records the jobs and answers for each customer as an executor does (a run, or the
        exception of a worker that failed)."""

        def __init__(self, workers=None, engine="warm", **options):
            self.workers = 3
            calls.append(("init", {"workers": workers, "engine": engine, **options}))

        def run(self, fn, jobs):
            calls.append(("run", fn, jobs))
            for cid, kwargs in jobs:
                if cid == "CASE2":
                    yield cid, MemoryError("worker out of memory")
                else:
                    yield cid, CustomerRun(cid, kwargs["name"], status="failed", error="recorded, not run",
                                           inputs_sha256=kwargs["inputs_sha256"], folder=str(tmp_path / cid))

        def close(self):
            calls.append(("close",))

    try:
        assert make_executor("recording").workers == 3
        calls.clear()
        result = run_batch(portfolio, tmp_path / "out", customers=["CASE1", "CASE2"], workers=5, progress=False,
                           model=model, executor="recording", engine="fresh", timeout=77)
    finally:
        EXECUTORS.pop("recording")
    assert [c[0] for c in calls] == ["init", "run", "close"]
    assert calls[0][1] == {"workers": 5, "engine": "fresh", "recycle_after": 100}  # the policy's worker_max_customers
    _, fn, jobs = calls[1]
    from helpers.pipeline.batch import run_customer

    assert fn is run_customer and [cid for cid, _ in jobs] == ["CASE1", "CASE2"]
    kwargs = jobs[0][1]
    assert kwargs["engine"] == "fresh" and kwargs["timeout"] == 77 and kwargs["model"] == str(model.resolve())
    assert Path(kwargs["snapshot"]).is_file() and kwargs["out"] == str((tmp_path / "out").resolve())
    manifest = json.loads(result.manifest.read_text())
    assert manifest["execution"] == {"executor": "recording", "engine": "fresh", "workers": 3, "timeout_seconds": 77,
                                     "worker_max_customers": None}  # an executor that does not replace workers
    by_id = {c["customer_id"]: c for c in manifest["customers"]}
    assert by_id["CASE1"]["error"] == "recorded, not run"
    assert by_id["CASE2"]["status"] == "failed"
    assert by_id["CASE2"]["error"] == "worker failed: MemoryError: worker out of memory"
    assert by_id["CASE2"]["inputs_sha256"] == jobs[1][1]["inputs_sha256"]
    assert manifest["counts"] == {"ok": 0, "failed": 2, "skipped": 0}


# --------------------------------------------------------------------------- dask


@pytest.fixture(scope="module")
def client():
    """A local Dask cluster of two single-threaded worker processes (restarted by their nannies)."""
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


def _worker_kernels(client) -> dict[str, list[int]]:
    """The live warm-kernel pids of every worker (the function is pickled by value for the workers)."""
    def pids():
        from helpers.pipeline.engines import kernel_pool

        return [k.pid for k in kernel_pool().kernels if k.alive()]

    return client.run(pids)




def test_a_batch_runs_on_a_dask_cluster(portfolio, model, client, tmp_path):
    out = tmp_path / "out"
    ids = ["CASE1", "CASE2"]
    result = run_batch(portfolio, out, customers=ids, progress=False, model=model, scheduler=client)
    assert [r.status for r in result.runs] == ["ok", "ok"], [r.error for r in result.runs]
    manifest = json.loads(result.manifest.read_text())
    assert manifest["execution"]["executor"] == "dask" and manifest["execution"]["engine"] == "warm"
    assert manifest["execution"]["workers"] == 2 and manifest["counts"]["ok"] == 2
    assert [c["customer_id"] for c in manifest["customers"]] == ids
    for run in result.runs:
        assert run.pdf_sha256 == _sha(out / run.customer_id / "report.pdf")
        assert run.timings["kernel_peak_mb"]  # ran on a worker's warm kernel (the plugin started them)
    kernels = _worker_kernels(client)
    assert len(kernels) == 2 and all(len(p) == 1 for p in kernels.values())
    plugins = client.run(lambda dask_worker: sorted(dask_worker.plugins))
    assert all("riskbook-warm-kernels" in names for names in plugins.values())
    assert client.status == "running"  # a client given to run_batch is the caller's: not closed


def test_a_worker_killed_mid_batch_loses_no_customer(portfolio, model, client, tmp_path, process_gone):
    out = tmp_path / "out"
    ids = ["C001", "C002", "C003"]
    done: dict = {}

    def batch():
        try:
            done["result"] = run_batch(portfolio, out, customers=ids, progress=False, model=model, scheduler=client)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            done["error"] = exc

    thread = threading.Thread(target=batch, daemon=True)
    thread.start()
    deadline = time.monotonic() + 240
    while not any((out / c / "summary.json").is_file() for c in ids):  # the first customer has finished
        assert thread.is_alive() and time.monotonic() < deadline, done
        time.sleep(0.2)
    # a worker in the middle of a customer: the scheduler still lists a customer as processing for a moment
    # after its worker has finished it (summary written), so only customers without a summary count
    while True:
        running = {w: {cid for cid in ids for key in keys if f"riskbook-customer-{cid}-" in str(key)
                       and not (out / cid / "summary.json").is_file()} for w, keys in client.processing().items()}
        running = {w: cids for w, cids in running.items() if cids}
        if running:
            break
        assert thread.is_alive() and time.monotonic() < deadline, "no customer was running on a worker"
        time.sleep(0.1)
    victim = sorted(running)[0]
    pid = client.run(os.getpid, workers=[victim])[victim]
    kernels = _worker_kernels(client)[victim]
    killed_at = time.time()
    os.kill(pid, signal.SIGKILL)
    # what it was running and had not finished when it died (one it finished in the last instant is not lost)
    lost = {cid for cid in running[victim] if not (out / cid / "summary.json").is_file()
            or (out / cid / "summary.json").stat().st_mtime > killed_at}
    thread.join(timeout=300)
    assert not thread.is_alive() and "error" not in done, done
    result = done["result"]
    assert [r.status for r in result.runs] == ["ok"] * len(ids), [r.error for r in result.runs]
    manifest = json.loads(result.manifest.read_text())
    assert [c["customer_id"] for c in manifest["customers"]] == ids  # none lost, none twice
    assert manifest["counts"] == {"ok": len(ids), "failed": 0, "skipped": 0}
    assert lost  # the killed worker had a customer; it was run again, after the kill
    assert all((out / cid / "summary.json").stat().st_mtime > killed_at for cid in lost)
    for cid in ids:
        assert json.loads((out / cid / "summary.json").read_text())["status"] == "ok"
        assert manifest["customers"][ids.index(cid)]["pdf_sha256"] == _sha(out / cid / "report.pdf")
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    # the killed worker's kernel does not outlive it (ipykernel polls its parent), and the nanny's new worker
    # has its own warm kernel
    assert kernels and all(process_gone(k, within=30) for k in kernels)
    assert len(client.scheduler_info()["workers"]) == 2
    # the killed worker's half-built staging folder is removed when the batch ends
    assert [p.name for p in out.iterdir() if ".staging-" in p.name] == []
