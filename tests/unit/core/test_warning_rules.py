"""The real-time link's rules read its file: payload fields (RT-1), window (RT-2) and the
sensor-identity rule (RT-3) are what ``[payload]`` says, not code."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from gsomia.agreement_files import load_agreement
from gsomia.core.agreements import Agreement, AgreementLibrary, WarningWindow
from gsomia.core.rules import Act, Rulebook, WarningRequest
from gsomia.errors import AgreementFileError

SHIPPED = Path(__file__).resolve().parents[3] / "agreements"


@pytest.fixture(scope="module")
def link(library: AgreementLibrary) -> Agreement:
    return library.get("trilateral-warning-link")


def share(
    agreement: Agreement, *, fields: tuple[str, ...] = ("trajectory", "times"), **kw: object
) -> WarningRequest:
    values: dict[str, object] = {"t": 100.0, "impact_t": 400.0, "sensor_identity": False}
    values.update(kw)
    return WarningRequest(agreement=agreement, fields=fields, **values)  # type: ignore[arg-type]


def test_the_link_file_states_all_three(link: Agreement, rulebook: Rulebook) -> None:
    assert link.payload_fields == ("launch_point", "trajectory", "impact_point", "times")
    assert link.strip_sensor_identity
    assert link.warning_window is WarningWindow.UNTIL_IMPACT
    decision = rulebook.decide(Act.SHARE_WARNING, share(link))
    assert decision.allowed
    assert decision.rule_ids == ("RT-1", "RT-2", "RT-3")
    assert not rulebook.decide(Act.SHARE_WARNING, share(link, sensor_identity=True)).allowed
    assert not rulebook.decide(Act.SHARE_WARNING, share(link, t=401.0)).allowed
    assert not rulebook.decide(Act.SHARE_WARNING, share(link, fields=("radar_site",))).allowed


def test_without_the_sensor_rule_in_the_file_rt3_is_not_applied(
    link: Agreement, rulebook: Rulebook
) -> None:
    loose = replace(link, strip_sensor_identity=False)
    decision = rulebook.decide(Act.SHARE_WARNING, share(loose, sensor_identity=True))
    assert decision.allowed
    assert decision.rule_ids == ("RT-1", "RT-2")


def test_an_open_window_lets_a_warning_go_after_impact(link: Agreement, rulebook: Rulebook) -> None:
    open_window = replace(link, warning_window=WarningWindow.OPEN)
    assert rulebook.decide(Act.SHARE_WARNING, share(open_window, t=401.0)).allowed


def test_other_agreements_keep_only_the_window(jk: Agreement, rulebook: Rulebook) -> None:
    decision = rulebook.decide(Act.SHARE_WARNING, share(jk, sensor_identity=True))
    assert decision.allowed
    assert decision.rule_ids == ("JK-window",)
    assert not rulebook.decide(Act.SHARE_WARNING, share(jk, t=401.0)).allowed


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ('"impact_point"', '"impact_pointe"', "payload.fields"),
        ("strip_sensor_identity = true", 'strip_sensor_identity = "yes"', "payload"),
        ("[payload]", '[payload]\nwindow = "forever"', "payload.window"),
    ],
)
def test_a_bad_payload_section_is_refused(tmp_path: Path, old: str, new: str, field: str) -> None:
    text = (SHIPPED / "trilateral-warning-link.toml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "link.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(AgreementFileError) as refused:
        load_agreement(path)
    assert refused.value.field.startswith(field)
