"""LCUS / CH340 USB relay boards (1, 2, 4 or 8 channels).

The host switches a channel with a 4-byte frame ``A0 <channel> <state> <sum>``;
the board does not acknowledge it. Many boards also answer a status query, the
single byte ``0xFF``, with one ASCII line per channel (``CH1: OFF\\r\\n``);
cheap ones stay silent. :mod:`.framer` encodes and parses both,
:mod:`.protocol` carries them over any pyserial URL without blocking the event
loop, and :mod:`.driver` turns a channel into a gate lock (``lcus.relay``).
"""
