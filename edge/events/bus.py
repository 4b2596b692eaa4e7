"""In-process announcement of events after they are committed.

Subscribers (rules, the uplink's wake-up, the console's live view) register a
plain callback and get back a function that undoes the subscription. Callbacks
run on the event loop and must not block; one that raises is logged and the
others still run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import structlog

from edge.events.model import Event

log = structlog.get_logger(__name__)

Subscriber = Callable[[Event], None]


class EventBus:
    def __init__(self) -> None:
        self._subscribers: list[tuple[Subscriber, frozenset[str] | None]] = []

    def subscribe(self, callback: Subscriber, types: Iterable[str] | None = None) -> Callable[[], None]:
        entry = (callback, frozenset(types) if types is not None else None)
        self._subscribers.append(entry)

        def unsubscribe() -> None:
            if entry in self._subscribers:
                self._subscribers.remove(entry)

        return unsubscribe

    def publish(self, event: Event) -> None:
        for callback, types in list(self._subscribers):
            if types is not None and event.type not in types:
                continue
            try:
                callback(event)
            except Exception:
                log.exception("bus.subscriber_failed", subscriber=getattr(callback, "__qualname__", repr(callback)))
