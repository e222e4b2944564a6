"""The node's Prometheus metrics (``GET /metrics``, the text exposition format).

Counted as they happen, in the process that sees them: requests by route, method and
status, with their duration; decisions by act, rule and outcome; deliveries by partner with
how long each message waited from being queued to its receipt. Read from the store at each
scrape, so every worker answers alike: outbox depth by partner and state, ledger size,
alarms. With several workers (``gsomia node run --workers N``) the counters of all of them
are added up through prometheus_client's multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``,
set by the node for its workers).

``/metrics`` answers a security officer's bearer token only (Prometheus sends it with
``authorization: {credentials: ...}``): the depth of the outbox per partner tells how busy
each channel is.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import APIRouter, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import REGISTRY, Collector

from gsomia.api._edge import Receive, Scope, Send
from gsomia.api.deps import NodeDep, PersonDep
from gsomia.core.decisions import Decision
from gsomia.core.rules import Act
from gsomia.services.node import Node

__all__ = ["RequestMetrics", "instrument", "router"]

REQUESTS = Counter(
    "gsomia_requests_total", "User API requests answered.", ["method", "route", "status"]
)
REQUEST_SECONDS = Histogram(
    "gsomia_request_seconds",
    "Time to answer a user API request.",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
DECISIONS = Counter(
    "gsomia_decisions_total",
    "Decisions of the rules, by act, each rule cited, and outcome.",
    ["act", "rule", "outcome"],
)
DELIVERED = Counter(
    "gsomia_delivered_messages_total",
    "Messages delivered to a partner (each member of a batched transfer counts).",
    ["partner"],
)
DELIVERY_SECONDS = Histogram(
    "gsomia_delivery_seconds",
    "From a message being queued to the partner's signed reply.",
    ["partner"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)

router = APIRouter()


def _count_decision(decision: Decision) -> None:
    outcome = "allowed" if decision.allowed else "denied"
    for rule in decision.rule_ids or ("none",):
        DECISIONS.labels(decision.act, rule, outcome).inc()


def _count_delivery(partner: str, waited: list[float]) -> None:
    DELIVERED.labels(partner).inc(len(waited))
    histogram = DELIVERY_SECONDS.labels(partner)
    for seconds in waited:
        histogram.observe(seconds)


def instrument(node: Node) -> None:
    """Count ``node``'s decisions and deliveries (once per node)."""
    if _count_decision not in node.ctx.on_decision:
        node.ctx.on_decision.append(_count_decision)
    if _count_delivery not in node.delivery.on_delivered:
        node.delivery.on_delivered.append(_count_delivery)


class _StoreCollector(Collector):
    """Gauges read from the node's store at each scrape."""

    def __init__(self, node: Node) -> None:
        self._node = node

    def collect(self) -> Iterable[Metric]:
        node = self._node
        depth = GaugeMetricFamily(
            "gsomia_outbox_messages",
            "Messages not yet delivered, by partner and state (pending, batched, dead).",
            labels=["partner", "state"],
        )
        for partner, states in sorted(node.delivery.depth().items()):
            for state, n in sorted(states.items()):
                depth.add_metric([partner, state], n)
        yield depth
        yield GaugeMetricFamily(
            "gsomia_ledger_entries",
            "Entries in the node's ledger.",
            value=node.overview.ledger_size(),
        )
        yield GaugeMetricFamily(
            "gsomia_alarms", "Alarms raised (a person must look).", value=len(node.audit.alarms())
        )


def _registry(node: Node) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_Forward())
    registry.register(_StoreCollector(node))
    return registry


class _Forward(Collector):
    """This process's own counters (single-process mode)."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


@router.get("/metrics", include_in_schema=False)
def metrics(node: NodeDep, person: PersonDep) -> Response:
    """The node's metrics in the Prometheus text format (security officers)."""
    node.queries.decide_node_view(Act.VIEW_LEDGER, person.id, what="metrics")
    return Response(generate_latest(_registry(node)), media_type=CONTENT_TYPE_LATEST)


@router.get("/v1/outbox/partners", tags=["node"])
def outbox_partners(node: NodeDep, person: PersonDep) -> dict[str, dict[str, int]]:
    """Messages not yet delivered, by partner and state: ``pending`` (queued or waiting
    for a retry), ``batched`` (joined into a batched transfer on its way), ``dead`` (given
    up on). A partner that is slow or down shows here; nothing is dropped (security
    officers)."""
    node.queries.decide_node_view(Act.VIEW_LEDGER, person.id, what="outbox")
    return node.delivery.depth()


class RequestMetrics:
    """ASGI middleware counting each HTTP request by method, route template and status."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def counting(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, counting)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            REQUESTS.labels(scope["method"], route, str(status)).inc()
            REQUEST_SECONDS.labels(route).observe(time.perf_counter() - started)
