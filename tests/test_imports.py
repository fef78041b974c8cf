"""The package's imports: no cycle between modules (function-local imports included: a lazy
import is for start-up time, never to dodge a cycle), imports go down the layers, and
``import geoverify`` stays light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "geoverify"

#: Layers, lowest first: a module may import its own layer and the ones below it.
LAYERS = [
    {"geoverify._version", "geoverify.errors", "geoverify.codes", "geoverify.coords", "geoverify.heap",
     "geoverify.gil", "geoverify._text", "geoverify.arrowtext"},
    {"geoverify.io"},
    {"geoverify.boundaries"},
    {"geoverify.engine"},
    {"geoverify.core"},
    {"geoverify.run", "geoverify.render"},
    {"geoverify.validation"},
    {"geoverify.api"},
    {"geoverify", "geoverify.__main__", "geoverify.cli"},
]


def modules() -> dict[str, Path]:
    """Every module of the package: its Python files, and its compiled helpers (C sources,
    built by setup.py; they import nothing of the package)."""
    out = {}
    for p in PACKAGE.rglob("*.py"):
        parts = p.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = p
    for p in PACKAGE.rglob("*.c"):
        out[".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts)] = p
    return out


def import_graph() -> dict[str, set[str]]:
    mods = modules()
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for name, path in mods.items():
        if path.suffix == ".c":
            continue
        is_pkg = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".") if is_pkg else name.split(".")[:-1]
                    base = base[: len(base) - node.level + 1]
                    mod = ".".join(base + ([node.module] if node.module else []))
                else:
                    mod = node.module or ""
                for a in node.names:
                    sub = f"{mod}.{a.name}"
                    targets.append(sub if sub in mods else mod)
            for t in targets:
                while t and t not in mods:
                    t = t.rpartition(".")[0]
                if t and t != name and t.startswith("geoverify"):
                    graph[name].add(t)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]
    sys.setrecursionlimit(10_000)

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def layer_of(module: str) -> int:
    best, level = -1, None
    for i, layer in enumerate(LAYERS):
        for prefix in layer:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, level = len(prefix), i
    assert level is not None, f"{module} is in no layer: add it to LAYERS"
    return level


def test_imports__no_cycle_between_modules():
    found = cycles(import_graph())
    assert found == [], found


def test_imports__the_graph_is_not_vacuous():
    graph = import_graph()
    assert "geoverify.core.batch" in graph["geoverify.run.memory"]
    assert "geoverify.engine.index" in graph["geoverify.core.batch"]
    # a lazy import counts: the map is imported inside a function of render/__init__
    assert "geoverify.render._map" in graph["geoverify.render"]


def test_imports__go_down_the_layers():
    bad = [(a, b) for a, targets in import_graph().items() for b in targets
           if layer_of(b) > layer_of(a)]
    assert bad == [], bad


def test_imports__import_geoverify_stays_light():
    code = ("import sys, geoverify; heavy = ('folium', 'geopandas', 'matplotlib', 'dask', "
            "'distributed', 'pyogrio', 'openpyxl', 'jinja2', 'branca'); "
            "print(sorted(m for m in heavy if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]", out
