"""The package-level import graph of a source tree, read with ``ast`` (nothing is imported), and its cycles.

Every ``import`` and ``from ... import`` in every module counts — at the top,
under ``if TYPE_CHECKING:``, inside functions — since each is a dependency
someone has to understand. A module belongs to the package right under its
top-level package (``edge.daemon.app`` -> ``edge.daemon``; a top-level module
such as ``edge.waiting`` is its own node, ``edge/__init__.py`` is ``edge``).
A test helper, not product code.
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

Graph = dict[str, dict[str, list["Import"]]]  # package -> package it imports -> the imports that do


@dataclass(frozen=True)
class Import:
    importer: str  # module, e.g. "edge.api.sync"
    imported: str  # module (or the nearest package / module it names), e.g. "edge.daemon.commands"
    where: str  # "edge/api/sync.py:33"

    def __str__(self) -> str:
        return f"{self.where}: {self.importer} imports {self.imported}"


def modules(root: Path, tops: Iterable[str]) -> dict[str, Path]:
    """Module name -> file, for every ``.py`` under each top-level package in ``root``."""
    found = {}
    for top in tops:
        for path in sorted((root / top).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imports(root: Path, tops: Iterable[str]) -> list[Import]:
    """Every import, anywhere in a module, of a module under one of ``tops``."""
    tops = tuple(tops)
    known = modules(root, tops)
    found = []
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            for target in _targets(node, name, path.name == "__init__.py", known):
                if target.split(".")[0] in tops:
                    found.append(Import(name, target, f"{path.relative_to(root)}:{node.lineno}"))
    return found


def _targets(node: ast.AST, module: str, is_package: bool, known: dict[str, Path]) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        source = ".".join([*base, *([node.module] if node.module else [])])
    else:
        source = node.module or ""
    return [f"{source}.{a.name}" if f"{source}.{a.name}" in known else source for a in node.names]


def package_of(module: str) -> str:
    return ".".join(module.split(".")[:2])


def package_graph(found: Iterable[Import]) -> Graph:
    graph: Graph = {}
    for imp in found:
        a, b = package_of(imp.importer), package_of(imp.imported)
        graph.setdefault(a, {})
        graph.setdefault(b, {})
        if a != b:
            graph[a].setdefault(b, []).append(imp)
    return graph


def cycles(graph: Graph) -> list[list[str]]:
    """One shortest cycle ``[a, b, ..., a]`` for each group of packages that import each other."""
    found = []
    for component in _strongly_connected(graph):
        if len(component) > 1:
            start = min(component)
            found.append([start, *_shortest_path(graph, component, start)])
    return sorted(found)


def describe(cycle: list[str], graph: Graph) -> str:
    """The cycle, the other packages caught in the same knot, and for each hop the imports that make it."""
    knot = next(c for c in _strongly_connected(graph) if cycle[0] in c)
    lines = [" -> ".join(cycle)]
    if others := sorted(knot - set(cycle)):
        lines.append(f"  (in one knot with {', '.join(others)})")
    for a, b in zip(cycle, cycle[1:], strict=False):
        lines += [f"    {imp}" for imp in dict.fromkeys(graph[a][b])]  # one line per import statement
    return "\n".join(lines)


def _shortest_path(graph: Graph, within: set[str], start: str) -> list[str]:
    """The nodes after ``start`` on a shortest way back to it, staying ``within`` its component."""
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in sorted(graph[node]):
            if nxt not in within or nxt in came_from:
                continue
            came_from[nxt] = node
            if nxt == start:
                return _unwind(came_from, start)
            queue.append(nxt)
    raise AssertionError(f"{start} is in a cycle but no way back was found")


def _unwind(came_from: dict[str, str], start: str) -> list[str]:
    """The path found by the search, from the first node after ``start`` back to ``start``."""
    path = [start]
    node = came_from[start]
    while node != start:
        path.append(node)
        node = came_from[node]
    return list(reversed(path))


def _strongly_connected(graph: Graph) -> list[set[str]]:
    """Tarjan's algorithm, iteratively (no recursion limit to worry about)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []
    for root in sorted(graph):
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
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                components.append(component)
    return components
