"""Run by the interop tests with the OASIS clients' own interpreter (``.venv-taxii``):
walks a node's TAXII 2.1 server with ``taxii2-client`` and checks every object with
``stix2-validator`` in strict mode. Prints one JSON document; exits 1 on a failure.

    python taxii_client.py BASE_URL TOKEN COLLECTION_TITLE PER_PAGE [ADDED_AFTER]
"""

import json
import sys

from stix2validator import ValidationOptions, validate_instance
from taxii2client.common import TokenAuth
from taxii2client.v21 import Server, as_pages


def main() -> int:
    base, token, title, per_page = sys.argv[1:5]
    added_after = sys.argv[5] if len(sys.argv) > 5 else None
    server = Server(f"{base}/taxii2/", auth=TokenAuth(token))
    root = server.default
    collections = {c.title: c for c in root.collections}
    collection = collections[title]
    kwargs = {"added_after": added_after} if added_after else {}
    pages, objects, invalid = 0, [], []
    options = ValidationOptions(strict=True, version="2.1")
    for envelope in as_pages(collection.get_objects, per_request=int(per_page), **kwargs):
        pages += 1
        for obj in envelope.get("objects", []):
            objects.append(obj)
            result = validate_instance(obj, options)
            if not result.is_valid:
                invalid.append({"id": obj["id"], "errors": [str(e) for e in result.errors]})
    manifest = []
    for envelope in as_pages(collection.get_manifest, per_request=int(per_page), **kwargs):
        manifest.extend(envelope.get("objects", []))
    report = {
        "discovery": server.title,
        "api_root": root.title,
        "collections": sorted(collections),
        "can_read": collection.can_read,
        "pages": pages,
        "objects": len(objects),
        "ids": [o["id"] for o in objects],
        "types": sorted({o["type"] for o in objects}),
        "last_added": max((m["date_added"] for m in manifest), default=None),
        "manifest": len(manifest),
        "invalid": invalid,
        "validated": len(objects) - len(invalid),
    }
    print(json.dumps(report))
    return 1 if invalid else 0


if __name__ == "__main__":
    sys.exit(main())
