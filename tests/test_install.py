"""riskbook as a real package: a wheel built from the repository, installed (not editable) with the locked
dependencies into a fresh virtual environment, runs the sample batch from another directory, with nothing of
the checkout on its path.

uv (which ``make setup`` installs beside the project's Python and uses to install requirements.lock) builds the
wheel and makes the environment; its cache, filled by ``make setup``, spares the downloads.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from helpers.config import PROJECT_ROOT

AS_OF = "2026-09-30"
UV = Path(sys.executable).with_name("uv")


def _run(cmd, *, cwd, env, timeout=900) -> subprocess.CompletedProcess:
    try:
        done = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired as exc:  # say where it stood, not only that it took too long
        text = lambda b: (b.decode(errors="replace") if isinstance(b, bytes) else b or "")[-4000:]  # noqa: E731
        log = Path(cwd) / "reports" / "batch.log"
        pytest.fail(f"{Path(cmd[0]).name} {cmd[1] if len(cmd) > 1 else ''} ran past {timeout} s\n"
                    f"stdout:\n{text(exc.stdout)}\nstderr:\n{text(exc.stderr)}\n"
                    f"batch.log:\n{log.read_text()[-4000:] if log.is_file() else '(none)'}")
    assert done.returncode == 0, f"{cmd[0]} {cmd[1] if len(cmd) > 1 else ''} exited {done.returncode}:\n" \
                                 f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh venv with the wheel and requirements.lock; a clean environment: no PYTHONPATH, no checkout, no
    Jupyter folders of this user (a kernel spec found there could run the checkout's code)."""
    if not UV.is_file():
        pytest.fail(f"{UV} is missing: make setup installs uv into the project's virtual environment")
    root = tmp_path_factory.mktemp("install")
    home = root / "home"
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "JUPYTER_PATH", "RISKBOOK_KERNEL") and not k.startswith("UV_")}
    env.update(UV_CACHE_DIR=str(Path.home() / ".cache" / "uv"), XDG_CACHE_HOME=str(home / "cache"),
               JUPYTER_DATA_DIR=str(home / "jupyter-data"), JUPYTER_CONFIG_DIR=str(home / "jupyter-config"),
               JUPYTER_RUNTIME_DIR=str(home / "jupyter-runtime"), IPYTHONDIR=str(home / "ipython"),
               MPLCONFIGDIR=str(home / "mpl"))
    _run([UV, "build", "--wheel", "--quiet", "--out-dir", root / "dist", PROJECT_ROOT], cwd=root, env=env)
    wheel = next((root / "dist").glob("riskbook-*.whl"))
    venv = root / "venv"
    _run([UV, "venv", "--quiet", "--python", sys.executable, venv], cwd=root, env=env)
    python = venv / "bin" / "python"
    _run([UV, "pip", "install", "--quiet", "--python", python, "-r", PROJECT_ROOT / "requirements.lock", wheel],
         cwd=root, env=env)
    work = root / "work"
    work.mkdir()
    return {"root": root, "wheel": wheel, "venv": venv, "python": python, "env": env, "work": work, "home": home}


def test_the_wheel_carries_the_notebooks_templates_sample_and_catalogues(installed):
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    for folder, pattern in (("notebooks", "*.ipynb"), ("templates", "*"), ("data/sample", "*")):
        for f in (PROJECT_ROOT / folder).glob(pattern):
            if f.is_file():
                assert f"helpers/_resources/{folder}/{f.name}" in names, f
    assert "helpers/report/locales/zh_CN/LC_MESSAGES/domain.po" in names
    assert any(n.startswith("helpers/service/templates/") and n.endswith(".html") for n in names)
    assert not any(n.startswith(("tests/", "src/", "reports/")) for n in names)


def test_the_installed_package_runs_the_sample_batch_from_another_directory(installed, scorecard):
    python, env, work = installed["python"], installed["env"], installed["work"]
    where = _run([python, "-c", "import helpers, helpers.config as c; print(helpers.__file__); "
                                "print(c.SOURCE_CHECKOUT, c.NOTEBOOKS_DIR, c.DATA_SAMPLE, c.REPORTS_DIR)"],
                 cwd=work, env=env).stdout.split()
    site = installed["venv"] / "lib"
    assert Path(where[0]).is_relative_to(site) and where[1] == "False"
    assert Path(where[2]).is_relative_to(site) and Path(where[3]).is_relative_to(site)
    assert Path(where[4]) == work / "reports"  # outputs go to the current directory, never into the package
    riskbook = installed["venv"] / "bin" / "riskbook"
    version = _run([python, "-c", "from importlib.metadata import version; print(version('riskbook'))"], cwd=work,
                   env=env).stdout.strip()
    assert _run([riskbook, "--version"], cwd=work, env=env).stdout.strip() == f"riskbook {version}"

    # the starter comes out of the package too, in both languages
    for lang in ("en", "zh"):
        _run([riskbook, "-q", "init", f"acme-{lang}", "--lang", lang], cwd=work, env=env)
        assert sorted(p.name for p in (work / f"acme-{lang}").iterdir()) == ["policy.yaml", "portfolio.xlsx"]
    assert "风险" in (work / "acme-zh" / "policy.yaml").read_text(encoding="utf-8")

    artifact = scorecard.to_json(installed["root"] / "scorecard.json")  # no model fit: the test is the package
    done = _run([riskbook, "batch", "--customers", "CASE1", "--model", artifact, "--as-of", AS_OF, "--workers", "1",
                 "--no-progress"], cwd=work, env=env)
    assert "1 customers: 1 ok" in done.stdout, done.stdout
    pdf = work / "reports" / "CASE1" / "report.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    manifest = json.loads((work / "reports" / "manifest.json").read_text())
    assert manifest["customers"][0]["status"] == "ok" and manifest["status"] == "complete"
    assert (work / "reports" / "batch.log").is_file()
    # the notebooks ran on a kernel of this environment's interpreter (the spec riskbook writes when the project
    # kernel is not installed), not on the checkout's
    specs = list((installed["home"] / "cache" / "riskbook").glob("jupyter-*/kernels/riskbook/kernel.json"))
    assert len(specs) == 1 and json.loads(specs[0].read_text())["argv"][0] == str(python)
    executed = (work / "reports" / "CASE1" / "notebooks" / "financial_analysis.ipynb").read_text()
    assert str(PROJECT_ROOT) not in executed and str(PROJECT_ROOT) not in (work / "reports" / "batch.log").read_text()
    # nothing was written into the installed package
    package = Path(where[0]).parent
    assert not any(p.suffix in (".pdf", ".json") and "reports" in p.parts for p in package.rglob("*"))
