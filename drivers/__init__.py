"""Device drivers for community-edge.

Each driver turns one kind of device into typed events and accepts commands.
Drivers know nothing of the daemon: nothing under ``drivers/`` imports ``edge``.
The contract they implement lives in :mod:`drivers.base`.
"""
