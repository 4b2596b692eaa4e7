"""In-process announcement of events after they are committed.

The recorder publishes every stored :class:`~edge.events.model.Event` here
once its transaction has committed. A subscriber (today the uplink's
wake-up, the broadcasts' alarm announcements, the benchmarks and tests)
registers a plain callback for the types it wants and gets back a function
that undoes the subscription::

    unsubscribe = bus.subscribe(on_alarm, types=SosPressed)      # a catalogue class
    unsubscribe = bus.subscribe(on_any_sos, types="sos.*")       # a type pattern (fnmatch)
    unsubscribe = bus.subscribe(on_doors, types=[DoorOpened, "door.forced_open"])
    unsubscribe = bus.subscribe(on_everything)                   # None: every event

Callbacks run on the event loop and must not block; one that raises is
logged and the others still run.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import structlog

from drivers.base import DeviceEvent
from edge.events.catalogue import is_catalogued
from edge.events.model import Event

log = structlog.get_logger(__name__)

Subscriber = Callable[[Event], None]
TypeSelector = type[DeviceEvent] | str  # an event class, or a type string that may hold * ? [...]
Types = TypeSelector | Iterable[TypeSelector] | None


@dataclass(frozen=True, slots=True, eq=False)
class _Subscription:
    callback: Subscriber
    exact: frozenset[str] | None  # None: every event
    patterns: tuple[str, ...] = ()

    def wants(self, type_: str) -> bool:
        if self.exact is None:
            return True
        return type_ in self.exact or any(fnmatch.fnmatchcase(type_, p) for p in self.patterns)


class EventBus:
    def __init__(self) -> None:
        self._subscriptions: list[_Subscription] = []

    def subscribe(self, callback: Subscriber, types: Types = None) -> Callable[[], None]:
        """Call ``callback`` with each event whose type ``types`` selects; return the unsubscribe function.

        ``types`` is a catalogue class, a type pattern (``"sos.*"``, fnmatch-style,
        case-sensitive; a plain type string matches itself), an iterable of
        those, or None for every event. Unsubscribing twice is harmless.
        """
        subscription = _subscription(callback, types)
        self._subscriptions.append(subscription)

        def unsubscribe() -> None:
            if subscription in self._subscriptions:
                self._subscriptions.remove(subscription)

        return unsubscribe

    def publish(self, event: Event) -> None:
        for subscription in list(self._subscriptions):
            if not subscription.wants(event.type):
                continue
            try:
                subscription.callback(event)
            except Exception:
                callback = subscription.callback
                log.exception("bus.subscriber_failed", subscriber=getattr(callback, "__qualname__", repr(callback)))


def _subscription(callback: Subscriber, types: Types) -> _Subscription:
    if types is None:
        return _Subscription(callback, None)
    selectors = [types] if isinstance(types, str | type) else list(types)
    if not selectors:
        raise ValueError("subscribe to no types at all? pass types=None for every event")
    exact, patterns = set(), []
    for selector in selectors:
        if isinstance(selector, type) and issubclass(selector, DeviceEvent):
            if not is_catalogued(selector):
                raise TypeError(f"{selector.__qualname__} is not in the event catalogue")
            exact.add(selector.TYPE)
        elif isinstance(selector, str) and any(c in selector for c in "*?["):
            patterns.append(selector)
        elif isinstance(selector, str):
            exact.add(selector)
        else:
            raise TypeError(f"not an event class or type pattern: {selector!r}")
    return _Subscription(callback, frozenset(exact), tuple(patterns))
