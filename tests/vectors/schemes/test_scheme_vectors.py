"""scheme-v1 against its committed vector: rebuilt byte for byte, read by the code that reads
scheme files, and refused with one byte changed."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from gsomia.core.classification import SchemeRegistry
from gsomia.errors import AgreementFileError

HERE = Path(__file__).parent
_spec = importlib.util.spec_from_file_location("scheme_vectors", HERE / "generate.py")
assert _spec is not None and _spec.loader is not None
generate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generate)

VECTOR = json.loads((HERE / "scheme-v1.json").read_text(encoding="utf-8"))


def test_the_file_is_what_the_generator_writes() -> None:
    built = generate.build()
    assert sorted(built) == sorted(p.name for p in HERE.glob("*.json"))
    for name, value in built.items():
        text = json.dumps(value, indent=2, ensure_ascii=False) + "\n"
        assert (HERE / name).read_text(encoding="utf-8") == text, name


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
    text = VECTOR["toml"]
    changed = text.replace(old, new, 1)
    assert len(changed) == len(text)
    assert sum(a != b for a, b in zip(changed, text, strict=True)) == 1
    with pytest.raises(AgreementFileError) as refused:
        generate.load(changed)
    assert refused.value.path == "vec.toml"
    assert refused.value.field == field, refused.value
