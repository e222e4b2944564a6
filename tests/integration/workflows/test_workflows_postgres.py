"""The workflows on PostgreSQL stores (a schema per party): the hub path with consent,
destruction with the keys vacuumed, and a release to a third party."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gsomia.errors import PolicyDenied, UnknownName
from tests.support.pg import postgres_world
from tests.support.workflows import World, officer, official

pytestmark = pytest.mark.services


@pytest.fixture
def pg_world(postgres_url: str) -> Iterator[World]:
    with postgres_world(postgres_url, ("JPN", "KOR", "USA")) as world:
        yield world


def test_hub_consent_forward_release_and_destruction(pg_world: World) -> None:
    w = pg_world
    usa, kor, jpn = w["USA"], w["KOR"], w["JPN"]
    item = w.provide(agreement="tisa").item_ids[0]
    w.drain()
    with pytest.raises(PolicyDenied):
        usa.release.forward(item_id=item, by=officer("USA"))
    request = usa.consent.request(item_id=item, to_party="KOR", by=officer("USA"), reason="TISA")
    w.drain()
    jpn.consent.grant(request_id=request.id, by=officer("JPN"))
    w.drain()
    usa.release.forward(item_id=item, by=officer("USA"))
    w.drain()
    assert kor.custody.open(item_id=item, person_id=official("KOR"))
    usa.handling.destroy(item_id=item, by=officer("USA"))
    with usa.ctx.store.read() as uow, pytest.raises(UnknownName):
        uow.keys.get(item)
    with pytest.raises(PolicyDenied):
        usa.custody.open(item_id=item, person_id=official("USA"))
    kor.handling.copy(item_id=item, by=official("KOR"))
    assert [r["number"] for r in kor.handling.register(item, viewer=official("KOR"))] == [1]
