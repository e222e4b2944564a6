"""``/metrics`` (issue 14): requests, decisions by rule and outcome, outbox depth per partner,
delivery latency, ledger size and alarms, in the Prometheus text format; and the outbox's
state by partner through the API."""

from __future__ import annotations

import base64

from prometheus_client.parser import text_string_to_metric_families

from tests.support.edge import Api
from tests.support.workflows import official


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _provide(api: Api) -> None:
    body = {
        "to": "KOR",
        "level": "極秘",
        "topic": "nk-missile",
        "purpose": "missile warning",
        "contents": [base64.b64encode(b"launch").decode()],
    }
    assert api.call("POST", "/v1/items", json=body).status_code == 201


def test_metrics_count_requests_decisions_outbox_and_deliveries(api: Api) -> None:
    for _ in range(3):
        _provide(api)
    down = api.call("GET", "/v1/outbox/partners")
    assert down.status_code == 200 and down.json() == {"KOR": {"pending": 3}}

    before = _samples(api.call("GET", "/metrics").text)
    assert before[("gsomia_outbox_messages", (("partner", "KOR"), ("state", "pending")))] == 3
    assert before[("gsomia_ledger_entries", ())] > 0
    assert before[("gsomia_alarms", ())] == 0
    created = (
        "gsomia_requests_total",
        (("method", "POST"), ("route", "/v1/items"), ("status", "201")),
    )
    assert before[created] >= 3
    allowed = [
        v
        for (name, labels), v in before.items()
        if name == "gsomia_decisions_total"
        and ("act", "send") in labels
        and ("outcome", "allowed") in labels
    ]
    assert allowed and min(allowed) >= 3

    delivered = api.node.delivery.pump()
    assert delivered.delivered == 1  # the three transfers travel as one batch
    after = _samples(api.call("GET", "/metrics").text)
    assert not any(name == "gsomia_outbox_messages" for name, _ in after)
    count = ("gsomia_delivery_seconds_count", (("partner", "KOR"),))
    assert after[count] - before.get(count, 0) == 3
    assert api.call("GET", "/v1/outbox/partners").json() == {}


def test_metrics_answer_a_security_officer_only(api: Api) -> None:
    assert api.call("GET", "/metrics", token=None).status_code == 401
    from gsomia.services.plumbing.auth import AuthService
    from tests.support.workflows import registrar

    other = AuthService(api.node.ctx).issue(person_id=official("JPN"), by=registrar("JPN")).token
    assert api.call("GET", "/metrics", token=other).status_code == 403
