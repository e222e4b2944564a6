"""2019 to 2023 between Tokyo, Seoul and Washington, played through three nodes that start
from the agreements as signed: the ROK's notice, sharing while it is pending (directly and
through the TISA hub), the suspension, a possible compromise, and the withdrawal."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gsomia.core.lifecycle import Phase, status
from gsomia.errors import PolicyDenied
from tests.support.workflows import World, build, ledger_events, officer, official

GSOMIA = "jpn-kor-gsomia"


@pytest.fixture
def story(tmp_path: Path) -> Iterator[World]:
    w = build(tmp_path, start=datetime(2019, 8, 23, 5, tzinfo=UTC), as_signed=True)
    yield w
    for node in w.nodes.values():
        node.ctx.store.close()


def phases(w: World) -> set[Phase]:
    return {status(w[p].ctx.agreement(GSOMIA), at=w.clock.now()).phase for p in ("JPN", "KOR")}


def test_from_notice_to_withdrawal(story: World) -> None:
    w = story
    jpn, kor, usa = w["JPN"], w["KOR"], w["USA"]
    notice = kor.notes.give(agreement_id=GSOMIA, kind="notice", by=officer("KOR"), text="notice")
    w.drain()
    assert phases(w) == {Phase.NOTICE_PENDING}
    # 2 October 2019: a launch; the ROK asks Japan for its data under the GSOMIA, and Japan
    # also shares through TISA.
    w.clock.set(datetime(2019, 10, 2, 9, tzinfo=UTC))
    direct = w.provide(agreement=GSOMIA).item_ids[0]
    hub = w.provide(agreement="tisa").item_ids[0]
    w.drain()
    assert kor.custody.open(item_id=direct, person_id=official("KOR"))
    request = usa.consent.request(item_id=hub, to_party="KOR", by=officer("USA"), reason="TISA")
    w.drain()
    jpn.consent.grant(request_id=request.id, by=officer("JPN"))
    w.drain()
    usa.release.forward(item_id=hub, by=officer("USA"))
    w.drain()
    assert kor.custody.open(item_id=hub, person_id=official("KOR"))
    # A possible compromise of the TISA item at the ROK node is notified to Japan at once.
    report = kor.incidents.report(
        item_ids=[hub], kind="compromise", possible=True, by=officer("KOR"), description="?"
    )
    w.drain()
    assert [i["incident"] for i in jpn.incidents.incidents(viewer=officer("JPN"))] == [report.id]
    # 22 November 2019: the notice is suspended hours before it would take effect.
    w.clock.set(datetime(2019, 11, 22, 9, tzinfo=UTC))
    suspension = kor.notes.give(
        agreement_id=GSOMIA, kind="suspension", by=officer("KOR"), text="s", of=(notice.id,)
    )
    w.drain()
    w.clock.set(datetime(2020, 6, 1, tzinfo=UTC))
    assert phases(w) == {Phase.NOTICE_SUSPENDED}
    assert w.provide(agreement=GSOMIA).item_ids
    # 21 March 2023: both notes withdrawn.
    w.clock.set(datetime(2023, 3, 21, 3, tzinfo=UTC))
    kor.notes.give(
        agreement_id=GSOMIA,
        kind="withdrawal",
        by=officer("KOR"),
        text="w",
        of=(notice.id, suspension.id),
    )
    w.drain()
    assert phases(w) == {Phase.IN_FORCE}
    assert "notice.withdrawn" in ledger_events(jpn)
    with pytest.raises(PolicyDenied):  # the ROK never gives its 1st-grade secrets (JK-4.1)
        w.provide("KOR", "JPN", agreement=GSOMIA, level="군사I급비밀")
