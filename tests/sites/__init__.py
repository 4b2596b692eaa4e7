"""The sites the tests run the daemon on: one TOML file per distinct site, here beside this module.

A site file is a real config with ``{name}`` placeholders for what varies per test
(the data dir, a port, a path, a URL). :func:`load_site` fills them in and parses
the result as ``edge run`` would; :func:`site_text` gives the text, for tests that
write a config file for a subprocess.

Rules, so a site cannot silently be other than the test meant:

- ``{name}`` (a name right inside single braces) is a placeholder; every one must be
  given a value and every value given must be used, or the call fails (KeyError /
  TypeError). A TOML inline table has spaces inside its braces (``{ unit = 4 }``) and
  is left alone. ``{{name}}`` stands for a literal ``{name}`` (broadcast text templates).
- ``extra=`` is TOML appended to the end of the site, so it lands in the site's last
  table (or adds new tables). Placeholders in it are filled in too. Use it for the one
  table or key a single test adds, rather than copying the site.
"""

from __future__ import annotations

import re
from pathlib import Path

from edge.config.loader import parse_config
from edge.config.model import EdgeConfig

SITES = Path(__file__).parent
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}|\{(\w+)\}")


def site_path(name: str) -> Path:
    """The file of site ``name`` (``"sim-basic"`` is ``tests/sites/sim-basic.toml``)."""
    path = SITES / f"{name}.toml"
    if not path.is_file():
        known = sorted(p.stem for p in SITES.glob("*.toml"))
        raise FileNotFoundError(f"no site {name!r} in {SITES} (known: {', '.join(known)})")
    return path


def site_text(name: str, *, extra: str = "", **values: object) -> str:
    """Site ``name`` with ``extra`` appended and every placeholder filled in from ``values``."""
    template = site_path(name).read_text(encoding="utf-8") + ("\n" + extra + "\n" if extra else "")
    used: set[str] = set()

    def fill(match: re.Match[str]) -> str:
        literal, key = match.groups()
        if literal is not None:
            return "{" + literal + "}"
        if key not in values:
            raise KeyError(f"site {name!r} needs a value for {{{key}}}")
        used.add(key)
        return str(values[key])

    text = _PLACEHOLDER.sub(fill, template)
    if unused := sorted(set(values) - used):
        raise TypeError(f"site {name!r} has no placeholder for {', '.join(unused)}")
    return text


def load_site(name: str, *, extra: str = "", **values: object) -> EdgeConfig:
    """Site ``name`` filled in (see :func:`site_text`) and validated as ``edge run`` would."""
    return parse_config(site_text(name, extra=extra, **values), site_path(name))
