"""Batch execution: Papermill runs each customer's notebooks, then the PDF is rendered.

One batch validates the input once and writes a snapshot of the validated portfolio under
``<out>/.cache/``; every notebook of every customer reads that snapshot, so portfolio-wide work
happens once. Each customer is built in a staging folder and swapped into ``<out>/<id>/`` in
one rename, so a reader never sees half a report, and a failing customer never stops the others.
``<out>/manifest.json`` lists every requested customer with its status, error, timings and the
SHA-256 of its inputs and PDF.

Notebook execution goes through :func:`execute_notebook` only, so a pool of warm kernels can
replace fresh Papermill kernels without touching the rest.
"""
from __future__ import annotations

import datetime as dt
import errno
import hashlib
import logging
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import traceback
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tqdm import tqdm

from ..analysis.characteristics import portfolio_characteristics
from ..analysis.ecl import ledger_open_balance, portfolio_matrix
from ..analysis.financial import analyse_portfolio
from ..decisions.monitoring import ledger_ecl
from ..config import PROJECT_ROOT, file_sha256, safe_name
from ..data.decision_log import DecisionLog, default_log_url
from ..data.portfolio import load_snapshot
from ..data.sources import source_label
from ..data.store import load_results, read_json, write_json
from ..exceptions import KernelError, NotebookError, PolicyError, RiskbookError
from ..report.formatting import check_language
from ..report.messages import messages
from ..report.context import merge_summaries
from ..report.render import render_report, render_validation
from ..report.pack import write_portfolio_pack
from ..report.evidence import (customer_evidence, customer_manifest, model_evidence, model_manifest,
                               normalize_notebook)
from ..report.provenance import git_revision
from ..scoring.scorecard import load_scorecard
from .engines import ENGINES, execute_notebook, kernel_pool, notebook_path
from .executors import make_executor
from .isolation import peak_rss_mb
from .manifest import LOG_NAME, MODEL_NOTEBOOK, PIPELINE, Journal, code_digest, library_report, riskbook_version, write_manifest

__all__ = ["CustomerRun", "ModelRun", "BatchResult", "run_model", "run_customer", "run_batch"]

_log = logging.getLogger("riskbook.batch")
_log.setLevel(logging.INFO)  # what <out>/batch.log gets; the command shows it on stderr with -v
logging.getLogger("riskbook").addHandler(logging.NullHandler())  # a library: nothing on stderr unless asked



@dataclass
class CustomerRun:
    """What happened to one customer in a batch (one manifest entry)."""

    customer_id: str
    name: str = ""
    status: str = "failed"          # ok / failed / skipped
    error: str | None = None
    notebook: str | None = None
    cell: int | None = None
    seconds: float = 0.0
    inputs_sha256: str = ""
    pdf_sha256: str | None = None
    folder: str = ""
    timings: dict = field(default_factory=dict)
    kernel_failed: bool = False  # the last attempt's kernel died or could not be reset (not a failing cell)
    problems: list = field(default_factory=list)  # a quarantined customer's input problems (Problem.to_dict)
    traceback: str | None = None  # of a failure, for the batch log (not in the manifest)


def _swap_into_place(staging: Path, target: Path) -> None:
    """Replace ``target`` by ``staging`` with renames (the old folder is removed afterwards)."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}-{time.time_ns()}")
        target.rename(old)
    staging.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def run_customer(customer_id: str, *, snapshot: str, out: str, as_of: str, lang: str = "en", name: str = "",
                 inputs_sha256: str = "", command: str = "", code_sha256: str = "", model: str = "",
                 engine: str = "warm", timeout: float | None = None,
                 pipeline: tuple = PIPELINE, order_log: str | None = None) -> CustomerRun:
    """Run the pipeline notebooks for one customer and render its PDF.

    Parameters
    ----------
    engine : {"warm", "fresh"}
        ``warm``: on this process's reused kernel (:func:`helpers.pipeline.engines.kernel_pool`);
        ``fresh``: a new Papermill kernel per notebook.
    timeout : float, optional
        Seconds one cell may run before the customer fails.
    pipeline : tuple of str or Path
        The notebooks to run, in order (default: :data:`PIPELINE`); tests give their own.
    order_log : str, optional
        The customer's extract of the decision log (JSON) for the monitoring notebook.

    Never raises for a customer's own failure: the returned :class:`CustomerRun` says what
    failed where, and ``<out>/<id>/summary.json`` carries the same status. A kernel that dies or cannot
    be reset is replaced and the customer is run once more from the start (``timings["attempts"]``).
    """
    if engine not in ENGINES:
        raise RiskbookError(f"unknown engine {engine!r}; known: {', '.join(ENGINES)}")
    for attempt in (1, 2):
        with kernel_pool().kernel() if engine == "warm" else nullcontext(None) as kernel:
            run = _run_customer_once(customer_id, kernel, snapshot=snapshot, out=out, as_of=as_of, lang=lang, name=name,
                                     inputs_sha256=inputs_sha256, command=command, code_sha256=code_sha256,
                                     model=model, timeout=timeout, pipeline=pipeline, last=attempt == 2,
                                     order_log=order_log)
        run.timings["attempts"] = attempt
        if not run.kernel_failed:
            break
    return run


def _run_customer_once(customer_id: str, kernel, *, snapshot: str, out: str, as_of: str, lang: str, name: str,
                       inputs_sha256: str, command: str, code_sha256: str, model: str,
                       timeout: float | None, pipeline: tuple, last: bool, order_log: str | None = None) -> CustomerRun:
    out_dir = Path(out).resolve()
    target = out_dir / safe_name(customer_id)
    if target.parent != out_dir:  # defence in depth: never write outside --out
        raise RiskbookError(f"refusing to write outside {out_dir}: {target}")
    staging = out_dir / f".{target.name}.staging-{os.getpid()}-{time.time_ns()}"
    (staging / "notebooks").mkdir(parents=True)
    run = CustomerRun(customer_id, name=name, inputs_sha256=inputs_sha256, folder=str(target))
    start = time.perf_counter()
    executed = []
    try:
        previous = target / "summary.json"  # the last run's, read before this run replaces it
        params = {"customer_id": customer_id, "data": snapshot, "output_dir": str(staging), "as_of": as_of,
                  "model": model, "lang": lang, "previous": str(previous) if previous.is_file() else None,
                  "order_log": order_log}
        for nb in pipeline:
            stem = notebook_path(nb).stem
            path = staging / "notebooks" / f"{stem}.ipynb"
            seconds = execute_notebook(nb, path, params, kernel=kernel, timeout=timeout)
            executed.append({"name": f"{stem}.ipynb", "path": f"{target.name}/notebooks/{stem}.ipynb",
                             "seconds": seconds})
            run.timings[stem] = round(seconds, 3)
        summary = merge_summaries(load_results(staging))
        summary.update(status="ok", lang=lang, inputs_sha256=inputs_sha256, code_sha256=code_sha256)
        write_json(staging / "summary.json", summary)
        t0 = time.perf_counter()
        names = _logical_paths(out_dir, snapshot, {str(staging): f"<out>/{target.name}",
                                                   **({order_log: "<order_log>"} if order_log else {}),
                                                   **({model: "<model>"} if model else {})})
        for item in executed:
            normalize_notebook(staging / "notebooks" / item["name"], names)
        portfolio = load_snapshot(snapshot, raw=True)  # read once per worker: load_snapshot keeps the last
        files, facts = customer_evidence(portfolio, customer_id, staging, model=model or None,
                                         previous=params["previous"], order_log=order_log)
        provenance = {"code_sha256": code_sha256, "riskbook_version": riskbook_version(),
                      "git_revision": git_revision(), "libraries": library_report(), "command": command}
        manifest = customer_manifest(portfolio, files, facts, customer_id=customer_id, name=name, lang=lang,
                                     notebooks=[item["name"] for item in executed],
                                     report_inputs_sha256=inputs_sha256, code_sha256=code_sha256, command=command)
        pdf = render_report(staging, lang=lang, provenance=provenance, evidence=files, manifest=manifest,
                            author=portfolio.policy.company)
        run.timings["render"] = round(time.perf_counter() - t0, 3)
        run.pdf_sha256 = file_sha256(pdf)
        run.status = "ok"
    except NotebookError as exc:
        run.error, run.notebook, run.cell, run.traceback = str(exc), exc.notebook, exc.cell, exc.traceback or None
    except KernelError as exc:
        run.error, run.kernel_failed = str(exc), True
    except Exception as exc:  # a customer's failure must never stop the batch
        run.error, run.traceback = f"{type(exc).__name__}: {exc}", traceback.format_exc()
    if kernel is not None:
        run.timings["kernel_peak_mb"] = kernel.peak_rss_mb
    run.timings["worker_peak_mb"] = peak_rss_mb()
    if run.status != "ok":
        write_json(staging / "summary.json", {"customer_id": customer_id, "name": name, "as_of": as_of,
                                              "status": "failed", "lang": lang, "error": run.error, "notebook": run.notebook,
                                              "cell": run.cell, "inputs_sha256": inputs_sha256,
                                              "code_sha256": code_sha256})
    run.seconds = round(time.perf_counter() - start, 3)
    if run.kernel_failed and not last:  # tried again from the start; this attempt leaves nothing behind
        shutil.rmtree(staging, ignore_errors=True)
    else:
        _swap_into_place(staging, target)
    return run


def _logical_paths(out: Path, snapshot: str, extra: dict[str, str]) -> dict[str, str]:
    """Machine path → logical name, for the executed notebooks a report attaches (see
    :func:`helpers.report.evidence.normalize_notebook`)."""
    return {str(out): "<out>", snapshot: "<snapshot>", str(PROJECT_ROOT): "<riskbook>", **extra}


def _remove_dead_staging(out: Path) -> None:
    """Remove what a killed batch left: staging folders (``.<id>.staging-<pid>-<ns>``, ``.model.staging-…``)
    and replaced folders (``.<id>.old-<pid>-<ns>``) of processes that no longer run. They are hidden, never
    a report; a folder of a process still running (another batch on the same folder) is left alone."""
    for folder in out.glob(".*"):
        m = re.match(r"^\..+\.(?:staging|old)-(\d+)-\d+$", folder.name)
        if m is None or not folder.is_dir():
            continue
        pid = int(m.group(1))
        try:
            os.kill(pid, 0)
            alive = pid != os.getpid() or ".old-" in folder.name
        except ProcessLookupError:
            alive = False
        except PermissionError:  # someone else's process
            alive = True
        if not alive:
            shutil.rmtree(folder, ignore_errors=True)


def _check_writable(out: Path) -> None:
    """Make ``out`` and prove a file can be written there, before any work: a read-only folder or a full disk
    is reported at once, naming the folder, not after the portfolio-wide work as a traceback."""
    probe = None
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test-", dir=out)
        with os.fdopen(fd, "wb") as fh:
            fh.write(b"\0" * 65536)  # a little room, so a full disk shows here and not halfway through
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise RiskbookError(f"cannot write the reports to {out}: {exc.strerror or exc}"
                            + (" (the file system is read-only)" if exc.errno == errno.EROFS else
                               " (the disk is full)" if exc.errno == errno.ENOSPC else "")) from None
    finally:
        if probe:
            Path(probe).unlink(missing_ok=True)


def _quarantined(cid: str, entry: dict, *, out: Path, as_of: str, lang: str, inputs_sha256: str,
                 code_sha256: str) -> CustomerRun:
    """The failed run of a customer set aside for its input problems: ``<out>/<id>/summary.json`` lists them
    (swapped into place like a report), and no notebook runs."""
    problems = [p.to_dict() for p in entry["problems"]]
    errors = [p for p in problems if p["severity"] == "error"]
    first = str(next(p for p in entry["problems"] if p.severity == "error"))
    first = first if len(first) <= 300 else first[:299] + "…"  # a 10,000-character id stays in summary.json
    error = messages(lang)("batch.quarantined", n=len(errors), first=first)
    target = out / safe_name(cid)
    run = CustomerRun(cid, entry["name"], "failed", error=error, inputs_sha256=inputs_sha256, folder=str(target),
                      problems=problems)
    staging = out / f".{target.name}.staging-{os.getpid()}-{time.time_ns()}"
    staging.mkdir(parents=True)
    write_json(staging / "summary.json", {"customer_id": cid, "name": entry["name"], "as_of": as_of,
                                          "status": "failed", "lang": lang, "error": error, "notebook": None,
                                          "cell": None, "quarantined": True, "problems": problems,
                                          "inputs_sha256": inputs_sha256, "code_sha256": code_sha256})
    _swap_into_place(staging, target)
    return run


def _remove_orphan_staging(out: Path, ids: list[str]) -> None:
    """Remove the staging folders a killed worker left for these customers (all of them have finished)."""
    for cid in ids:
        for folder in out.glob(f".{safe_name(cid)}.staging-*"):
            shutil.rmtree(folder, ignore_errors=True)


def _finished_in_shutdown(target: Path, cid: str, name: str, digest: str, started: float) -> CustomerRun | None:
    """The run of a customer whose report a worker finished after the batch stopped reading results (an
    interrupted batch waits for the customers in flight): ``ok`` when ``target`` holds a report from
    ``digest`` written since ``started`` (a wall-clock time), so the manifest lists every report it left.
    A report from an earlier batch (``--force``) is not counted as this batch's."""
    pdf_hash = _up_to_date(target, digest)
    if not pdf_hash or (target / "summary.json").stat().st_mtime < started:
        return None
    return CustomerRun(cid, name, "ok", inputs_sha256=digest, pdf_sha256=pdf_hash, folder=str(target))


def _up_to_date(target: Path, digest: str) -> str | None:
    """Return the PDF's SHA-256 when ``target`` holds a finished report built from ``digest``."""
    summary, pdf = target / "summary.json", target / "report.pdf"
    if not (summary.is_file() and pdf.is_file()):
        return None
    try:
        s = read_json(summary)
    except ValueError:
        return None
    if s.get("status") != "ok" or s.get("inputs_sha256") != digest:
        return None
    return file_sha256(pdf)


@dataclass
class ModelRun:
    """What happened to the model step of a batch (the manifest's ``model`` entry)."""

    status: str = "failed"          # ok / failed / skipped (up to date) / given (--model)
    artifact: str = ""
    model_version: str = ""
    checksum: str = ""
    validation_pdf: str | None = None
    inputs_sha256: str = ""
    error: str | None = None
    notebook: str | None = None
    cell: int | None = None
    seconds: float = 0.0


def _model_digest(portfolio, lang: str) -> str:
    """What the model step and its validation report depend on: the outcome history, the policy, the model code,
    the report language, the analysis date (the artifact is dated by it) and the current customers'
    characteristics (the report's stability section compares them with the development sample)."""
    current = portfolio_characteristics(portfolio).to_csv().encode()
    parts = [portfolio.input_hashes.get("outcomes", ""), portfolio.policy.sha256, code_digest((MODEL_NOTEBOOK,)), lang,
             f"{portfolio.as_of:%Y-%m-%d}", hashlib.sha256(current).hexdigest()]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def run_model(portfolio, out: Path, *, snapshot: str, as_of: str, lang: str = "en", force: bool = False) -> ModelRun:
    """Fit and validate the scorecard once for the batch: ``<out>/model/scorecard.json`` and
    ``<out>/model_validation.pdf``; skipped when the history, policy and code are unchanged."""
    target = out / "model"
    digest = _model_digest(portfolio, lang)
    run = ModelRun(inputs_sha256=digest, artifact=str(target / "scorecard.json"))
    start = time.perf_counter()
    marker = target / "model_run.json"
    if not force and marker.is_file() and (target / "scorecard.json").is_file():
        try:
            done = read_json(marker)
            if done.get("inputs_sha256") == digest and done.get("status") == "ok":
                sc = load_scorecard(target / "scorecard.json")
                run.status, run.model_version = "skipped", sc.model_version_
                run.checksum = read_json(target / "scorecard.json")["checksum"]
                pdf = out / "model_validation.pdf"
                run.validation_pdf = str(pdf) if pdf.is_file() else None
                return run
        except Exception:  # an unreadable or untrusted artifact is simply rebuilt
            pass
    staging = out / f".model.staging-{os.getpid()}-{time.time_ns()}"
    (staging / "notebooks").mkdir(parents=True)
    pdf_staging = staging / "model_validation.pdf"
    notebook = staging / "notebooks" / f"{MODEL_NOTEBOOK}.ipynb"
    try:
        execute_notebook(MODEL_NOTEBOOK, notebook,
                         {"data": snapshot, "output_dir": str(staging), "as_of": as_of, "validation_pdf": "",
                          "lang": lang},
                         timeout=portfolio.policy.batch.notebook_timeout_seconds)
        sc = load_scorecard(staging / "scorecard.json")
        run.model_version = sc.model_version_
        run.checksum = read_json(staging / "scorecard.json")["checksum"]
        normalize_notebook(notebook, _logical_paths(out, snapshot, {str(staging): "<out>/model"}))
        files, facts = model_evidence(portfolio, staging)
        manifest = model_manifest(portfolio, files, facts, model_version=run.model_version, checksum=run.checksum,
                                  lang=lang, code_sha256=code_digest((MODEL_NOTEBOOK,)))
        render_validation(staging, pdf_staging, lang=lang, evidence=files, manifest=manifest,
                          author=portfolio.policy.company)
        run.status = "ok"  # only with its validation report: a model without one is rebuilt next time
    except NotebookError as exc:
        run.error, run.notebook, run.cell = str(exc), exc.notebook, exc.cell
    except Exception as exc:
        run.error = f"{type(exc).__name__}: {exc}"
    run.seconds = round(time.perf_counter() - start, 3)
    write_json(staging / "model_run.json", asdict(run))
    pdf = None
    if pdf_staging.is_file():
        pdf = out / "model_validation.pdf"
        pdf_staging.replace(pdf)
    _swap_into_place(staging, target)
    run.validation_pdf = str(pdf) if pdf else None
    return run


@contextmanager
def _batch_log(out: Path):
    """Append this batch's events to ``<out>/batch.log`` while it runs (records of this thread only, so two
    batches in one process keep their own logs)."""
    handler = logging.FileHandler(out / LOG_NAME, mode="a", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(message)s"))
    thread = threading.get_ident()
    handler.addFilter(lambda record: record.thread == thread)
    _log.addHandler(handler)
    try:
        yield
    except BaseException as exc:
        _log.error("batch stopped: %s: %s", type(exc).__name__, exc,
                   exc_info=not isinstance(exc, (KeyboardInterrupt, RiskbookError, KeyError)))
        raise
    finally:
        _log.removeHandler(handler)
        handler.close()


def _log_run(run: CustomerRun) -> None:
    """One line for a customer's outcome (a failure with its traceback)."""
    timings = ", ".join(f"{k} {v}" for k, v in run.timings.items())
    if run.status == "ok":
        _log.info("%s ok in %.1f s (%s)", run.customer_id, run.seconds, timings)
    elif run.status == "skipped":
        _log.info("%s skipped: inputs, code and model unchanged since its report", run.customer_id)
    elif run.problems:
        _log.warning("%s set aside, no notebook run: %s\n%s", run.customer_id, run.error,
                     "\n".join(f"  {p.get('table')} row {p.get('row')} {p.get('column')}: {p.get('message')}"
                               for p in run.problems if p.get("severity") == "error"))
    else:
        where = f" in {run.notebook}" + (f", cell {run.cell}" if run.cell is not None else "") if run.notebook else ""
        _log.error("%s failed%s after %.1f s: %s%s", run.customer_id, where, run.seconds, run.error,
                   f"\n{run.traceback.rstrip()}" if run.traceback else "")


@dataclass
class BatchResult:
    """The outcome of :func:`run_batch`: one run per requested customer and the manifest path."""

    runs: list[CustomerRun]
    manifest: Path
    seconds: float
    model: ModelRun | None = None

    @property
    def failed(self) -> list[CustomerRun]:
        """Runs that failed."""
        return [r for r in self.runs if r.status == "failed"]


def _executor_name(workers: int | None, customers: int, recycle_after: int | None, scheduler=None) -> str:
    """The executor a batch runs on when none is named: ``dask`` with a scheduler; ``serial`` (in this process)
    for one customer, or for one worker with no more customers than a worker may run (``recycle_after``,
    the policy's ``batch.worker_max_customers``; None: no limit); else ``processes``, whose workers are
    replaced after their share, so a long batch on one worker does not keep every report's memory."""
    if scheduler is not None:
        return "dask"
    if customers <= 1 or (workers == 1 and (recycle_after is None or customers <= recycle_after)):
        return "serial"
    return "processes"


def run_batch(portfolio, out: str | Path, *, customers: list[str] | None = None, workers: int | None = None,
              force: bool = False, progress: bool = True, command: str = "", model: str | Path | None = None,
              lang: str | None = None, executor: str | None = None, scheduler=None, engine: str = "warm",
              timeout: float | None = None, order_log: str | None = None) -> BatchResult:
    """Run the pipeline for many customers and write ``<out>/manifest.json``.

    Parameters
    ----------
    portfolio : helpers.inputs.Portfolio
        Validated input (loaded once for the whole batch).
    out : str or Path
        Output folder; nothing is written outside it.
    customers : list of str, optional
        Customer ids to run; all customers by default. Unknown ids raise ``KeyError`` before
        anything runs.
    workers : int, optional
        Parallel worker processes (default: number of cores).
    force : bool
        Re-run customers whose inputs and code are unchanged (skipped otherwise).
    progress : bool
        Show a progress bar on stderr.
    command : str
        The command line, recorded in the manifest and in each report for reproduction.
    model : str or Path, optional
        An approved scorecard artifact to score with. Without it, the batch fits and validates
        one on the data's outcome history first (:func:`run_model`).
    lang : {"en", "zh"}, optional
        The language of the reports (default: the policy's ``language``, else English). Every text of
        the policy must exist in it.
    executor : str, optional
        Where the customers run (:mod:`helpers.pipeline.executors`): ``processes`` (default),
        ``serial``, ``dask`` (default when ``scheduler`` is given), or a registered name.
    scheduler : str or distributed.Client, optional
        The Dask scheduler address (``tcp://HOST:PORT``) or a connected client; ``out`` and the data
        must be on a file system its workers share.
    engine : {"warm", "fresh"}
        Reused kernels, reset between notebooks (default), or a fresh kernel per notebook.
    timeout : float, optional
        Seconds one notebook cell may run before its customer fails (default: the policy's
        ``batch.notebook_timeout_seconds``).
    order_log : str, optional
        The order-check decision log (SQLAlchemy URL) whose recent holds, releases and overrides the
        reports show (default: ``<out>/decisions.sqlite`` when it exists; none otherwise). Each customer's
        entries of the policy's ``order_check.recent_days`` up to the as-of date are extracted once,
        attached to its report as evidence and part of its up-to-date digest.

    Raises
    ------
    PolicyError
        When the policy lacks texts in ``lang`` (each missing one is listed).
    """
    lang = check_language(lang or portfolio.policy.language)
    missing = portfolio.policy.untranslated(lang)
    if missing:
        raise PolicyError(f"the policy has no {lang} text for: {', '.join(missing)}; add them "
                          f"(as {{en: ..., {lang}: ...}}) or run the batch in another language")
    start, started = time.perf_counter(), time.time()
    out = Path(out).resolve()
    _check_writable(out)
    with _batch_log(out):
        aside = portfolio.quarantine
        ids = list(customers) if customers else portfolio.customer_ids + list(aside)
        unknown = [c for c in ids if c not in set(portfolio.customer_ids) and c not in aside]
        if unknown:
            raise KeyError(f"unknown customer id(s): {', '.join(unknown)}")
        ids = list(dict.fromkeys(ids))
        _remove_dead_staging(out)
        code = code_digest()
        as_of = f"{portfolio.as_of:%Y-%m-%d}"
        _log.info("batch started: riskbook %s (code %s), data %s, as of %s, lang %s, %d customer(s) (%d set aside); "
                  "command: %s", riskbook_version(), code[:12], portfolio.label or portfolio.source, as_of, lang,
                  len(ids), len(aside), command or "(library call)")
        analyse_portfolio(portfolio)  # portfolio-wide ratios, peers, distress scores: once, kept in the snapshot
        portfolio_characteristics(portfolio)  # and the scoring characteristics and the ECL provision matrix
        matrix = portfolio_matrix(portfolio)
        write_json(out / "provision_matrix.json",
                   {"as_of": as_of, "base_currency": portfolio.policy.base_currency,
                    "settings": portfolio.policy.monitoring.ecl.model_dump(),
                    "ledger_open": ledger_open_balance(portfolio), "ledger_ecl": ledger_ecl(portfolio), "matrix": matrix})
        snapshot = portfolio.save(out / ".cache" / f"{hashlib.sha256(str(portfolio.source).encode()).hexdigest()[:12]}"
                                  f"-{as_of}.portfolio.pkl")
        if model is not None:
            artifact = Path(model).resolve()
            sc = load_scorecard(artifact)  # refuses an artifact it cannot trust, before anything runs
            model_run = ModelRun(status="given", artifact=str(artifact), model_version=sc.model_version_,
                                 checksum=read_json(artifact)["checksum"])
        else:
            model_run = run_model(portfolio, out, snapshot=str(snapshot), as_of=as_of, lang=lang, force=force)
        (_log.info if model_run.status in ("ok", "skipped", "given") else _log.error)(
            "model %s: %s in %.1f s%s", model_run.model_version or "(none)", model_run.status, model_run.seconds,
            f": {model_run.error}" if model_run.error else "")
        names = dict(zip(portfolio.customers["customer_id"], portfolio.customers["name"]))
        names.update({cid: entry["name"] for cid, entry in aside.items()})
        extracts = _order_log_extracts(order_log, out, portfolio, [c for c in ids if c not in aside])
        runs: dict[str, CustomerRun] = {}
        todo = []
        for cid in ids:
            if cid in aside:
                runs[cid] = _quarantined(cid, aside[cid], out=out, as_of=as_of, lang=lang, code_sha256=code,
                                         inputs_sha256=hashlib.sha256(repr(aside[cid]["problems"]).encode()).hexdigest())
                _log_run(runs[cid])
                continue
            log_sha = file_sha256(extracts[cid]) if cid in extracts else ""
            digest = hashlib.sha256((portfolio.customer_digest(cid) + code + model_run.checksum + lang + log_sha)
                                    .encode()).hexdigest()
            pdf_hash = None if force else _up_to_date(out / safe_name(cid), digest)
            if pdf_hash:
                runs[cid] = CustomerRun(cid, names[cid], "skipped", inputs_sha256=digest, pdf_sha256=pdf_hash,
                                        folder=str(out / safe_name(cid)))
                _log_run(runs[cid])
            else:
                todo.append((cid, digest))
        timeout = timeout or portfolio.policy.batch.notebook_timeout_seconds
        kwargs = {"snapshot": str(snapshot), "out": str(out), "as_of": as_of, "lang": lang, "command": command,
                  "code_sha256": code, "model": model_run.artifact, "engine": engine, "timeout": timeout}
        jobs = [(cid, {**kwargs, "name": names[cid], "inputs_sha256": digest,
                       "order_log": str(extracts[cid]) if cid in extracts else None}) for cid, digest in todo]
        recycle = portfolio.policy.batch.worker_max_customers
        name = executor or _executor_name(workers, len(todo), recycle, scheduler)
        options = {"workers": workers, "engine": engine, "recycle_after": recycle}
        if name == "dask":
            options.update(scheduler=None if not isinstance(scheduler, str) else scheduler,
                           client=None if isinstance(scheduler, str) else scheduler)
        bar = tqdm(total=len(ids), initial=len(ids) - len(todo), disable=not progress, unit="customer",
                   desc="riskbook batch", file=sys.stderr)
        pool = make_executor(name, **options) if todo else None
        execution = {"executor": name, "engine": engine, "workers": pool.workers if pool else 0,
                     "timeout_seconds": timeout, "worker_max_customers": getattr(pool, "recycle_after", None)}
        _log.info("running %d customer(s) on %s (%d worker(s), %s kernels, cell timeout %s s)", len(todo), name,
                  execution["workers"], engine, timeout)
        journal = Journal(out, lambda: [runs.get(cid) or CustomerRun(cid, names[cid], "pending") for cid in ids],
                          lambda status: dict(portfolio=portfolio, code=code, command=command, model=model_run,
                                              lang=lang, execution=execution, status=status,
                                              seconds=time.perf_counter() - start))
        status = "interrupted"
        try:
            journal.begin(list(runs.values()))
            for cid, result in (pool.run(run_customer, jobs) if pool else ()):
                if isinstance(result, CustomerRun):
                    runs[cid] = result
                else:  # the worker, not the customer, failed: record it, keep going
                    runs[cid] = CustomerRun(cid, names[cid], error=f"worker failed: {type(result).__name__}: {result}",
                                            inputs_sha256=dict(todo)[cid],
                                            traceback="".join(traceback.format_exception(result)))
                journal.record(runs[cid])
                _log_run(runs[cid])
                bar.update()
            status = "complete"
        finally:
            bar.close()
            if pool is not None:
                pool.close()  # waits for the customers in flight: an interrupted batch lets them finish
            for cid, digest in todo:
                if cid not in runs and (run := _finished_in_shutdown(out / safe_name(cid), cid, names[cid], digest,
                                                                      started)):
                    runs[cid] = run
                    journal.record(run)
                    _log_run(run)
            _remove_orphan_staging(out, [cid for cid, _ in todo])
            ordered = [runs.get(cid) or CustomerRun(cid, names[cid], error="not run: batch interrupted") for cid in ids]
            seconds = time.perf_counter() - start
            manifest = write_manifest(out, portfolio, ordered, code, command, seconds, model_run, lang=lang,
                                      execution=execution, status=status)
            journal.close()
            counts = {k: sum(r.status == k for r in ordered) for k in ("ok", "skipped", "failed")}
            (_log.info if status == "complete" else _log.warning)(
                "batch %s: %d ok, %d skipped, %d failed of %d in %.1f s; manifest %s", status, counts["ok"],
                counts["skipped"], counts["failed"], len(ordered), seconds, manifest)
        _write_portfolio(out, portfolio, lang, manifest)
        return BatchResult(ordered, manifest, seconds, model_run)


def _order_log_extracts(url: str | None, out: Path, portfolio, ids: list[str]) -> dict[str, Path]:
    """Write each customer's entries of the decision log in the report's window to
    ``<out>/.cache/order_log-<as_of>/<id>.json``; {} when there is no log. The window is the policy's
    ``order_check.recent_days`` order days up to and including the as-of date."""
    if url is None:
        default = out / "decisions.sqlite"
        if not default.is_file():
            return {}
        url = default_log_url(out)
    as_of = portfolio.as_of.date()
    days = portfolio.policy.order_check.recent_days
    since = as_of - dt.timedelta(days=days - 1)
    log = DecisionLog(url)
    try:  # by the business day of the order or decision, not the clock of the entry
        entries = log.entries(days=(since.isoformat(), as_of.isoformat()))
    finally:
        log.dispose()
    by_customer: dict[str, list] = {}
    for e in entries:
        by_customer.setdefault(e["customer_id"], []).append(e)
    folder = out / ".cache" / f"order_log-{as_of:%Y-%m-%d}"
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for cid in ids:
        paths[cid] = folder / f"{safe_name(cid)}.json"
        write_json(paths[cid], {"customer_id": cid, "source": source_label(url, cwd=out),
                                "since": since.isoformat(), "until": as_of.isoformat(), "days": days,
                                "entries": by_customer.get(cid, [])})
    return paths


def _write_portfolio(out: Path, portfolio, lang: str, manifest: Path) -> dict:
    """Write the portfolio pack (``portfolio.json``/``.xlsx``/``.pdf``) from every summary in ``out`` and
    record it in the manifest under ``portfolio`` (status, files with their SHA-256, error). A failure is
    recorded and reported on stderr, never raised: the manifest and the customers' reports stand."""
    entry = {"status": "failed", "files": {}, "error": None}
    try:
        paths = write_portfolio_pack(out, lang=lang, base_currency=portfolio.policy.base_currency,
                                     policy_company=portfolio.policy.company, policy=portfolio.policy,
                                     policy_bytes=portfolio.policy_bytes)
        entry.update(status="ok", files={k: {"path": p.name, "sha256": file_sha256(p)} for k, p in paths.items()})
    except Exception as exc:  # the pack is a summary of the batch; its failure must not lose the batch
        entry["error"] = f"{type(exc).__name__}: {exc}"
        print(f"riskbook: the portfolio pack was not written: {entry['error']}", file=sys.stderr)
    try:
        data = read_json(manifest)
        data["portfolio"] = entry
        write_json(manifest, data)
    except Exception as exc:  # the manifest as first written stands
        print(f"riskbook: could not record the portfolio pack in {manifest}: {exc}", file=sys.stderr)
    return entry


