"""The warnings a node holds, streamed to a TAK server as Cursor-on-Target events.

Each version of a warning that reaches the node's warning board is decided first (the TAK
network must be accredited for the warning's level as this party marks it:
:class:`~gsomia.core.rules.visibility.NetworkAccredited`), then mapped
(:func:`~gsomia.interop.cot.cot_events`) with the marking inside ``<detail>`` and sent. A
warning the network may not carry is not sent and is counted; a send that fails is dropped
(the next version supersedes it) and counted.
"""

from __future__ import annotations

import logging
import threading

from gsomia.core.rules import Act, NetworkRequest
from gsomia.errors import ConfigError, GsomiaError
from gsomia.interop.cot import cot_events
from gsomia.interop.stix import Marking
from gsomia.ports.tak import CotSink
from gsomia.services.plumbing.context import NodeContext
from gsomia.services.warning_board import HeldWarning, WarningBoard

__all__ = ["CotFeed"]

_logger = logging.getLogger(__name__)


class CotFeed:
    """Sends every warning the board holds to one TAK server accredited to ``accredited``."""

    def __init__(
        self, ctx: NodeContext, *, board: WarningBoard, sink: CotSink, accredited: str
    ) -> None:
        self.ctx = ctx
        self._sink = sink
        mine = [a for a in ctx.agreements.agreements.values() if ctx.party in a.party_codes]
        if not mine:
            raise ConfigError(f"{ctx.party} is party to no agreement; nothing can go to TAK")
        # The accreditation is a level of this party's own scheme (raises UnknownName).
        self._accredited = mine[0].schemes.parse(accredited, party=ctx.party).ref
        self._lock = threading.Lock()
        self.counts = {"sent": 0, "withheld": 0, "failed": 0}
        board.listen(self.send)

    def replay(self, board: WarningBoard) -> int:
        """Send the latest version of every track the board holds now; how many were sent."""
        latest = {v.key: v for v in board.versions()}
        before = self.counts["sent"]
        for version in latest.values():
            self.send(version)
        return self.counts["sent"] - before

    def send(self, version: HeldWarning) -> None:
        """Decide, map and send one warning version (never raises: the warning feed that
        calls it must go on)."""
        try:
            self._send(version)
        except GsomiaError as exc:
            self._count("failed")
            _logger.warning("CoT: %s not sent: %s", version.key, exc)

    def _send(self, version: HeldWarning) -> None:
        label = version.label
        marking = Marking.of(label, holder=self.ctx.party)
        now = self.ctx.clock.now()
        agreement = self.ctx.agreement(label.agreement_id)
        decision = self.ctx.rulebook.decide(
            Act.CARRY,
            NetworkRequest(
                agreement=agreement,
                level=agreement.schemes.parse(marking.holder_level, party=self.ctx.party),
                accredited=agreement.schemes.parse(self._accredited, party=self.ctx.party),
                at=now,
            ),
        )
        if not decision.allowed:
            self._count("withheld")
            _logger.info("CoT: %s withheld: %s", version.key, decision.reason)
            return
        level = self.ctx.agreement(label.agreement_id).schemes.parse(marking.holder_level)
        access = f"{level.english}//REL TO {', '.join(marking.releasable_to)}"
        events = cot_events(
            version.warning, epoch=version.epoch, sent_at=now, marking=marking, access=access
        )
        for event in events:
            self._sink.send(event)
        self._count("sent")

    def _count(self, what: str) -> None:
        with self._lock:
            self.counts[what] += 1
