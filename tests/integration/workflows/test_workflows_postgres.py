"""The workflows on PostgreSQL stores (a schema per party): the hub path with consent,
destruction with the keys vacuumed, and a release to a third party."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

from gsomia.errors import PolicyDenied, UnknownName
from workflow_support import World, build_on, officer, official

pytestmark = pytest.mark.services


@pytest.fixture
def pg_world(postgres_url: str) -> Iterator[World]:
    tag = uuid.uuid4().hex[:10]
    schemas = {p: f"wf_{p.lower()}_{tag}" for p in ("JPN", "KOR", "USA")}
    admin = create_engine(postgres_url)
    with admin.begin() as conn:
        for schema in schemas.values():
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    joiner = "&" if "?" in postgres_url else "?"
    urls = {
        p: f"{postgres_url}{joiner}options={quote(f'-csearch_path={s}')}"
        for p, s in schemas.items()
    }
    world = build_on(urls)
    try:
        yield world
    finally:
        for node in world.nodes.values():
            node.ctx.store.close()
        with admin.begin() as conn:
            for schema in schemas.values():
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


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
