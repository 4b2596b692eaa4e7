"""Recording: turning what drivers and the daemon report into stored, announced events.

:class:`EventRecorder` sits above the store (:mod:`edge.store`) and the events
package (:mod:`edge.events`), which both stay below it: neither imports this.
"""

from edge.recording.recorder import EventRecorder

__all__ = ["EventRecorder"]
