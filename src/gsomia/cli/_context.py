"""What CLI commands share: the agreement library and the services built on it, made once."""

from __future__ import annotations

from functools import cache

from gsomia.agreement_files import load_library
from gsomia.services.policy import PolicyService

__all__ = ["policy_service"]


@cache
def policy_service() -> PolicyService:
    """The policy service over the built-in agreements and ``GSOMIA_AGREEMENTS_PATH``."""
    return PolicyService(load_library())
