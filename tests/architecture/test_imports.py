"""Dependencies point one way: no package import cycle under edge/ and drivers/, and drivers/ never imports edge/.

Read from the source with ``ast`` (:mod:`tests.architecture.import_graph`), so an
import under ``if TYPE_CHECKING:`` or inside a function counts like any other.
The detector is shown to fail on a planted tree first.
"""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

from tests.architecture.import_graph import Graph, Import, cycles, describe, imports, package_graph

ROOT = Path(__file__).resolve().parents[2]
TOPS = ("edge", "drivers")


def cycle_report(root: Path) -> tuple[list[list[str]], str]:
    graph: Graph = package_graph(imports(root, TOPS))
    found = cycles(graph)
    return found, "\n".join(describe(cycle, graph) for cycle in found)


def drivers_importing_edge(root: Path) -> list[Import]:
    return [i for i in imports(root, TOPS) if i.importer.split(".")[0] == "drivers" and i.imported.split(".")[0] == "edge"]


# --- the tree -----------------------------------------------------------------------


def test_no_package_import_cycles() -> None:
    found, report = cycle_report(ROOT)
    assert not found, f"package import cycles (each with the imports that make it):\n{report}"


def test_drivers_never_import_edge() -> None:
    found = drivers_importing_edge(ROOT)
    assert not found, "drivers/ must not import edge/:\n" + "\n".join(map(str, found))


def test_the_graph_sees_the_whole_tree() -> None:
    """A guard against a detector that finds nothing because it reads nothing."""
    graph = package_graph(imports(ROOT, TOPS))
    assert {"edge.daemon", "edge.api", "edge.commands", "edge.uplink", "drivers.base", "drivers.sim"} <= set(graph)
    assert "edge.commands" in graph["edge.daemon"] and "edge.commands" in graph["edge.api"]
    assert "drivers.base" in graph["edge.commands"]


def test_edge_commands_imports_none_of_its_users() -> None:
    graph = package_graph(imports(ROOT, TOPS))
    users = {"edge.daemon", "edge.api", "edge.uplink", "edge.vision"}
    assert not users & set(graph["edge.commands"]), describe(["edge.commands", *users & set(graph["edge.commands"])], graph)


# --- the detector, on planted trees --------------------------------------------------


def plant(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text))
    return root


def test_a_planted_cycle_is_reported_with_its_imports(tmp_path: Path) -> None:
    root = plant(tmp_path, {
        "edge/__init__.py": "",
        "edge/core/__init__.py": "",
        "edge/core/app.py": "from edge.web.server import Server\n",
        "edge/web/__init__.py": "",
        "edge/web/server.py": """\
            from typing import TYPE_CHECKING

            if TYPE_CHECKING:
                from edge.core.app import App
            """,
        "edge/leaf.py": "import os\n",
        "drivers/__init__.py": "",
        "drivers/base.py": "",
    })
    found, report = cycle_report(root)
    assert found == [["edge.core", "edge.web", "edge.core"]]
    assert "edge/core/app.py:1: edge.core.app imports edge.web.server" in report
    assert "edge/web/server.py:4: edge.web.server imports edge.core.app" in report


def test_cycles_through_local_relative_and_longer_paths_are_found(tmp_path: Path) -> None:
    root = plant(tmp_path, {
        "edge/__init__.py": "",
        "edge/a/__init__.py": "from . import inner\n",  # relative, inside its own package: no edge
        "edge/a/inner.py": "def later():\n    from edge.b import thing\n",  # function-local
        "edge/b/__init__.py": "from .thing import x\n",
        "edge/b/thing.py": "from ..c import y\n",  # relative, two levels up
        "edge/c.py": "import edge.a.inner\n",
        "edge/d/__init__.py": "from edge import c\n",  # c is a module: edge.c, not edge
        "drivers/__init__.py": "",
    })
    found, report = cycle_report(root)
    assert found == [["edge.a", "edge.b", "edge.c", "edge.a"]], report
    assert "edge/a/inner.py:2: edge.a.inner imports edge.b" in report
    assert "edge/b/thing.py:1: edge.b.thing imports edge.c" in report


def test_separate_cycles_are_each_reported(tmp_path: Path) -> None:
    root = plant(tmp_path, {
        "edge/__init__.py": "",
        "edge/a.py": "import edge.b\n",
        "edge/b.py": "import edge.a\n",
        "edge/c.py": "import edge.d\n",
        "edge/d.py": "import edge.c\n",
        "edge/e.py": "import edge.a\n",  # into a cycle, not part of it
    })
    found, _ = cycle_report(root)
    assert found == [["edge.a", "edge.b", "edge.a"], ["edge.c", "edge.d", "edge.c"]]


def test_a_planted_drivers_import_of_edge_is_reported(tmp_path: Path) -> None:
    root = plant(tmp_path, {
        "edge/__init__.py": "",
        "edge/config.py": "from drivers.base import Driver\n",  # edge -> drivers is the right way
        "drivers/__init__.py": "",
        "drivers/base.py": "",
        "drivers/sim/__init__.py": "",
        "drivers/sim/gate.py": "def f():\n    from edge.config import X\n",
    })
    assert [str(i) for i in drivers_importing_edge(root)] == ["drivers/sim/gate.py:2: drivers.sim.gate imports edge.config"]
    assert cycle_report(root)[0] == []
