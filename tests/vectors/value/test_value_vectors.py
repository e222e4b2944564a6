"""value-assumptions-v1 against its committed vector: rebuilt byte for byte, loaded by the
code that reads assumptions files, and refused with one byte changed."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from gsomia.errors import InputError

HERE = Path(__file__).parent
_spec = importlib.util.spec_from_file_location("value_vectors", HERE / "generate.py")
assert _spec is not None and _spec.loader is not None
generate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generate)

VECTOR = json.loads((HERE / "value-assumptions-v1.json").read_text(encoding="utf-8"))


def test_the_file_is_what_the_generator_writes() -> None:
    built = generate.build()
    assert sorted(built) == sorted(p.name for p in HERE.glob("*.json"))
    for name, value in built.items():
        text = json.dumps(value, indent=2, ensure_ascii=False) + "\n"
        assert (HERE / name).read_text(encoding="utf-8") == text, name


def test_the_text_loads_as_the_vector_says() -> None:
    assumptions = generate.load(VECTOR["toml"])
    assert generate.reads(assumptions) == VECTOR["reads"]
    assert assumptions.regime("gsomia").key == "gsomia"


@pytest.mark.parametrize(
    "old,new",
    [
        ('"gsomia/value-assumptions-v1"', '"gsomia/value-assumptions-v2"'),
        ('level = "tracks"', 'level = "trackz"'),
        ('worse = "alone"', 'worse = "alonf"'),
        ("delay_s = 5.0", "delay_s = 5.x"),
        ('better = "gsomia"', 'better = "gsomiA"'),
    ],
)
def test_the_text_with_one_byte_changed_is_refused(old: str, new: str) -> None:
    text = VECTOR["toml"]
    assert old in text
    changed = text.replace(old, new, 1)
    assert len(changed) == len(text)
    assert sum(a != b for a, b in zip(changed, text, strict=True)) == 1
    with pytest.raises(InputError):
        generate.load(changed)
