"""Dependencies point one way: no import cycle in the package, and every module imports alone.

The import graph is read with ast over every module of `reservoir/`, counting imports inside
functions too (a lazy import that closes a cycle is still a cycle) and leaving out those under
``if TYPE_CHECKING:`` (never executed).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "reservoir"
# Layers, lowest first: a module may import its own layer and those below, never above. The
# tool catalogue is data (it imports nothing of the agents) that the SQL tool queries read.
LAYERS = [
    ("reservoir.config", "reservoir.limiter", "reservoir.memory", "reservoir.tools",
     "reservoir.prompts", "reservoir.scripted_model", "reservoir.llm",
     "reservoir.agents.catalogue", "reservoir.agents.catalogue_hand"),
    ("reservoir.deps",),
    ("reservoir.agents",),
    ("reservoir.graphs",),
]


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imported(module: str, path: Path) -> set[str]:
    """Every reservoir module this module imports, at any depth of its code."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    stack: list[ast.AST] = [ast.parse(path.read_text(encoding="utf-8"))]
    while stack:
        node = stack.pop()
        if _type_checking_only(node):
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
        stack.extend(ast.iter_child_nodes(node))
    return {n for n in names if n.startswith("reservoir")}


def import_graph() -> dict[str, set[str]]:
    known = modules()
    graph: dict[str, set[str]] = {}
    for module, path in known.items():
        edges = set()
        for name in _imported(module, path):
            while name and name not in known:  # `from pkg import name` names an attribute
                name = name.rpartition(".")[0]
            if name and name != module:
                edges.add(name)
        graph[module] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle() -> None:
    graph = import_graph()
    assert len(graph) > 100  # the whole package was read
    assert graph["reservoir.launcher"] >= {"reservoir.queue", "reservoir.queue.schedule"}
    assert cycles(graph) == []


def _layer(module: str) -> int | None:
    for level, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return level
    return None


def test_layers_import_downwards_only() -> None:
    """Agents take `Deps` and their task types from reservoir.deps, not from the graphs."""
    upward = []
    for module, edges in import_graph().items():
        here = _layer(module)
        for target in edges:
            there = _layer(target)
            if here is not None and there is not None and there > here:
                upward.append(f"{module} -> {target}")
    assert upward == []



LONG = 400
# Long modules being changed elsewhere as this is written: each states its reason (or is split)
# when that change lands, and leaves this list.
LONG_PENDING: dict[str, str] = {}


def test_long_modules_say_why() -> None:
    """A module over ~400 lines says why in its docstring ("Over 400 lines: ..."); a newcomer
    opening it knows whether it is one thing or two that were never split."""
    silent = []
    for module, path in modules().items():
        text = path.read_text(encoding="utf-8")
        if text.count("\n") <= LONG or module in LONG_PENDING:
            continue
        doc = ast.get_docstring(ast.parse(text)) or ""
        if "Over 400 lines: " not in doc:
            silent.append(f"{module} ({text.count(chr(10))} lines)")
    assert silent == []

# SQLModel keeps one metadata and one class registry per process: emptied before each module,
# so reloading the table classes starts from nothing, as in a fresh interpreter.
ISOLATED = """
import importlib, sys, traceback
from sqlalchemy.orm import clear_mappers
from sqlmodel import SQLModel
from sqlmodel.main import default_registry
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "reservoir" or m.startswith("reservoir.")]:
        del sys.modules[loaded]
    clear_mappers()
    SQLModel.metadata.clear()
    default_registry._class_registry.clear()
    try:
        importlib.import_module(name)
    except Exception:
        failed.append(name + ": " + traceback.format_exc().strip().splitlines()[-1])
print("\\n".join(failed))
"""
# Optional extras: importing them without the extra installed is expected to fail.
OPTIONAL = {"reservoir.agents.analyst_crew": "crewai"}


def test_every_module_imports_on_its_own() -> None:
    """Each module first, with no other reservoir module loaded (a fresh sys.modules each)."""
    import importlib.util

    names = sorted(n for n in modules() if not (
        n in OPTIONAL and importlib.util.find_spec(OPTIONAL[n]) is None))
    out = subprocess.run([sys.executable, "-c", ISOLATED, *names], capture_output=True,
                         text=True, timeout=600, cwd=PACKAGE.parent)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "", out.stdout
