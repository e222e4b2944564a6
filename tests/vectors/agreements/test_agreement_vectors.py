"""agreement-v1 against its committed vector: rebuilt byte for byte, loaded by the code that
reads agreement files, and refused with one byte changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gsomia.errors import AgreementFileError
from tests.support.vectors import assert_generator_writes, load_generator, one_byte_changed

HERE = Path(__file__).parent
generate = load_generator(HERE, "agreement_vectors")

VECTOR = json.loads((HERE / "agreement-v1.json").read_text(encoding="utf-8"))


def test_the_file_is_what_the_generator_writes() -> None:
    assert_generator_writes(HERE, generate.build())


def test_the_text_loads_as_the_vector_says() -> None:
    agreement = generate.load(VECTOR["toml"])
    assert generate.reads(agreement) == VECTOR["reads"]
    assert VECTOR["toml"].count('format = "gsomia/agreement-v1"') == 1
    assert agreement.party("KOR").competent_authority == "Ministry of National Defense"


@pytest.mark.parametrize(
    "old,new,field",
    [
        ('"gsomia/agreement-v1"', '"gsomia/agreement-v2"', "format"),
        ("level_covered", "level_coverex", "rules.level_coverex"),
        ('kind = "direct"', 'kind = "dirext"', "route.kind"),
        ('code = "KOR"', 'code = "KOX"', "parties"),
        ("initial_years = 1", "initial_years = 0", "term"),
    ],
)
def test_the_text_with_one_byte_changed_is_refused(old: str, new: str, field: str) -> None:
    changed = one_byte_changed(VECTOR["toml"], old, new)
    with pytest.raises(AgreementFileError) as refused:
        generate.load(changed)
    assert refused.value.field.startswith(field.split(".")[0]), refused.value
