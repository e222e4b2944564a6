"""``gsomia.formats`` is complete: every marker in the code is in the index, spelt one way,
and each entry's module, page and vectors exist and name it."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

import gsomia
from gsomia.formats import FORMATS, Format, FormatKind, format_of

ROOT = Path(__file__).resolve().parents[2]
SRC = Path(gsomia.__file__).resolve().parent
MARKER = re.compile(r"gsomia[/-][a-z0-9]+(?:-[a-z0-9]+)*-v[0-9]+")
ONE_SPELLING = re.compile(r"^gsomia/[a-z0-9]+(?:-[a-z0-9]+)*-v[0-9]+$")

# Formats whose vectors are still to be written: none now. A test fails when one listed here
# gains vectors without leaving this list, and when a new entry has none.
NO_VECTORS_YET: set[str] = set()


def markers_in(source: str) -> set[str]:
    """The markers in the string and bytes literals of ``source`` (docstrings included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str | bytes):
            text = node.value if isinstance(node.value, str) else node.value.decode("latin-1")
            found.update(MARKER.findall(text))
    return found


def markers_in_code() -> dict[str, set[str]]:
    """Marker to the modules of gsomia that spell it (the index itself left out)."""
    where: dict[str, set[str]] = defaultdict(set)
    for path in sorted(SRC.rglob("*.py")):
        if path == SRC / "formats" / "__init__.py":
            continue
        for marker in markers_in(path.read_text(encoding="utf-8")):
            where[marker].add(str(path.relative_to(SRC.parent)))
    return where


def module_source(entry: Format) -> str:
    base = SRC.parent.joinpath(*entry.module.split("."))
    path = base.with_suffix(".py") if base.with_suffix(".py").exists() else base / "__init__.py"
    return path.read_text(encoding="utf-8")


def test_the_scan_finds_markers_in_text_and_bytes_and_reports_a_new_one() -> None:
    source = 'A = "gsomia/new-thing-v3"\nB = b"gsomia/kdf-v1\\x00"\nC = "gsomia.node/jpn"\n'
    assert markers_in(source) == {"gsomia/new-thing-v3", "gsomia/kdf-v1"}
    assert "gsomia/new-thing-v3" not in FORMATS


def test_every_marker_in_the_code_is_in_the_index() -> None:
    found = markers_in_code()
    assert len(found) >= 30
    unknown = {m: sorted(w) for m, w in found.items() if m not in FORMATS}
    unknown = {m: w for m, w in unknown.items() if not _first_spelling(m)}
    assert unknown == {}


def test_every_entry_is_spelt_one_way_and_written_by_its_module() -> None:
    for marker, entry in FORMATS.items():
        assert ONE_SPELLING.fullmatch(marker), marker
        assert marker in module_source(entry), f"{marker} not in {entry.module}"
        for old in entry.first_spellings:
            assert not ONE_SPELLING.fullmatch(old)
            assert old in module_source(entry), f"{old} is no longer read by {entry.module}"


def test_a_first_spelling_finds_its_entry() -> None:
    assert format_of("gsomia-warning-v1") is FORMATS["gsomia/warning-v1"]
    assert format_of("gsomia/label-v2") is FORMATS["gsomia/label-v2"]
    with pytest.raises(KeyError):
        format_of("gsomia-label-v2")


@pytest.mark.parametrize("marker", sorted(FORMATS))
def test_each_entry_has_a_page_that_names_it(marker: str) -> None:
    entry = FORMATS[marker]
    page = ROOT / entry.doc
    if entry.kind is FormatKind.DOCUMENT:
        assert entry.doc.startswith("docs/formats/"), entry.doc
    assert page.is_file(), entry.doc
    assert marker in page.read_text(encoding="utf-8"), f"{entry.doc} does not name {marker}"


@pytest.mark.parametrize("marker", sorted(FORMATS))
def test_each_entry_has_vectors_made_and_checked_by_code(marker: str) -> None:
    entry = FORMATS[marker]
    if entry.vectors is None:
        assert marker in NO_VECTORS_YET, f"{marker} has no vectors"
        return
    assert marker not in NO_VECTORS_YET, f"{marker} has vectors now: take it off the list"
    vectors = ROOT / entry.vectors
    assert vectors.is_file(), entry.vectors
    assert (vectors.parent / "generate.py").is_file()
    assert list(vectors.parent.glob("test_*.py"))


def test_the_list_of_missing_vectors_names_only_indexed_formats() -> None:
    assert set(FORMATS) >= NO_VECTORS_YET


def _first_spelling(marker: str) -> bool:
    try:
        return marker in format_of(marker).first_spellings
    except KeyError:
        return False
