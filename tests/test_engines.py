"""Warm kernels: what reusing one kernel for many notebooks costs in isolation, and how failures are told apart.

The headline: a customer run on a warm kernel after another customer and after a customer whose notebooks
pollute the kernel and fail gives byte for byte the results, charts, summary and PDF of the same customer
run on fresh kernels, with the same cell outputs and execution counts.

The helper notebooks are in ``tests/data/notebooks/`` (``pollute``, ``check_state``, ``sleep``, ``die``,
``die_once``, ``hello``), stored as ``<name>.ipynb.json``.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path

import psutil
import pytest

from helpers.exceptions import KernelError, NotebookError
from helpers.pipeline import batch as batch_module
from helpers.pipeline.batch import run_customer
from helpers.pipeline.engines import KernelPool, WarmKernel, execute_notebook, kernel_pool

AS_OF = "2026-09-30"
#: The helper notebooks, stored as ``<name>.ipynb.json`` so that ``make test`` (pytest with nbval's
#: ``--nbval-lax`` over ``tests/``) does not collect and run them; the ``nb`` fixture copies them as ``.ipynb``.
NOTEBOOKS = Path(__file__).parent / "data" / "notebooks"
EPOCH = "1790000000"  # SOURCE_DATE_EPOCH: the "generated" time every PDF of this module shows


# --------------------------------------------------------------------------- fixtures and helpers


def _shared_inputs(tmp_path_factory) -> dict:
    """A batch's inputs, built once per test session: the validated snapshot of the sample portfolio
    (with the portfolio-wide results the batch computes before the customers) and a scorecard artifact."""
    root = tmp_path_factory.getbasetemp() / "riskbook-shared-inputs"
    snapshot = root / ".cache" / f"sample-{AS_OF}.portfolio.pkl"
    model = root / "model" / "scorecard.json"
    if not (snapshot.is_file() and model.is_file()):
        from helpers import load_portfolio
        from helpers.analysis.characteristics import portfolio_characteristics
        from helpers.analysis.ecl import portfolio_matrix
        from helpers.analysis.financial import analyse_portfolio
        from helpers.scoring.development import develop_scorecard

        portfolio = load_portfolio(as_of=AS_OF)
        analyse_portfolio(portfolio)
        portfolio_characteristics(portfolio)
        portfolio_matrix(portfolio)
        model.parent.mkdir(parents=True, exist_ok=True)
        develop_scorecard(portfolio)[0].to_json(model)
        portfolio.save(snapshot)
    return {"snapshot": str(snapshot), "model": str(model)}


@pytest.fixture(scope="module")
def nb(tmp_path_factory) -> Path:
    """A folder with the helper notebooks as ``<name>.ipynb``."""
    folder = tmp_path_factory.mktemp("notebooks")
    for src in NOTEBOOKS.glob("*.ipynb.json"):
        shutil.copyfile(src, folder / src.name.removesuffix(".json"))
    return folder


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return _shared_inputs(tmp_path_factory)


@pytest.fixture(scope="module")
def warm():
    """One warm kernel for the low-level tests of this module (shut down by the last test, or here)."""
    k = WarmKernel()
    k.start()
    yield k
    k.shutdown()


def _customer(cid, out, inputs, **kwargs):
    return run_customer(cid, snapshot=inputs["snapshot"], out=str(out), as_of=AS_OF, model=inputs["model"],
                        name=cid, **kwargs)


def _kernel_children() -> dict[int, psutil.Process]:
    """This process's live (not zombie) ipykernel child processes, by pid."""
    kids = {}
    for p in psutil.Process().children(recursive=True):
        try:
            if p.status() != psutil.STATUS_ZOMBIE and "ipykernel_launcher" in " ".join(p.cmdline()):
                kids[p.pid] = p
        except psutil.NoSuchProcess:
            pass
    return kids




def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _executed(path: Path) -> list[dict]:
    """The code cells of an executed notebook as ``{execution_count, outputs}``: cell metadata (Papermill's
    per-cell timings) and the notebook's metadata are dropped, and the run's own output folder (a staging
    folder named after the process and the clock) is written as ``<output_dir>``."""
    nb = json.loads(path.read_text())
    output_dir = nb["metadata"]["papermill"]["parameters"].get("output_dir")
    text = json.dumps([{"execution_count": c["execution_count"], "outputs": c["outputs"]}
                       for c in nb["cells"] if c["cell_type"] == "code"])
    if output_dir:
        text = text.replace(output_dir, "<output_dir>")
    return json.loads(text)


def _text(outputs: list[dict]) -> str:
    """The text of a cell's stream outputs (stdout and stderr)."""
    parts = [o["text"] for o in outputs if o.get("output_type") == "stream"]
    return "".join("".join(p) if isinstance(p, list) else p for p in parts)


def _fixed_seconds(monkeypatch):
    """The PDF's provenance table shows each notebook's wall-clock seconds (``provenance.notebooks[].seconds``,
    one decimal), which can never match between two runs; fix them so the rest of the PDF can be compared
    byte for byte. Everything else runs as in a batch."""
    real = batch_module.execute_notebook

    def execute(*args, **kwargs):
        real(*args, **kwargs)
        return 1.0

    monkeypatch.setattr(batch_module, "execute_notebook", execute)


# --------------------------------------------------------------------------- 1. the headline


def test_warm_kernel_after_a_customer_and_a_polluting_failure_gives_the_fresh_kernel_report(
        inputs, nb, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)  # the render runs here, in the test process
    _fixed_seconds(monkeypatch)
    warm_out, fresh_out = tmp_path / "warm", tmp_path / "fresh"

    a = _customer("CASE1", warm_out, inputs, engine="warm")
    assert a.status == "ok", a.error
    [kernel] = [k for k in kernel_pool().kernels if k.alive()]
    pid, starts, notebooks = kernel.pid, kernel.starts, kernel.notebooks
    # a customer whose first notebook leaves every kind of state behind and whose next notebook fails
    # half-way (an unknown customer: financial_analysis has set its float format and imported, then raises)
    bad = _customer("NO_SUCH_CUSTOMER", warm_out, inputs, engine="warm",
                    pipeline=(nb / "pollute.ipynb", "financial_analysis"))
    assert bad.status == "failed" and bad.notebook == "financial_analysis.ipynb" and bad.cell is not None
    assert not bad.kernel_failed and bad.timings["attempts"] == 1
    b_warm = _customer("CASE2", warm_out, inputs, engine="warm")
    assert b_warm.status == "ok", b_warm.error
    # all three on the very same kernel process, never replaced
    assert (kernel.pid, kernel.starts, kernel.notebooks) == (pid, starts, notebooks + 2 + 4)
    assert b_warm.timings["kernel_peak_mb"] and b_warm.timings["attempts"] == 1

    b_fresh = _customer("CASE2", fresh_out, inputs, engine="fresh")
    assert b_fresh.status == "ok", b_fresh.error
    assert "kernel_peak_mb" not in b_fresh.timings

    w, f = warm_out / "CASE2", fresh_out / "CASE2"
    results = sorted(p.name for p in (w / "results").iterdir())
    assert results == sorted(p.name for p in (f / "results").iterdir())
    assert {n for n in results if n.endswith(".svg")} and {n for n in results if n.endswith(".json")}
    for name in results:
        assert (w / "results" / name).read_bytes() == (f / "results" / name).read_bytes(), name
    assert (w / "summary.json").read_bytes() == (f / "summary.json").read_bytes()
    assert _sha(w / "report.pdf") == _sha(f / "report.pdf") == b_warm.pdf_sha256 == b_fresh.pdf_sha256
    notebooks = sorted(p.name for p in (w / "notebooks").iterdir())
    assert len(notebooks) == 4 and notebooks == sorted(p.name for p in (f / "notebooks").iterdir())
    for name in notebooks:
        warm_cells, fresh_cells = _executed(w / "notebooks" / name), _executed(f / "notebooks" / name)
        counts = [c["execution_count"] for c in warm_cells]
        assert counts == list(range(1, len(counts) + 1)), name  # numbered from 1, as in a fresh kernel
        for i, (wc, fc) in enumerate(zip(warm_cells, fresh_cells, strict=True)):
            assert wc == fc, f"{name}, code cell {i}"


# --------------------------------------------------------------------------- 2. what a reset puts back


def _state(folder: Path) -> dict:
    return json.loads((folder / "state.json").read_text())


def test_reset_undoes_every_kind_of_pollution(nb, warm, tmp_path):
    import numpy as np
    import random

    polluted = execute_notebook(nb / "pollute.ipynb", tmp_path / "pollute.ipynb",
                                {"output_dir": str(tmp_path / "p"), "customer_id": "X"}, kernel=warm)
    assert polluted > 0
    leak = json.loads((tmp_path / "p" / "pollution.json").read_text())
    assert leak["cwd"] == "/" and leak["figures"] == [1]  # the pollution happened (a figure left open too)
    execute_notebook(nb / "check_state.ipynb", tmp_path / "warm.ipynb", {"output_dir": str(tmp_path / "w")},
                     kernel=warm)
    # the reference: the same notebook on a fresh kernel that has imported what a warm kernel imports at start
    # (isolation.WARM_IMPORTS): a bare fresh kernel lacks the warnings filters that importing statsmodels.api
    # and requests add (statsmodels: "always" for ConvergenceWarning, ModelWarning, ...), which a warm kernel has
    execute_notebook(nb / "check_state.ipynb", tmp_path / "fresh.ipynb",
                     {"output_dir": str(tmp_path / "f"), "warm_imports": True})
    w, f = _state(tmp_path / "w"), _state(tmp_path / "f")

    from helpers.config import NOTEBOOKS_DIR

    assert w["float_format"] == f["float_format"] == "None"
    assert w["max_rows"] == f["max_rows"] == 60
    assert w["linewidth"] == f["linewidth"] != 9
    assert w["svg_fonttype"] == f["svg_fonttype"] != "none"
    assert w["error_filters"] == f["error_filters"] and not w["warn_raised"]
    assert w["filters"] == f["filters"]
    assert w["cwd"] == f["cwd"] == str(NOTEBOOKS_DIR)
    assert w["leak_env"] is f["leak_env"] is None and w["home"] == f["home"] is not None
    assert not w["leak_global"] and not f["leak_global"] and not w["display_is_print"]
    assert w["figures"] == f["figures"] == [] and w["interactive"] == f["interactive"]
    assert w["execution_count"] == f["execution_count"] and w["history"] == f["history"]
    # the random states are back to the kernel's start (not the seeded ones): the next draws differ from
    # what the polluter's generators would have given next
    seeded_np = np.random.RandomState(1)
    seeded_np.rand(3)
    seeded_py = random.Random(1)
    [seeded_py.random() for _ in range(3)]
    assert w["np_draw"] != seeded_np.rand() and w["py_draw"] != seeded_py.random()
    assert leak["np_draws"] == np.random.RandomState(1).rand(3).tolist()
    # same cell outputs and numbering (from 1) as on the fresh kernel, the probe warning shown again included
    warm_cells, fresh_cells = _executed(tmp_path / "warm.ipynb"), _executed(tmp_path / "fresh.ipynb")
    assert [c["execution_count"] for c in warm_cells] == list(range(1, len(warm_cells) + 1))
    # code cells: parameters, injected parameters, warm imports, imports, probe warning, frame, state, write
    assert "riskbook probe warning" in _text(warm_cells[4]["outputs"])  # shown again, as in a fresh kernel
    frame = json.dumps(warm_cells[5]["outputs"])
    assert "<<" not in frame and "1.23456" in frame and "5.0" in frame  # default float format, all rows
    for i, (wc, fc) in enumerate(zip(warm_cells, fresh_cells, strict=True)):
        if i != 6:  # the state cell prints the (random) draws, compared above
            assert wc == fc, f"code cell {i}"


# --------------------------------------------------------------------------- 3. timeouts


def test_a_cell_past_the_timeout_fails_the_notebook_and_replaces_the_warm_kernel(nb, warm, tmp_path,
                                                                               process_gone):
    if not warm.alive():
        warm.start()
    pid, starts = warm.pid, warm.starts
    t0 = time.monotonic()
    with pytest.raises(NotebookError) as caught:
        execute_notebook(nb / "sleep.ipynb", tmp_path / "sleep.ipynb", {}, kernel=warm, timeout=3)
    elapsed = time.monotonic() - t0
    assert caught.value.ename == "Timeout" and caught.value.notebook == "sleep.ipynb"
    assert "3 s" in caught.value.evalue
    # the error comes after the 3 s and after the replacement kernel has started (synchronously, several
    # seconds on a slow machine), far before the 60 s sleep would end
    assert 3 <= elapsed < 40
    assert warm.starts == starts + 1 and warm.pid not in (None, pid) and warm.alive()
    assert process_gone(pid), "the kernel that was still running the cell was not stopped"
    execute_notebook(nb / "hello.ipynb", tmp_path / "hello.ipynb", {}, kernel=warm)
    assert f"hello from {warm.pid}" in _text(_executed(tmp_path / "hello.ipynb")[-1]["outputs"])


def test_a_cell_past_the_timeout_fails_the_notebook_on_a_fresh_kernel(nb, tmp_path):
    before = set(_kernel_children())
    t0 = time.monotonic()
    with pytest.raises(NotebookError) as caught:
        execute_notebook(nb / "sleep.ipynb", tmp_path / "sleep.ipynb", {}, timeout=3)
    assert caught.value.ename == "Timeout" and time.monotonic() - t0 < 30
    assert set(_kernel_children()) <= before  # the fresh kernel went with its notebook


# --------------------------------------------------------------------------- 4. kernel death


def test_a_dying_kernel_is_a_kernel_error_and_is_replaced(nb, warm, tmp_path, process_gone):
    if not warm.alive():
        warm.start()
    pid, starts = warm.pid, warm.starts
    with pytest.raises(KernelError, match="die.ipynb"):
        execute_notebook(nb / "die.ipynb", tmp_path / "die.ipynb", {}, kernel=warm)
    assert warm.starts == starts + 1 and warm.pid not in (None, pid) and warm.alive()
    assert process_gone(pid)
    execute_notebook(nb / "hello.ipynb", tmp_path / "hello.ipynb", {}, kernel=warm)
    assert f"hello from {warm.pid}" in _text(_executed(tmp_path / "hello.ipynb")[-1]["outputs"])


@pytest.fixture(scope="module")
def always_dies(nb, inputs, tmp_path_factory):
    """A customer whose notebook kills its kernel every time (run once for the tests below)."""
    out = tmp_path_factory.mktemp("always-dies")
    return _customer("CASE1", out, inputs, engine="warm", pipeline=(nb / "die.ipynb",)), out


def test_a_customer_whose_kernel_dies_is_run_again_and_one_that_always_kills_it_fails(nb, inputs, always_dies):
    always, out = always_dies
    assert always.status == "failed" and always.kernel_failed and always.timings["attempts"] == 2
    assert "die.ipynb" in always.error and "kernel" in always.error
    assert always.pdf_sha256 is None and not (out / "CASE1" / "report.pdf").exists()
    # the batch goes on: the next customer runs on the (replaced) kernel; this one's kernel dies after its
    # first notebook has run, the first time only, and the second attempt starts the customer from scratch
    [kernel] = [k for k in kernel_pool().kernels if k.alive()]
    starts = kernel.starts
    once = _customer("CASE2", out, inputs, engine="warm", pipeline=("financial_analysis", nb / "die_once.ipynb"))
    assert once.status == "ok", once.error
    assert once.timings["attempts"] == 2 and not once.kernel_failed and kernel.starts == starts + 1
    assert (out / "die_once.marker").is_file()
    folder = out / "CASE2"
    assert json.loads((folder / "summary.json").read_text())["status"] == "ok"
    assert once.pdf_sha256 == _sha(folder / "report.pdf")
    assert sorted(p.name for p in (folder / "notebooks").iterdir()) == ["die_once.ipynb", "financial_analysis.ipynb"]
    assert "alive; the kernel that died was" in _text(_executed(folder / "notebooks" / "die_once.ipynb")[-1]["outputs"])
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []  # the dead attempts left nothing


def test_a_customer_that_always_kills_its_kernel_leaves_a_failed_summary(always_dies):
    run, out = always_dies
    assert run.status == "failed" and run.timings["attempts"] == 2
    summary = json.loads((out / "CASE1" / "summary.json").read_text())
    assert summary["status"] == "failed" and "kernel" in summary["error"]


# --------------------------------------------------------------------------- isolation beyond the documented list


def test_numpy_error_handling_and_display_precision_do_not_leak(warm, tmp_path):
    import nbformat

    def notebook(name, code):
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "riskbook", "display_name": "Python (riskbook)", "language": "python"}
        nb.cells = [nbformat.v4.new_code_cell(code)]
        nbformat.write(nb, tmp_path / f"{name}.ipynb")
        return tmp_path / f"{name}.ipynb"

    execute_notebook(notebook("p", 'import numpy as np\nnp.seterr(all="raise")\nnp.set_printoptions(precision=1)\n'
                                   'get_ipython().run_line_magic("precision", "1")'), tmp_path / "p_out.ipynb", {},
                     kernel=warm)
    check = notebook("c", 'import json, numpy as np\nprint(json.dumps({"seterr": np.geterr(), '
                          '"precision": np.get_printoptions()["precision"], "ip": get_ipython().display_formatter'
                          '.formatters["text/plain"].float_precision}))')
    execute_notebook(check, tmp_path / "c_out.ipynb", {}, kernel=warm)
    state = json.loads(_text(_executed(tmp_path / "c_out.ipynb")[0]["outputs"]))
    # a fresh kernel's values
    assert state == {"seterr": {"divide": "warn", "over": "warn", "under": "ignore", "invalid": "warn"},
                     "precision": 8, "ip": ""}


# --------------------------------------------------------------------------- 5. kernels on private sockets


_WHERE = ("import json, os, stat\n"
          "from ipykernel import get_connection_info\n"
          "info = json.loads(get_connection_info())\n"
          "folder = os.path.dirname(info['ip'])\n"
          "print('transport', info['transport'])\n"
          "print('folder', folder, oct(stat.S_IMODE(os.stat(folder).st_mode)), os.stat(folder).st_uid == os.getuid())\n"
          "print('sockets', sorted(n for n in os.listdir(folder) if n.startswith(os.path.basename(info['ip']))))\n"
          "print('ports', sorted(info[k] for k in info if k.endswith('_port')))\n")


@pytest.mark.parametrize("engine", ["warm", "fresh"])
def test_a_kernel_listens_on_socket_files_in_a_private_folder_not_on_tcp_ports(engine, warm, tmp_path):
    """TCP ports chosen by binding and releasing them can be taken before the kernel binds them (the kernel
    then dies or runs without its heartbeat) and can be reached by any user of the machine; the notebook
    reports its own kernel's connection."""
    import nbformat

    source = tmp_path / "where.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(_WHERE)],
                                            metadata={"kernelspec": {"name": "riskbook", "language": "python",
                                                                     "display_name": "riskbook"}}), source)
    if engine == "warm" and not warm.alive():
        warm.start()
    execute_notebook(source, tmp_path / "out.ipynb", {}, kernel=warm if engine == "warm" else None)
    lines = dict(line.split(" ", 1) for line in _text(_executed(tmp_path / "out.ipynb")[-1]["outputs"]).splitlines())
    assert lines["transport"] == "ipc"
    folder, mode, own = lines["folder"].split()
    assert Path(folder).name.startswith("riskbook-kernels-") and mode == "0o700" and own == "True"
    # shell, iopub, stdin, control and heartbeat: five socket files of this kernel, numbered 1 to 5
    assert lines["ports"] == "[1, 2, 3, 4, 5]" and len(eval(lines["sockets"])) == 5


def test_socket_folders_of_processes_killed_outright_are_swept_and_live_ones_kept(tmp_path, monkeypatch):
    import subprocess
    import sys
    import tempfile

    from helpers.pipeline import engines

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        dead_dir, live_dir = tmp_path / f"riskbook-kernels-{gone.stdout.strip()}-ab12", \
            tmp_path / f"riskbook-kernels-{live.pid}-cd34"
        other = tmp_path / "riskbook-kernels-notes"  # not a folder of this scheme
        for d in (dead_dir, live_dir, other):
            d.mkdir()
            (d / "0123456789ab-1").touch()
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
        monkeypatch.setattr(engines, "_SOCKET_DIR", None)
        made = engines._socket_dir()
        assert not dead_dir.exists() and live_dir.is_dir() and other.is_dir()
        assert made.name.startswith(f"riskbook-kernels-{os.getpid()}-")
        shutil.rmtree(made)
    finally:
        live.kill()
        live.wait()


# --------------------------------------------------------------------------- 6. no orphan kernels


def test_shutdown_leaves_no_kernel_process(warm, process_gone):
    if not warm.alive():
        warm.start()
    pid = warm.pid
    assert pid in _kernel_children()
    warm.shutdown()
    assert process_gone(pid, within=30) and not warm.alive() and warm.pid is None

    pool = KernelPool()
    with pool.kernel() as a, pool.kernel() as b:  # two borrowed at once: two kernels (started when first used)
        assert not a.alive() and not b.alive()
    assert a is not b and pool.kernels == [a, b]
    with pool.kernel() as again:  # a returned kernel is lent again, not a new one
        assert again in (a, b) and len(pool.kernels) == 2
    # the process-wide pool (its kernel ran the customers above): KernelPool.shutdown stops every kernel
    shared = kernel_pool()
    shared.warm()  # a no-op when its kernel is running
    pids = [k.pid for k in shared.kernels if k.alive()]
    assert pids and all(p in _kernel_children() for p in pids)
    shared.shutdown()
    assert all(process_gone(p, within=30) for p in pids) and not any(k.alive() for k in shared.kernels)
    assert _kernel_children() == {}
