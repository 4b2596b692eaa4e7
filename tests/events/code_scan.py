"""What the code can record, read from the code: event classes defined, record/emit calls, direct event writes.

Used by tests/events/test_catalogue.py, on the tree and on planted modules
(so each check is shown to fail when it should).
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from drivers.base import DeviceEvent

ROOT = Path(__file__).resolve().parents[2]
RECORDING_CALLS = frozenset({"record", "_record", "emit", "_emit"})
RECORD_KEYWORDS = frozenset({"device_id", "occurred_at"})
_INSERT_EVENTS = re.compile(r"\b(insert|replace)\s+(or\s+\w+\s+)?into\s+[\"'`]?events\b", re.IGNORECASE)


def import_all(packages: Iterable[ModuleType]) -> None:
    for package in packages:
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not module.name.endswith(".__main__"):
                importlib.import_module(module.name)


def event_classes(prefixes: tuple[str, ...]) -> tuple[set[type[DeviceEvent]], list[str]]:
    """Every DeviceEvent subclass defined in modules under ``prefixes`` (module-level, as imported),
    and the names of those defined anywhere else in those modules (in a function: not allowed).

    ``dataclass(slots=True)`` leaves the class it replaced behind as a subclass too: such a shadow
    is recognised by its module-level twin of the same name and skipped."""
    found: set[type[DeviceEvent]] = set()
    stray: list[str] = []
    for cls in _subclasses(DeviceEvent):
        if not cls.__module__.startswith(prefixes):
            continue
        twin = getattr(sys.modules[cls.__module__], cls.__qualname__, None)
        if twin is cls:
            found.add(cls)
        elif not (isinstance(twin, type) and issubclass(twin, DeviceEvent)):
            stray.append(f"{cls.__module__}.{cls.__qualname__}")
    return found, stray


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


@dataclass(frozen=True)
class Call:
    where: str  # path:line
    name: str  # record, _record, emit, _emit
    argument: str  # the event argument's source, or "" when missing
    problem: str | None  # None: a catalogue class (or an expression the recorder checks at run time)


def recording_calls(paths: Iterable[Path], catalogue_names: set[str]) -> list[Call]:
    """Every ``record(...)`` / ``emit(...)`` call in ``paths`` (files or folders of .py), judged."""
    calls = []
    for path in _python_files(paths):
        tree = ast.parse(path.read_text(), str(path))
        assigned = _assignments(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _callee(node.func) in RECORDING_CALLS:
                where = f"{_shown(path)}:{node.lineno}"
                argument = ast.unparse(node.args[0]) if node.args else ""
                calls.append(Call(where, _callee(node.func), argument, _judge(node, catalogue_names, assigned)))
    return calls


def _assignments(tree: ast.AST) -> dict[str, list[ast.expr]]:
    """Every value assigned to each plain name in a module (scopes merged: a name reused for another
    class somewhere else in the module is looked at too)."""
    values: dict[str, list[ast.expr]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    values.setdefault(target.id, []).append(node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            values.setdefault(node.target.id, []).append(node.value)
    return values


def _judge(call: ast.Call, catalogue_names: set[str], assigned: dict[str, list[ast.expr]]) -> str | None:
    name = _callee(call.func)
    if len(call.args) != 1 or any(isinstance(a, ast.Starred) for a in call.args):
        return f"takes one event object, got {len(call.args)} positional arguments"
    allowed = RECORD_KEYWORDS if name in ("record", "_record") else frozenset()
    if extra := sorted(k.arg or "**" for k in call.keywords if k.arg not in allowed):
        return f"unknown keyword arguments {extra}"
    event = call.args[0]
    candidates = assigned.get(event.id, []) if isinstance(event, ast.Name) else [event]
    for value in candidates:
        if isinstance(value, ast.Constant | ast.JoinedStr | ast.Dict | ast.List | ast.Tuple | ast.BinOp):
            return "passes a literal, not an event object"
        if isinstance(value, ast.Call):
            built = _callee(value.func)
            if built[:1].isupper() and built not in catalogue_names:
                return f"{built} is not a catalogue class"
    return None  # a catalogue class, or an expression only the recorder's check at run time can judge


def direct_event_writes(paths: Iterable[Path]) -> list[str]:
    """Places that write events to SQLite or make an EventDraft (what only the store and the recorder should)."""
    found = []
    for path in _python_files(paths):
        text = path.read_text()
        for match in _INSERT_EVENTS.finditer(text):
            found.append(f"{_shown(path)}:{text.count(chr(10), 0, match.start()) + 1}: {match.group(0)}")
        for node in ast.walk(ast.parse(text, str(path))):
            if isinstance(node, ast.Call) and _callee(node.func) == "EventDraft":
                found.append(f"{_shown(path)}:{node.lineno}: EventDraft(...)")
    return found


def _callee(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _python_files(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        yield from sorted(path.rglob("*.py")) if path.is_dir() else [path]


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
