"""Write the vector of gsomia's three STIX 2.1 extensions: marking-v1, item-v1 and
missile-warning-v1 (``docs/interop.md``).

Run ``python tests/vectors/stix/generate.py`` from the repository root after a deliberate
format change. The inputs are the committed label-v2 and warning-v1 vectors and fixed times,
so the file is the same on every run; ``test_stix_vectors.py`` builds it again, reads the
export back through the TAXII ingest and the marking reader, and refuses it with one byte
changed.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
VECTORS = HERE.parent
sys.path.insert(0, str(HERE.parents[2] / "src"))
sys.path.insert(0, str(HERE.parents[2]))

from gsomia.core.labels import Label  # noqa: E402
from gsomia.interop import stix  # noqa: E402
from gsomia.warning.tracking.sharing import SharedWarning  # noqa: E402
from tests.support.vectors import write_vectors  # noqa: E402

EPOCH = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
CONTENT = b"Launch detected near 39.0N 125.7E; details follow."


def label() -> Label:
    """The first label of the committed label-v2 vector (JPN, releasable to KOR)."""
    labels = json.loads((VECTORS / "crypto" / "label-v2.json").read_text(encoding="utf-8"))
    return Label.from_bytes(labels["labels"][0]["canonical"].encode("utf-8"))


def warning() -> SharedWarning:
    """The committed warning-v1 vector."""
    data = json.loads((VECTORS / "documents" / "warning-v1.json").read_text(encoding="utf-8"))
    return SharedWarning.from_dict(data["wire"])


def stix_vector() -> dict[str, Any]:
    held = label()
    marking = stix.Marking.of(held, holder=held.originator)
    item = stix.item_object(
        item_id=held.item_id,
        label=held,
        label_digest=held.digest(),
        content=CONTENT,
        marking=marking,
    )
    parties = (held.originator, *held.releasable_to)
    return {
        "format": "gsomia STIX extensions: gsomia/marking-v1, gsomia/item-v1, "
        "gsomia/missile-warning-v1",
        "extension_ids": {
            "gsomia/marking-v1": stix.MARKING_EXTENSION,
            "gsomia/item-v1": stix.ITEM_EXTENSION,
            "gsomia/missile-warning-v1": stix.WARNING_EXTENSION,
        },
        "content_utf8": CONTENT.decode("utf-8"),
        "bundle": {
            "type": "bundle",
            "id": stix.stix_id("bundle", f"vector:{held.item_id}"),
            "objects": [*stix.common_objects(parties), marking.to_stix(), item],
        },
        "warning_epoch": stix.timestamp(EPOCH),
        "warning_object": stix.warning_object(warning(), epoch=EPOCH, marking=marking),
    }


def build() -> dict[str, dict[str, Any]]:
    return {"extensions-v1.json": stix_vector()}


def main() -> None:
    write_vectors(HERE, build())


if __name__ == "__main__":
    main()
