"""The daemon's configuration: TOML files validated by pydantic models.

Each driver declares its own config model next to its code
(``drivers/<kind>/...``); :mod:`edge.config.model` assembles them into
:class:`EdgeConfig`, whose JSON Schema feeds the web console's forms.
"""

from edge.config.loader import ConfigError, Problem, load_config
from edge.config.model import EdgeConfig

__all__ = ["ConfigError", "EdgeConfig", "Problem", "load_config"]
