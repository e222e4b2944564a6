"""National schemes: closed, ordered levels; every spelling resolves (issue: schemes as data)."""

from __future__ import annotations

import pytest

from gsomia.core.classification import LevelSpec, SchemeRegistry, make_scheme
from gsomia.errors import InputError, UnknownName


@pytest.mark.parametrize(
    ("spelling", "ref"),
    [
        ("機密", "JPN:KIMITSU"),
        ("Kimitsu", "JPN:KIMITSU"),
        ("極秘", "JPN:GOKUHI"),
        ("gokuhi", "JPN:GOKUHI"),
        ("SECRET@JPN", "JPN:GOKUHI"),
        ("特定秘密", "JPN:TOKUTEI_HIMITSU"),
        ("Tokutei Himitsu", "JPN:TOKUTEI_HIMITSU"),
        ("秘", "JPN:HI"),
        ("CONFIDENTIAL@JPN", "JPN:HI"),
        ("TOP SECRET@JPN", "JPN:KIMITSU"),
        ("군사I급비밀", "KOR:GUNSA_I"),
        ("군사II급비밀", "KOR:GUNSA_II"),
        ("Gunsa II-geup Bimil", "KOR:GUNSA_II"),
        ("SECRET@KOR", "KOR:GUNSA_II"),
        ("군사III급비밀", "KOR:GUNSA_III"),
        ("CONFIDENTIAL@KOR", "KOR:GUNSA_III"),
        ("TOP SECRET", "USA:TOP_SECRET"),
        ("SECRET", "USA:SECRET"),
        ("confidential", "USA:CONFIDENTIAL"),
        ("JPN:GOKUHI", "JPN:GOKUHI"),
    ],
)
def test_every_spelling_resolves(schemes: SchemeRegistry, spelling: str, ref: str) -> None:
    assert schemes.parse(spelling).ref == ref


def test_english_without_party_means_the_party_asked_for(schemes: SchemeRegistry) -> None:
    assert schemes.parse("SECRET", party="JPN").ref == "JPN:GOKUHI"
    assert schemes.parse("SECRET", party="KOR").ref == "KOR:GUNSA_II"


def test_rank_order_within_a_scheme(schemes: SchemeRegistry) -> None:
    jpn = [lv.native for lv in schemes.scheme("JPN")]
    assert jpn == ["機密", "極秘", "特定秘密", "秘"]
    assert schemes.parse("機密") > schemes.parse("極秘") > schemes.parse("秘")
    assert (
        schemes.parse("군사I급비밀")
        > schemes.parse("군사II급비밀")
        > schemes.parse("군사III급비밀")
    )
    # The treaty puts 特定秘密 in 極秘's row: same rank, distinct levels.
    assert schemes.parse("極秘") >= schemes.parse("特定秘密") >= schemes.parse("極秘")
    assert schemes.parse("極秘") != schemes.parse("特定秘密")


def test_levels_of_different_schemes_do_not_compare(schemes: SchemeRegistry) -> None:
    with pytest.raises(TypeError, match="equivalence table"):
        _ = schemes.parse("極秘") > schemes.parse("군사II급비밀")


def test_unknown_and_wrong_party_are_clear_errors(schemes: SchemeRegistry) -> None:
    with pytest.raises(UnknownName, match="unknown classification level 'Geheim'"):
        schemes.parse("Geheim")
    with pytest.raises(InputError, match="belongs to KOR's scheme, not JPN's"):
        schemes.parse("KOR:GUNSA_II", party="JPN")
    with pytest.raises(UnknownName, match="classification scheme"):
        schemes.parse("SECRET@XYZ")
    with pytest.raises(InputError, match="empty"):
        schemes.parse("  ")


def test_a_scheme_is_closed_and_refuses_duplicate_names() -> None:
    spec = LevelSpec(code="A", native="A", romanised="A", english="SECRET", rank=2)
    with pytest.raises(InputError, match="used twice"):
        make_scheme(
            "ZZZ", [spec, LevelSpec(code="B", native="a", romanised="B", english="SECRET", rank=1)]
        )
    scheme = make_scheme("ZZZ", [spec])
    assert [lv.name for lv in scheme] == ["A"]
    with pytest.raises(TypeError):

        class Wider(scheme):  # type: ignore[misc, valid-type]
            B = LevelSpec(code="B", native="B", romanised="B", english="SECRET", rank=1)
