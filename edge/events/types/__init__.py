"""The events the daemon itself records, one module per area; the drivers' own are in ``drivers/events.py``.

Each class is a :class:`drivers.base.DeviceEvent`: its ``TYPE`` and
``PRIORITY`` once, its fields the stored ``data`` (their names are the JSON
keys, so they never change), its docstring's first line its meaning in the
catalogue (:mod:`edge.events.catalogue`). These modules import only
``drivers.base``, :mod:`edge.events.model` and the standard library, so any
package can import its own events without an import cycle.
"""
