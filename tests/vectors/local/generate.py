"""Write the vectors of what a node keeps to itself: local-v1 (its warnings on its own message
bus) and form-v1 (its console's form tokens).

Run ``python tests/vectors/local/generate.py`` from the repository root after a deliberate
format change. Every input is fixed (the nonce included), so the files are the same on every
run; ``test_local_vectors.py`` builds them again, and checks them with ``cryptography``
directly, from ``docs/formats/local-v1.md`` and ``docs/console.md`` alone.
"""

from __future__ import annotations

import base64
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2] / "src"))
sys.path.insert(0, str(HERE.parents[2]))

from gsomia import crypto  # noqa: E402
from gsomia.crypto._local import seal_local_at  # noqa: E402
from tests.support.vectors import (  # noqa: E402
    fixed_bytes,
    keyring_seeds,
    seeded_keyring,
    write_vectors,
)

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
DOMAIN = "gsomia local vector"


def fixed(name: str, size: int = 32) -> bytes:
    """A fixed pseudo-random value named ``name``."""
    return fixed_bytes(DOMAIN, name, size)


SEEDS = keyring_seeds(DOMAIN)
MASTER = base64.urlsafe_b64encode(fixed("master secret")).rstrip(b"=").decode("ascii")


def keyring() -> crypto.Keyring:
    return seeded_keyring(party="JPN", seeds=SEEDS, now=NOW)


def local_vector() -> dict[str, Any]:
    payload = b'{"format":"gsomia/warning-v1","originator":"KOR","warning_id":"w17"}'
    purpose = "gsomia.jpn.warnings"
    nonce = fixed("nonce", 12)
    sealed = seal_local_at(keyring=keyring(), purpose=purpose, payload=payload, nonce=nonce)
    return {
        "format": "gsomia/local-v1",
        "keyring": SEEDS,
        "purpose": purpose,
        "payload_utf8": payload.decode(),
        "nonce_hex": nonce.hex(),
        "sealed_hex": sealed.hex(),
    }


def form_vector() -> dict[str, Any]:
    key = crypto.FormKey.from_master(crypto.MasterSecret.from_text(MASTER))
    values = ["session-0001", "Łukasz's session"]
    return {
        "format": "gsomia/form-v1",
        "master_secret": MASTER,
        "tokens": [{"value": v, "token": key.token(v)} for v in values],
    }


def build() -> dict[str, dict[str, Any]]:
    return {"local-v1.json": local_vector(), "form-v1.json": form_vector()}


def main() -> None:
    write_vectors(HERE, build())


if __name__ == "__main__":
    main()
