"""Events as the box stores and ships them, and the in-process bus that announces them."""

from edge.events.model import Event, EventDraft, MediaRef

__all__ = ["Event", "EventDraft", "MediaRef"]
