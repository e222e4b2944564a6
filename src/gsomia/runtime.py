"""A node as a running server: the peer endpoint over mutual TLS, the user API, and the
delivery pump, in one process (composition root).

``gsomia node run`` calls :func:`run_node`; ``gsomia up`` starts one such process per
party (see :mod:`gsomia.cluster`).
"""

from __future__ import annotations

import gc
import ipaddress
import logging
import os
import signal
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import FrameType

from gsomia import _heap
from gsomia.adapters.bus.inproc import InProcessBus
from gsomia.adapters.peers.https import HttpsPeerTransport
from gsomia.adapters.storage.sql import SqlStore
from gsomia.adapters.storage.sql.leader import LeaderLock
from gsomia.adapters.storage.sql.rate_limits import SqlBuckets
from gsomia.api.app import create_app
from gsomia.api.peer import create_peer_app
from gsomia.api.serve import ServerHandle, start_server
from gsomia.bootstrap import master_secret, open_node, secure_home
from gsomia.config import NodeSettings, load_settings
from gsomia.crypto import FormKey, MasterSecret
from gsomia.crypto.pki import NodePki, PeerIdentity
from gsomia.errors import ConfigError, GsomiaError
from gsomia.files import PRIVATE_UMASK
from gsomia.ports.bus import Bus
from gsomia.ports.store import Store
from gsomia.services.node import Node
from gsomia.services.plumbing.context import SYSTEM_ACTOR

__all__ = ["NodeRuntime", "bus_for", "is_loopback", "run_node"]

_logger = logging.getLogger(__name__)
_IDLE_PAUSE = 0.05
#: How often a worker that does not lead asks for the lead (and the leader checks it).
_LEAD_RETRY = 1.0
#: Due messages one pump pass reads (transfers among them travel batched).
_PUMP_WINDOW = 500
#: How often a running node signs a checkpoint and asks its partners to cosign it.
_WITNESS_EVERY = 30.0


def _feed_tak(settings: NodeSettings, node: Node) -> None:
    """Stream the warnings the node holds to the TAK server of ``cot_url`` (if set)."""
    if not settings.cot_url:
        return
    if not settings.cot_level:
        raise ConfigError("cot_url is set but cot_level (the network's accreditation) is not")
    from gsomia.adapters.tak import TcpCotSink
    from gsomia.services.cot_feed import CotFeed
    from gsomia.services.warning_board import board_of

    sink = TcpCotSink(settings.cot_url)
    CotFeed(node.ctx, board=board_of(node.feed), sink=sink, accredited=settings.cot_level)


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or ``localhost``) is a loopback address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bus_for(url: str, settings: NodeSettings | None = None) -> Bus:
    """The warning feed's bus: NATS JetStream at ``url``, else in-process. The NATS client
    is an optional extra (``gsomia[nats]``); raises :class:`ConfigError` naming it when a
    bus is configured without it, or when a server beyond loopback lacks TLS or
    credentials."""
    if not url:
        return InProcessBus()
    try:
        from gsomia.adapters.bus.nats import NatsBus
    except ImportError:
        raise ConfigError(
            f"bus_url is {url!r} but the NATS client is not installed: pip install 'gsomia[nats]'"
        ) from None
    if settings is None:
        return NatsBus(url)
    return NatsBus(
        url,
        retention=timedelta(seconds=settings.bus_retention_seconds),
        ca_file=settings.bus_ca_file,
        credentials=settings.bus_credentials_file,
    )


@dataclass
class NodeRuntime:
    """A started node: its servers and its delivery pump."""

    settings: NodeSettings
    node: Node
    peer_server: ServerHandle
    user_server: ServerHandle
    transport: HttpsPeerTransport | None
    leader: LeaderLock | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _work: threading.Event = field(default_factory=threading.Event)
    _pump: threading.Thread | None = None
    _upkeep: threading.Thread | None = None

    @classmethod
    def start(
        cls, home: Path, *, master: MasterSecret | None = None, worker: bool = False
    ) -> NodeRuntime:
        """Open the node in ``home`` and start serving; raises ConfigError on bad settings.

        The home and the node's files in it are made owner-only first (a warning names any
        that were not). A ``worker`` is one of several processes of the node (see
        :mod:`gsomia.workers`): it shares the node's ports with the others, and runs the
        delivery pump and the witness only while it holds the node's leader lock."""
        secure_home(home)
        # Before any server thread allocates: see gsomia._heap.
        _heap.limit_arenas()
        settings = load_settings(home)
        secret = master or master_secret(settings)
        pki = NodePki.open(home)
        peers = {p.party: p.url for p in settings.peers}
        transport = HttpsPeerTransport.from_pki(pki, master=secret, peers=peers) if peers else None
        node = open_node(
            home, master=secret, transport=transport, default_facility=settings.default_facility
        )
        node.feed.bus = bus_for(settings.bus_url, settings)
        node.delivery.batching = settings.delivery_batching
        trust = pki.partner_trust()

        def handle(payload: bytes, peer: PeerIdentity) -> bytes:
            return node.inbox(payload, peer=peer.party)

        peer_app = create_peer_app(handler=handle, limits=settings.limits, identify=trust.identify)
        peer_server = start_server(
            peer_app,
            ssl_context=pki.server_context(master=secret),
            host=settings.peer_host or settings.host,
            port=settings.peer_port,
            reuse_port=worker,
        )
        # The user API carries bearer tokens and item content: beyond loopback, TLS.
        user_tls = None if is_loopback(settings.user_host) else pki.user_api_context(master=secret)
        user_server = start_server(
            create_app(
                node,
                limits=settings.limits,
                form_key=FormKey.from_master(secret),
                shared_limits=_shared_limits(node.ctx.store) if worker else None,
            ),
            ssl_context=user_tls,
            host=settings.user_host,
            port=settings.port,
            reuse_port=worker,
        )
        _feed_tak(settings, node)
        runtime = cls(
            settings=settings,
            node=node,
            peer_server=peer_server,
            user_server=user_server,
            transport=transport,
        )
        store = node.ctx.store
        if isinstance(store, SqlStore):
            runtime.leader = LeaderLock(
                store.engine, party=settings.party, role="pump", retry=_LEAD_RETRY
            )
        if transport is not None:
            # A message queued by this process wakes the pump at once; one queued by
            # another process on the same store (a CLI command) waits at most the idle pause.
            node.ctx.store.on_enqueued(runtime._work.set)
            runtime._pump = threading.Thread(
                target=runtime._pump_loop, name="gsomia-pump", daemon=True
            )
            runtime._pump.start()
            runtime._upkeep = threading.Thread(
                target=runtime._upkeep_loop, name="gsomia-upkeep", daemon=True
            )
            runtime._upkeep.start()
        _logger.warning(
            "%s node: user API %s, peer endpoint %s",
            settings.party,
            user_server.url,
            peer_server.url,
        )
        # Start-up objects (modules, agreements, keys) live as long as the process; moving
        # them out of the garbage collector's generations spares every full collection from
        # scanning them again while items stream through.
        gc.collect()
        gc.freeze()
        _heap.release_free_memory()
        return runtime

    def leads(self) -> bool:
        """Whether this process runs the node's delivery and witnessing now."""
        return self.leader is None or self.leader.held()

    def _pump_loop(self) -> None:
        while not self._stop.is_set():
            if not self.leads():
                # Another worker leads; ask again in a moment.
                self._stop.wait(_LEAD_RETRY / 2)
                continue
            try:
                result = self.node.delivery.pump(limit=_PUMP_WINDOW)
            except GsomiaError as exc:
                _logger.warning("delivery pump: %s", exc)
                result = None
            if result is None or result.delivered == 0:
                self._work.wait(_IDLE_PAUSE)
                self._work.clear()

    def _upkeep_loop(self) -> None:
        """Witnessing and the node's upkeep, on a thread of their own: a store check that
        reads minutes of writes does not hold deliveries up."""
        while not self._stop.wait(_WITNESS_EVERY):
            # Every worker, leading or not, hands back what its allocator holds free.
            _heap.release_free_memory()
            if not self.leads():
                continue
            try:
                if self.node.ctx.store.ledger.size() > self.node.audit.latest_size():
                    self.node.witness.request(by=SYSTEM_ACTOR)
                self.node.maintain()
            except GsomiaError as exc:
                _logger.warning("witnessing and upkeep: %s", exc)

    def stop(self) -> None:
        """Stop the pump, then the servers, then close the store."""
        self._stop.set()
        self._work.set()
        for thread in (self._pump, self._upkeep):
            if thread is not None:
                thread.join(10)
        if self.leads():
            try:
                self.node.audit.checkpoint(now=self.node.ctx.clock.now())
            except GsomiaError as exc:
                _logger.warning("no checkpoint at shutdown: %s", exc)
        if self.leader is not None:
            self.leader.release()
        self.user_server.stop()
        self.peer_server.stop()
        if self.node.feed.bus is not None:
            self.node.feed.bus.close()
        if self.transport is not None:
            self.transport.close()
        self.node.ctx.store.close()

    def wait(self) -> None:
        """Block until SIGTERM or SIGINT, then stop cleanly."""

        def _on_signal(_signum: int, _frame: FrameType | None) -> None:
            self._stop.set()

        signal.signal(signal.SIGTERM, _on_signal)
        signal.signal(signal.SIGINT, _on_signal)
        while not self._stop.wait(0.5):
            pass
        self.stop()


def run_node(home: Path, *, worker: bool = False) -> None:
    """Serve the node in ``home`` until stopped by a signal; every file the process makes
    is owner-only (umask 077). A ``worker`` is one of several processes of the node."""
    os.umask(PRIVATE_UMASK)
    NodeRuntime.start(home, worker=worker).wait()


def _shared_limits(store: Store) -> SqlBuckets | None:
    """Request-limit buckets in the node's database, shared by its worker processes (a
    store other than SQL keeps them per process)."""
    return SqlBuckets(store.engine) if isinstance(store, SqlStore) else None
