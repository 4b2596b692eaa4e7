"""Finds the line where a key is written in a TOML file, to point config errors at it.

It follows table headers (``[a.b]``, ``[[devices]]`` with their index) and
``key = value`` lines at the start of a line. It is a locator, not a parser: the
file has already been parsed by ``tomllib``, and an unusual layout only costs
the line number, never the error itself.
"""

from __future__ import annotations

import re
from typing import Any

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r'^\s*("[^"]*"|[A-Za-z0-9_.\- ]+?)\s*=')


def _split_key(key: str) -> list[str]:
    parts = re.findall(r'"([^"]*)"|([^.\s"]+)', key)
    return [quoted or bare for quoted, bare in parts]


class KeyLines:
    def __init__(self, text: str) -> None:
        self._lines: dict[tuple[Any, ...], int] = {}
        counts: dict[tuple[Any, ...], int] = {}
        table: tuple[Any, ...] = ()
        for number, line in enumerate(text.splitlines(), start=1):
            header = _HEADER.match(line)
            if header:
                names = tuple(_split_key(header.group(2)))
                if header.group(1) == "[[":
                    index = counts.get(names, 0)
                    counts[names] = index + 1
                    table = (*names, index)
                else:
                    table = names
                self._lines.setdefault(table, number)
                continue
            key = _KEY.match(line)
            if key:
                self._lines.setdefault((*table, *_split_key(key.group(1))), number)

    def line_of(self, path: tuple[Any, ...]) -> int | None:
        """The line of the longest prefix of ``path`` that is written in the file."""
        for end in range(len(path), 0, -1):
            if path[:end] in self._lines:
                return self._lines[path[:end]]
        return None
