"""scheme-v1 against its committed vector: rebuilt byte for byte, read by the code that reads
scheme files, and refused with one byte changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gsomia.core.classification import SchemeRegistry
from gsomia.errors import AgreementFileError
from tests.support.vectors import assert_generator_writes, load_generator, one_byte_changed

HERE = Path(__file__).parent
generate = load_generator(HERE, "scheme_vectors")

VECTOR = json.loads((HERE / "scheme-v1.json").read_text(encoding="utf-8"))


def test_the_file_is_what_the_generator_writes() -> None:
    assert_generator_writes(HERE, generate.build())


def test_the_text_reads_as_the_vector_says() -> None:
    scheme = generate.load(VECTOR["toml"])
    assert generate.reads(scheme) == VECTOR["reads"]
    assert VECTOR["toml"].count('format = "gsomia/scheme-v1"') == 1
    registry = SchemeRegistry().with_scheme(scheme)
    assert registry.parse("RESTRICTED@VEC").ref == "VEC:DIENSTLICH"
    assert registry.parse("nd", party="VEC") < registry.parse("Vertraulich")


@pytest.mark.parametrize(
    "old,new,field",
    [
        ('"gsomia/scheme-v1"', '"gsomia/scheme-v2"', "format"),
        ('party = "VEC"', 'party = "VEc"', "party"),
        ('english = "RESTRICTED"', 'english = "RESTRICTEX"', "levels.3.english"),
        ("rank = 20", "rank = 50", "levels"),
        ("party = ", "partx = ", "partx"),
        ('code = "GEHEIM"', 'code = "GEHEIm"', "levels.1.code"),
        ('"CONFIDENTIAL",', '"CONFIDENTIAl",', "tiers.2"),
        ("aliases = [", "aliasex = [", "levels.3.aliasex"),
    ],
)
def test_the_text_with_one_byte_changed_is_refused(old: str, new: str, field: str) -> None:
    changed = one_byte_changed(VECTOR["toml"], old, new)
    with pytest.raises(AgreementFileError) as refused:
        generate.load(changed)
    assert refused.value.path == "vec.toml"
    assert refused.value.field == field, refused.value
