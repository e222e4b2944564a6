"""A small, deterministic world for the crypto tests: three parties, two agreements, labels.

JPN, KOR and USA each have a keyring made from fixed seeds. Under ``jpn-kor-gsomia`` JPN
and KOR know each other's keys; under ``tisa`` all three know each other's (the US is the
hub that routes between the two). :class:`MemoryItemKeyStore` is the in-memory
:class:`gsomia.ports.keys.ItemKeyStore` the tests use.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from gsomia import crypto
from gsomia.core.labels import Label
from gsomia.errors import ConflictError, UnknownName

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
LATER = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
JK = "jpn-kor-gsomia"
TISA = "tisa"
EQUIVALENTS = {"JPN": "JPN:GOKUHI", "KOR": "KOR:GUNSA_II", "USA": "USA:SECRET"}


def seed(*parts: object) -> bytes:
    """A fixed 32-byte secret named by ``parts``."""
    return hashlib.sha256("/".join(map(str, parts)).encode()).digest()


def keyring_for(party: str, tag: str = "") -> crypto.Keyring:
    """The fixed keyring of ``party`` (with no partners registered)."""
    return crypto.Keyring.from_seeds(
        party=party,
        created_at=NOW,
        signing_seed=seed(party, "signing", tag),
        encryption_seed=seed(party, "encryption", tag),
        at_rest_key=seed(party, "at-rest", tag),
    )


@dataclass(frozen=True, slots=True)
class World:
    """The three parties' keyrings, each with its partners registered."""

    jpn: crypto.Keyring
    kor: crypto.Keyring
    usa: crypto.Keyring

    def of(self, party: str) -> crypto.Keyring:
        """The keyring of ``party``."""
        return {"JPN": self.jpn, "KOR": self.kor, "USA": self.usa}[party]


def connect(keyrings: dict[str, crypto.Keyring]) -> dict[str, crypto.Keyring]:
    """Register every party's public keys with its partners under both agreements."""
    members = {JK: ("JPN", "KOR"), TISA: ("JPN", "KOR", "USA")}
    out = dict(keyrings)
    for agreement, parties in members.items():
        for party in parties:
            for partner in parties:
                if partner != party:
                    out[party] = out[party].register(
                        agreement_id=agreement, keys=keyrings[partner].public_keys()
                    )
    return out


def make_world() -> World:
    """The fixed three-party world."""
    rings = connect({p: keyring_for(p) for p in ("JPN", "KOR", "USA")})
    return World(jpn=rings["JPN"], kor=rings["KOR"], usa=rings["USA"])


def make_label(
    content: bytes,
    *,
    item: int = 0,
    agreement: str = JK,
    originator: str = "JPN",
    releasable: tuple[str, ...] = ("KOR",),
    route: tuple[str, ...] = (),
    purpose: str = "Launch detection and track data for early warning",
) -> Label:
    """A label-v2 for an item, releasable to ``releasable`` with their equivalent levels
    (``content`` is not part of it: label-v2 carries nothing derived from the content)."""
    del content
    return Label(
        item_id=f"{item:032x}",
        agreement_id=agreement,
        agreement_version="2016" if agreement == JK else "2014",
        originator=originator,
        level=EQUIVALENTS[originator],
        equivalents=tuple((p, EQUIVALENTS[p]) for p in releasable),
        releasable_to=releasable,
        topic="nk-missile",
        purpose=purpose,
        created_at=NOW,
        review_on=date(2027, 11, 28),
        route=route,
    )


def sealed(
    world: World,
    content: bytes = b"launch detected 38.9N 125.6E",
    *,
    item: int = 0,
    holders: tuple[str, ...] = ("JPN", "KOR"),
    **label_args: object,
) -> tuple[crypto.Envelope, crypto.Binding]:
    """An item sealed and bound by its originator (JPN unless told)."""
    label = make_label(content, item=item, **label_args)  # type: ignore[arg-type]
    keyring = world.of(label.originator)
    envelope = crypto.seal(keyring=keyring, plaintext=content, label=label, holders=holders)
    (binding,) = crypto.bind(keyring=keyring, envelopes=[envelope])
    return envelope, binding


@dataclass
class MemoryItemKeyStore:
    """An in-memory item-key store that follows the :class:`ItemKeyStore` contract."""

    records: dict[str, bytes | None] = field(default_factory=dict)

    def put(self, key: crypto.ItemKey) -> None:
        if key.item_id in self.records:
            if self.records[key.item_id] != key.to_bytes():
                raise ConflictError(f"item {key.item_id} has a different or destroyed key")
            return
        self.records[key.item_id] = key.to_bytes()

    def put_many(self, keys: list[crypto.ItemKey]) -> None:
        for key in keys:
            self.put(key)

    def get(self, item_id: str) -> crypto.ItemKey:
        record = self.records.get(item_id)
        if record is None:
            raise UnknownName(kind="item key", name=item_id)
        return crypto.ItemKey.from_bytes(item_id=item_id, data=record)

    def replace(self, key: crypto.ItemKey) -> None:
        old = self.get(key.item_id)
        if old.label_digest != key.label_digest:
            raise ConflictError("a re-wrap must keep the label binding")
        self.records[key.item_id] = key.to_bytes()

    def reseal(self, key: crypto.ItemKey) -> None:
        self.get(key.item_id)
        self.records[key.item_id] = key.to_bytes()

    def destroy(self, item_id: str) -> None:
        self.records[item_id] = None

    def uses(self, key_id: bytes) -> int:
        return self.count_under_key(key_id)

    def count_under_key(self, key_id: bytes) -> int:
        return sum(1 for _ in self.under_key(key_id))

    def under_key(self, key_id: bytes) -> Iterator[str]:
        for item_id, record in list(self.records.items()):
            if (
                record is not None
                and crypto.ItemKey.from_bytes(item_id=item_id, data=record).key_id == key_id
            ):
                yield item_id
