"""A node's keyring: its own keys, its partners' public keys, and the keys derived from them.

A node holds three kinds of key, each with an 8-byte key id and rotated by adding a newer
key (the newest is used for new work, every key still held opens old work):

* **signing** (Ed25519, RFC 8032) signs bindings;
* **encryption** (X25519, RFC 7748) agrees pairwise keys with partners;
* **at-rest** (AES-256) wraps the data keys of the items the node stores.

Partners' signing and encryption public keys are registered per agreement. For each pair of
parties, agreement and epoch (a UTC day), both sides derive the same pairwise secrets from
one X25519 agreement: a key-encryption key (KEK) that wraps data keys, and frame keys for
compact track frames. They are cached, so sealing an item costs no public-key operation.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from gsomia.crypto import _primitives as prim
from gsomia.crypto._wire import fail, u32
from gsomia.errors import ConflictError, InputError, IntegrityError, UnknownName

__all__ = [
    "KeyKind",
    "Keyring",
    "OwnKey",
    "PublicKey",
    "epoch_of",
    "generate_keyring",
    "key_id_of",
    "rotate",
]

_logger = logging.getLogger(__name__)

_PARTY = re.compile(r"^[A-Z]{3}$")
_AGREEMENT = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_DAY_SECONDS = 86_400
_CACHE_LIMIT = 4096
_VERIFIED_LIMIT = 65_536
KEY_ID_SIZE = 8


class KeyKind(enum.Enum):
    """What a key is for; each kind has one algorithm and no choices."""

    SIGNING = "signing"
    ENCRYPTION = "encryption"
    AT_REST = "at-rest"


_KIND_TAG = {KeyKind.SIGNING: b"S", KeyKind.ENCRYPTION: b"E", KeyKind.AT_REST: b"R"}


def key_id_of(kind: KeyKind, material: bytes) -> bytes:
    """The 8-byte key id of a key: a hash of its public key, or a MAC for an at-rest key.

    A public key's id is ``SHA-256("gsomia/key-id-v1" || tag || public)[:8]``; an at-rest
    key's id is ``HMAC-SHA-256(key, "gsomia/key-id-v1" || "R")[:8]``, which names the key
    without revealing anything about it.
    """
    prefix = b"gsomia/key-id-v1" + _KIND_TAG[kind]
    if kind is KeyKind.AT_REST:
        return prim.hmac_sha256(material, prefix)[:KEY_ID_SIZE]
    return hashlib.sha256(prefix + material).digest()[:KEY_ID_SIZE]


def epoch_of(now: datetime) -> int:
    """The key epoch of ``now``: whole UTC days since 1970-01-01. Raises :class:`InputError`."""
    if now.tzinfo is None:
        raise InputError("times given to gsomia.crypto must be timezone-aware")
    epoch = int(now.timestamp()) // _DAY_SECONDS
    if not 0 <= epoch < 2**32:
        raise InputError("time is outside the key epochs gsomia can name")
    return epoch


def _check_party(party: object) -> None:
    if not isinstance(party, str) or not _PARTY.fullmatch(party):
        raise InputError(f"{party!r} is not a three-letter party code")


@dataclass(frozen=True, slots=True, kw_only=True)
class PublicKey:
    """A party's published signing or encryption key, as partners register it.

    Raises :class:`InputError` if the key id does not match the key.
    """

    party: str
    kind: KeyKind
    key_id: bytes
    public: bytes
    created_at: datetime

    def __post_init__(self) -> None:
        _check_party(self.party)
        if self.kind is KeyKind.AT_REST:
            raise InputError("at-rest keys are never published")
        if len(self.public) != prim.KEY_SIZE or key_id_of(self.kind, self.public) != self.key_id:
            raise InputError(
                f"public key {self.key_id.hex()} of {self.party} does not match its id"
            )
        if self.created_at.tzinfo is None:
            raise InputError("key times must be timezone-aware")


@dataclass(frozen=True, slots=True, kw_only=True)
class OwnKey:
    """One of the node's own keys, with its private part. Never printed."""

    kind: KeyKind
    key_id: bytes
    created_at: datetime
    secret: bytes = field(repr=False)
    public: bytes = b""

    @classmethod
    def from_secret(cls, *, kind: KeyKind, secret: bytes, created_at: datetime) -> OwnKey:
        """The key whose private part is ``secret`` (32 bytes); raises :class:`InputError`."""
        if len(secret) != prim.KEY_SIZE:
            raise InputError("a private key is 32 bytes")
        if created_at.tzinfo is None:
            raise InputError("key times must be timezone-aware")
        if kind is KeyKind.SIGNING:
            public = prim.signing_public(secret)
        elif kind is KeyKind.ENCRYPTION:
            public = prim.x25519_public(secret)
        else:
            public = b""
        material = secret if kind is KeyKind.AT_REST else public
        key_id = key_id_of(kind, material)
        return cls(kind=kind, key_id=key_id, created_at=created_at, secret=secret, public=public)


#: A partner's public key and the agreement it is registered under.
PartnerKey = tuple[str, PublicKey]
#: A KEK, the wrap header, the wrapper's and the holder's key ids.
_Wrapping = tuple[prim.AEAD, bytes, bytes, bytes]


class _State:
    """Lookup tables and caches of one keyring value; rebuilt for every new keyring."""

    __slots__ = (
        "aeads",
        "newest",
        "own",
        "partner",
        "partner_newest",
        "plans",
        "signer",
        "verified",
    )

    def __init__(self, own: Iterable[OwnKey], partners: Iterable[PartnerKey]) -> None:
        self.own: dict[tuple[KeyKind, bytes], OwnKey] = {}
        self.newest: dict[KeyKind, OwnKey] = {}
        for key in own:
            if (key.kind, key.key_id) in self.own:
                raise InputError(f"key id {key.key_id.hex()} appears twice in the keyring")
            self.own[key.kind, key.key_id] = key
            self.newest[key.kind] = key
        missing = [kind.value for kind in KeyKind if kind not in self.newest]
        if missing:
            raise InputError(f"the keyring has no {', '.join(missing)} key")
        self.partner: dict[tuple[str, str, KeyKind, bytes], bytes] = {}
        newest: dict[tuple[str, str, KeyKind], PublicKey] = {}
        for agreement_id, pub in partners:
            self.partner[agreement_id, pub.party, pub.kind, pub.key_id] = pub.public
            slot = (agreement_id, pub.party, pub.kind)
            if slot not in newest or newest[slot].created_at <= pub.created_at:
                newest[slot] = pub
        self.partner_newest = {slot: pub.key_id for slot, pub in newest.items()}
        self.signer = prim.signing_key(self.newest[KeyKind.SIGNING].secret)
        self.aeads: dict[tuple[object, ...], prim.AEAD] = {}
        self.plans: dict[tuple[object, ...], _Wrapping] = {}
        self.verified: set[tuple[bytes, bytes, bytes]] = set()


@dataclass(frozen=True, slots=True, kw_only=True)
class Keyring:
    """A node's keys: its own (private) keys and its partners' public keys per agreement.

    Immutable: :func:`rotate`, :meth:`register` and :meth:`retire` return new keyrings.
    The newest own key of each kind is used for new work; every own key opens old work.
    Raises :class:`InputError` if a kind of key is missing or a key id repeats.
    """

    party: str
    own: tuple[OwnKey, ...]
    partners: tuple[PartnerKey, ...] = ()
    _state: _State = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_party(self.party)
        object.__setattr__(self, "own", tuple(sorted(self.own, key=lambda k: k.created_at)))
        state = _State(self.own, self.partners)
        for agreement_id, pub in self.partners:
            if not _AGREEMENT.fullmatch(agreement_id):
                raise InputError(f"{agreement_id!r} is not an agreement id")
            if pub.party == self.party:
                raise InputError("a node's own keys are not registered as a partner's")
        object.__setattr__(self, "_state", state)

    @classmethod
    def from_seeds(
        cls,
        *,
        party: str,
        created_at: datetime,
        signing_seed: bytes,
        encryption_seed: bytes,
        at_rest_key: bytes,
    ) -> Keyring:
        """A keyring with one key of each kind from given private parts (for test vectors)."""
        own = tuple(
            OwnKey.from_secret(kind=kind, secret=secret, created_at=created_at)
            for kind, secret in (
                (KeyKind.SIGNING, signing_seed),
                (KeyKind.ENCRYPTION, encryption_seed),
                (KeyKind.AT_REST, at_rest_key),
            )
        )
        return cls(party=party, own=own)

    def newest(self, kind: KeyKind) -> OwnKey:
        """The own key of ``kind`` used for new work."""
        return self._state.newest[kind]

    def public_keys(self) -> tuple[PublicKey, ...]:
        """The node's own signing and encryption public keys, for partners to register."""
        return tuple(
            PublicKey(
                party=self.party,
                kind=key.kind,
                key_id=key.key_id,
                public=key.public,
                created_at=key.created_at,
            )
            for key in self.own
            if key.kind is not KeyKind.AT_REST
        )

    def register(self, *, agreement_id: str, keys: Iterable[PublicKey]) -> Keyring:
        """This keyring with a partner's public keys registered under ``agreement_id``.

        Registering a key again is a no-op. Raises :class:`InputError` for the node's own keys
        or a malformed agreement id.
        """
        known = set(self.partners)
        added = tuple(k for k in keys if (agreement_id, k) not in known)
        return replace(self, partners=self.partners + tuple((agreement_id, k) for k in added))

    def unregister(self, *, agreement_id: str, party: str, key_id: bytes) -> Keyring:
        """This keyring without a partner's key (revocation): nothing it signed or agreed
        verifies or opens any more. Raises :class:`UnknownName` if it is not registered."""
        kept = tuple(
            (a, k)
            for a, k in self.partners
            if not (a == agreement_id and k.party == party and k.key_id == key_id)
        )
        if len(kept) == len(self.partners):
            raise UnknownName(kind="key", name=f"{agreement_id}/{party}/{key_id.hex()}")
        return replace(self, partners=kept)

    def retire(self, *, key_id: bytes) -> Keyring:
        """This keyring without one old own encryption or at-rest key.

        Whatever was agreed or wrapped under it can no longer be opened here, which is the
        point: once stored items are re-wrapped under newer keys, retiring the old ones
        takes away what a later thief of the keyring could open. Raises
        :class:`ConflictError` for the newest key of its kind or a signing key, and
        :class:`UnknownName` for an unknown id.
        """
        match = [k for k in self.own if k.key_id == key_id]
        if not match:
            raise UnknownName(kind="key", name=key_id.hex())
        key = match[0]
        if key.kind is KeyKind.SIGNING or self.newest(key.kind) is key:
            raise ConflictError("only an older encryption or at-rest key can be retired")
        return replace(self, own=tuple(k for k in self.own if k is not key))

    # The methods below are for gsomia.crypto's own modules.

    def _own(self, kind: KeyKind, key_id: bytes) -> OwnKey | None:
        return self._state.own.get((kind, key_id))

    def _public(self, agreement_id: str, party: str, kind: KeyKind, key_id: bytes) -> bytes:
        """A registered public key (own or partner's); fails opaquely when unknown."""
        if party == self.party:
            own = self._own(kind, key_id)
            if own is None:
                fail()
            return own.public
        public = self._state.partner.get((agreement_id, party, kind, key_id))
        if not public:
            fail()
        return public

    def _newest_public(self, agreement_id: str, party: str) -> bytes:
        """The key id of the newest encryption key registered for ``party``."""
        if party == self.party:
            return self.newest(KeyKind.ENCRYPTION).key_id
        key_id = self._state.partner_newest.get((agreement_id, party, KeyKind.ENCRYPTION))
        if key_id is None:
            raise UnknownName(kind=f"encryption key of {party} under agreement", name=agreement_id)
        return key_id

    def _pairwise(self, info: bytes, context: tuple[str, int, str, bytes, str, bytes]) -> bytes:
        agreement_id, _, wrapper, wrapper_kid, holder, holder_kid = context
        if wrapper == self.party and (own := self._own(KeyKind.ENCRYPTION, wrapper_kid)):
            peer = self._public(agreement_id, holder, KeyKind.ENCRYPTION, holder_kid)
        elif holder == self.party and (own := self._own(KeyKind.ENCRYPTION, holder_kid)):
            peer = self._public(agreement_id, wrapper, KeyKind.ENCRYPTION, wrapper_kid)
        else:
            fail()
        return prim.hkdf(secret=prim.agree(own.secret, peer), salt=b"", info=info)

    def _wrapping(self, agreement_id: str, epoch: int, holder: str) -> _Wrapping:
        """What this node needs to wrap a data key for ``holder``: the KEK and the header."""
        cache_key = ("wrap", agreement_id, epoch, holder)
        plan = self._state.plans.get(cache_key)
        if plan is None:
            wrapper_kid = self.newest(KeyKind.ENCRYPTION).key_id
            holder_kid = self._newest_public(agreement_id, holder)
            context = (agreement_id, epoch, self.party, wrapper_kid, holder, holder_kid)
            header = (
                holder.encode("ascii")
                + self.party.encode("ascii")
                + wrapper_kid
                + holder_kid
                + u32(epoch)
            )
            plan = (self._kek(context), header, wrapper_kid, holder_kid)
            if len(self._state.plans) >= _CACHE_LIMIT:
                self._state.plans.clear()
            self._state.plans[cache_key] = plan
        return plan

    def _kek(self, context: tuple[str, int, str, bytes, str, bytes]) -> prim.AEAD:
        """The cached AES-256-GCM of the pairwise KEK for ``context`` (see envelope-v1)."""
        aead = self._state.aeads.get(context)
        if aead is None:
            info = b"gsomia/kek-v1" + _context_bytes(context)
            aead = self._cache(context, prim.AEAD(self._pairwise(info, context)))
        return aead

    def _frame_aead(
        self, context: tuple[str, int, str, bytes, str, bytes], stream_id: int
    ) -> prim.AEAD:
        """The cached AES-256-GCM of one stream's frame key for ``context`` (see frame-v1)."""
        cache_key = (*context, "frame", stream_id)
        aead = self._state.aeads.get(cache_key)
        if aead is None:
            info = b"gsomia/frame-v1" + _context_bytes(context) + u32(stream_id)
            aead = self._cache(cache_key, prim.AEAD(self._pairwise(info, context)))
        return aead

    def _at_rest(self, key_id: bytes) -> prim.AEAD:
        """The cached AES-256-GCM of an own at-rest key; fails opaquely when not held."""
        cache_key = ("at-rest", key_id)
        aead = self._state.aeads.get(cache_key)
        if aead is None:
            own = self._own(KeyKind.AT_REST, key_id)
            if own is None:
                fail()
            aead = self._cache(cache_key, prim.AEAD(own.secret))
        return aead

    def _cache(self, key: tuple[object, ...], aead: prim.AEAD) -> prim.AEAD:
        if len(self._state.aeads) >= _CACHE_LIMIT:
            self._state.aeads.clear()
        self._state.aeads[key] = aead
        return aead

    def _sign(self, message: bytes) -> bytes:
        return self._state.signer.sign(message)

    def _verify(self, public: bytes, signature: bytes, message: bytes) -> None:
        """Check an Ed25519 signature, remembering good ones; fails opaquely."""
        entry = (public, message, signature)
        verified = self._state.verified
        if entry in verified:
            return
        try:
            prim.verify_signature(prim.verify_key(public), signature, message)
        except IntegrityError:
            fail()
        if len(verified) >= _VERIFIED_LIMIT:
            verified.clear()
        verified.add(entry)


def _context_bytes(context: tuple[str, int, str, bytes, str, bytes]) -> bytes:
    agreement_id, epoch, wrapper, wrapper_kid, holder, holder_kid = context
    name = agreement_id.encode("ascii")
    return (
        bytes([len(name)])
        + name
        + u32(epoch)
        + wrapper.encode("ascii")
        + wrapper_kid
        + holder.encode("ascii")
        + holder_kid
    )


def generate_keyring(*, party: str, now: datetime) -> Keyring:
    """A new keyring for ``party`` with fresh keys of every kind."""
    return Keyring.from_seeds(
        party=party,
        created_at=now,
        signing_seed=prim.random_bytes(prim.KEY_SIZE),
        encryption_seed=prim.random_bytes(prim.KEY_SIZE),
        at_rest_key=prim.random_bytes(prim.KEY_SIZE),
    )


def rotate(keyring: Keyring, *, now: datetime) -> Keyring:
    """The keyring with a fresh key of every kind added; the new keys take over new work.

    Older keys stay, so items sealed, agreed or stored under them still open (the
    MultiFernet rule: the newest encrypts, all decrypt). Publish the new public keys to
    partners before sealing with them. Raises :class:`InputError` if ``now`` is not later
    than the newest key.
    """
    if any(key.created_at >= now for key in keyring.own):
        raise InputError("a rotation must be later than the keys it succeeds")
    fresh = generate_keyring(party=keyring.party, now=now.astimezone(UTC))
    return replace(keyring, own=keyring.own + fresh.own)
