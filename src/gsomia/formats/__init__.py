"""Formats: the index of every versioned marker gsomia writes or reads, and the framing of
the messages nodes send each other (:mod:`gsomia.formats.messages`, message-v1 and
message-v2).

A marker is ``gsomia/<name>-v<N>``. It heads a document a node persists, signs or sends
(:attr:`FormatKind.DOCUMENT`), separates one use of a key or a hash from every other
inside such a document (:attr:`FormatKind.PART`: a KDF salt, a signed prefix, a key id's
input), or heads a file the tools write for people and other programs
(:attr:`FormatKind.REPORT`). ``FORMATS`` lists each once, with the module that writes it,
spelt the one way gsomia writes it; ``first_spellings`` are older spellings of the same
version that are still read. ``tests/vectors/test_format_index.py`` holds the index
complete: every marker in the code is here, and each entry's page and vectors exist and
name it.

A new format: add its entry, its page in ``docs/formats/`` and vectors under
``tests/vectors/`` made by a ``generate.py`` and checked by a test.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["FORMATS", "Format", "FormatKind", "format_of"]


class FormatKind(enum.StrEnum):
    """What a marker heads."""

    DOCUMENT = "document"  # persisted, signed or sent by a node
    PART = "part"  # a domain separator inside a document: KDF salt, signed prefix, key id
    REPORT = "report"  # a file the CLI or the analysis writes for people and other tools


@dataclass(frozen=True, slots=True, kw_only=True)
class Format:
    """One marker: the module that writes it, its page and its vectors (repository paths)."""

    marker: str
    kind: FormatKind
    module: str
    doc: str
    vectors: str | None
    first_spellings: tuple[str, ...] = ()


_C = "tests/vectors/crypto/"
_L = "tests/vectors/ledger/"
_D = "tests/vectors/documents/"
_P = "tests/vectors/pki/"
_S = "tests/vectors/stix/extensions-v1.json"
_R = "tests/vectors/reports/"
_F = "docs/formats/"


def _entries() -> tuple[Format, ...]:
    doc, part, report = FormatKind.DOCUMENT, FormatKind.PART, FormatKind.REPORT
    rows: list[tuple[str, FormatKind, str, str, str | None]] = [
        # marker, kind, module, page, vectors
        (
            "agreement-v1",
            doc,
            "agreement_files",
            "agreement-v1.md",
            "tests/vectors/agreements/agreement-v1.json",
        ),
        (
            "scheme-v1",
            doc,
            "core.classification",
            "scheme-v1.md",
            "tests/vectors/schemes/scheme-v1.json",
        ),
        ("label-v1", doc, "core.labels", "label-v1.md", _C + "label-v1.json"),
        ("label-v2", doc, "core.labels", "label-v2.md", _C + "label-v2.json"),
        (
            "ledger-entry-v1",
            doc,
            "ledger.entries",
            "ledger-entry-v1.md",
            _L + "ledger-entry-v1.json",
        ),
        (
            "inclusion-proof-v1",
            doc,
            "ledger.proofs",
            "checkpoint.md",
            _L + "inclusion-proof-v1.json",
        ),
        ("keyring-v1", doc, "crypto._keyring_file", "keyring-v1.md", _C + "keyring-v1.json"),
        ("public-keys-v1", doc, "crypto._keyring_file", "keyring-v1.md", _C + "keyring-v1.json"),
        ("state-v1", doc, "crypto._state", "state-v1.md", _C + "state-v1.json"),
        ("message-v1", doc, "formats.messages", "message-v1.md", _D + "message-v1.json"),
        ("message-v2", doc, "formats.messages", "message-v2.md", _D + "message-v2.json"),
        ("consent-v1", doc, "services.acts._consents", "consent-v1.md", _D + "consent-v1.json"),
        (
            "reclassification-v1",
            doc,
            "services.acts.reclassification",
            "reclassification-v1.md",
            _D + "reclassification-v1.json",
        ),
        ("note-v1", doc, "services.acts.notes", "note-v1.md", _D + "note-v1.json"),
        (
            "amendment-proposal-v1",
            doc,
            "services.acts.notes",
            "note-v1.md",
            _D + "amendment-proposal-v1.json",
        ),
        (
            "amendment-acceptance-v1",
            doc,
            "services.acts.notes",
            "note-v1.md",
            _D + "amendment-acceptance-v1.json",
        ),
        (
            "assurance-v1",
            doc,
            "services.acts.assurances",
            "assurance-v1.md",
            _D + "assurance-v1.json",
        ),
        ("warning-v1", doc, "warning.tracking.sharing", "warning-v1.md", _D + "warning-v1.json"),
        (
            "warning-stream-v1",
            doc,
            "formats.streams",
            "warning-v1.md",
            "tests/vectors/streams/warning-stream-v1.json",
        ),
        ("pki-v1", doc, "crypto.pki", "pki-v1.md", _P + "pki-v1.json"),
        ("ca-bundle-v1", doc, "crypto._pki_x509", "pki-v1.md", _P + "ca-bundle-v1.json"),
        ("binding-v1", part, "crypto._binding", "binding-v1.md", _C + "binding-v1.json"),
        ("binding-v2", part, "crypto._binding", "binding-v2.md", _C + "binding-v2.json"),
        ("commit-v2", part, "crypto._envelope", "envelope-v2.md", _C + "envelope-v2.json"),
        ("wrap-v2", part, "crypto._keys", "envelope-v2.md", _C + "envelope-v2.json"),
        ("kek-v1", part, "crypto._keys", "envelope-v1.md", _C + "envelope-v1.json"),
        ("key-id-v1", part, "crypto._keys", "keyring-v1.md", _C + "keyring-v1.json"),
        ("master-v1", part, "crypto._master", "keyring-v1.md", _C + "keyring-v1.json"),
        ("frame-v1", part, "crypto._keys", "frame-v1.md", _C + "frame-v1.json"),
        ("local-v1", part, "crypto._local", "local-v1.md", "tests/vectors/local/local-v1.json"),
        ("form-v1", part, "crypto._forms", "../console.md", "tests/vectors/local/form-v1.json"),
        ("marking-v1", part, "interop.stix", "../interop.md", _S),
        ("item-v1", part, "interop.stix", "../interop.md", _S),
        ("missile-warning-v1", part, "interop.stix", "../interop.md", _S),
        ("launches-v1", report, "cli.warning", "../tracking.md", _R + "launches-v1.json"),
        ("sensors-v1", report, "cli.warning", "../tracking.md", _R + "sensors-v1.json"),
        ("trajectory-v1", report, "cli.warning", "../tracking.md", _R + "trajectory-v1.json"),
        (
            "value-v1",
            report,
            "analysis.report",
            "../value.md",
            "tests/vectors/value/value-v1.json",
        ),
        (
            "value-sweep-v1",
            report,
            "analysis.sweep",
            "../value.md",
            "tests/vectors/value/value-sweep-v1.json",
        ),
        (
            "value-assumptions-v1",
            report,
            "analysis.assumptions",
            "../value.md",
            "tests/vectors/value/value-assumptions-v1.json",
        ),
    ]
    first = {
        "warning-v1": ("gsomia-warning-v1",),
        "pki-v1": ("gsomia-pki-v1",),
        "ca-bundle-v1": ("gsomia-ca-bundle-v1",),
    }
    return tuple(
        Format(
            marker=f"gsomia/{name}",
            kind=kind,
            module=f"gsomia.{module}",
            doc=str(_normal(_F + page)),
            vectors=vectors,
            first_spellings=first.get(name, ()),
        )
        for name, kind, module, page, vectors in rows
    )


def _normal(path: str) -> str:
    parts: list[str] = []
    for part in path.split("/"):
        if part == "..":
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts)


FORMATS: Mapping[str, Format] = MappingProxyType({f.marker: f for f in _entries()})
"""Every marker, by its one spelling."""


def format_of(marker: str) -> Format:
    """The entry for ``marker`` in its one spelling or a first spelling; raises KeyError."""
    if marker in FORMATS:
        return FORMATS[marker]
    for entry in FORMATS.values():
        if marker in entry.first_spellings:
            return entry
    raise KeyError(marker)
