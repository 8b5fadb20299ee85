"""The notebooks are the source of truth; each is paired (jupytext) with a percent-format script in
notebooks/scripts/ that shows its code for review. JupyterLab saves both (tests/test_jupyterlab.py); here: the
pairing is configured and every pair agrees, so neither side can drift."""
from __future__ import annotations

import tomllib

import jupytext

from helpers.config import NOTEBOOKS_DIR, PROJECT_ROOT


def test_every_notebook_has_its_script_and_they_agree():
    config = tomllib.loads((NOTEBOOKS_DIR / "jupytext.toml").read_text())
    assert config["formats"] == "ipynb,scripts//py:percent"
    notebooks = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
    scripts = sorted((NOTEBOOKS_DIR / "scripts").glob("*.py"))
    assert [p.stem for p in notebooks] == [p.stem for p in scripts] and len(notebooks) == 5
    for nb in notebooks:
        script = NOTEBOOKS_DIR / "scripts" / f"{nb.stem}.py"
        assert script.read_text() == jupytext.writes(jupytext.read(nb), fmt="py:percent"), \
            f"{script.name} differs from {nb.name}: run jupytext --sync {nb} (or the script, whichever you edited)"
        # and the script reads back as the same cells (the parameters cell keeps its tag)
        back = jupytext.read(script)
        original = jupytext.read(nb)
        assert [c.source for c in back.cells] == [c.source for c in original.cells]
        assert [c.metadata.get("tags") for c in back.cells] == [c.metadata.get("tags") for c in original.cells]


def test_no_generator_script_rewrites_the_notebooks():
    assert not (PROJECT_ROOT / "scripts" / "new_notebook.py").exists()
