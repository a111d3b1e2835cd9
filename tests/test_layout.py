"""The domains import one another one way: no loop among marquee's packages.

Read from the source, not by importing it: every `import marquee.x` / `from marquee.x …`
counts, in functions too, except those under `if TYPE_CHECKING:` (annotations only).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "marquee"
# Loops known today, each to be broken; a new one fails the test, and so does a fixed one
# still listed here.
# delivery <-> playback: the origin reads playback sessions and rewrites their manifests, and
# playback signs media links with delivery's signing.
KNOWN_LOOPS: list[set[str]] = [{"delivery", "playback"}]


def _top(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "marquee" and len(parts) > 1 else None


def _runtime_imports(tree: ast.AST) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []  # annotations only: not a dependency at run time
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def package_graph() -> dict[str, set[str]]:
    """Package → the packages it imports. Top-level modules (runtime.py, app.py, cli.py …)
    are the composition roots above the domains and are left out."""
    packages = {path.parent.name for path in SRC.glob("*/__init__.py")}
    graph: dict[str, set[str]] = {name: set() for name in packages}
    for name in packages:
        for path in (SRC / name).rglob("*.py"):
            for module in _runtime_imports(ast.parse(path.read_text())):
                top = _top(module)
                if top in packages and top != name:
                    graph[name].add(top)
    return graph


def loops(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected groups of more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for dep in graph.get(node, ()):
            if dep not in index:
                visit(dep)
                low[node] = min(low[node], low[dep])
            elif dep in stack:
                low[node] = min(low[node], index[dep])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_loop_finder_finds_a_loop() -> None:
    assert loops({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
    assert loops({"a": {"b"}, "b": set()}) == []


def test_no_new_import_loop_among_the_packages() -> None:
    found = sorted(loops(package_graph()), key=sorted)
    assert found == KNOWN_LOOPS
