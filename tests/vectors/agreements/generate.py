"""Write the vector of agreement-v1: a small agreement file and what gsomia reads from it.

Run ``python tests/vectors/agreements/generate.py`` from the repository root after a
deliberate format change. The file's text is fixed below (people write agreement files;
gsomia only reads them); the rest of the vector is what ``load_agreement`` reads from it, so
the vector is the same on every run. ``test_agreement_vectors.py`` builds it again, loads the
text, and refuses it with one byte changed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2] / "src"))
sys.path.insert(0, str(HERE.parents[2]))

from gsomia.agreement_files import load_agreement  # noqa: E402
from gsomia.core.agreements import Agreement  # noqa: E402
from tests.support.vectors import load_text, write_vectors  # noqa: E402

TEXT = """\
# A small bilateral agreement, for the agreement-v1 vector only.
format = "gsomia/agreement-v1"
id = "vector-gsomia"
version = "2026"
title = "Agreement on the Protection of Classified Information (vector)"
short_name = "Vector GSOMIA"
kind = "gsomia"
legal_nature = "binding"
timezone = "+09:00"
rule_prefix = "VG"

[[parties]]
code = "JPN"
name = "Government of Japan"
competent_authority = "Ministry of Defense"

[[parties]]
code = "KOR"
name = "Government of the Republic of Korea"
competent_authority = "Ministry of National Defense"

[[equivalence]]
english = "SECRET"
JPN = ["GOKUHI"]
KOR = ["GUNSA_II"]

[[equivalence]]
english = "CONFIDENTIAL"
JPN = ["HI"]
KOR = ["GUNSA_III"]

[scope]
topics = ["nk-missile"]
description = "Warnings of missile launches."

[route]
kind = "direct"

[term]
entry_into_force = 2026-01-01T00:00:00+09:00
initial_years = 1
automatic_renewal = true
notice_days = 90

[rules]
level_covered = "VG-4.1"
third_party = "VG-6.1"
"""


def load(text: str) -> Agreement:
    """``text`` loaded from a file named ``vector-gsomia.toml``, as a node loads it."""
    return load_text(text, name="vector-gsomia.toml", loader=load_agreement)


def reads(agreement: Agreement) -> dict[str, Any]:
    """What the rules read from an agreement, as JSON."""
    return {
        "id": agreement.id,
        "version": agreement.version,
        "kind": agreement.kind,
        "legal_nature": str(agreement.legal_nature),
        "parties": list(agreement.party_codes),
        "equivalence": [
            {
                "english": row.english,
                "levels": {p: [lv.name for lv in v] for p, v in row.levels.items()},
            }
            for row in agreement.equivalence
        ],
        "scope_topics": list(agreement.scope_topics),
        "route": str(agreement.route.kind),
        "rule_ids": {k: agreement.rule_ids[k] for k in ("level_covered", "third_party")},
    }


def agreement_vector() -> dict[str, Any]:
    return {"format": "gsomia/agreement-v1", "toml": TEXT, "reads": reads(load(TEXT))}


def build() -> dict[str, dict[str, Any]]:
    return {"agreement-v1.json": agreement_vector()}


def main() -> None:
    write_vectors(HERE, build())


if __name__ == "__main__":
    main()
