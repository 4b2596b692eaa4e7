"""Events: the stored model, the catalogue of every type the box records, and the bus that announces them.

* :mod:`.model` — the stored :class:`Event` and its wire JSON;
* :mod:`.types` and ``drivers/events.py`` — a class per event type;
* :mod:`.catalogue` — the list of them (``edge events types``, docs/events.md);
* :mod:`.bus` — subscriptions by class or type pattern, undoable;
* :mod:`.record` — the signature producers are handed.

This package imports nothing from ``edge`` outside itself (``drivers.base``
and ``drivers.events`` aside); recording, which needs the store, is
:mod:`edge.recording`.
"""

from edge.events.model import Event, EventDraft, MediaRef

__all__ = ["Event", "EventDraft", "MediaRef"]
