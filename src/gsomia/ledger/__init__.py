"""The tamper-evident ledger, as pure code: no I/O, no clock, no randomness.

* :mod:`~gsomia.ledger.merkle`: RFC 9162 tree hashing, inclusion and consistency proofs
  and their verifiers (which raise :class:`~gsomia.errors.IntegrityError`);
* :mod:`~gsomia.ledger.tiles`: tlog-tiles layout (bundles of entries, tiles of hashes),
  integration of new leaves in O(1) per leaf, proofs read from tiles through an LRU;
* :mod:`~gsomia.ledger.entries`: ledger-entry-v1, one record per act, never content;
* :mod:`~gsomia.ledger.checkpoint`: C2SP checkpoints and signed notes, signing and
  verification through small Protocols (implemented in :mod:`gsomia.crypto.signed_notes`);
* :mod:`~gsomia.ledger.witness`: a witness's judgement on a partner's checkpoint;
* :mod:`~gsomia.ledger.proofs`: the self-contained inclusion-proof document.

Storage is behind :mod:`gsomia.ports.ledger`; the use cases are in
:mod:`gsomia.services.plumbing.audit`. Formats: ``docs/formats/ledger-entry-v1.md`` and
``docs/formats/checkpoint.md``.
"""

# The entries' fast batch registers behind its plain definition (gsomia.ledger.entries).
from gsomia.ledger import _entries_fast as _entries_fast
