"""An item's earlier label versions are markings too (JK-7.2): after a downgrade, a person
cleared only for the new level sees the item and its current label, never the earlier,
higher marking, on the API's item or the console's item page, whose banner is the highest
level shown. A person cleared for the earlier level still sees every version."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from gsomia.api.banners import banner
from gsomia.core.labels import Label
from gsomia.core.people import NODE_ACTOR
from gsomia.crypto import FormKey, MasterSecret
from gsomia.services.node import Node
from gsomia.services.plumbing.auth import AuthService
from tests.support.console import Client, console_app
from tests.support.edge import get_as
from tests.support.workflows import LEVEL, LOW, World, build, officer

MASTER = MasterSecret.from_text(MasterSecret.generate())


@dataclass(frozen=True)
class Downgrade:
    """An item ``originator`` provided ``holder`` under ``agreement``, then downgraded."""

    originator: str
    holder: str
    agreement: str


CASES = (
    Downgrade("JPN", "KOR", "jpn-kor-gsomia"),
    Downgrade("USA", "KOR", "kor-usa-gsomia"),
    Downgrade("KOR", "JPN", "jpn-kor-gsomia"),
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, dict[Downgrade, str]]]:
    made = build(tmp_path_factory.mktemp("label-versions"))
    items = {}
    for case in CASES:
        sent = made.provide(case.originator, case.holder, agreement=case.agreement)
        items[case] = sent.item_ids[0]
    made.drain()
    for case, item in items.items():
        made[case.originator].reclassification.reclassify(
            item_id=item, level=LOW[case.originator], by=officer(case.originator)
        )
    made.drain()
    yield made, items
    for node in made.nodes.values():
        node.ctx.store.close()


def _low(party: str) -> str:
    """An official of ``party`` cleared for the lower level only, with the need to know."""
    return f"{party.lower()}-low"


def _versions(node: Node, item: str) -> list[Label]:
    with node.ctx.store.read() as uow:
        return [Label.from_bytes(v.label) for v in uow.labels(item)]


def _token(node: Node, person: str) -> str:
    return AuthService(node.ctx).issue(person_id=person, by=NODE_ACTOR).token


def _api_labels(node: Node, person: str, item: str) -> list[Label]:
    """The label versions the REST API's item answer lists to ``person``."""
    app = console_app(node, FormKey.from_master(MASTER))
    answer = get_as(node, person, f"/v1/items/{item}", app=app)
    assert answer.status_code == 200, answer.text
    return [Label.from_bytes(v["label"].encode("utf-8")) for v in answer.json()["labels"]]


def _page(node: Node, person: str, item: str) -> httpx.Response:
    client = Client(console_app(node, FormKey.from_master(MASTER)))
    try:
        client.login(_token(node, person))
        return client.get(f"/console/items/{item}")
    finally:
        client.close()


def _row(label: Label) -> re.Pattern[str]:
    """A label version's row in the item page's table of versions."""
    return re.compile(rf'<td class="num">{label.revision}</td>\s*<td><code>{label.digest()}</code>')


def _holder_level(node: Node, label: Label) -> str:
    return label.equivalent_for(node.party) or label.level


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.originator}-{c.holder}")
def test_a_person_cleared_for_the_new_level_sees_no_earlier_higher_marking(
    world: tuple[World, dict[Downgrade, str]], case: Downgrade
) -> None:
    made, items = world
    holder, item = made[case.holder], items[case]
    every = _versions(holder, item)
    higher = [v for v in every if v.level != every[-1].level]
    assert higher, "the holder keeps the earlier, higher label versions"
    low = holder.queries.item(viewer=_low(case.holder), item_id=item)
    shown = [Label.from_bytes(v.label) for v in low.labels]
    assert shown and shown[-1] == every[-1]
    assert not [v for v in shown if v in higher]
    schemes = holder.ctx.agreement(case.agreement).schemes
    assert {_holder_level(holder, v) for v in shown} == {schemes.parse(LOW[case.holder]).ref}
    assert _api_labels(holder, _low(case.holder), item) == shown


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.originator}-{c.holder}")
def test_a_person_cleared_for_the_earlier_level_still_sees_every_version(
    world: tuple[World, dict[Downgrade, str]], case: Downgrade
) -> None:
    made, items = world
    holder, item = made[case.holder], items[case]
    every = _versions(holder, item)
    for person in (officer(case.holder), f"{case.holder.lower()}-official"):
        shown = holder.queries.item(viewer=person, item_id=item).labels
        assert [Label.from_bytes(v.label) for v in shown] == every


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.originator}-{c.holder}")
def test_the_item_pages_banner_is_the_highest_version_shown(
    world: tuple[World, dict[Downgrade, str]], case: Downgrade
) -> None:
    made, items = world
    holder, item = made[case.holder], items[case]
    schemes = holder.ctx.agreement(case.agreement).schemes
    every = _versions(holder, item)
    current = _holder_level(holder, every[-1])
    higher = [v for v in every if _holder_level(holder, v) != current]
    for person, level in ((_low(case.holder), LOW), (officer(case.holder), LEVEL)):
        page = _page(holder, person, item)
        assert page.status_code == 200, page.text
        assert banner([schemes.parse(level[case.holder])]).text in page.text
        shown = [v for v in every if _row(v).search(page.text)]
        if level is LOW:
            assert shown and not [v for v in shown if v in higher]
            assert banner([schemes.parse(LEVEL[case.holder])]).text not in page.text
        else:
            assert shown == every
