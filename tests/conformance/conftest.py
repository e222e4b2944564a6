"""The conformance suites share the crypto tests' small world (``tests/unit/crypto``): its
fixed keyrings and its in-memory item-key store, the reference the SQL store is held to."""

from __future__ import annotations

import sys
from pathlib import Path

_CRYPTO_TESTS = str(Path(__file__).resolve().parents[1] / "unit" / "crypto")
if _CRYPTO_TESTS not in sys.path:
    sys.path.append(_CRYPTO_TESTS)
