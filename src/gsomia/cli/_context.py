"""What CLI commands share: the agreement library and the services built on it, made once."""

from __future__ import annotations

from functools import cache

from gsomia.agreement_files import load_library
from gsomia.services.what_if import WhatIfService

__all__ = ["what_if_service"]


@cache
def what_if_service() -> WhatIfService:
    """The what-if service over the built-in agreements and ``GSOMIA_AGREEMENTS_PATH``."""
    return WhatIfService(load_library())
