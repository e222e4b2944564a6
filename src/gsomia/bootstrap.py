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
from datetime import datetime
from pathlib import Path

from gsomia.adapters.clock import RandomIds, SystemClock
from gsomia.adapters.peers.inproc import InProcessNetwork
from gsomia.adapters.storage.sql import open_store
from gsomia.agreement_files import AgreementLibrary, load_library
from gsomia.config import NodeSettings, load_settings
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
    "connect_in_process",
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
) -> NodeSettings:
    """Create a node home for ``party``: settings, a fresh keyring, the store.

    Raises :class:`ConflictError` if ``home`` already holds a node.
    """
    home.mkdir(parents=True, exist_ok=True)
    if (home / "node.toml").exists() or (home / KEYRING_FILE).exists():
        raise ConflictError(f"{home} already holds a node; choose another --home")
    lines = [f'party = "{party}"']
    if store_url:
        lines.append(f'store_url = "{store_url}"')
    lines.append(f"import_agreement_events = {'true' if import_agreement_events else 'false'}")
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
        default_facility=default_facility,
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
