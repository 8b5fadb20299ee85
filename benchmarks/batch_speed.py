"""Batch speed: riskbook against the in-process floor and a naive Papermill chain, in one run.

The machine this runs on is slow and noisy, so no figure stands alone: the three contestants run the
same customers, from the same validated snapshot, with the same scorecard artifact, one after the
other in the same run (in the order riskbook, floor, naive; the 1-minute load average at the start
of each is printed, so a burst of outside load shows). Each contestant runs in its own freshly
spawned process, so none inherits what an earlier one left behind (memory, caches, imports).

Contestants
-----------
riskbook
    :func:`helpers.pipeline.run_batch` with ``W`` worker processes, each reusing one warm kernel
    (reset between notebooks), then the PDF rendered in the worker; stage times and peak memory come
    from the batch's ``manifest.json``. Its wall time includes everything the batch does (portfolio
    work, its own snapshot, the manifest and the portfolio pack).
floor
    The same four pipeline notebooks' code cells executed with ``exec`` in ``W`` plain (spawned)
    worker processes that imported the same libraries once (the warm kernel's imports, matplotlib on
    ``agg``, WeasyPrint), the parameter values injected right after the ``parameters`` cell, then
    the same :func:`helpers.report.render.render_report`. No kernel, no messaging, no output
    notebook: the least any notebook-based runner can cost.
naive
    What one would write without riskbook: per customer, one ``papermill`` CLI call per notebook
    (a fresh kernel each), one ``jupyter nbconvert --to html`` of the four executed notebooks, and
    one ``weasyprint`` CLI call per HTML file (four PDFs per customer, one per notebook); ``W``
    customers at a time from a thread pool. String parameters go as ``-r`` (raw) so an id is never
    read as a number.

Why the ratios matter
---------------------
``riskbook / floor`` is what the kernels, Papermill and the batch's bookkeeping cost on top of the
work itself (target ≤ 1.5: the machinery may not dominate the analysis). ``naive / riskbook`` is
what the project saves its users against the obvious script (target ≥ 4). Reports per minute of
riskbook is compared with the target of 60 per minute. Missed targets are reported, not raised:
this is a benchmark, not a test. A PDF that is missing or empty does raise.

Memory
------
Peak resident memory per worker: riskbook's worker process plus its kernel (the ``worker_peak_mb``
and ``kernel_peak_mb`` the manifest records, summed per customer since they live side by side); the
floor's worker process (``ru_maxrss``); for the naive chain the largest process a worker ran
(``wait4``'s ``ru_maxrss`` of each subprocess, which for Papermill is the larger of the client and its
kernel; they run side by side, so this understates the naive chain). On Linux the ``ru_maxrss`` of a
process started with exec begins at the peak of the process that launched it (a forked worker starts
with the pages it shares with it). So every contestant runs in a process holding only the imports
(and, for riskbook, the loaded portfolio, as the ``riskbook batch`` command does), whose peak is
printed as the launcher row, and the naive chain's commands are started by a tiny launcher process
(:class:`Launcher`), since its tools (nbconvert, WeasyPrint) need less than the imports.
"First / second half" compares the peaks of the customers that finished first and last: a flat
figure means nothing accumulates over a worker's customers.

Run: ``python benchmarks/batch_speed.py [--customers 20] [--workers 2] [--lang en] [--skip-naive]
[--out DIR]``; the figures are also written to ``<out>/batch_speed.json``.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import multiprocessing
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import nbformat

from helpers import load_portfolio
from helpers.config import NOTEBOOKS_DIR, safe_name
from helpers.data.store import load_results, read_json, write_json
from helpers.pipeline import run_batch
from helpers.pipeline.engines import _kernel_name, notebook_parameters, notebook_path
from helpers.pipeline.isolation import WARM_IMPORTS, peak_rss_mb
from helpers.pipeline.manifest import PIPELINE, code_digest, library_report, riskbook_version
from helpers.report.context import merge_summaries
from helpers.report.render import render_report

AS_OF = "2026-09-30"
BIN = Path(sys.executable).parent
ORDER = ("riskbook", "floor", "naive")
TARGETS = {"riskbook_over_floor": 1.5, "naive_over_riskbook": 4.0, "reports_per_minute": 60.0}


def _check_pdfs(paths: list[Path]) -> None:
    """Raise when any PDF is missing or empty."""
    bad = [str(p) for p in paths if not Path(p).is_file() or Path(p).stat().st_size == 0]
    if bad:
        raise RuntimeError(f"missing or empty PDF(s): {', '.join(bad)}")


def _params(customer_id: str, folder: Path, snapshot: Path, artifact: Path, lang: str) -> dict:
    """The parameter values run_customer passes (a first run: no previous summary)."""
    return {"customer_id": customer_id, "data": str(snapshot), "output_dir": str(folder), "as_of": AS_OF,
            "model": str(artifact), "lang": lang, "previous": None}


# --- riskbook -------------------------------------------------------------------------------------

def bench_riskbook(portfolio, ids: list[str], out: Path, workers: int, artifact: Path, lang: str) -> tuple[float, list]:
    """The batch as users run it; per-customer records from its manifest."""
    start = time.perf_counter()
    result = run_batch(portfolio, out, customers=ids, workers=workers, force=True, progress=False,
                       model=artifact, lang=lang)
    wall = time.perf_counter() - start
    if result.failed:
        raise RuntimeError(f"riskbook failed for: {[(r.customer_id, r.error) for r in result.failed]}")
    records = []
    for entry in read_json(result.manifest)["customers"]:
        pdf, t = out / entry["report"], entry["timings"]
        records.append({"customer_id": entry["customer_id"], "finished": pdf.stat().st_mtime,
                        "timings": {s: t[s] for s in (*PIPELINE, "render")}, "pdfs": [pdf],
                        "process_mb": t["worker_peak_mb"], "kernel_mb": t["kernel_peak_mb"],
                        "per_worker_mb": t["worker_peak_mb"] + (t["kernel_peak_mb"] or 0.0)})
    return wall, records


# --- floor ----------------------------------------------------------------------------------------

def _floor_worker_init() -> None:
    """Import once per worker what a warm kernel imports (and WeasyPrint, as a batch worker does)."""
    import matplotlib

    matplotlib.use("agg")
    for name in WARM_IMPORTS:
        importlib.import_module(name)
    importlib.import_module("weasyprint")
    os.chdir(NOTEBOOKS_DIR)  # where the notebooks run


def _floor_customer(customer_id: str, params: dict, lang: str, code_sha256: str) -> dict:
    """Execute the pipeline notebooks' code in this process, then render the PDF as run_customer does."""
    folder = Path(params["output_dir"])
    folder.mkdir(parents=True, exist_ok=True)
    timings, executed = {}, []
    for stem in PIPELINE:
        start = time.perf_counter()
        nb = nbformat.read(notebook_path(stem), as_version=4)
        namespace = {"__name__": "__main__"}
        with contextlib.redirect_stdout(io.StringIO()):
            for i, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                exec(compile(cell.source, f"{stem}.ipynb[{i}]", "exec"), namespace)  # noqa: S102
                if "parameters" in cell.metadata.get("tags", []):
                    namespace.update({k: v for k, v in params.items() if k in namespace})
        timings[stem] = time.perf_counter() - start
        executed.append({"name": f"{stem}.ipynb", "path": f"notebooks/{stem}.ipynb", "seconds": timings[stem]})
    summary = merge_summaries(load_results(folder))
    summary.update(status="ok", lang=lang, code_sha256=code_sha256)
    write_json(folder / "summary.json", summary)
    start = time.perf_counter()
    provenance = {"notebooks": executed, "code_sha256": code_sha256, "riskbook_version": riskbook_version(),
                  "libraries": library_report(), "command": "benchmarks/batch_speed.py (floor)"}
    pdf = render_report(folder, lang=lang, provenance=provenance)
    timings["render"] = time.perf_counter() - start
    peak = peak_rss_mb()
    return {"customer_id": customer_id, "finished": time.time(), "timings": timings, "pdfs": [pdf],
            "process_mb": peak, "kernel_mb": None, "per_worker_mb": peak}


def bench_floor(ids: list[str], out: Path, workers: int, snapshot: Path, artifact: Path,
                lang: str) -> tuple[float, list]:
    """The notebooks' code in plain worker processes; the wall time includes starting them."""
    code = code_digest()
    start = time.perf_counter()
    # spawned, not forked: each worker pays its imports, as a kernel does, instead of inheriting ours
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_floor_worker_init) as pool:
        futures = [pool.submit(_floor_customer, cid, _params(cid, out / safe_name(cid), snapshot, artifact, lang),
                               lang, code) for cid in ids]
        records = [f.result() for f in futures]
    return time.perf_counter() - start, records


# --- naive chain ----------------------------------------------------------------------------------

#: The launcher's code: run each command it is sent (argv and log file, one JSON line), answer with
#: its exit code, seconds and ``wait4`` peak RSS in KiB.
_LAUNCHER = """
import json, os, sys, time
for line in sys.stdin:
    cmd, log = json.loads(line)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    start = time.perf_counter()
    pid = os.posix_spawn(cmd[0], cmd, os.environ, file_actions=[
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0), (os.POSIX_SPAWN_DUP2, fd, 1),
        (os.POSIX_SPAWN_DUP2, fd, 2)])
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - start
    os.close(fd)
    print(json.dumps([os.waitstatus_to_exitcode(status), seconds, usage.ru_maxrss]), flush=True)
"""


class Launcher:
    """A tiny Python process that runs the naive chain's commands.

    On Linux a process started with exec inherits its launcher's peak RSS as the floor of its own
    ``ru_maxrss``; launched from this one (a few MB), a command's peak is its own (or, for Papermill,
    its kernel's when larger).
    """

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", _LAUNCHER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)

    def run(self, cmd: list, log: Path) -> tuple[float, float]:
        """Run ``cmd`` (output to ``log``); return its seconds and peak RSS in MB."""
        self.proc.stdin.write(json.dumps([[str(c) for c in cmd], str(log)]) + "\n")
        self.proc.stdin.flush()
        code, seconds, peak_kib = json.loads(self.proc.stdout.readline())
        if code:
            tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{Path(str(cmd[0])).name} exited with {code} (log {log}):\n{tail}")
        return seconds, peak_kib / 1024

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()


def _naive_customer(customer_id: str, params: dict, kernel: str, launchers: queue.SimpleQueue) -> dict:
    launcher = launchers.get()  # one per worker thread
    try:
        return _naive_chain(customer_id, params, kernel, launcher)
    finally:
        launchers.put(launcher)


def _naive_chain(customer_id: str, params: dict, kernel: str, launcher: Launcher) -> dict:
    folder = Path(params["output_dir"])
    notebooks, html, logs = folder / "notebooks", folder / "html", folder / "logs"
    for d in (notebooks, html, logs):
        d.mkdir(parents=True, exist_ok=True)
    timings, papermill_mb, tool_mb, executed = {}, [], [], []
    for stem in PIPELINE:
        cmd = [BIN / "papermill", notebook_path(stem), notebooks / f"{stem}.ipynb", "-k", kernel,
               "--cwd", NOTEBOOKS_DIR]
        declared = notebook_parameters(stem)
        for key, value in params.items():
            if key in declared:
                cmd += ["-p", key, "None"] if value is None else ["-r", key, value]
        timings[stem], peak = launcher.run(cmd, logs / f"papermill-{stem}.log")
        papermill_mb.append(peak)
        executed.append(notebooks / f"{stem}.ipynb")
    timings["nbconvert"], peak = launcher.run(
        [BIN / "jupyter", "nbconvert", "--to", "html", "--output-dir", html, *executed], logs / "nbconvert.log")
    tool_mb.append(peak)
    timings["weasyprint"], pdfs = 0.0, []
    for stem in PIPELINE:
        pdfs.append(folder / f"{stem}.pdf")
        seconds, peak = launcher.run([BIN / "weasyprint", html / f"{stem}.html", pdfs[-1]],
                                     logs / f"weasyprint-{stem}.log")
        timings["weasyprint"] += seconds
        tool_mb.append(peak)
    timings["render"] = timings["nbconvert"] + timings["weasyprint"]
    return {"customer_id": customer_id, "finished": time.time(), "timings": timings, "pdfs": pdfs,
            "process_mb": max(tool_mb), "kernel_mb": max(papermill_mb),
            "per_worker_mb": max(*tool_mb, *papermill_mb)}


def bench_naive(ids: list[str], out: Path, workers: int, snapshot: Path, artifact: Path,
                lang: str) -> tuple[float, list]:
    """The CLI chain, ``workers`` customers at a time, each worker thread with its own launcher."""
    kernel = _kernel_name()
    launchers = queue.SimpleQueue()
    for _ in range(workers):
        launchers.put(Launcher())
    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(_naive_customer, cid, _params(cid, out / safe_name(cid), snapshot, artifact, lang),
                               kernel, launchers) for cid in ids]
        records = [f.result() for f in futures]
    wall = time.perf_counter() - start
    while not launchers.empty():
        launchers.get().close()
    return wall, records


# --- figures and table ----------------------------------------------------------------------------

def summarise(wall: float, records: list[dict], load: float) -> dict:
    """Wall time, reports per minute, mean seconds per customer by stage, peak memory per worker."""
    stages = {s: statistics.mean(r["timings"][s] for r in records) for s in records[0]["timings"]}
    stages["notebooks"] = sum(stages[s] for s in PIPELINE)
    by_finish = sorted(records, key=lambda r: r["finished"])
    half = max(1, len(by_finish) // 2)
    kernels = [r["kernel_mb"] for r in records if r["kernel_mb"] is not None]
    return {"load_1min_at_start": load, "wall_s": wall, "reports_per_minute": 60 * len(records) / wall,
            "stage_s": stages,
            "memory_mb": {"process": max(r["process_mb"] for r in records),
                          "kernel": max(kernels) if kernels else None,
                          "per_worker": max(r["per_worker_mb"] for r in records),
                          "first_half": max(r["per_worker_mb"] for r in by_finish[:half]),
                          "second_half": max(r["per_worker_mb"] for r in by_finish[half:] or by_finish)}}


def ratios(figures: dict) -> dict:
    """The project's targets: each figure with its target and whether it was met."""
    out = {"riskbook_over_floor": figures["riskbook"]["wall_s"] / figures["floor"]["wall_s"],
           "reports_per_minute": figures["riskbook"]["reports_per_minute"]}
    if "naive" in figures:
        out["naive_over_riskbook"] = figures["naive"]["wall_s"] / figures["riskbook"]["wall_s"]
    return {k: {"value": v, "target": TARGETS[k],
                "pass": v <= TARGETS[k] if k == "riskbook_over_floor" else v >= TARGETS[k]} for k, v in out.items()}


def print_table(figures: dict, checks: dict, n: int, workers: int, lang: str) -> None:
    names = list(figures)

    def row(label: str, values: list, fmt: str = "{:.2f}") -> None:
        cells = ["-" if v is None else fmt.format(v) for v in values]
        print(f"{label:40}" + "".join(f"{c:>12}" for c in cells))

    def stage(s: str) -> list:
        return [figures[c]["stage_s"].get(s) for c in names]

    def mem(key: str) -> list:
        return [figures[c]["memory_mb"][key] for c in names]

    print(f"\n{n} customers, {workers} workers, lang {lang}; run in the order {' → '.join(names)}")
    row("", names, "{}")
    row("load average at start (1 min)", [figures[c]["load_1min_at_start"] for c in names])
    row("wall time (s)", [figures[c]["wall_s"] for c in names], "{:.1f}")
    row("  of which after the manifest (pack)", [figures[c].get("after_manifest_s") for c in names], "{:.1f}")
    row("reports per minute", [figures[c]["reports_per_minute"] for c in names], "{:.1f}")
    print("seconds per customer (mean)")
    row("  notebooks total", stage("notebooks"))
    for s in PIPELINE:
        row(f"    {s}", stage(s))
    row("  render (PDF)", stage("render"))
    if "naive" in figures:
        row("    nbconvert (naive)", stage("nbconvert"))
        row("    weasyprint ×4 (naive)", stage("weasyprint"))
    print("peak memory per worker (MB)")
    row("  worker / tool process", mem("process"), "{:.0f}")
    row("  kernel (naive: papermill+kernel)", mem("kernel"), "{:.0f}")
    row("  per worker", mem("per_worker"), "{:.0f}")
    row("  launcher process (the floor of these)", mem("launcher"), "{:.0f}")
    row("  first half / second half", [f"{a:.0f}/{b:.0f}" for a, b in zip(mem("first_half"), mem("second_half"))],
        "{}")
    print()
    labels = {"riskbook_over_floor": "riskbook time / floor time (≤ {:g})",
              "naive_over_riskbook": "naive time / riskbook time (≥ {:g})",
              "reports_per_minute": "riskbook reports per minute (≥ {:g})"}
    for key, c in checks.items():
        print(f"{labels[key].format(c['target']):44}{c['value']:8.2f}   {'PASS' if c['pass'] else 'MISS'}")


def _in_fresh_process(fn, *args):
    """``fn(*args)`` in a newly spawned process (this one stays lean: its children inherit its peak RSS)."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as fresh:
        return fresh.submit(fn, *args).result()


def setup(out: Path, customers: int, lang: str) -> tuple[list[str], Path, Path]:
    """Not timed: the first ``customers`` sample ids, and the snapshot and scorecard artifact of a
    one-customer batch (``model=None``, so the model notebook fits the scorecard)."""
    portfolio = load_portfolio(as_of=AS_OF)
    ids = portfolio.customer_ids[:customers]
    result = run_batch(portfolio, out, customers=ids[:1], workers=1, force=True, progress=False, lang=lang)
    if result.failed or result.model.status != "ok":
        raise RuntimeError(f"setup failed: {result.model.error or [r.error for r in result.failed]}")
    return ids, next((out / ".cache").glob("*.portfolio.pkl")), Path(result.model.artifact)


def run_contestant(name: str, out: Path, ids: list[str], workers: int, snapshot: Path, artifact: Path,
                   lang: str) -> dict:
    """Run one contestant in this (fresh) process, check its PDFs and return its figures."""
    portfolio = load_portfolio(as_of=AS_OF) if name == "riskbook" else None  # as the riskbook CLI holds it
    launcher = peak_rss_mb()
    load = os.getloadavg()[0]
    if name == "riskbook":
        wall, records = bench_riskbook(portfolio, ids, out, workers, artifact, lang)
    elif name == "floor":
        wall, records = bench_floor(ids, out, workers, snapshot, artifact, lang)
    else:
        wall, records = bench_naive(ids, out, workers, snapshot, artifact, lang)
    _check_pdfs([p for r in records for p in r["pdfs"]])
    figures = summarise(wall, records, load)
    figures["memory_mb"]["launcher"] = launcher
    if name == "riskbook":  # what the batch does after writing its manifest: the portfolio pack
        figures["after_manifest_s"] = wall - read_json(out / "manifest.json")["seconds"]
    return figures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=20, help="the first N sample customers")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--lang", choices=("en", "zh"), default="en")
    ap.add_argument("--skip-naive", action="store_true", help="leave out the (slow) naive chain")
    ap.add_argument("--out", type=Path, help="output folder (default: a new temporary folder, kept)")
    args = ap.parse_args()
    out = (args.out or Path(tempfile.mkdtemp(prefix="riskbook-batch-speed-"))).resolve()
    out.mkdir(parents=True, exist_ok=True)

    ids, snapshot, artifact = _in_fresh_process(setup, out / "setup", args.customers, args.lang)
    figures = {}
    for name in ORDER:
        if name == "naive" and args.skip_naive:
            continue
        print(f"running {name} …", file=sys.stderr, flush=True)
        figures[name] = _in_fresh_process(run_contestant, name, out / name, ids, args.workers, snapshot, artifact,
                                          args.lang)
    checks = ratios(figures)
    print_table(figures, checks, len(ids), args.workers, args.lang)
    result = {"customers": ids, "workers": args.workers, "lang": args.lang, "cpus": os.cpu_count(),
              "order": list(figures), "snapshot": str(snapshot), "model": str(artifact),
              "contestants": figures, "ratios": checks}
    (out / "batch_speed.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"\nfigures: {out / 'batch_speed.json'}")


if __name__ == "__main__":
    main()
