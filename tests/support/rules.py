"""Hypothesis strategies for the rules' invariants: random people, items, consents, times."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from hypothesis import strategies as st

from gsomia.agreement_files import load_library
from gsomia.core.agreements import Agreement
from gsomia.core.classification import Level, builtin_schemes
from gsomia.core.items import Consent, ConsentKind, Custody, Item
from gsomia.core.people import Clearance, Person, Role

SCHEMES = builtin_schemes()
LIBRARY = load_library([])
JK = LIBRARY.get("jpn-kor-gsomia")
# The branch where the 2019 notice was never suspended: terminated on 23 November 2019.
JK_TERMINATED = replace(JK, events=tuple(e for e in JK.events if e.kind == "notice"))
AGREEMENTS: list[Agreement] = [*LIBRARY, JK_TERMINATED]
PARTIES = ["JPN", "KOR", "USA", "GBR"]
TOPICS = ["nk-missile", "nk-nuclear", "naval", "export-controls"]
LEVELS: list[Level] = [lv for p in ("JPN", "KOR", "USA") for lv in SCHEMES.scheme(p)]
FACILITIES = ["hq", "busan", "ichigaya"]

instants = st.datetimes(
    min_value=datetime(2014, 1, 1), max_value=datetime(2026, 1, 1), timezones=st.just(UTC)
)
levels = st.sampled_from(LEVELS)
agreements = st.sampled_from(AGREEMENTS)
parties = st.sampled_from(PARTIES)
topics = st.sampled_from(TOPICS)


@st.composite
def clearances(draw: st.DrawFn, party: str) -> Clearance | None:
    if party not in ("JPN", "KOR", "USA") or draw(st.booleans()) is False:
        return None
    level = draw(st.sampled_from(list(SCHEMES.scheme(party))))
    granted = draw(st.dates(min_value=date(2010, 1, 1), max_value=date(2024, 1, 1)))
    expires = draw(st.none() | st.dates(min_value=granted, max_value=date(2030, 1, 1)))
    return Clearance(level=level, granted_on=granted, expires_on=expires)


@st.composite
def persons(draw: st.DrawFn) -> Person:
    party = draw(parties)
    return Person(
        id=draw(st.sampled_from(["kim", "sato", "lee", "smith"])),
        party=party,
        name="x",
        role=draw(st.sampled_from(list(Role))),
        clearance=draw(clearances(party)),
        need_to_know=frozenset(draw(st.lists(topics, max_size=3))),
        registered_at=frozenset(draw(st.lists(st.sampled_from(FACILITIES), max_size=2))),
        rank=draw(st.sampled_from(["", "General", "Minister"])),
    )


@st.composite
def items(draw: st.DrawFn) -> Item:
    holder = draw(st.sampled_from(["JPN", "KOR", "USA"]))
    originator = draw(st.sampled_from(["JPN", "KOR", "USA"]))
    return Item(
        id=draw(st.sampled_from(["a" * 32, "b" * 32])),
        agreement_id="jpn-kor-gsomia",
        originator=originator,
        holder=holder,
        level=draw(st.sampled_from(list(SCHEMES.scheme(originator)))),
        holder_level=draw(st.sampled_from(list(SCHEMES.scheme(holder)))),
        topic=draw(topics),
        purpose="warning",
        provided_at=datetime(2019, 10, 2, tzinfo=UTC),
        facility=draw(st.none() | st.sampled_from(FACILITIES)),
        state=draw(st.sampled_from([Custody.HELD, Custody.DESTROYED])),
    )


@st.composite
def consents(draw: st.DrawFn, item: Item) -> Consent | None:
    if draw(st.booleans()):
        return None
    return Consent(
        kind=draw(st.sampled_from(list(ConsentKind))),
        item_id=draw(st.sampled_from([item.id, "c" * 32])),
        originator=draw(st.sampled_from([item.originator, "GBR"])),
        granted=draw(st.booleans()),
        decided_at=datetime(2019, 10, 2, tzinfo=UTC) + timedelta(days=draw(st.integers(-5, 5))),
        to_party=draw(parties),
        written=draw(st.booleans()),
        signature_verified=draw(st.booleans()),
    )
