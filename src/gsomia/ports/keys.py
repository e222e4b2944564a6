"""Key ports: where a node keeps the at-rest keys of the items it holds.

Crypto-shredding rests on one separation: an item's ciphertext (the envelope at rest, with
no wrapped keys) lives in the item store, and its data key, wrapped under the node's at-rest
key (an item-key-v1 record, :class:`gsomia.crypto.ItemKey`), lives here. Destroying the
item destroys this record; from then on no key the node holds opens the ciphertext, even for
someone with the whole database and the keyring.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from gsomia.crypto import ItemKey

__all__ = ["ItemKeyReader", "ItemKeyStore"]


@runtime_checkable
class ItemKeyReader(Protocol):
    """The read side of :class:`ItemKeyStore` (what a read view of the store offers)."""

    def get(self, item_id: str) -> ItemKey:
        """The record of ``item_id``."""
        ...

    def uses(self, key_id: bytes) -> int:
        """How many data keys at-rest key ``key_id`` has wrapped here."""
        ...

    def count_under_key(self, key_id: bytes) -> int:
        """How many live records use at-rest key ``key_id``."""
        ...

    def under_key(self, key_id: bytes) -> Iterator[str]:
        """Ids of the items whose record is wrapped under at-rest key ``key_id``."""
        ...


@runtime_checkable
class ItemKeyStore(ItemKeyReader, Protocol):
    """The store of item-key records, one per item held, keyed by item id.

    Contract for every adapter:

    * ``put`` MUST NOT return before the record is durable. Putting a record equal to the
      stored one is a no-op; putting a different record for a stored item id, or any record
      for a destroyed item id, MUST raise :class:`~gsomia.errors.ConflictError`.
    * ``get`` returns the stored record; for an unknown or destroyed item id it MUST raise
      :class:`~gsomia.errors.UnknownName`.
    * ``replace`` swaps a stored record for one of the same item (a re-wrap under a newer
      at-rest key) atomically; it MUST raise ``UnknownName`` for an unknown or destroyed item
      and ``ConflictError`` if the new record is for another item or label.
    * ``destroy`` MUST remove the record so that it cannot be read back from the live
      store: SQLite with ``PRAGMA secure_delete = ON`` (and a WAL checkpoint), PostgreSQL
      with the row deleted and the table vacuumed before the destruction is reported done.
      It MUST keep a tombstone (the item id only) so the item cannot be re-keyed, MUST be
      idempotent, and MUST NOT return before the deletion is durable.
    * ``reseal`` swaps a stored record for one of the same item under a new label (the item
      sealed again at rest); it MUST raise ``UnknownName`` for an unknown or destroyed item.
    * ``under_key`` yields the ids of items whose record uses the given at-rest key id, so
      a rotation can re-wrap them and then retire the key; ``count_under_key`` counts them.
    * ``uses`` is how many data keys an at-rest key has wrapped in this store (every
      ``put``, ``replace`` and ``reseal`` counts); a write that would take a key past its
      nonce budget MUST raise ``ConflictError``.
    * Storage failures raise :class:`~gsomia.errors.StorageError`; nothing is half-written.
    """

    def put(self, key: ItemKey) -> None:
        """Store the record of a newly kept item."""
        ...

    def put_many(self, keys: list[ItemKey]) -> None:
        """:meth:`put` for many records at once (one statement where the store allows)."""
        ...

    def replace(self, key: ItemKey) -> None:
        """Swap the stored record of ``key.item_id`` for ``key``."""
        ...

    def reseal(self, key: ItemKey) -> None:
        """Swap the stored record of ``key.item_id`` for one under a new label."""
        ...

    def destroy(self, item_id: str) -> None:
        """Erase the record of ``item_id`` for good, leaving a tombstone."""
        ...
