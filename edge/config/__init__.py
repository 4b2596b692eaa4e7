"""The daemon's configuration: TOML files validated by pydantic models.

Each driver declares its own config model next to its code
(``drivers/<kind>/...``); :mod:`edge.config.model` assembles them into
``EdgeConfig``, whose JSON Schema feeds the web console's forms, and
:mod:`edge.config.loader` reads a file into it with errors a technician can
act on. Sections defined elsewhere, like ``edge.uplink.config``, declare their
secrets with the leaf module :mod:`edge.secret`, so they need nothing from here.
"""
