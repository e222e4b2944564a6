"""Composition root shared by the CLI, the API and the demo: a node home on disk to a
running :class:`~gsomia.services.node.Node`.

A node home holds ``node.toml`` (settings), ``keyring.gsk`` (the keyring, encrypted under
the master secret), the SQLite store ``node.db`` unless the settings name PostgreSQL, and
``partners/`` (the public-keys files partners sent, recorded per agreement).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from gsomia.adapters.clock import RandomIds, SystemClock
from gsomia.adapters.peers.inproc import InProcessNetwork
from gsomia.adapters.storage.sql import open_store
from gsomia.agreement_files import AgreementLibrary, load_library
from gsomia.config import NodeSettings, load_settings
from gsomia.core.people import Authority
from gsomia.crypto import (
    Keyring,
    MasterSecret,
    dump_keyring,
    export_public_keys,
    generate_keyring,
    import_public_keys,
    load_keyring,
)
from gsomia.crypto.notes import trusted_key_lines
from gsomia.errors import ConfigError, ConflictError
from gsomia.ports.runtime import Clock, IdSource
from gsomia.ports.transport import PeerTransport
from gsomia.services.node import Node, ledger_origin

__all__ = [
    "KEYRING_FILE",
    "Member",
    "connect_in_process",
    "demonstration_registry",
    "found_registry",
    "fresh_node",
    "init_home",
    "master_secret",
    "open_node",
    "save_keyring",
]

_logger = logging.getLogger(__name__)

KEYRING_FILE = "keyring.gsk"
TRUSTED_KEYS_FILE = "trusted-keys"


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
    home.mkdir(parents=True, exist_ok=True)
    if (home / "node.toml").exists() or (home / KEYRING_FILE).exists():
        raise ConflictError(f"{home} already holds a node; choose another --home")
    lines = [f'party = "{party}"']
    if store_url:
        lines.append(f'store_url = "{store_url}"')
    lines.append(f"import_agreement_events = {'true' if import_agreement_events else 'false'}")
    if default_facility:
        lines.append(f'default_facility = "{default_facility}"')
    (home / "node.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = load_settings(home)
    keyring = generate_keyring(party=settings.party, now=now)
    save_keyring(home, keyring, master)
    (home / "partners").mkdir(exist_ok=True)
    store = open_store(
        settings.database_url(),
        schemes=_library(settings).schemes,
        ledger_origin=ledger_origin(party),
    )
    store.close()
    return settings


def found_registry(
    home: Path,
    *,
    master: MasterSecret,
    officer: str,
    officer_name: str,
    clearance: str | None,
    need_to_know: frozenset[str],
    facility: str,
    facility_name: str,
) -> Node:
    """Found the registry of a new node home: its first security officer (who holds the
    registry and custody authorities) and its receiving facility, with the officer on its
    register. Returns the node, whose store the caller closes."""
    node = open_node(home, master=master)
    try:
        node.registry.found(
            officer_id=officer,
            name=officer_name,
            clearance=clearance,
            need_to_know=need_to_know,
        )
        node.registry.add_facility(facility_id=facility, name=facility_name, by=officer)
        if clearance:
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
    founds it (registry and custody authorities), adds the facility and each member on its
    register, and grants each member the authorities listed. Every act goes through the
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
            facilities=frozenset({facility}),
            by=registrar.person_id,
        )
        for authority in m.authorities:
            reg.grant(person_id=m.person_id, authority=authority.value, by=registrar.person_id)
        if m.authorities:
            held[m.person_id] = sorted(a.value for a in m.authorities)
    return held


def save_keyring(home: Path, keyring: Keyring, master: MasterSecret) -> None:
    """Write the keyring file atomically, readable by the owner only, and the public
    ``trusted-keys`` file that ``gsomia audit`` checks signatures with."""
    path = home / KEYRING_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(dump_keyring(keyring, master=master))
    tmp.chmod(0o600)
    tmp.replace(path)
    lines = trusted_key_lines(keyring, name_of=ledger_origin)
    (home / TRUSTED_KEYS_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")


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
    return Node.assemble(
        party=settings.party,
        store=store,
        keyring=keyring,
        clock=clock or SystemClock(),
        ids=ids or RandomIds(),
        agreements=library,
        transport=transport,
        default_facility=default_facility or settings.default_facility,
    )


def fresh_node(
    store_url: str,
    *,
    party: str,
    library: AgreementLibrary,
    clock: Clock | None = None,
    default_facility: str | None = None,
) -> Node:
    """A node of ``party`` with a new keyring held in memory, on a new store at
    ``store_url``: for simulations, benchmarks and tests, where no home on disk is kept."""
    clock = clock or SystemClock()
    store = open_store(store_url, schemes=library.schemes, ledger_origin=ledger_origin(party))
    return Node.assemble(
        party=party,
        store=store,
        keyring=generate_keyring(party=party, now=clock.now()),
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
