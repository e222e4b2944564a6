"""Regimes are derived from the agreement data on the launch's date (gsomia.analysis.regimes)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from gsomia.agreement_files import load_agreement, load_library
from gsomia.analysis.assumptions import Assumptions, load_assumptions
from gsomia.analysis.regimes import (
    Regime,
    Sharing,
    derive_sharing,
    in_force_for,
    regimes_from,
    terminated_before,
)
from gsomia.core.agreements import AgreementLibrary
from gsomia.core.lifecycle import status
from gsomia.errors import InputError

PARTIES = ("JPN", "KOR", "USA")
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def library() -> AgreementLibrary:
    return load_library([])


@pytest.fixture(scope="module")
def assumptions() -> Assumptions:
    return load_assumptions()


def _at(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T03:00:00").replace(tzinfo=UTC)


def _flows(sharing: Sharing, a: str, b: str) -> list[tuple[str, str, float]]:
    return [
        (f.agreement_id, f.level, f.delay_s)
        for f in sharing.flows
        if (a, b) == (f.originator, f.recipient)
    ]


def test_in_2017_the_gsomia_carries_warnings_directly(
    library: AgreementLibrary, assumptions: Assumptions
) -> None:
    sharing = derive_sharing(
        library, at=_at("2017-08-29"), parties=PARTIES, assumptions=assumptions
    )
    kor_jpn = [f for f in sharing.flows if (f.originator, f.recipient) == ("KOR", "JPN")]
    # Every channel of every agreement runs at once, none chosen by id order.
    assert sorted(f.agreement_id for f in kor_jpn) == ["jpn-kor-gsomia", "tisa"]
    (flow,) = [f for f in kor_jpn if f.agreement_id == "jpn-kor-gsomia"]
    assert flow.route == ("KOR", "JPN")
    assert flow.level == assumptions.direct.level
    assert flow.delay_s == assumptions.direct.delay_s
    assert {"JK-21.1", "JK-4.1", "JK-9.1"} <= set(flow.rule_ids)
    assert ("jpn-usa-gsomia", "reports", 2.0) in _flows(sharing, "USA", "JPN")
    assert [f.originator for f in sharing.reports_into("JPN")] == ["USA"]


def test_each_party_alone_shares_nothing(
    library: AgreementLibrary, assumptions: Assumptions
) -> None:
    alone = Regime.from_spec(assumptions.regime("alone"))
    at = _at("2019-05-09")
    sharing = derive_sharing(
        alone.library_on(library, at), at=at, parties=PARTIES, assumptions=assumptions
    )
    assert sharing.flows == ()


def test_tisa_only_goes_through_the_us_after_consent(
    library: AgreementLibrary, assumptions: Assumptions
) -> None:
    regime = Regime.from_spec(assumptions.regime("tisa-only"))
    at = _at("2019-05-09")
    sharing = derive_sharing(
        regime.library_on(library, at), at=at, parties=PARTIES, assumptions=assumptions
    )
    (flow,) = [f for f in sharing.warnings_into("JPN") if f.originator == "KOR"]
    assert flow.agreement_id == "tisa"
    assert flow.route == ("KOR", "USA", "JPN")
    assert flow.delay_s == 2 * assumptions.hub.relay_s + assumptions.hub.consent_s
    assert {"TI-1", "TI-2", "TI-3", "TI-5"} <= set(flow.rule_ids)
    faster = derive_sharing(
        regime.library_on(library, at),
        at=at,
        parties=PARTIES,
        assumptions=assumptions.with_delays(consent_s=0.0),
    )
    (fast,) = [f for f in faster.warnings_into("JPN") if f.originator == "KOR"]
    assert fast.delay_s == 2 * assumptions.hub.relay_s


def test_the_link_is_real_time_warning_data_that_hides_sensor_geometry(
    library: AgreementLibrary, assumptions: Assumptions
) -> None:
    at = _at("2024-01-14")
    sharing = derive_sharing(library, at=at, parties=PARTIES, assumptions=assumptions)
    from_rok = [f for f in sharing.warnings_into("JPN") if f.originator == "KOR"]
    # The link runs beside the GSOMIA's full tracks and TISA, fastest first.
    assert [f.agreement_id for f in from_rok] == [
        "trilateral-warning-link",
        "jpn-kor-gsomia",
        "tisa",
    ]
    flow = from_rok[0]
    assert flow.level == "warnings"
    assert flow.route == ("KOR", "USA", "JPN")
    assert flow.delay_s == assumptions.realtime.delay_s
    assert flow.conceal
    before = derive_sharing(library, at=_at("2023-12-18"), parties=PARTIES, assumptions=assumptions)
    assert "trilateral-warning-link" not in {f.agreement_id for f in before.warnings_into("JPN")}


def test_before_tisa_and_the_gsomia_only_the_alliances_share(
    library: AgreementLibrary, assumptions: Assumptions
) -> None:
    sharing = derive_sharing(
        library, at=_at("2014-06-01"), parties=PARTIES, assumptions=assumptions
    )
    assert sharing.warnings_into("JPN") == ()
    assert [f.originator for f in sharing.reports_into("JPN")] == ["USA"]


def test_counterfactual_branches_change_only_the_data(library: AgreementLibrary) -> None:
    gsomia = library.get("jpn-kor-gsomia")
    at = _at("2017-05-14")
    assert status(gsomia, at=at).in_force
    ended = terminated_before(gsomia, at)
    assert not status(ended, at=at).in_force
    assert status(ended, at=_at("2017-01-01")).in_force
    link = library.get("trilateral-warning-link")
    assert not status(link, at=at).in_force
    assert status(in_force_for(link, at), at=at).in_force
    assert library.get("jpn-kor-gsomia") is gsomia


def test_the_2019_branch_without_the_suspension_leaves_only_tisa(
    library: AgreementLibrary, assumptions: Assumptions, tmp_path: Path
) -> None:
    text = (REPO / "agreements" / "jpn-kor-gsomia.toml").read_text(encoding="utf-8")
    cut = text.index('[[events]]\nid = "rok-suspension-2019"')
    path = tmp_path / "jpn-kor-gsomia.toml"
    path.write_text(text[:cut], encoding="utf-8")
    branch = library.replace(load_agreement(path, schemes=library.schemes))
    at = _at("2021-10-19")
    actual = derive_sharing(library, at=at, parties=PARTIES, assumptions=assumptions)
    ended = derive_sharing(branch, at=at, parties=PARTIES, assumptions=assumptions)
    assert actual.warnings_into("JPN")[0].agreement_id == "jpn-kor-gsomia"
    assert ended.warnings_into("JPN")[0].agreement_id == "tisa"
    before = derive_sharing(branch, at=_at("2019-10-02"), parties=PARTIES, assumptions=assumptions)
    assert "trilateral-warning-link" not in {f.agreement_id for f in before.warnings_into("JPN")}


def test_regimes_come_from_the_assumptions_file(assumptions: Assumptions) -> None:
    keys = [r.key for r in regimes_from(assumptions)]
    assert keys[0] == "actual"
    assert {"alone", "tisa-only", "gsomia", "link"} <= set(keys)
    with pytest.raises(InputError):
        assumptions.regime("nonsense")
    with pytest.raises(InputError):
        assumptions.with_delays(consent_s=-1.0)


def test_a_malformed_assumptions_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "value.toml"
    bad.write_text('format = "gsomia/value-assumptions-v1"\n[item]\n', encoding="utf-8")
    with pytest.raises(InputError, match="malformed"):
        load_assumptions(bad)
    bad.write_text('format = "something-else"\n', encoding="utf-8")
    with pytest.raises(InputError, match="not a"):
        load_assumptions(bad)
