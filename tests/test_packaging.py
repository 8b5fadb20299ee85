"""Project hygiene that users rely on: dependencies in step, README quick start, notebooks, contract doc."""
import re
import sys
import tomllib
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(req: str) -> str:
    return re.split(r"[<>=!~ \[]", req, maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r): r.replace(" ", "") for r in project["dependencies"] + project["optional-dependencies"]["test"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    listed = {_name(d): d.replace(" ", "") for d in env["dependencies"]
              if isinstance(d, str) and _name(d) not in ("python", "pip")}
    assert listed == wanted  # same names and the same lower bounds


def test_readme_quick_start_is_exactly_make_demo_and_make_test():
    text = (ROOT / "README.md").read_text()
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```(?:bash|sh)?\n(.*?)```", quick, re.S).group(1)
    commands = [line.strip() for line in block.splitlines() if line.strip() and not line.strip().startswith("#")]
    assert commands == ["make demo", "make test"]


def test_notebooks_are_thin_with_one_parameters_cell_and_no_outputs_but_checked_ones():
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, path.name
        params = set(re.findall(r"^(\w+)\s*=", tagged[0].source, re.M))
        assert {"data", "output_dir", "as_of"} <= params, path.name
        if path.stem != "model_development":  # the per-customer notebooks
            assert "customer_id" in params, path.name
        for cell in nb.cells:
            if cell.cell_type == "code" and "NBVAL_CHECK_OUTPUT" not in cell.source:
                assert not cell.outputs, f"{path.name}: commit notebooks without outputs"
            if cell.cell_type == "code" and "parameters" not in cell.metadata.get("tags", []):
                assert len(cell.source.splitlines()) <= 8, f"{path.name}: keep cells short; logic goes to helpers"
            elif cell.cell_type == "code":  # the parameters cell: plain values only, one per line
                assert all("=" in line for line in cell.source.splitlines()), path.name


def test_contract_document_matches_the_contract():
    sys.path.insert(0, str(ROOT / "scripts"))
    import contract_doc

    assert (ROOT / "docs" / "data-contract.md").read_text(encoding="utf-8") == contract_doc.render(), \
        "docs/data-contract.md is stale: run python scripts/contract_doc.py"


def test_reports_folder_is_ignored_but_kept():
    assert (ROOT / "reports" / ".gitkeep").exists()
    assert "reports/*" in (ROOT / ".gitignore").read_text()
