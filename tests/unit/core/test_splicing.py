"""The one splicing implementation (``gsomia.core.canonical``) that label and ledger-entry
batches share; their differential tests hold the batches equal to one-by-one construction."""

from __future__ import annotations

import json
import re

import pytest

from gsomia.core.canonical import ascii_column, column_matches, cut_around, splice
from gsomia.errors import InputError

ENCODE = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
TEMPLATE = {
    "b": "x",
    "details": {"code": "aa", "note": "ü", "ref": "r1"},
    "item": "0" * 32,
    "z": [1, {"y": None, "x": True}],
}


def bytes_of(value: object) -> bytes:
    return ENCODE(value).encode("utf-8")


def test_a_cut_spliced_with_new_values_is_the_bytes_of_the_changed_value() -> None:
    paths = [("details", "code"), ("details", "ref"), ("item",)]
    cut = cut_around(TEMPLATE, paths, encode=ENCODE, head=b"head\n")
    items = ["1" * 32, "2" * 32]
    rows = splice(
        cut, [ascii_column(["bb", "cc"]), ascii_column(["r2", "r3"]), ascii_column(items)]
    )
    for row, code, ref, item in zip(rows, ["bb", "cc"], ["r2", "r3"], items, strict=True):
        changed = {**TEMPLATE, "details": {**TEMPLATE["details"], "code": code, "ref": ref}}
        assert row == b"head\n" + bytes_of({**changed, "item": item})


@pytest.mark.parametrize("width", [1, 2, 3, 4])
def test_splice_joins_any_number_of_columns(width: int) -> None:
    template = {f"k{i}": "v" for i in range(width)}
    cut = cut_around(template, [(f"k{i}",) for i in range(width)], encode=ENCODE)
    rows = splice(cut, [ascii_column(["p", "q"]) for _ in range(width)])
    assert rows == [bytes_of(dict.fromkeys(template, v)) for v in ("p", "q")]


@pytest.mark.parametrize(
    "paths",
    [[("item",), ("details", "code")], [("missing",)], [("details",)], [("details", "nope")]],
)
def test_paths_out_of_text_order_or_absent_are_refused(paths: list[tuple[str, ...]]) -> None:
    with pytest.raises(InputError):
        cut_around(TEMPLATE, paths, encode=ENCODE)


def test_an_empty_column_splices_to_no_rows() -> None:
    assert ascii_column([]) == []
    assert splice([b"{", b"}"], [[]]) == []


def test_a_column_matches_only_when_every_value_does() -> None:
    column = re.compile(r"(?:[0-9a-f]{2}\n)*")
    assert column_matches(column, ["0a", "ff"])
    assert not column_matches(column, ["0a", "zz"])
    assert not column_matches(column, ["0a\nff"])  # two lines for one value
    assert not column_matches(column, ["0a", 7])
