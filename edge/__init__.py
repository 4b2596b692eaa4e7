"""community-edge: the neighbourhood box's daemon.

Data flows one way: device -> driver (``drivers/``) -> typed event ->
store (``edge.store``: event + outbox row in one transaction) -> subscribers
(rules, uplink). Commands flow back: console / district / rules ->
``edge.daemon.commands`` -> driver.
"""

__version__ = "0.1.0"
