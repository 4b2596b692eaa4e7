"""edge.events stands below everything else in edge/: it imports nothing from edge outside itself,
so the store, the recorder and every service can import its model, bus and event classes."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.events.code_scan import ROOT


def edge_imports(package: Path, root: Path = ROOT) -> dict[str, set[str]]:
    """For each module file under ``package`` (by its path from ``root``): the edge.* / drivers.* modules it imports."""
    found: dict[str, set[str]] = {}
    for path in sorted(package.rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
        found[str(path.relative_to(root))] = {n for n in names if n.split(".")[0] in ("edge", "drivers")}
    return found


def test_edge_events_imports_only_itself_and_drivers() -> None:
    imports = edge_imports(ROOT / "edge" / "events")
    assert "edge/events/catalogue.py" in imports and "edge/events/types/faces.py" in imports
    outside = {path: sorted(n for n in names if n.startswith("edge") and not n.startswith("edge.events"))
               for path, names in imports.items()}
    assert {path: names for path, names in outside.items() if names} == {}
    drivers_used = {n for names in imports.values() for n in names if n.startswith("drivers")}
    assert drivers_used <= {"drivers", "drivers.base", "drivers.events"}


def test_the_store_does_not_import_the_recorder() -> None:
    imports = edge_imports(ROOT / "edge" / "store")
    assert not {n for names in imports.values() for n in names if n.startswith("edge.recording")}


def test_the_scan_sees_an_import_from_outside(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text("from edge.store.writer import StoreWriter\nimport edge.timesync\nimport json\n")
    assert edge_imports(tmp_path, tmp_path) == {"bad.py": {"edge.store.writer", "edge.timesync"}}
