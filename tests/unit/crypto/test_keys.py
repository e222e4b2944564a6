"""Keyrings: key ids, rotation, retirement, partner registration, files, the master secret."""

from __future__ import annotations

import dataclasses
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gsomia import crypto
from gsomia.crypto import KeyKind
from gsomia.errors import ConfigError, ConflictError, InputError, IntegrityError, UnknownName
from tests.support.crypto import JK, LATER, NOW, World, connect, keyring_for, make_label, sealed

CONTENT = b"track 17 ascending"
MASTER = crypto.MasterSecret.from_text("q3T8vW1xZ5b-N0mLk2Jh7Gf4Ds6Aa9Pp_YyRrEeWwQA")


def test_key_ids_are_derived_from_the_keys() -> None:
    ring = keyring_for("JPN")
    for key in ring.own:
        material = key.secret if key.kind is KeyKind.AT_REST else key.public
        assert crypto._keys.key_id_of(key.kind, material) == key.key_id
    assert len({k.key_id for k in ring.own}) == 3
    assert keyring_for("JPN") == ring


def test_items_sealed_before_a_rotation_still_open_after_it(world: World) -> None:
    old_envelope, old_binding = sealed(world, CONTENT, item=1)
    rotated = {p: crypto.rotate(world.of(p), now=LATER) for p in ("JPN", "KOR")}
    # Partners learn the new public keys before the new keys are used.
    rings = connect({"USA": world.usa, **rotated})
    jpn, kor = rings["JPN"], rings["KOR"]
    assert crypto.open(keyring=kor, envelope=old_envelope, binding=old_binding) == CONTENT

    label = make_label(CONTENT, item=2)
    envelope = crypto.seal(keyring=jpn, plaintext=CONTENT, label=label, holders=["KOR"])
    (binding,) = crypto.bind(keyring=jpn, envelopes=[envelope])
    (wrap,) = envelope.wrapped_keys
    assert wrap.holder_key_id == kor.newest(KeyKind.ENCRYPTION).key_id
    assert wrap.holder_key_id != world.kor.newest(KeyKind.ENCRYPTION).key_id
    assert binding.signer_key_id == jpn.newest(KeyKind.SIGNING).key_id != old_binding.signer_key_id
    assert crypto.open(keyring=kor, envelope=envelope, binding=binding) == CONTENT
    # A node that has not rotated cannot open what is wrapped to keys it never had.
    with pytest.raises(IntegrityError):
        crypto.open(keyring=world.kor, envelope=envelope, binding=binding)


def test_rotation_must_move_forward_in_time(world: World) -> None:
    with pytest.raises(InputError):
        crypto.rotate(world.jpn, now=NOW)


def test_retiring_an_old_encryption_key_closes_what_was_wrapped_to_it(world: World) -> None:
    envelope, binding = sealed(world, CONTENT)
    old = world.kor.newest(KeyKind.ENCRYPTION)
    rotated = crypto.rotate(world.kor, now=LATER)
    assert crypto.open(keyring=rotated, envelope=envelope, binding=binding) == CONTENT
    retired = rotated.retire(key_id=old.key_id)
    with pytest.raises(IntegrityError):
        crypto.open(keyring=retired, envelope=envelope, binding=binding)
    with pytest.raises(ConflictError):
        retired.retire(key_id=retired.newest(KeyKind.ENCRYPTION).key_id)
    with pytest.raises(ConflictError):
        rotated.retire(key_id=rotated.newest(KeyKind.SIGNING).key_id)
    with pytest.raises(UnknownName):
        retired.retire(key_id=old.key_id)


def test_register_is_idempotent_and_refuses_own_keys(world: World) -> None:
    again = world.jpn.register(agreement_id=JK, keys=world.kor.public_keys())
    assert again.partners == world.jpn.partners
    with pytest.raises(InputError):
        world.jpn.register(agreement_id=JK, keys=world.jpn.public_keys())
    with pytest.raises(InputError):
        world.jpn.register(agreement_id="Not An Id", keys=world.usa.public_keys())


def test_unregister_names_an_unknown_key(world: World) -> None:
    with pytest.raises(UnknownName):
        world.jpn.unregister(agreement_id=JK, party="USA", key_id=b"\x00" * 8)


def test_a_public_key_must_match_its_id() -> None:
    (signing, _) = keyring_for("KOR").public_keys()
    with pytest.raises(InputError):
        dataclasses.replace(signing, key_id=b"\x01" * 8)
    with pytest.raises(InputError):
        dataclasses.replace(signing, kind=KeyKind.AT_REST)


def test_a_keyring_needs_every_kind_of_key() -> None:
    ring = keyring_for("JPN")
    with pytest.raises(InputError, match="at-rest"):
        crypto.Keyring(party="JPN", own=tuple(k for k in ring.own if k.kind is not KeyKind.AT_REST))
    with pytest.raises(InputError, match="twice"):
        crypto.Keyring(party="JPN", own=ring.own + ring.own[:1])


def test_epochs_are_utc_days() -> None:
    start = datetime(1970, 1, 2, tzinfo=UTC)
    assert crypto.epoch_of(start) == 1
    assert crypto.epoch_of(start + timedelta(hours=23, minutes=59)) == 1
    assert crypto.epoch_of(start.astimezone(UTC) + timedelta(days=1)) == 2
    with pytest.raises(InputError):
        crypto.epoch_of(datetime(2026, 1, 1))


def test_a_keyring_file_round_trips_and_hides_its_secrets(world: World) -> None:
    ring = crypto.rotate(world.kor, now=LATER)
    data = crypto.dump_keyring(ring, master=MASTER)
    assert data[:4] == b"GKR\x01"
    for key in ring.own:
        assert key.secret not in data
    loaded = crypto.load_keyring(data, master=MASTER)
    assert loaded == ring
    assert crypto.dump_keyring(ring, master=MASTER) != data


def test_a_keyring_file_opens_only_under_its_master_secret(world: World) -> None:
    data = crypto.dump_keyring(world.kor, master=MASTER)
    other = crypto.MasterSecret.from_text(crypto.MasterSecret.generate())
    with pytest.raises(IntegrityError):
        crypto.load_keyring(data, master=other)
    for position in (0, 5, 20, 40, len(data) - 1):
        flipped = bytearray(data)
        flipped[position] ^= 0x01
        with pytest.raises(IntegrityError):
            crypto.load_keyring(bytes(flipped), master=MASTER)


def test_public_keys_export_and_import(world: World) -> None:
    exported = crypto.export_public_keys(world.jpn)
    assert b"secret" not in exported
    imported = crypto.import_public_keys(exported)
    assert imported == world.jpn.public_keys()
    with pytest.raises(InputError):
        crypto.import_public_keys(exported.replace(b"public-keys-v1", b"public-keys-v9"))
    with pytest.raises(InputError):
        crypto.import_public_keys(b'{"format":"gsomia/public-keys-v1","keys":[],"party":7}')


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty"),
        ("   \n", "empty"),
        ("a8Fk2", "43 URL-safe"),
        ("changeme-changeme-changeme-changeme", "43 URL-safe"),
        # Crypto review M3: passphrases that passed the old variety heuristic.
        ("zyxwvutsrqponmlkjihgfedcba987654", "43 URL-safe"),
        ("Seoul-Tokyo-Washington-Link-2023!", "43 URL-safe"),
        ("KOR node master key for the link!", "43 URL-safe"),
        ("1111111111111111aaaaaaaaaaaaaaaaBCDEFGHIJKLMNOPQ", "43 URL-safe"),
        # The right length and alphabet, but typed rather than drawn.
        ("Seoul-Tokyo-Washington-Link-2023-Seoul-Toky", "exactly 32 bytes"),
        ("abababababababababababababababababababababA", "too regular"),
        ("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "too regular"),
        # 43 characters whose last one carries bits beyond the 256 (not canonical).
        ("q3T8vW1xZ5b-N0mLk2Jh7Gf4Ds6Aa9Pp_YyRrEeWwQf", "exactly 32 bytes"),
        ("q3T8vW1xZ5b+N0mLk2Jh7Gf4Ds6Aa9Pp/YyRrEeWwQE", "43 URL-safe"),
    ],
)
def test_unsafe_master_secrets_are_refused(text: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        crypto.MasterSecret.from_text(text)


def test_a_secret_file_others_may_read_is_refused(tmp_path: Path) -> None:
    """Crypto review L9 (world-readable secret files): refused, not only logged."""
    path = tmp_path / "master"
    path.write_text(crypto.MasterSecret.generate())
    for mode in (0o640, 0o604, 0o660, 0o644):
        os.chmod(path, mode)
        with pytest.raises(ConfigError, match="group or others"):
            crypto.MasterSecret.load(environ={"GSOMIA_MASTER_SECRET_FILE": str(path)})
    os.chmod(path, 0o600)
    crypto.MasterSecret.load(environ={"GSOMIA_MASTER_SECRET_FILE": str(path)})


def test_a_generated_master_secret_is_accepted_and_fresh() -> None:
    one, two = crypto.MasterSecret.generate(), crypto.MasterSecret.generate()
    assert one != two
    assert crypto.MasterSecret.from_text(one).value == one.encode()
    assert "value" not in repr(crypto.MasterSecret.from_text(one)).split("(")[1]


def test_the_master_secret_comes_from_the_environment_or_a_file(tmp_path: Path) -> None:
    secret = crypto.MasterSecret.generate()
    path = tmp_path / "master"
    path.write_text(secret + "\n")
    os.chmod(path, stat.S_IRUSR)
    from_file = crypto.MasterSecret.load(environ={"GSOMIA_MASTER_SECRET_FILE": str(path)})
    from_env = crypto.MasterSecret.load(environ={"GSOMIA_MASTER_SECRET": secret})
    assert from_file == from_env
    with pytest.raises(ConfigError, match="no master secret"):
        crypto.MasterSecret.load(environ={})
    with pytest.raises(ConfigError, match="only one"):
        crypto.MasterSecret.load(
            environ={"GSOMIA_MASTER_SECRET": secret, "GSOMIA_MASTER_SECRET_FILE": str(path)}
        )
    with pytest.raises(ConfigError, match="cannot read"):
        crypto.MasterSecret.load(environ={"GSOMIA_MASTER_SECRET_FILE": str(tmp_path / "none")})
    with pytest.raises(ConfigError, match="gsomia node secret"):
        crypto.MasterSecret.load(environ={"GSOMIA_MASTER_SECRET": "changeme" * 5})
