"""Modbus RTU IO modules on an RS-485 bus: relays for locks, dry-contact inputs for doors, buttons and SOS.

Layers, as elsewhere in ``drivers/``: pymodbus does the framing and the
protocol; :mod:`.bus` is the line itself — one serial port shared by several
modules (unit ids) behind one lock, with polling, timeouts and counters —
and :mod:`.gate` / :mod:`.sos` are the logical devices the daemon sees, each
a ``[[devices]]`` entry naming its bus and its module channels.
"""
