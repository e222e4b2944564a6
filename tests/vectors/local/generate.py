"""Write the vectors of what a node keeps to itself: local-v1 (its warnings on its own message
bus) and form-v1 (its console's form tokens).

Run ``python tests/vectors/local/generate.py`` from the repository root after a deliberate
format change. Every input is fixed (the nonce included), so the files are the same on every
run; ``test_local_vectors.py`` builds them again, and checks them with ``cryptography``
directly, from ``docs/formats/local-v1.md`` and ``docs/console.md`` alone.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2] / "src"))

from gsomia import crypto  # noqa: E402
from gsomia.crypto._local import seal_local_at  # noqa: E402

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def fixed(name: str, size: int = 32) -> bytes:
    """A fixed pseudo-random value named ``name``."""
    return hashlib.sha256(b"gsomia local vector " + name.encode()).digest()[:size]


SEEDS = {
    "signing_seed": fixed("signing").hex(),
    "encryption_seed": fixed("encryption").hex(),
    "at_rest_key": fixed("at-rest").hex(),
}
MASTER = base64.urlsafe_b64encode(fixed("master secret")).rstrip(b"=").decode("ascii")


def keyring() -> crypto.Keyring:
    return crypto.Keyring.from_seeds(
        party="JPN",
        created_at=NOW,
        signing_seed=bytes.fromhex(SEEDS["signing_seed"]),
        encryption_seed=bytes.fromhex(SEEDS["encryption_seed"]),
        at_rest_key=bytes.fromhex(SEEDS["at_rest_key"]),
    )


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
    for name, value in build().items():
        text = json.dumps(value, indent=2, ensure_ascii=False) + "\n"
        (HERE / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
