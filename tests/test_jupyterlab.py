"""An analyst uses the financial-analysis notebook in JupyterLab, in a real browser.

A private JupyterLab server (``jupyter lab --no-browser`` on a free loopback port, a random token) serves a
*temporary copy* of ``notebooks/``: JupyterLab saves and autosaves, and the repository's notebooks must stay as
committed. Its runtime, config, data, settings and workspace folders are temporary too, so neither the user's
settings nor a saved layout change what the page shows; the news and update checks and the extension manager
are switched off (no network, no pop-ups). Debian's Chromium, driven by Playwright (the ``page`` fixture of
tests/servers.py), opens ``financial_analysis.ipynb``, edits the ``parameters`` cell in its CodeMirror editor to
another customer, runs Run → Run All Cells on the notebook's ``riskbook`` kernel and saves. The figure on the
page is compared with the one computed here from the project's own ratio catalogue
(:func:`helpers.analysis.statements.compute_ratios`), formatted as the notebook prints it.

The server is stopped by ``POST /api/shutdown`` (which also shuts down its kernels); should it linger, its
process group is terminated, then killed. Every process it started (kernels run in sessions of their own) is
checked to be gone, and needing force counts as a failure.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from helpers.analysis.statements import compute_ratios, latest_ratios
from helpers.config import DATA_SAMPLE, NOTEBOOKS_DIR
from helpers.data import load_portfolio
from servers import _free_port

pytestmark = pytest.mark.e2e

NOTEBOOK = "financial_analysis.ipynb"
AS_OF = "2026-09-30"        # the notebook's default analysis date, kept
DEFAULT_CUSTOMER = "CASE1"  # the parameters cell as committed
CUSTOMER = "CASE2"          # the customer the analyst switches to
JUPYTER = Path(sys.executable).with_name("jupyter")
# Waits for readiness, not timings: generous, for a busy CI machine.
START_TIMEOUT = 240.0
KERNEL_TIMEOUT = 240.0
RUN_TIMEOUT = 360.0

#: User settings of the temporary JUPYTERLAB_SETTINGS_DIR: no news or update checks (network, a toast asking),
#: no extension manager (PyPI), and every cell attached to the page (the default windowing leaves cells out
#: of view unrendered, so their outputs would not be in the page's text).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/extensionmanager-extension/plugin": {"enabled": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
}


# ------------------------------------------------------------------------------------------------ server
def _request(url: str, token: str, method: str = "GET", timeout: float = 5.0):
    req = urllib.request.Request(url, method=method, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=timeout) as response:
        return response.status, response.read()


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"


def _descendants(pid: int) -> list:
    import psutil

    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _alive(process) -> bool:
    import psutil

    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


class LabServer:
    """One ``jupyter lab`` process in its own process group, serving ``root`` with a private environment."""

    def __init__(self, root: Path, home: Path):
        self.root, self.home = root, home
        self.token = secrets.token_hex(24)
        self.log = home / "jupyterlab.log"
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self.children: dict[int, object] = {}  # every process the server started, psutil.Process by pid

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _env(self) -> dict:
        dirs = {name: self.home / name.lower() for name in (
            "JUPYTER_RUNTIME_DIR", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTERLAB_SETTINGS_DIR",
            "JUPYTERLAB_WORKSPACES_DIR", "IPYTHONDIR")}
        for path in dirs.values():
            path.mkdir(parents=True, exist_ok=True)
        for plugin, values in LAB_SETTINGS.items():
            target = dirs["JUPYTERLAB_SETTINGS_DIR"] / f"{plugin}.jupyterlab-settings"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(values), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY_", "IPYTHON"))}
        return {**env, **{k: str(v) for k, v in dirs.items()}, "PYTHONUNBUFFERED": "1"}

    def start(self, attempts: int = 3) -> None:
        """Start on a free port and wait until ``/api/status`` answers; another process may take the port
        between finding and binding it, so try again then."""
        env = self._env()
        for attempt in range(1, attempts + 1):
            self.port = _free_port()
            with open(self.log, "wb") as log:
                self.proc = subprocess.Popen(
                    [str(JUPYTER), "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
                     f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
                     f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}",
                     "--ServerApp.terminals_enabled=False",
                     "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                     "--LabApp.extension_manager=readonly",  # never asks PyPI
                     *(["--allow-root"] if os.geteuid() == 0 else []),
                     # safety nets should this test process die without its teardown: idle kernels are culled
                     # and an idle server stops by itself, long after the test would have finished
                     "--MappingKernelManager.cull_idle_timeout=600", "--ServerApp.shutdown_no_activity_timeout=900"],
                    cwd=self.root, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            if self._wait_ready():
                return
            log_text = _tail(self.log)
            if attempt == attempts or "already in use" not in log_text:
                raise RuntimeError(f"jupyter lab exited with {self.proc.returncode} before answering:\n{log_text}")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                status, body = _request(f"{self.url}/api/status", self.token, timeout=2)
                if status == 200 and "started" in json.loads(body):
                    return True
            except (OSError, ValueError):
                pass
            time.sleep(0.3)
        raise RuntimeError(f"jupyter lab did not answer /api/status within {START_TIMEOUT:.0f} s:\n{_tail(self.log)}")

    def remember_children(self) -> None:
        """Note the server's descendants (kernels) now, so that they can be checked after it is gone."""
        if self.proc is not None:
            self.children.update({p.pid: p for p in _descendants(self.proc.pid)})

    def stop(self) -> list[str]:
        """``POST /api/shutdown`` (kernels too), then SIGTERM / SIGKILL to the process group if it lingers,
        then SIGKILL to any remembered descendant still alive. Returns what had to be killed."""
        import psutil

        forced = []
        if self.proc is None:
            return forced
        self.remember_children()
        if self.proc.poll() is None:
            try:
                _request(f"{self.url}/api/shutdown", self.token, method="POST", timeout=10)
            except (OSError, urllib.error.URLError):
                pass
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                for sig in (signal.SIGTERM, signal.SIGKILL):
                    forced.append(f"server group {self.proc.pid}: {sig.name}")
                    try:
                        os.killpg(self.proc.pid, sig)
                    except ProcessLookupError:
                        break
                    try:
                        self.proc.wait(10)
                        break
                    except subprocess.TimeoutExpired:
                        continue
        # the kernels (sessions of their own) and anything else the server started, if still there: only
        # those very processes (psutil checks the creation time, so a reused pid is never hit)
        _, alive = psutil.wait_procs(list(self.children.values()), timeout=10)
        for process in alive:
            try:
                forced.append(f"{process.pid} {process.name()}: SIGKILL")
                process.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(alive, timeout=10)
        return forced


@pytest.fixture
def jupyterlab(tmp_path, browser):
    """A JupyterLab server on a temporary copy of ``notebooks/``; yields the :class:`LabServer`. (``browser``
    first: without one the test skips before a server is started, and the server stops before it.)"""
    root = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS_DIR, root)
    home = tmp_path / "jupyter"
    home.mkdir()
    committed = {p.name: p.read_bytes() for p in NOTEBOOKS_DIR.glob("*.ipynb")}
    server = LabServer(root, home)
    try:
        server.start()
    except Exception as exc:
        server.stop()
        pytest.fail(f"could not start JupyterLab: {exc}", pytrace=False)
    try:
        yield server
    finally:
        forced = server.stop()
        leftovers = [p.pid for p in server.children.values() if _alive(p)]
        assert server.proc.poll() is not None and not leftovers, f"processes left behind: {leftovers}"
        assert not forced, f"JupyterLab did not shut down by itself: {forced}\n{_tail(server.log)}"
        assert {p.name: p.read_bytes() for p in NOTEBOOKS_DIR.glob("*.ipynb")} == committed, \
            "the repository's notebooks changed"


# ------------------------------------------------------------------------------------------------ the page
def _outputs_text(page) -> str:
    return "\n".join(page.locator(".jp-OutputArea-output").all_text_contents())


def _editor_text(cell) -> str:
    return "\n".join(cell.locator(".cm-content .cm-line").all_inner_texts()).replace("\u00a0", " ")


_RUN_STATE = """() => ({
    prompts: [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')]
        .map(p => p.textContent.trim()),
    status: document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator')
        ?.getAttribute('data-status'),
    kernel: document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-KernelName')?.textContent.trim(),
})"""


def _wait_for_kernel(page, display_name: str, timeout: float) -> None:
    """Wait until the notebook's kernel is ``display_name`` and idle; should JupyterLab ask which kernel to
    use, answer it (the notebook's metadata names the kernel, so it should not)."""
    deadline = time.monotonic() + timeout
    while True:
        state = page.evaluate(_RUN_STATE)
        if state["kernel"] == display_name and state["status"] == "idle":
            return
        dialog = page.locator(".jp-Dialog")
        if dialog.count() and dialog.locator("select").count():
            dialog.locator("select").select_option(label=display_name)
            dialog.locator(".jp-mod-accept").click()
        if time.monotonic() > deadline:
            pytest.fail(f"the {display_name!r} kernel was not ready within {timeout:.0f} s "
                        f"(kernel {state['kernel']!r}, {state['status']})")
        page.wait_for_timeout(250)


def _wait_for_run(page, timeout: float) -> list[str]:
    """Wait until every code cell has an execution count; fail early when the run stopped short (an error)."""
    deadline = time.monotonic() + timeout
    stopped_since = None
    while True:
        state = page.evaluate(_RUN_STATE)
        prompts = state["prompts"]
        running = any("*" in p for p in prompts)
        numbered = [p for p in prompts if any(ch.isdigit() for ch in p)]
        if prompts and len(numbered) == len(prompts) and not running and state["status"] == "idle":
            return prompts
        if prompts and numbered and not running and state["status"] == "idle":
            stopped_since = stopped_since or time.monotonic()
            if time.monotonic() - stopped_since > 3:
                pytest.fail(f"Run All Cells stopped early, prompts {prompts}:\n{_outputs_text(page)[-3000:]}")
        else:
            stopped_since = None
        if time.monotonic() > deadline:
            pytest.fail(f"the notebook did not finish within {timeout:.0f} s (kernel {state['status']}, "
                        f"prompts {prompts}):\n{_outputs_text(page)[-3000:]}")
        page.wait_for_timeout(500)


def _saved_cells(path: Path) -> list | None:
    """The cells of the notebook file at ``path``; None while it is being written."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError):
        return None


def _expected_line(portfolio, customer_id: str) -> str:
    """The notebook's headline, as its ``print`` formats it, from the ratio catalogue."""
    ratio = latest_ratios(compute_ratios(portfolio.customer(customer_id).statements), customer_id)["current_ratio"]
    return f"{customer_id} {ratio['fiscal_year']}: current ratio {ratio['value']:.2f}"


def test_analyst_runs_financial_analysis_for_another_customer_in_jupyterlab(jupyterlab, page, tmp_path):
    committed = (NOTEBOOKS_DIR / NOTEBOOK).read_bytes()
    portfolio = load_portfolio(DATA_SAMPLE, as_of=AS_OF)
    expected, default = _expected_line(portfolio, CUSTOMER), _expected_line(portfolio, DEFAULT_CUSTOMER)
    assert expected.split(": ")[1] != default.split(": ")[1]  # else the page could not tell the customers apart
    name = portfolio.customer(CUSTOMER).record["name"]
    out = tmp_path / "out"

    nb = json.loads(committed)
    tagged = [i for i, c in enumerate(nb["cells"]) if "parameters" in c["metadata"].get("tags", [])]
    assert len(tagged) == 1
    source = "".join(nb["cells"][tagged[0]]["source"])
    assert f'customer_id = "{DEFAULT_CUSTOMER}"' in source and "output_dir = None" in source
    edited = (source.replace(f'customer_id = "{DEFAULT_CUSTOMER}"', f'customer_id = "{CUSTOMER}"')
              .replace("output_dir = None", f"output_dir = {str(out)!r}"))  # results here, not reports/

    page.set_default_timeout(180_000)
    page.goto(f"{jupyterlab.url}/lab/tree/{NOTEBOOK}?token={jupyterlab.token}")
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    _wait_for_kernel(page, nb["metadata"]["kernelspec"]["display_name"], KERNEL_TIMEOUT)

    # edit the parameters cell in its CodeMirror editor: select all, type the new text
    cell = panel.locator(".jp-Notebook .jp-Cell").nth(tagged[0])
    assert f'customer_id = "{DEFAULT_CUSTOMER}"' in _editor_text(cell)
    cell.locator(".cm-content").click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(edited)
    assert _editor_text(cell).strip() == edited.strip()
    page.keyboard.press("Escape")  # command mode, as after editing

    # Run → Run All Cells
    page.locator(".lm-MenuBar-item", has_text="Run").first.click()
    page.locator(".lm-Menu-item[data-command='runmenu:run-all']").click()
    prompts = _wait_for_run(page, RUN_TIMEOUT)
    assert len(prompts) == sum(c["cell_type"] == "code" for c in nb["cells"])

    text = _outputs_text(page)
    assert expected in text, f"{expected!r} not in the outputs:\n{text[-3000:]}"
    assert default not in text
    assert name in text  # the customer profile table
    assert "Traceback" not in text
    saved = json.loads((out / "results" / "financial_analysis.json").read_text(encoding="utf-8"))
    assert f"current ratio {saved['summary']['ratios']['current_ratio']:.2f}" in expected

    # Ctrl+S (File → Save Notebook) writes the temporary copy; the repository's notebook is untouched
    page.keyboard.press("Control+S")
    copy = jupyterlab.root / NOTEBOOK
    deadline = time.monotonic() + 120
    while (stored := _saved_cells(copy)) is None or "".join(stored[tagged[0]]["source"]) != edited:
        assert time.monotonic() < deadline, "the notebook was not saved to the temporary copy"
        time.sleep(0.3)
    assert any(expected in "".join(o.get("text", "")) for c in stored for o in c.get("outputs", []))
    # jupytext's pairing (notebooks/jupytext.toml): the same save updated the notebook's script
    script = jupyterlab.root / "scripts" / f"{Path(NOTEBOOK).stem}.py"
    deadline = time.monotonic() + 120
    while 'customer_id = "CASE2"' not in script.read_text(encoding="utf-8"):
        assert time.monotonic() < deadline, f"{script.name} was not updated by the save (jupytext pairing)"
        time.sleep(0.3)
    assert (NOTEBOOKS_DIR / NOTEBOOK).read_bytes() == committed
