"""Schemes as data: scheme files with any number of tiers, found wherever they are, and
agreements that name parties by code whatever order their files are read in."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from gsomia.agreement_files import load_agreement, load_library, load_scheme
from gsomia.core.agreements import Agreement
from gsomia.core.classification import SchemeRegistry, builtin_schemes, parse_scheme, tiers_of
from gsomia.core.rules import Rulebook, SendRequest
from gsomia.errors import AgreementFileError, InputError, UnknownName
from tests.support.core import on

DATA = Path(__file__).resolve().parents[2] / "data"
RESTRICTED = DATA / "restricted"


@pytest.fixture(scope="module")
def deu_gbr() -> Agreement:
    return load_library([RESTRICTED]).get("deu-gbr-security")


def test_the_built_in_schemes_are_the_shipped_files() -> None:
    folder = resources.files("gsomia.core").joinpath("schemes")
    for party in ("JPN", "KOR", "USA"):
        text = folder.joinpath(f"{party.lower()}.toml").read_text(encoding="utf-8")
        scheme = parse_scheme(text, where=f"{party.lower()}.toml")
        assert [lv.spec for lv in scheme] == [lv.spec for lv in builtin_schemes().scheme(party)]
        assert tiers_of(scheme) == ("TOP SECRET", "SECRET", "CONFIDENTIAL")


def test_a_scheme_with_restricted_loads_and_orders_its_levels(deu_gbr: Agreement) -> None:
    schemes = deu_gbr.schemes
    gbr = schemes.scheme("GBR")
    assert tiers_of(gbr) == ("TOP SECRET", "SECRET", "CONFIDENTIAL", "RESTRICTED")
    assert [lv.name for lv in gbr] == ["TOP_SECRET", "SECRET", "CONFIDENTIAL", "RESTRICTED"]
    restricted = schemes.parse("RESTRICTED@GBR")
    assert restricted.ref == "GBR:RESTRICTED"
    assert restricted < schemes.parse("CONFIDENTIAL@GBR") < schemes.parse("UK SECRET")
    assert schemes.parse("restricted", party="GBR") is restricted
    with pytest.raises(TypeError, match="equivalence table"):
        _ = restricted < schemes.parse("VS-NfD")


def test_restricted_translates_through_the_equivalence_table(deu_gbr: Agreement) -> None:
    schemes = deu_gbr.schemes
    restricted = schemes.parse("RESTRICTED@GBR")
    assert deu_gbr.covers(restricted)
    assert deu_gbr.equivalent(restricted, for_party="DEU").ref == "DEU:VS_NFD"
    assert deu_gbr.equivalent(schemes.parse("VS-NfD"), for_party="GBR") is restricted
    assert [row.english for row in deu_gbr.equivalence][-1] == "RESTRICTED"
    assert not deu_gbr.covers(schemes.parse("TOP SECRET@GBR"))


def test_a_restricted_item_may_be_sent_under_the_agreement(deu_gbr: Agreement) -> None:
    library = load_library([RESTRICTED])
    decision = Rulebook(library.agreements).decide_send(
        SendRequest(
            agreement=deu_gbr,
            originator="GBR",
            recipient="DEU",
            level=deu_gbr.schemes.parse("RESTRICTED@GBR"),
            topic="logistics",
            at=on(deu_gbr, "2031-05-01"),
        )
    )
    assert decision.allowed
    assert decision.rule_ids == ("DG-20.1", "DG-5", "DG-3.1", "DG-3.2")


def test_an_agreement_naming_a_party_without_a_scheme_says_so(tmp_path: Path) -> None:
    (tmp_path / "deu-gbr-security.toml").write_bytes(
        (RESTRICTED / "deu-gbr-security.toml").read_bytes()
    )
    (tmp_path / "gbr.toml").write_bytes((RESTRICTED / "gbr.toml").read_bytes())
    with pytest.raises(AgreementFileError) as refused:
        load_library([tmp_path])
    assert refused.value.path == str(tmp_path / "deu-gbr-security.toml")
    assert refused.value.field == "parties"
    assert "no classification scheme for DEU" in refused.value.problem
    assert "gsomia/scheme-v1" in refused.value.problem


def test_the_new_party_declared_in_a_later_file_is_found(tmp_path: Path) -> None:
    # The review's case: a-uses.toml names RUR, z-declares.toml declares RUR's scheme inline.
    (tmp_path / "a-uses.toml").write_bytes((DATA / "order" / "rur-usa-gsomia.toml").read_bytes())
    (tmp_path / "z-declares.toml").write_bytes(
        (DATA / "agreements" / "ruritania.toml").read_bytes()
    )
    library = load_library([tmp_path])
    rur_usa = library.get("rur-usa-gsomia")
    geheim = library.schemes.parse("Geheim")
    assert rur_usa.equivalent(geheim, for_party="USA").ref == "USA:SECRET"
    assert library.get("jpn-rur-gsomia").equivalent(geheim, for_party="JPN").ref == "JPN:GOKUHI"


def test_a_scheme_defined_differently_twice_names_both_files(tmp_path: Path) -> None:
    text = (RESTRICTED / "gbr.toml").read_text(encoding="utf-8")
    (tmp_path / "a.toml").write_text(text, encoding="utf-8")
    (tmp_path / "b.toml").write_text(text.replace("rank = 10", "rank = 15"), encoding="utf-8")
    (tmp_path / "c.toml").write_text(text, encoding="utf-8")  # the same again is fine
    with pytest.raises(AgreementFileError) as refused:
        load_library([tmp_path])
    assert refused.value.path == str(tmp_path / "b.toml")
    assert refused.value.field == "party"
    assert str(tmp_path / "a.toml") in refused.value.problem


def test_a_file_cannot_change_a_built_in_scheme(tmp_path: Path) -> None:
    text = (RESTRICTED / "gbr.toml").read_text(encoding="utf-8").replace('"GBR"', '"USA"')
    (tmp_path / "usa.toml").write_text(text, encoding="utf-8")
    with pytest.raises(AgreementFileError, match="already defined differently in the built-in"):
        load_scheme(tmp_path / "usa.toml")


def test_a_row_in_a_tier_a_party_lacks_is_refused(tmp_path: Path) -> None:
    # Japan's scheme has no RESTRICTED tier, so a JPN–GBR row at RESTRICTED cannot exist.
    text = (RESTRICTED / "deu-gbr-security.toml").read_text(encoding="utf-8")
    text = text.replace('code = "DEU"', 'code = "JPN"').replace("DEU = ", "JPN = ")
    text = text.replace('["GEHEIM"]', '["GOKUHI"]').replace('["VS_VERTRAULICH"]', '["HI"]')
    (tmp_path / "x.toml").write_text(text, encoding="utf-8")
    registry = load_scheme(RESTRICTED / "gbr.toml")
    with pytest.raises(AgreementFileError) as refused:
        load_agreement(tmp_path / "x.toml", schemes=registry)
    assert refused.value.field == "equivalence.2.english"
    assert "not a tier of JPN's scheme" in refused.value.problem


@pytest.mark.parametrize(
    ("old", "new", "field", "problem"),
    [
        ('party = "GBR"', 'party = "UK"', "party", "must be text matching"),
        ('"RESTRICTED"]', '"RESTRICTED", "SECRET"]', "tiers", "listed twice"),
        ('english = "RESTRICTED"', 'english = "OFFICIAL"', "levels.3.english", "not one of"),
        ("rank = 10", 'rank = "low"', "levels.3.rank", "whole number"),
        ('code = "RESTRICTED"', 'code = "SECRET"', "levels", "used twice"),
        ('title = "United', 'colour = "red"\ntitle = "United', "colour", "unknown key"),
        ("[[levels]]", "[[levels]", "(syntax)", "line"),
    ],
)
def test_a_bad_scheme_file_names_path_field_and_problem(
    tmp_path: Path, old: str, new: str, field: str, problem: str
) -> None:
    text = (RESTRICTED / "gbr.toml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "gbr.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(AgreementFileError) as refused:
        load_scheme(path)
    assert (refused.value.path, refused.value.field) == (str(path), field)
    assert problem in refused.value.problem
    assert str(path) in str(refused.value)


def test_english_tiers_are_the_schemes_own(schemes: SchemeRegistry) -> None:
    with pytest.raises(UnknownName, match="English equivalent"):
        schemes.parse("RESTRICTED@JPN")
    with pytest.raises(UnknownName, match="unknown classification level 'RESTRICTED'"):
        schemes.parse("RESTRICTED", party="JPN")
    with pytest.raises(InputError, match="belongs to JPN's scheme"):
        schemes.parse("SECRET@JPN", party="KOR")
