"""Write the vector of scheme-v1: a small scheme file and what gsomia reads from it.

Run ``python tests/vectors/schemes/generate.py`` from the repository root after a deliberate
format change. The file's text is fixed below (people write scheme files; gsomia only reads
them); the rest of the vector is what ``parse_scheme`` reads from it, so the vector is the
same on every run. ``test_scheme_vectors.py`` builds it again, reads the text, and refuses it
with one byte changed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2] / "src"))
sys.path.insert(0, str(HERE.parents[2]))

from gsomia.core.classification import Level, parse_scheme, tiers_of  # noqa: E402
from tests.support.vectors import write_vectors  # noqa: E402

TEXT = """\
# A four-tier scheme with RESTRICTED, for the scheme-v1 vector only.
format = "gsomia/scheme-v1"
party = "VEC"
title = "Vector: a scheme with four tiers"
tiers = ["TOP SECRET", "SECRET", "CONFIDENTIAL", "RESTRICTED"]

[[levels]]
code = "HOCHGEHEIM"
native = "Hochgeheim"
romanised = "Hochgeheim"
english = "TOP SECRET"
rank = 40

[[levels]]
code = "GEHEIM"
native = "Geheim"
romanised = "Geheim"
english = "SECRET"
rank = 30

[[levels]]
code = "VERTRAULICH"
native = "Vertraulich"
romanised = "Vertraulich"
english = "CONFIDENTIAL"
rank = 20

[[levels]]
code = "DIENSTLICH"
native = "Nur dienstlich"
romanised = "Nur dienstlich"
english = "RESTRICTED"
rank = 10
aliases = ["ND"]
"""


def load(text: str) -> type[Level]:
    """``text`` read as a file named ``vec.toml``."""
    return parse_scheme(text, where="vec.toml")


def reads(scheme: type[Level]) -> dict[str, Any]:
    """What the rules read from a scheme, as JSON."""
    return {
        "party": next(iter(scheme)).party,
        "tiers": list(tiers_of(scheme)),
        "levels": [
            {
                "ref": level.ref,
                "native": level.native,
                "romanised": level.romanised,
                "english": level.english,
                "rank": level.rank,
                "aliases": list(level.spec.aliases),
            }
            for level in scheme
        ],
    }


def scheme_vector() -> dict[str, Any]:
    return {"format": "gsomia/scheme-v1", "toml": TEXT, "reads": reads(load(TEXT))}


def build() -> dict[str, dict[str, Any]]:
    return {"scheme-v1.json": scheme_vector()}


def main() -> None:
    write_vectors(HERE, build())


if __name__ == "__main__":
    main()
