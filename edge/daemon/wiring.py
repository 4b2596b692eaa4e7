"""How the composition root hands each service only the devices it needs.

A service names the capability it works with (:mod:`drivers.capabilities`:
a face camera, a façade camera, a speaker, an SOS input...) and gets a dict
of exactly those devices, typed with it: the face service never sees a
speaker, the broadcasts never see a camera. What a device is, its driver
class declares; nothing here looks at kinds or member names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from drivers.base import Driver

D = TypeVar("D", bound=Driver)


def devices_with(drivers: Mapping[str, Driver], capability: type[D]) -> dict[str, D]:
    """The drivers that declare ``capability``, by device id, in the order of ``drivers``."""
    return {device_id: driver for device_id, driver in drivers.items() if isinstance(driver, capability)}
