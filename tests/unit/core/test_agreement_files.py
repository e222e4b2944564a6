"""Agreements as data: the shipped files load; bad files name path, field and problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from gsomia.agreement_files import load_agreement, load_library
from gsomia.core.agreements import AgreementLibrary, LegalNature
from gsomia.core.lifecycle import Phase, status
from gsomia.core.rules import Rulebook, SendRequest
from gsomia.errors import AgreementFileError
from tests.support.core import on

DATA = Path(__file__).resolve().parents[2] / "data" / "agreements"
SHIPPED = Path(__file__).resolve().parents[3] / "agreements"


def test_the_four_agreements_and_the_link_are_shipped(library: AgreementLibrary) -> None:
    assert {a.id for a in library} >= {
        "jpn-kor-gsomia",
        "jpn-usa-gsomia",
        "kor-usa-gsomia",
        "tisa",
        "trilateral-warning-link",
    }


def test_japan_rok_table_is_art_4(library: AgreementLibrary) -> None:
    jk = library.get("jpn-kor-gsomia")
    assert [lv.native for lv in jk.covered_levels("JPN")] == ["極秘", "特定秘密", "秘"]
    assert [lv.native for lv in jk.covered_levels("KOR")] == ["군사II급비밀", "군사III급비밀"]
    schemes = jk.schemes
    assert jk.equivalent(schemes.parse("特定秘密"), for_party="KOR").native == "군사II급비밀"
    assert jk.equivalent(schemes.parse("군사II급비밀"), for_party="JPN").native == "極秘"
    assert jk.equivalent(schemes.parse("秘"), for_party="KOR").native == "군사III급비밀"
    assert not jk.covers(schemes.parse("機密"))
    assert not jk.covers(schemes.parse("군사I급비밀"))


def test_tisa_scope_route_and_nature(library: AgreementLibrary) -> None:
    tisa = library.get("tisa")
    assert tisa.legal_nature is LegalNature.NON_BINDING
    assert tisa.scope_topics == ("nk-missile", "nk-nuclear")
    assert tisa.route.path("JPN", "KOR") == ("JPN", "USA", "KOR")
    assert tisa.route.consent_required
    assert tisa.basis == ("jpn-usa-gsomia", "kor-usa-gsomia")


def test_the_expiry_instant_is_stored_with_its_sources(library: AgreementLibrary) -> None:
    notice = library.get("jpn-kor-gsomia").event("rok-notice-2019")
    assert notice.terminates_at is not None
    assert notice.terminates_at.at.isoformat() == "2019-11-23T00:00:00+09:00"
    assert "Jiji" in notice.terminates_at.source
    assert [b.at.date().isoformat() for b in notice.alternatives] == ["2019-11-22"]


def test_a_fictional_agreement_needs_no_code(tmp_path: Path) -> None:
    library = load_library([DATA])
    rur = library.get("jpn-rur-gsomia")
    schemes = rur.schemes
    assert rur.equivalent(schemes.parse("極秘"), for_party="RUR").native == "Geheim"
    # Its own two-year term and 180-day notice: the 2033-06-01 notice ends it on 2034-01-01.
    assert status(rur, at=on(rur, "2033-12-31")).phase is Phase.NOTICE_PENDING
    assert status(rur, at=on(rur, "2034-01-01")).phase is Phase.TERMINATED
    decision = Rulebook(library.agreements).decide_send(
        SendRequest(
            agreement=rur,
            originator="JPN",
            recipient="RUR",
            level=schemes.parse("極秘"),
            topic="naval",
            at=on(rur, "2031-05-01"),
        )
    )
    assert decision.allowed
    assert decision.rule_ids == ("JR-12.1", "JR-6", "JR-3.1", "JR-1", "JR-3.2")


def _bad(tmp_path: Path, old: str, new: str) -> Path:
    text = (SHIPPED / "jpn-kor-gsomia.toml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "field", "problem"),
    [
        ('id = "jpn-kor-gsomia"', 'id = "JK!"', "id", "String should match pattern"),
        ('KOR = ["GUNSA_II"]', 'KOR = ["GUNSA_V"]', "equivalence.0.KOR", "unknown"),
        ('KOR = ["GUNSA_II"]', 'USA = ["SECRET"]', "equivalence.0.USA", "not a party"),
        ('KOR = ["GUNSA_III"]', 'KOR = ["GUNSA_II"]', "equivalence.1.KOR", "two rows"),
        ("notice_days = 90", 'notice_days = "ninety"', "term.notice_days", "integer"),
        ("2016-11-23T00:00:00+09:00", "2016-11-23T00:00:00", "term.entry_into_force", "UTC offset"),
        ('kind = "suspension"', 'kind = "pause"', "events.1.kind", "Input should be"),
        ('of = "rok-notice-2019"', 'of = "no-such-note"', "events.1.of", "not an earlier event"),
        ('legal_nature = "binding"', "legal_nature = 3", "legal_nature", "Input should be"),
        ('rule_prefix = "JK"', 'rule_prefix = "JK"\nsurprise = 1', "surprise", "Extra inputs"),
        ("[route]", "[route", "(syntax)", "line"),
    ],
)
def test_a_bad_file_names_path_field_and_problem(
    tmp_path: Path, old: str, new: str, field: str, problem: str
) -> None:
    path = _bad(tmp_path, old, new)
    with pytest.raises(AgreementFileError) as err:
        load_agreement(path)
    assert err.value.path == str(path)
    assert err.value.field == field
    assert problem in err.value.problem
    assert str(path) in str(err.value)


def test_a_hub_route_needs_a_hub_party(tmp_path: Path) -> None:
    path = _bad(tmp_path, 'kind = "direct"', 'kind = "hub"\nhub = "USA"')
    with pytest.raises(AgreementFileError, match=r"route\.hub: a hub route needs a hub"):
        load_agreement(path)


def test_duplicate_ids_across_directories_are_refused(tmp_path: Path) -> None:
    (tmp_path / "copy.toml").write_bytes((SHIPPED / "tisa.toml").read_bytes())
    with pytest.raises(AgreementFileError, match="already defined"):
        load_library([tmp_path])
