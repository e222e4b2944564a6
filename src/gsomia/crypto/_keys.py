"""A node's keyring: its own keys, its partners' public keys, and the keys derived from them.

A node holds one key per purpose, each with an 8-byte key id and rotated by adding a newer
key (the newest is used for new work, every key still held opens old work):

* **signing** (Ed25519, RFC 8032) signs bindings;
* **document** (Ed25519) signs documents: node-to-node messages, consents, notices;
* **log** (Ed25519) signs the checkpoints of the node's ledger;
* **witness** (Ed25519) cosigns partners' checkpoints;
* **encryption** (X25519, RFC 7748) receives wrap keys and agrees frame keys with partners;
* **at-rest** (AES-256) wraps the data keys of the items the node stores;
* **state** (HMAC-SHA-256) seals the rows of the node's store that decisions read (state-v1).

A keyring made before the document, log and witness kinds existed signs for them with its
signing key, and a partner's signing key is trusted for a purpose for which that partner has
registered no key of its own; the first rotation (``gsomia keys rotate``) ends both.

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
from typing import Any

from gsomia.crypto import _primitives as prim
from gsomia.crypto._bounded import Bounded
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
#: Derived AES-256-GCM keys kept (at-rest keys, KEKs, opened wrap keys, frame keys;
#: sealing plans), per cache. Each holds about 1.3 KiB of OpenSSL state (4,096 took 5.2 MB,
#: measured); the items of a sealing batch share one wrap key and a pair of parties one KEK
#: a day, so the work in hand needs a few dozen, and one opened again later costs one key
#: agreement. 512 keep the caches under 0.7 MB each.
_CACHE_LIMIT = 512
#: Signatures already checked. The items of one signed batch are checked against one
#: signature, so one entry per batch in hand suffices; 1,024 entries are about 0.4 MB
#: (65,536 were about 25 MB, measured).
_VERIFIED_LIMIT = 1024
KEY_ID_SIZE = 8


class KeyKind(enum.Enum):
    """What a key is for; each kind has one algorithm and no choices."""

    SIGNING = "signing"
    ENCRYPTION = "encryption"
    AT_REST = "at-rest"
    DOCUMENT = "document"
    LOG = "log"
    WITNESS = "witness"
    STATE = "state"


_KIND_TAG = {
    KeyKind.SIGNING: b"S",
    KeyKind.ENCRYPTION: b"E",
    KeyKind.AT_REST: b"R",
    KeyKind.DOCUMENT: b"D",
    KeyKind.LOG: b"L",
    KeyKind.WITNESS: b"W",
    KeyKind.STATE: b"T",
}
#: Kinds whose keys are secret through and through (no public part, never published).
SECRET_KINDS = (KeyKind.AT_REST, KeyKind.STATE)
#: Ed25519 kinds whose keys an older keyring lacks: it signs for them with its signing key.
PURPOSES = (KeyKind.DOCUMENT, KeyKind.LOG, KeyKind.WITNESS)
#: Kinds that sign with Ed25519.
SIGNING_KINDS = (KeyKind.SIGNING, *PURPOSES)
_REQUIRED = (KeyKind.SIGNING, KeyKind.ENCRYPTION, KeyKind.AT_REST)


def key_id_of(kind: KeyKind, material: bytes) -> bytes:
    """The 8-byte key id of a key: a hash of its public key, or a MAC for a secret key.

    A public key's id is ``SHA-256("gsomia/key-id-v1" || tag || public)[:8]``; an at-rest
    or state key's id is ``HMAC-SHA-256(key, "gsomia/key-id-v1" || tag)[:8]``, which names
    the key without revealing anything about it.
    """
    prefix = b"gsomia/key-id-v1" + _KIND_TAG[kind]
    if kind in SECRET_KINDS:
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
        if self.kind in SECRET_KINDS:
            raise InputError(f"{self.kind.value} keys are never published")
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
        if kind in SIGNING_KINDS:
            public = prim.signing_public(secret)
        elif kind is KeyKind.ENCRYPTION:
            public = prim.x25519_public(secret)
        else:
            public = b""
        material = secret if kind in SECRET_KINDS else public
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
        "frames",
        "lacking",
        "newest",
        "own",
        "partner",
        "partner_newest",
        "plans",
        "signers",
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
        missing = [kind.value for kind in _REQUIRED if kind not in self.newest]
        if missing:
            raise InputError(f"the keyring has no {', '.join(missing)} key")
        #: Purposes this keyring has no key of its own for: its signing key stands in.
        self.lacking = frozenset(kind for kind in PURPOSES if kind not in self.newest)
        for kind in self.lacking:
            self.newest[kind] = self.newest[KeyKind.SIGNING]
        self.partner: dict[tuple[str, str, KeyKind, bytes], bytes] = {}
        newest: dict[tuple[str, str, KeyKind], PublicKey] = {}
        for agreement_id, pub in partners:
            self.partner[agreement_id, pub.party, pub.kind, pub.key_id] = pub.public
            slot = (agreement_id, pub.party, pub.kind)
            if slot not in newest or newest[slot].created_at <= pub.created_at:
                newest[slot] = pub
        self.partner_newest = {slot: pub.key_id for slot, pub in newest.items()}
        self.signers = {kind: prim.signing_key(self.newest[kind].secret) for kind in SIGNING_KINDS}
        self.aeads: Bounded[tuple[object, ...], prim.AEAD] = Bounded(_CACHE_LIMIT)
        self.frames: Bounded[tuple[object, ...], prim.AEAD] = Bounded(_CACHE_LIMIT)
        self.plans: Bounded[tuple[object, ...], _Wrapping] = Bounded(_CACHE_LIMIT)
        self.verified: Bounded[tuple[bytes, bytes, bytes], bool] = Bounded(_VERIFIED_LIMIT)


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
        purpose_seeds: dict[KeyKind, bytes] | None = None,
        state_key: bytes | None = None,
    ) -> Keyring:
        """A keyring with one key of each kind from given private parts (for test vectors).

        ``purpose_seeds`` gives the document, log and witness keys; without them the keyring
        is of the older shape that signs for those purposes with its signing key. Without
        ``state_key`` it has no state key (a keyring made before state-v1).
        """
        secrets = [
            (KeyKind.SIGNING, signing_seed),
            (KeyKind.ENCRYPTION, encryption_seed),
            (KeyKind.AT_REST, at_rest_key),
            *sorted((purpose_seeds or {}).items(), key=lambda kv: kv[0].value),
            *([(KeyKind.STATE, state_key)] if state_key is not None else []),
        ]
        own = tuple(
            OwnKey.from_secret(kind=kind, secret=secret, created_at=created_at)
            for kind, secret in secrets
        )
        return cls(party=party, own=own)

    def newest(self, kind: KeyKind) -> OwnKey:
        """The own key of ``kind`` used for new work (for a document, log or witness
        signature, the signing key of a keyring that has no key of that kind yet)."""
        return self._state.newest[kind]

    def has_own(self, kind: KeyKind) -> bool:
        """Whether the keyring holds a key of its own of ``kind`` (not a fallback)."""
        return kind not in self._state.lacking and kind in self._state.newest

    def public_keys(self) -> tuple[PublicKey, ...]:
        """The node's own public keys (every kind but at-rest and state), for partners to
        register."""
        return tuple(
            PublicKey(
                party=self.party,
                kind=key.kind,
                key_id=key.key_id,
                public=key.public,
                created_at=key.created_at,
            )
            for key in self.own
            if key.kind not in SECRET_KINDS
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
        own = self._state.own.get((kind, key_id))
        if own is None and kind in self._state.lacking:
            own = self._state.own.get((KeyKind.SIGNING, key_id))
        return own

    def _public(self, agreement_id: str, party: str, kind: KeyKind, key_id: bytes) -> bytes:
        """A registered public key (own or partner's) of ``kind``; fails opaquely when
        unknown. A partner's signing key stands in for a purpose only while that partner has
        registered no key of that purpose under the agreement (an older keyring)."""
        if party == self.party:
            own = self._own(kind, key_id)
            if own is None:
                fail()
            return own.public
        state = self._state
        public = state.partner.get((agreement_id, party, kind, key_id))
        if (
            not public
            and kind in PURPOSES
            and (agreement_id, party, kind) not in (state.partner_newest)
        ):
            public = state.partner.get((agreement_id, party, KeyKind.SIGNING, key_id))
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
            self._state.plans.put(cache_key, plan)
        return plan

    def _sealing(self, agreement_id: str, holder: str) -> tuple[prim.AEAD, bytes, bytes]:
        """A fresh wrap key for ``holder`` (envelope-v2): its AES-256-GCM, the wrap header,
        and the key sealed to the holder's newest encryption key by HPKE. Nothing of it is
        kept: once the caller drops it, this node cannot open what it wrapped."""
        holder_kid = self._newest_public(agreement_id, holder)
        public = self._public(agreement_id, holder, KeyKind.ENCRYPTION, holder_kid)
        wrap_key = prim.random_bytes(prim.KEY_SIZE)
        info = _wrap_info(agreement_id, self.party, holder) + holder_kid
        sealed = prim.hpke_seal(public=public, key=wrap_key, info=info)
        header = holder.encode("ascii") + self.party.encode("ascii") + holder_kid
        return prim.AEAD(wrap_key), header, sealed

    def _unsealed_wrap_key(self, agreement_id: str, entry: Any) -> prim.AEAD | None:
        """The AES-256-GCM of an envelope-v2 wrap key sealed to one of this node's
        encryption keys, cached by the sealed bytes (a batch's wraps share one); ``None``
        when it does not open here."""
        cache_key = ("hpke", entry.sealed_wrap_key)
        aead = self._state.aeads.get(cache_key)
        if aead is not None:
            return aead
        own = self._own(KeyKind.ENCRYPTION, entry.holder_key_id)
        if own is None:
            return None
        info = _wrap_info(agreement_id, entry.wrapper, entry.holder) + entry.holder_key_id
        try:
            key = prim.hpke_open(secret=own.secret, sealed=entry.sealed_wrap_key, info=info)
        except IntegrityError:
            return None
        if len(key) != prim.KEY_SIZE:
            return None
        return self._cache(cache_key, prim.AEAD(key))

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
        cache_key = (*context, stream_id)
        frames = self._state.frames
        aead = frames.get(cache_key)
        if aead is None:
            info = b"gsomia/frame-v1" + _context_bytes(context) + u32(stream_id)
            aead = prim.AEAD(self._pairwise(info, context))
            # Frame keys have a cache of their own: frames with ever new stream ids, which
            # only an authenticated partner can send, cost key agreements but never evict
            # the wrap and at-rest keys.
            frames.put(cache_key, aead)
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
        return self._state.aeads.put(key, aead)

    def _sign(self, message: bytes, kind: KeyKind = KeyKind.SIGNING) -> bytes:
        """An Ed25519 signature by the newest key of ``kind`` (a signing purpose)."""
        return self._state.signers[kind].sign(message)

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
        verified.put(entry, True)


def _wrap_info(agreement_id: str, wrapper: str, holder: str) -> bytes:
    """The HPKE ``info`` of an envelope-v2 wrap key, but for the holder's key id."""
    name = agreement_id.encode("ascii")
    return (
        b"gsomia/wrap-v2\x00"
        + bytes((len(name),))
        + name
        + wrapper.encode("ascii")
        + holder.encode("ascii")
    )


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
    """A new keyring for ``party`` with fresh keys of every kind, one per purpose."""
    return Keyring.from_seeds(
        party=party,
        created_at=now,
        signing_seed=prim.random_bytes(prim.KEY_SIZE),
        encryption_seed=prim.random_bytes(prim.KEY_SIZE),
        at_rest_key=prim.random_bytes(prim.KEY_SIZE),
        purpose_seeds={kind: prim.random_bytes(prim.KEY_SIZE) for kind in PURPOSES},
        state_key=prim.random_bytes(prim.KEY_SIZE),
    )


def rotate(keyring: Keyring, *, now: datetime, kinds: Iterable[KeyKind] | None = None) -> Keyring:
    """The keyring with a fresh key of every kind (or of each of ``kinds``) added; the new
    keys take over new work.

    Older keys stay, so items sealed, agreed or stored under them still open (the
    MultiFernet rule: the newest encrypts, all decrypt). Publish the new public keys to
    partners before sealing with them. Raises :class:`InputError` if ``now`` is not later
    than the newest key or no kind is named.
    """
    chosen = set(KeyKind) if kinds is None else set(kinds)
    if not chosen:
        raise InputError("a rotation names at least one kind of key")
    if any(key.created_at >= now for key in keyring.own):
        raise InputError("a rotation must be later than the keys it succeeds")
    fresh = generate_keyring(party=keyring.party, now=now.astimezone(UTC))
    return replace(keyring, own=keyring.own + tuple(k for k in fresh.own if k.kind in chosen))
