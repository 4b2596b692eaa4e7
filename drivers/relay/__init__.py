"""Relay boards that drive gate and door locks.

One folder per vendor family (``lcus/``: the CH340-based LCUS USB relay
boards), each layered as the house style asks: ``framer.py`` (bytes <-> frames),
``protocol.py`` (requests and responses over a serial link) and ``driver.py``
(the board as the daemon sees it: a gate whose lock the relay drives).
"""
