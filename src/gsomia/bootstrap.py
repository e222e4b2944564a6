"""Composition root shared by the CLI, the API and the demo: a node home on disk to a
running :class:`~gsomia.services.node.Node`.

A node home holds ``node.toml`` (settings), ``keyring.gsk`` (the keyring, encrypted under
the master secret), the SQLite store ``node.db`` unless the settings name PostgreSQL, and
``partners/`` (the public-keys files partners sent, recorded per agreement).

The home is the owner's only: the directory is 0700 and every file the node keeps in it
(settings, keyring, store and its WAL and shared-memory files, log, trusted keys) 0600,
whatever the umask (:func:`secure_home`). SQLite gives its WAL and shared-memory files the
mode of the database file, so a database made 0600 keeps them 0600 too.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from gsomia.adapters.clock import RandomIds, SystemClock
from gsomia.adapters.peers.inproc import InProcessNetwork
from gsomia.adapters.storage.memory_store import MemoryStore
from gsomia.adapters.storage.sql import open_store
from gsomia.agreement_files import load_library
from gsomia.config import NodeSettings, load_settings
from gsomia.core.agreements import AgreementLibrary
from gsomia.core.people import Authority
from gsomia.crypto import (
    KeyKind,
    Keyring,
    MasterSecret,
    dump_keyring,
    export_public_keys,
    generate_keyring,
    import_public_keys,
    load_keyring,
    rotate,
)
from gsomia.crypto.signed_notes import trusted_key_lines
from gsomia.errors import ConfigError, ConflictError, UnknownName
from gsomia.files import PRIVATE_DIR, PRIVATE_FILE, make_private
from gsomia.ledger.checkpoint import NoteVerifier
from gsomia.ports.runtime import Clock, IdSource
from gsomia.ports.store import Store
from gsomia.ports.transport import PeerTransport
from gsomia.services.node import Node, ledger_origin
from gsomia.services.plumbing.audit import AuditService
from gsomia.services.plumbing.state import seal_store

__all__ = [
    "KEYRING_FILE",
    "MEMORY_URL",
    "Member",
    "connect_in_process",
    "demonstration_registry",
    "found_registry",
    "fresh_node",
    "init_home",
    "master_secret",
    "open_node",
    "rotate_master_secret",
    "save_keyring",
    "secure_home",
]

_logger = logging.getLogger(__name__)

KEYRING_FILE = "keyring.gsk"
#: The store URL of a node kept in memory (:func:`fresh_node`).
MEMORY_URL = "memory://"
TRUSTED_KEYS_FILE = "trusted-keys"
#: The files a node keeps in its home, each owner-only (0600).
PRIVATE_FILES = (
    "node.toml",
    KEYRING_FILE,
    TRUSTED_KEYS_FILE,
    "node.db",
    "node.db-wal",
    "node.db-shm",
    "node.log",
)


def master_secret(
    settings: NodeSettings | None = None, environ: Mapping[str, str] | None = None
) -> MasterSecret:
    """The node's master secret from the environment, or the file the settings name.

    Raises :class:`ConfigError` when it is missing, empty, short or a known default.
    """
    env = dict(os.environ if environ is None else environ)
    if settings is not None and settings.master_secret_file and "GSOMIA_MASTER_SECRET" not in env:
        env.setdefault("GSOMIA_MASTER_SECRET_FILE", str(settings.master_secret_file))
    return MasterSecret.load(environ=env)


def init_home(
    home: Path,
    *,
    party: str,
    now: datetime,
    master: MasterSecret,
    store_url: str = "",
    import_agreement_events: bool = True,
    default_facility: str | None = None,
) -> NodeSettings:
    """Create a node home for ``party``: settings, a fresh keyring, the store;
    ``default_facility`` is the receiving facility, where received items are kept.

    Raises :class:`ConflictError` if ``home`` already holds a node.
    """
    home.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    if (home / "node.toml").exists() or (home / KEYRING_FILE).exists():
        raise ConflictError(f"{home} already holds a node; choose another --home")
    make_private(home, directory=True)
    lines = [f'party = "{party}"']
    if store_url:
        lines.append(f'store_url = "{store_url}"')
    lines.append(f"import_agreement_events = {'true' if import_agreement_events else 'false'}")
    if default_facility:
        lines.append(f'default_facility = "{default_facility}"')
    _write_private(home / "node.toml", ("\n".join(lines) + "\n").encode("utf-8"))
    settings = load_settings(home)
    keyring = generate_keyring(party=settings.party, now=now)
    save_keyring(home, keyring, master)
    (home / "partners").mkdir(mode=PRIVATE_DIR, exist_ok=True)
    if not settings.store_url and not (home / "node.db").exists():
        # An empty file is a new SQLite database; made here, it is private from the start.
        _write_private(home / "node.db", b"", exclusive=True)
    store = open_store(
        settings.database_url(),
        schemes=_library(settings).schemes,
        ledger_origin=ledger_origin(party),
    )
    store.close()
    secure_home(home)
    return settings


def secure_home(home: Path) -> list[Path]:
    """Make ``home`` 0700 and the node's files in it 0600 where they are looser; returns
    the paths that were tightened (each is also logged as a warning)."""
    changed = [home] if make_private(home, directory=True) else []
    partners = home / "partners"
    if make_private(partners, directory=True):
        changed.append(partners)
    changed += [home / n for n in PRIVATE_FILES if make_private(home / n)]
    return changed


def _write_private(path: Path, data: bytes, *, exclusive: bool = False) -> None:
    """Write ``data`` to a file that is owner-only from the moment it exists."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    try:
        fd = os.open(path, flags | getattr(os, "O_NOFOLLOW", 0), PRIVATE_FILE)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}") from None
    make_private(path)


def found_registry(
    home: Path,
    *,
    master: MasterSecret,
    officer: str,
    officer_name: str,
    clearance: str,
    need_to_know: frozenset[str],
    facility: str,
    facility_name: str,
) -> Node:
    """Found the registry of a new node home: its first security officer, cleared (who
    holds the registry and custody authorities, JK-6.e), and its receiving facility, with
    the officer on its register. Returns the node, whose store the caller closes."""
    node = open_node(home, master=master)
    try:
        node.registry.found(
            officer_id=officer,
            name=officer_name,
            clearance=clearance,
            need_to_know=need_to_know,
        )
        node.registry.add_facility(facility_id=facility, name=facility_name, by=officer)
        node.registry.register(person_id=officer, facility_id=facility, by=officer)
    finally:
        node.ctx.store.close()
    return node


@dataclass(frozen=True, slots=True, kw_only=True)
class Member:
    """A person to register in a demonstration registry."""

    person_id: str
    name: str
    role: str
    clearance: str | None
    need_to_know: frozenset[str] = frozenset()
    authorities: tuple[Authority, ...] = ()


def demonstration_registry(
    node: Node, *, facility: str, facility_name: str, registrar: Member, members: Sequence[Member]
) -> dict[str, list[str]]:
    """A registry for a demonstration, a cluster on one machine or tests: ``registrar``
    founds it (registry and custody authorities), adds the facility and each member (on its
    register, if cleared), and grants each member the authorities listed. Every act goes through the
    rules and the ledger like any other. Returns who holds which authority (the output says
    so)."""
    reg = node.registry
    reg.found(
        officer_id=registrar.person_id,
        name=registrar.name,
        clearance=registrar.clearance,
        need_to_know=registrar.need_to_know,
    )
    reg.add_facility(facility_id=facility, name=facility_name, by=registrar.person_id)
    reg.register(person_id=registrar.person_id, facility_id=facility, by=registrar.person_id)
    held = {registrar.person_id: ["custody", "registry"]}
    for m in members:
        reg.add_person(
            person_id=m.person_id,
            name=m.name,
            role=m.role,
            clearance=m.clearance,
            need_to_know=m.need_to_know,
            # A register holds cleared persons only (JK-6.e).
            facilities=frozenset({facility}) if m.clearance else frozenset(),
            by=registrar.person_id,
        )
        for authority in m.authorities:
            reg.grant(person_id=m.person_id, authority=authority.value, by=registrar.person_id)
        if m.authorities:
            held[m.person_id] = sorted(a.value for a in m.authorities)
    return held


def save_keyring(home: Path, keyring: Keyring, master: MasterSecret) -> None:
    """Write the keyring file atomically, readable by the owner only, and the
    ``trusted-keys`` file that ``gsomia audit`` checks signatures with (owner-only too)."""
    path = home / KEYRING_FILE
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    _write_private(tmp, dump_keyring(keyring, master=master), exclusive=True)
    tmp.replace(path)
    lines = trusted_key_lines(keyring, name_of=ledger_origin)
    _write_private(home / TRUSTED_KEYS_FILE, ("\n".join(lines) + "\n").encode("utf-8"))


def rotate_master_secret(home: Path, *, old: MasterSecret, new: MasterSecret) -> None:
    """Seal the node's keyring and its PKI private keys under a new master secret.

    The PKI keys are re-encrypted first, then the keyring file is replaced; until the
    keyring is replaced the old secret still opens it. Raises :class:`ConfigError` when
    ``home`` is not a node home, :class:`~gsomia.errors.IntegrityError` when ``old`` does
    not open it, and :class:`ConflictError` when both secrets are the same.
    """
    if old.value == new.value:
        raise ConflictError("the new master secret is the current one")
    if not (home / KEYRING_FILE).exists():
        raise ConfigError(f"{home} is not a node home: no {KEYRING_FILE}")
    keyring = load_keyring((home / KEYRING_FILE).read_bytes(), master=old)
    if (home / "pki" / "pki.json").exists():
        from gsomia.crypto.pki import NodePki

        NodePki.open(home).reseal_keys(old=old, new=new)
    save_keyring(home, keyring, new)


def _library(settings: NodeSettings) -> AgreementLibrary:
    library = load_library(settings.agreements_path or None)
    if settings.import_agreement_events:
        return library
    from dataclasses import replace

    stripped = library
    for agreement in library:
        stripped = stripped.replace(replace(agreement, events=()))
    return stripped


def open_node(
    home: Path,
    *,
    master: MasterSecret | None = None,
    clock: Clock | None = None,
    ids: IdSource | None = None,
    transport: PeerTransport | None = None,
    default_facility: str | None = None,
) -> Node:
    """Open the node in ``home``; raises :class:`ConfigError` when it is not a node home or
    the master secret does not open its keyring."""
    if not (home / "node.toml").exists():
        raise ConfigError(f"{home} is not a node home; run `gsomia node init --home {home}` first")
    settings = load_settings(home)
    secret = master or master_secret(settings)
    keyring = load_keyring((home / KEYRING_FILE).read_bytes(), master=secret)
    library = _library(settings)
    store = open_store(
        settings.database_url(),
        schemes=library.schemes,
        ledger_origin=ledger_origin(settings.party),
    )
    node = Node.assemble(
        party=settings.party,
        store=store,
        keyring=keyring,
        clock=clock or SystemClock(),
        ids=ids or RandomIds(),
        agreements=library,
        transport=transport,
        default_facility=default_facility or settings.default_facility,
    )
    # Key changes (rotation, retirement, unregistering) are written to the keyring file
    # before the node uses them.
    node.keys.persist = lambda ring: save_keyring(home, ring, secret)
    node.custody.max_item_bytes = settings.limits.max_item_bytes
    if not keyring.has_own(KeyKind.STATE):
        _first_state_key(node, lambda ring: save_keyring(home, ring, secret))
    return node


def open_ledger_audit(
    home: Path, *, database: Path, trusted: Callable[[], Sequence[NoteVerifier]]
) -> AuditService:
    """The ledger of the node in ``home`` alone, to verify, show and prove with the
    verifier keys ``trusted()`` gives once the database is found (no master secret needed):
    its database as its settings name it, else the SQLite ``database``. Raises
    :class:`UnknownName` when there is no database and :class:`ConfigError` when it does
    not hold exactly one ledger."""
    from gsomia.adapters.storage.sql.ledger import SqlLedgerStore, sqlite_engine
    from gsomia.adapters.storage.sql.store import make_engine

    if (home / "node.toml").is_file():
        engine = make_engine(load_settings(home).database_url())
    elif not database.is_file():
        raise UnknownName(kind="node database", name=str(database))
    else:
        engine = sqlite_engine(database)
    origins = SqlLedgerStore.origins(engine)
    if len(origins) != 1:
        raise ConfigError(f"{database} holds {len(origins)} ledgers; expected exactly one")
    return AuditService(store=SqlLedgerStore(engine, origin=origins[0]), trusted=trusted())


def _first_state_key(node: Node, persist: Callable[[Keyring], None]) -> None:
    """Give a keyring made before state-v1 its state key, and seal the store's rows as they
    stand (they are trusted at this moment; ``gsomia audit verify`` before the upgrade).
    The store is sealed before the keyring is written, so a crash between the two only
    means sealing again under another new key at the next start."""
    node.ctx.keyring = rotate(node.ctx.keyring, now=node.ctx.clock.now(), kinds=[KeyKind.STATE])
    count = seal_store(node.ctx, trust=True)
    persist(node.ctx.keyring)
    _logger.warning("the keyring got its first state key; %d stored rows sealed", count)


def fresh_node(
    store_url: str,
    *,
    party: str,
    library: AgreementLibrary,
    clock: Clock | None = None,
    default_facility: str | None = None,
    keyring: Keyring | None = None,
) -> Node:
    """A node of ``party`` with a new keyring held in memory (or ``keyring``, whose state
    key sealed the store), on a new store at ``store_url``: for simulations, benchmarks and
    tests, where no home on disk is kept; ``memory://`` keeps the store in memory."""
    clock = clock or SystemClock()
    store: Store
    if store_url == MEMORY_URL:
        store = MemoryStore(ledger_origin=ledger_origin(party))
    else:
        store = open_store(store_url, schemes=library.schemes, ledger_origin=ledger_origin(party))
    return Node.assemble(
        party=party,
        store=store,
        keyring=keyring or generate_keyring(party=party, now=clock.now()),
        clock=clock,
        ids=RandomIds(),
        agreements=library,
        default_facility=default_facility,
    )


def exchange_keys(
    nodes: Sequence[Node], *, homes: Iterable[Path] = (), master: MasterSecret | None = None
) -> None:
    """Register every pair's public keys under each agreement they share (an out-of-band
    exchange done by hand between governments; automated here for one operator's cluster)."""
    for node in nodes:
        for other in nodes:
            if other is node:
                continue
            keys = import_public_keys(export_public_keys(other.ctx.keyring))
            for agreement in node.ctx.files.between(node.party, other.party):
                node.register_partner(agreement_id=agreement.id, keys=keys)
    if master is not None:
        for node, home in zip(nodes, homes, strict=False):
            save_keyring(home, node.ctx.keyring, master)


def connect_in_process(nodes: Sequence[Node]) -> InProcessNetwork:
    """Put ``nodes`` on one in-process network and exchange their keys."""
    network = InProcessNetwork()
    for node in nodes:
        network.attach(node.party, node.inbox)
        node.delivery.transport = network.transport(node.party)
    exchange_keys(nodes)
    return network
