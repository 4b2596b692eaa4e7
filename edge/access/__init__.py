"""Access policy: may this recognised person pass this gate now? Decided on the box, offline.

- :mod:`edge.access.schema` — the residents' and grants' JSON (the district's contract), as pydantic models.
- :mod:`edge.access.config` — the ``[access]`` config section: local grants.
- :mod:`edge.access.policy` — :class:`AccessPolicy` and its decisions.
- :mod:`edge.access.loader` — building the policy from the store; knowing when to rebuild it.
- :mod:`edge.access.residents` — residents enrolled on the box (writer jobs).
"""

from edge.access.config import AccessConfig, LocalGrant
from edge.access.loader import PolicyLoader, access_fingerprint, load_policy
from edge.access.policy import AccessDecision, AccessPolicy, Reason
from edge.access.residents import delete_resident, upsert_local_resident
from edge.access.schema import GrantData, ResidentData

__all__ = [
    "AccessConfig",
    "AccessDecision",
    "AccessPolicy",
    "GrantData",
    "LocalGrant",
    "PolicyLoader",
    "Reason",
    "ResidentData",
    "access_fingerprint",
    "delete_resident",
    "load_policy",
    "upsert_local_resident",
]
