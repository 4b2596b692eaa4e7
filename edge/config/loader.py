"""Reading a TOML config file into :class:`EdgeConfig`, with errors a technician can act on.

Every problem is reported with its key path (``devices[1].pulse_ms``) and, where
the file shows it, its line: the TOML parser gives one for syntax errors, and
:class:`KeyLines` finds the line of a key for validation errors.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from edge.config.model import EdgeConfig, format_loc
from edge.config.toml_lines import KeyLines

_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


@dataclass(frozen=True, slots=True)
class Problem:
    where: str  # key path, or "" for the whole file
    message: str
    line: int | None = None

    def __str__(self) -> str:
        place = f"line {self.line}: " if self.line else ""
        key = f"{self.where}: " if self.where else ""
        return f"{place}{key}{self.message}"


class ConfigError(Exception):
    def __init__(self, path: Path, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems
        count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
        super().__init__(f"{path}: {count}\n" + "\n".join(f"  {p}" for p in problems))


def load_config(path: Path) -> EdgeConfig:
    """Read and validate ``path``; raise :class:`ConfigError` listing every problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, [Problem("", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, [Problem("", f"cannot read: {exc}")]) from None
    return parse_config(text, path)


def parse_config(text: str, path: Path = Path("<config>")) -> EdgeConfig:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, [_syntax_problem(exc)]) from None
    try:
        config = EdgeConfig.model_validate(raw, context={"defer_references": True})
    except ValidationError as exc:
        lines = KeyLines(text)
        raise ConfigError(path, [_problem(err, raw, lines) for err in exc.errors()]) from None
    if references := config.reference_problems():
        lines = KeyLines(text)
        raise ConfigError(path, [Problem(format_loc(loc), msg, lines.line_of(loc)) for loc, msg in references])
    return config


def _syntax_problem(exc: tomllib.TOMLDecodeError) -> Problem:
    message = str(exc)
    match = _TOML_POSITION.search(message)
    line = int(match.group(1)) if match else None
    message = _TOML_POSITION.sub("", message).strip()
    return Problem("", f"not valid TOML: {message}", line)


def _problem(err: dict[str, Any], raw: dict[str, Any], lines: KeyLines) -> Problem:
    path = _strip_union_tags(err["loc"], raw)
    message = err["msg"]
    if err["type"] in ("extra_forbidden", "unexpected_keyword_argument"):  # models / pydantic dataclasses
        message = "unknown key"
    elif err["type"] == "missing":
        message = "required key is missing"
    elif "input" in err and err["type"] not in ("union_tag_invalid",) and _short(err["input"]):
        message = f"{message} (got {err['input']!r})"
    return Problem(format_loc(path), message, lines.line_of(path))


def _short(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) and len(repr(value)) <= 60


def _strip_union_tags(loc: tuple[Any, ...], raw: dict[str, Any]) -> tuple[Any, ...]:
    """Drop the discriminator values pydantic inserts (``devices.0.sim.gate.x`` -> ``devices.0.x``)."""
    out: list[Any] = []
    node: Any = raw
    for part in loc:
        if isinstance(node, dict) and part not in node and isinstance(node.get("kind"), str) and part == node["kind"]:
            continue
        out.append(part)
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            node = None
    return tuple(out)
