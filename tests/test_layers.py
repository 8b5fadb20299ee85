"""The package's layers: every import inside ``helpers`` points down the layer order, never up, and
the modules import each other without a cycle. Imports are read from the source with ``ast`` (also
those inside functions, which must not be used to dodge the rule)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import helpers

PACKAGE = Path(helpers.__file__).resolve().parent
#: Bottom first. A module may import from its own layer and from the layers before it.
LAYERS = ("exceptions", "config", "data", "analysis", "scoring", "decisions", "report", "pipeline", "service",
          "cli")


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _internal_imports(path: Path) -> list[tuple[str, int, bool]]:
    """(imported helpers module, line, inside a function) for every import of the package in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    me = _module_name(path)
    package = me if path.name == "__init__.py" else me.rsplit(".", 1)[0]
    out = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[:len(base) - (child.level - 1)]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                if target == "helpers" or target.startswith("helpers."):
                    if not child.module or target == package:  # "from . import x": x is a module of the package
                        out.extend((f"{target}.{a.name}".rstrip("."), child.lineno, in_function) for a in child.names)
                    else:
                        out.append((target, child.lineno, in_function))
            elif isinstance(child, ast.Import):
                out.extend((a.name, child.lineno, in_function) for a in child.names
                           if a.name == "helpers" or a.name.startswith("helpers."))
            visit(child, nested)

    visit(tree, False)
    return out


def _layer(module: str) -> int:
    parts = module.split(".")
    if len(parts) == 1:  # the package itself: the public API on top of everything
        return len(LAYERS)
    return LAYERS.index(parts[1])


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def test_every_module_belongs_to_a_layer():
    for name in MODULES:
        parts = name.split(".")
        assert len(parts) == 1 or parts[1] in LAYERS, f"{name} is in no layer of {LAYERS}"
        assert len(parts) <= 3, f"{name}: subpackages are one level deep"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m != "helpers"))
def test_imports_point_down(module):
    mine = _layer(module)
    for target, line, _ in _internal_imports(MODULES[module]):
        assert _layer(target) <= mine, (f"{module} (layer {LAYERS[mine]}) imports {target} "
                                        f"(layer {LAYERS[_layer(target)]}) at line {line}: an upward import")


#: The only imports allowed inside functions, each of a module that takes seconds to load and is needed by few
#: callers: ``import helpers`` in a notebook kernel, and ``riskbook --version``, ``validate`` or a worker of
#: ``riskbook serve`` (which imports the CLI again), must not load Papermill, nbformat and jsonschema (the
#: batch, verify) or the web framework. They still point down and still count for the cycle check below.
DEFERRED = {"helpers": {"helpers.pipeline"},
            "helpers.cli": {"helpers.pipeline", "helpers.pipeline.verify", "helpers.service", "helpers.service.app"}}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_internal_import_hides_inside_a_function(module):
    hidden = [(t, line) for t, line, inside in _internal_imports(MODULES[module])
              if inside and t not in DEFERRED.get(module, ())]
    assert not hidden, f"{module} imports {hidden} inside functions; import at the top (layers keep that cycle-free)"


def _resolve(target: str) -> str | None:
    """The module a ``from X import`` names: X itself, or X's package ``__init__``."""
    while target and target not in MODULES:
        target = target.rsplit(".", 1)[0] if "." in target else ""
    return target or None


def test_no_import_cycle_between_modules():
    graph = {}
    for name, path in MODULES.items():
        deps = {_resolve(t) for t, _, _ in _internal_imports(path)}
        # a package's __init__ re-exports its modules; a module importing its own package is what cycles
        graph[name] = {d for d in deps if d and d != name}
    state: dict[str, int] = {}
    stack: list[str] = []

    def dfs(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                raise AssertionError("import cycle: " + " → ".join(cycle))
            if nxt not in state:
                dfs(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            dfs(node)


def test_the_checker_sees_an_upward_import(tmp_path):
    """The rule itself can fail: a data module importing from report is caught."""
    bad = PACKAGE / "data" / "_probe_upward.py"
    bad.write_text("from ..report.formatting import Formatter\n", encoding="utf-8")
    try:
        found = _internal_imports(bad)
        assert found == [("helpers.report.formatting", 1, False)]
        assert _layer(found[0][0]) > _layer(_module_name(bad))
    finally:
        bad.unlink()


@pytest.mark.parametrize("code, absent", [
    # what a notebook kernel runs when it starts (and what its notebooks import)
    ("import helpers.pipeline.isolation as i; i.prepare(); import helpers", ("papermill", "nbformat", "jsonschema")),
    # every command starts with this, and so does each worker process of `riskbook serve`
    ("import helpers.cli", ("papermill", "nbformat", "jsonschema", "fastapi", "uvicorn")),
])
def test_slow_imports_stay_out_of_the_kernel_and_the_command_line(code, absent):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", f"{code}; import sys; print(sorted(m for m in {absent!r} "
                                                 "if m in sys.modules))"], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", f"{code} loaded {done.stdout.strip()}"
