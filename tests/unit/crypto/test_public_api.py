"""The public surface of gsomia.crypto: recipes and keyring types, no algorithm choices."""

from __future__ import annotations

import inspect

from gsomia import crypto

RECIPES = {"seal", "seal_batch", "open", "open_item", "open_batch", "bind", "verify"}
RECIPES |= {"verify_batch", "rotate", "keep", "open_stored", "grant", "rewrap_item_key"}
RECIPES |= {"keep_batch", "seal_local", "open_local", "seal_row", "seal_rows", "check_row"}
EXPLICIT_FORMS = {"seal_at", "grant_at", "keep_at", "rewrap_item_key_at", "dump_keyring_at"}
EXPLICIT_FORMS |= {"keep_batch_at"}
KEYRING = {"Keyring", "KeyKind", "PublicKey", "OwnKey", "MasterSecret", "generate_keyring"}
KEYRING |= {"dump_keyring", "load_keyring", "export_public_keys", "import_public_keys"}
KEYRING |= {"FormKey"}  # the console's form tokens, derived from the master secret
VALUES = {"Envelope", "WrappedKey", "SealedKey", "Binding", "ItemKey", "epoch_of"}
VALUES |= {"AT_REST_BUDGET"}
FRAMES = {"FrameSender", "FrameReceiver", "OpenedFrame", "ReplayWindow", "FRAME_OVERHEAD"}
FRAMES |= {"FrameCounter", "FrameFloor"}
# The signed documents nodes send each other (document-v1): message-v1/v2 and the signed
# workflow documents are built on these.
DOCUMENTS = {"sign_document", "open_document", "peek_document", "SignedDocument"}


def test_the_public_names_are_pinned() -> None:
    assert set(crypto.__all__) == RECIPES | EXPLICIT_FORMS | KEYRING | VALUES | FRAMES | DOCUMENTS
    assert len(crypto.__all__) == len(set(crypto.__all__))
    for name in crypto.__all__:
        assert getattr(crypto, name) is not None


def test_open_is_the_open_item_recipe() -> None:
    assert crypto.open is crypto.open_item


def test_no_public_object_comes_from_the_cryptography_package() -> None:
    for name in crypto.__all__:
        module = getattr(getattr(crypto, name), "__module__", "gsomia") or "gsomia"
        assert module.startswith("gsomia"), name


def test_security_relevant_arguments_are_keyword_only() -> None:
    signed = {"sign_document", "open_document"}
    for name in RECIPES | signed | EXPLICIT_FORMS - {"dump_keyring_at"}:
        if name == "rotate":
            continue
        parameters = inspect.signature(getattr(crypto, name)).parameters.values()
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters), name
