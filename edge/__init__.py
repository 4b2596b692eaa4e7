"""community-edge: the neighbourhood box's daemon.

Data flows one way: device -> driver (``drivers/``) -> typed event ->
store (``edge.store``: event + outbox row in one transaction) -> subscribers
(rules, uplink). Commands flow back: console / district / rules ->
``edge.commands`` (one router, the caller attached by the entry point) -> driver.
"""

import os

__version__ = "0.1.0"

# Matrix work (face matching, dlib's encoder) runs on a 2-core box beside everything
# else: one BLAS / OpenMP thread per process is faster there under load (FACTS.md).
# Set before numpy or dlib load their BLAS; an operator's own setting wins.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
