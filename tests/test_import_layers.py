"""Imports run one way: a module imports only from its own layer or lower ones.

Layers, lowest first: core -> models | hardware -> memory -> jobs -> nodes -> graphs -> server | bench
(tests may import anything). The one exception is the graph's contract (`graphs/__init__.py` says
which modules and why): the turn's state, context and resources, written in graphs/ but importable by
nodes, and themselves importing nothing above jobs.

Read from the source with `ast`, nothing imported: every `import` and `from ... import`, at module
level, under `if TYPE_CHECKING:` and inside functions, and `importlib.import_module("...")` with a
literal name.
"""

from __future__ import annotations

import ast
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

LAYERS = {"core": 0, "models": 1, "hardware": 1, "memory": 2, "jobs": 3, "nodes": 4, "graphs": 5,
          "server": 6, "bench": 6}
# The graph's contract modules: above jobs, below nodes (nodes may use them, they use nothing of nodes).
CONTRACT = ("graphs", "graphs.state", "graphs.context", "graphs.resources")
CONTRACT_RANK = 3.5


@dataclass(frozen=True)
class Import:
    path: Path
    line: int
    importer: str
    target: str

    def __str__(self) -> str:
        return (f"{self.path.relative_to(ROOT)}:{self.line}: {self.importer} ({layer_name(self.importer)}) "
                f"imports {self.target} ({layer_name(self.target)})")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(dotted: str) -> bool:
    """`dotted` names a module or package of this project."""
    base = ROOT.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def rank(module: str) -> float | None:
    """The layer of a project module, None for anything else (standard library, third parties)."""
    for name in CONTRACT:
        if module == name or (name != "graphs" and module.startswith(name + ".")):
            return CONTRACT_RANK
    return LAYERS.get(module.split(".")[0])


def layer_name(module: str) -> str:
    if rank(module) == CONTRACT_RANK:
        return "graph contract"
    return module.split(".")[0]


def _resolve_from(node: ast.ImportFrom, importer: str, is_package: bool) -> list[str]:
    """The modules a `from X import a, b` reaches: X.a where it is a submodule, else X."""
    if node.level:
        package = importer.split(".") if is_package else importer.split(".")[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join(package + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    targets = []
    for alias in node.names:
        sub = f"{base}.{alias.name}"
        targets.append(sub if alias.name != "*" and is_module(sub) else base)
    return targets


def _import_module_call(node: ast.Call) -> str | None:
    func = node.func
    named = (isinstance(func, ast.Attribute) and func.attr == "import_module"
             and isinstance(func.value, ast.Name) and func.value.id == "importlib")
    if named and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
        return node.args[0].value
    return None


def imports_in(source: str, importer: str, path: Path, is_package: bool = False) -> list[Import]:
    """The project modules `source` (module `importer`, at `path`) imports, wherever the import is."""
    found = []
    for node in ast.walk(ast.parse(source, filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            targets = _resolve_from(node, importer, is_package)
        elif isinstance(node, ast.Call) and (name := _import_module_call(node)):
            targets = [name]
        else:
            continue
        found += [Import(path, node.lineno, importer, t) for t in targets if rank(t) is not None]
    return found


def imports_of(path: Path) -> list[Import]:
    return imports_in(path.read_text(encoding="utf-8"), module_name(path), path, path.name == "__init__.py")


def package_files() -> list[Path]:
    return sorted(p for package in LAYERS for p in (ROOT / package).rglob("*.py"))


def upward(imports: list[Import]) -> list[Import]:
    return [i for i in imports if rank(i.target) > rank(i.importer)]


def test_every_package_has_a_layer():
    """A new top-level package must be placed in a layer before it can be checked."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = project["tool"]["setuptools"]["packages"]["find"]["include"]
    assert {name.rstrip("*") for name in listed} == set(LAYERS)


def test_imports_never_go_up_a_layer():
    files = package_files()
    assert len(files) > 50  # the scan found the packages
    violations = [str(i) for path in files for i in upward(imports_of(path))]
    assert not violations, "imports that go up a layer:\n" + "\n".join(violations)


def test_the_contract_is_declared_where_it_lives():
    """graphs/__init__.py names each contract module; each one exists."""
    doc = ast.get_docstring(ast.parse((ROOT / "graphs" / "__init__.py").read_text(encoding="utf-8"))) or ""
    for name in CONTRACT[1:]:
        assert is_module(name), name
        assert name in doc, f"graphs/__init__.py does not declare {name} as a contract module"


@pytest.mark.parametrize(("at", "source", "expected"), [
    ("nodes/x.py", "from graphs.runner import public_answer",
     ["nodes/x.py:1: nodes.x (nodes) imports graphs.runner (graphs)"]),
    ("memory/x.py", "def f():\n    from graphs.resources import shared_resources",
     ["memory/x.py:2: memory.x (memory) imports graphs.resources (graph contract)"]),
    ("jobs/x.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from graphs.resources import Resources",
     ["jobs/x.py:3: jobs.x (jobs) imports graphs.resources (graph contract)"]),
    ("jobs/x.py", "from graphs import runner", ["jobs/x.py:1: jobs.x (jobs) imports graphs.runner (graphs)"]),
    ("graphs/x.py", "import importlib\nimportlib.import_module('server.app')",
     ["graphs/x.py:2: graphs.x (graphs) imports server.app (server)"]),
    ("graphs/resources.py", "from nodes.common import text_of",
     ["graphs/resources.py:1: graphs.resources (graph contract) imports nodes.common (nodes)"]),
    ("nodes/x.py", "from . import common\nfrom ..memory import db", []),
    ("memory/x.py", "from ..nodes import common", ["memory/x.py:1: memory.x (memory) imports nodes.common (nodes)"]),
    ("nodes/x.py", "from graphs.state import TurnState\nfrom graphs import context\nimport memory.db, json", []),
])
def test_the_check_catches_upward_imports(at, source, expected):
    """The check itself: function-level, TYPE_CHECKING, package and relative imports are caught."""
    path = ROOT / at
    assert [str(i) for i in upward(imports_in(source, module_name(path), path))] == expected
