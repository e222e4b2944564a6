"""Data-centric protection: sealed items, signed bindings, compact frames and the keyring.

Only recipes are public, and none of them takes an algorithm choice:

* :func:`seal` encrypts an item under its label for its holder parties (envelope-v2: a key
  commitment beside the ciphertext, the data key wrapped for each holder under a wrap key
  sent by HPKE), and :func:`seal_batch` many items for the same holders;
* :func:`bind` signs a batch of items' label-to-ciphertext bindings at once (binding-v2);
* :func:`verify` checks a binding, and :func:`open` (also :func:`open_item`) verifies and
  decrypts an item for this node; :func:`verify_batch` and :func:`open_batch` do the same
  for many items, checking each whole signed batch at once;
* :func:`keep` splits a received item into its at-rest form and an :class:`ItemKey`, whose
  deletion shreds the item, and :func:`keep_batch` many items at once; :func:`open_stored`
  opens what was kept;
* :func:`rotate` adds fresh keys to a keyring; :func:`rewrap_item_key` moves a kept item
  to the newest at-rest key; :func:`grant` wraps an item for one more holder;
* :func:`seal_local` / :func:`open_local` seal what a node hands only to itself, such as
  the warnings on its message bus (local-v1);
* :func:`sign_document` / :func:`open_document` sign and verify the documents nodes send each
  other (document-v1, the signed layer of message-v1 and message-v2), and
  :func:`peek_document` reads a document's claimed signer and agreement for routing;
* :func:`seal_row` / :func:`check_row` seal the rows of the node's own store that decisions
  read, under its state key (state-v1), and :func:`seal_rows` seals many rows of one table;
* :class:`FrameSender` / :class:`FrameReceiver` carry small, frequent messages (frame-v1);
  their :class:`FrameCounter` and :class:`FrameFloor` are what a node records so that no
  nonce repeats and no replay is accepted across restarts.

Every integrity or decryption failure raises one opaque
:class:`~gsomia.errors.IntegrityError`. Each recipe that draws randomness or reads the
clock has an explicit ``*_at`` form for test vectors. Formats: ``docs/formats/``.
"""

from __future__ import annotations

from gsomia.crypto._binding import Binding as Binding
from gsomia.crypto._binding import bind as bind
from gsomia.crypto._binding import verify as verify
from gsomia.crypto._binding import verify_batch as verify_batch
from gsomia.crypto._documents import SignedDocument as SignedDocument
from gsomia.crypto._documents import open_document as open_document
from gsomia.crypto._documents import peek_document as peek_document
from gsomia.crypto._documents import sign_document as sign_document
from gsomia.crypto._envelope import Envelope as Envelope
from gsomia.crypto._envelope import SealedKey as SealedKey
from gsomia.crypto._envelope import WrappedKey as WrappedKey
from gsomia.crypto._forms import FormKey as FormKey
from gsomia.crypto._frame import FRAME_OVERHEAD as FRAME_OVERHEAD
from gsomia.crypto._frame import FrameCounter as FrameCounter
from gsomia.crypto._frame import FrameFloor as FrameFloor
from gsomia.crypto._frame import FrameReceiver as FrameReceiver
from gsomia.crypto._frame import FrameSender as FrameSender
from gsomia.crypto._frame import OpenedFrame as OpenedFrame
from gsomia.crypto._frame import ReplayWindow as ReplayWindow
from gsomia.crypto._items import AT_REST_BUDGET as AT_REST_BUDGET
from gsomia.crypto._items import ItemKey as ItemKey
from gsomia.crypto._items import keep as keep
from gsomia.crypto._items import keep_at as keep_at
from gsomia.crypto._items import keep_batch as keep_batch
from gsomia.crypto._items import keep_batch_at as keep_batch_at
from gsomia.crypto._items import open_batch as open_batch
from gsomia.crypto._items import open_item as open_item
from gsomia.crypto._items import open_stored as open_stored
from gsomia.crypto._items import rewrap_item_key as rewrap_item_key
from gsomia.crypto._items import rewrap_item_key_at as rewrap_item_key_at
from gsomia.crypto._keyring_file import dump_keyring as dump_keyring
from gsomia.crypto._keyring_file import dump_keyring_at as dump_keyring_at
from gsomia.crypto._keyring_file import export_public_keys as export_public_keys
from gsomia.crypto._keyring_file import import_public_keys as import_public_keys
from gsomia.crypto._keyring_file import load_keyring as load_keyring
from gsomia.crypto._keys import KeyKind as KeyKind
from gsomia.crypto._keys import Keyring as Keyring
from gsomia.crypto._keys import OwnKey as OwnKey
from gsomia.crypto._keys import PublicKey as PublicKey
from gsomia.crypto._keys import epoch_of as epoch_of
from gsomia.crypto._keys import generate_keyring as generate_keyring
from gsomia.crypto._keys import rotate as rotate
from gsomia.crypto._local import open_local as open_local
from gsomia.crypto._local import seal_local as seal_local
from gsomia.crypto._master import MasterSecret as MasterSecret
from gsomia.crypto._seal import grant as grant
from gsomia.crypto._seal import grant_at as grant_at
from gsomia.crypto._seal import seal as seal
from gsomia.crypto._seal import seal_at as seal_at
from gsomia.crypto._seal import seal_batch as seal_batch
from gsomia.crypto._state import check_row as check_row
from gsomia.crypto._state import seal_row as seal_row
from gsomia.crypto._state import seal_rows as seal_rows

#: The recipe the issue names ``open``; the same function as :func:`open_item`.
open = open_item

__all__ = [
    "AT_REST_BUDGET",
    "FRAME_OVERHEAD",
    "Binding",
    "Envelope",
    "FormKey",
    "FrameCounter",
    "FrameFloor",
    "FrameReceiver",
    "FrameSender",
    "ItemKey",
    "KeyKind",
    "Keyring",
    "MasterSecret",
    "OpenedFrame",
    "OwnKey",
    "PublicKey",
    "ReplayWindow",
    "SealedKey",
    "SignedDocument",
    "WrappedKey",
    "bind",
    "check_row",
    "dump_keyring",
    "dump_keyring_at",
    "epoch_of",
    "export_public_keys",
    "generate_keyring",
    "grant",
    "grant_at",
    "import_public_keys",
    "keep",
    "keep_at",
    "keep_batch",
    "keep_batch_at",
    "load_keyring",
    "open",
    "open_batch",
    "open_document",
    "open_item",
    "open_local",
    "open_stored",
    "peek_document",
    "rewrap_item_key",
    "rewrap_item_key_at",
    "rotate",
    "seal",
    "seal_at",
    "seal_batch",
    "seal_local",
    "seal_row",
    "seal_rows",
    "sign_document",
    "verify",
    "verify_batch",
]
