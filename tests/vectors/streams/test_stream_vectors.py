"""warning-stream-v1 against its committed vectors: rebuilt byte for byte, read back, and
refused with one byte changed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gsomia.errors import InputError
from gsomia.formats.streams import read_stream_descriptor, stream_descriptor
from tests.support.vectors import assert_generator_writes, load_generator

HERE = Path(__file__).parent
generate = load_generator(HERE, "stream_vectors")

VECTORS = json.loads((HERE / "warning-stream-v1.json").read_text(encoding="utf-8"))
CASES = VECTORS["descriptors"]


def test_the_file_is_what_the_generator_writes() -> None:
    assert_generator_writes(HERE, generate.build())


@pytest.mark.parametrize("case", CASES, ids=lambda c: str(c["stream"]))
def test_each_descriptor_is_the_documented_json_and_reads_back(case: dict[str, Any]) -> None:
    data = case["descriptor_utf8"].encode("utf-8")
    assert stream_descriptor(case["stream"]) == data
    assert json.loads(data) == {
        "fields": ["launch_point", "trajectory", "impact_point", "times"],
        "format": "gsomia/warning-stream-v1",
        "stream": case["stream"],
    }
    assert list(json.loads(data)) == sorted(json.loads(data))  # sorted keys
    assert read_stream_descriptor(data) == case["stream"]


@pytest.mark.parametrize(
    "old,new",
    [("stream-v1", "stream-v2"), ("times", "timex"), ('"stream"', '"Stream"'), ("[", "{")],
)
def test_a_descriptor_with_one_byte_changed_is_refused(old: str, new: str) -> None:
    data = CASES[1]["descriptor_utf8"]
    changed = data.replace(old, new, 1)
    assert len(changed) == len(data) and changed != data
    with pytest.raises(InputError):
        read_stream_descriptor(changed.encode("utf-8"))


@pytest.mark.parametrize("stream", [-1, 2**32, True, 1.5, "7"])
def test_a_stream_number_a_frame_cannot_carry_is_refused(stream: object) -> None:
    data = CASES[1]["descriptor_utf8"].replace(str(CASES[1]["stream"]), json.dumps(stream))
    with pytest.raises(InputError):
        read_stream_descriptor(data.encode("utf-8"))
    if isinstance(stream, int):
        with pytest.raises(InputError):
            stream_descriptor(stream)
