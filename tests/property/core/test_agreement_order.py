"""Agreement load order never matters: the same files, in any order and spread over any
folders, give the same library (schemes as data; ``docs/formats/scheme-v1.md``)."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gsomia.agreement_files import load_library
from gsomia.core.agreements import AgreementLibrary
from gsomia.core.classification import tiers_of

DATA = Path(__file__).resolve().parents[2] / "data"
FILES = (
    DATA / "agreements" / "ruritania.toml",  # declares RUR's scheme inline
    DATA / "order" / "rur-usa-gsomia.toml",  # names RUR, declares nothing
    DATA / "restricted" / "deu-gbr-security.toml",  # names DEU and GBR
    DATA / "restricted" / "deu.toml",  # scheme files, RESTRICTED included
    DATA / "restricted" / "gbr.toml",
)


def summary(library: AgreementLibrary) -> dict[str, Any]:
    """What the rules read from a library: agreements, their tables, every scheme."""
    return {
        "agreements": {
            a.id: [
                (row.english, {p: [lv.ref for lv in v] for p, v in row.levels.items()})
                for row in a.equivalence
            ]
            for a in library
        },
        "schemes": {
            party: (tiers_of(scheme), [lv.spec for lv in scheme])
            for party, scheme in library.schemes.schemes.items()
        },
        "schemes_seen_by_each": {a.id: sorted(a.schemes.schemes) for a in library},
    }


def load(order: list[int], folders: list[int]) -> dict[str, Any]:
    """The files in ``order``, file ``k`` in folder ``folders[k]``, named so that the
    order is the order they are read in."""
    with tempfile.TemporaryDirectory() as root:
        dirs = [Path(root) / f"d{i}" for i in range(max(folders) + 1)]
        for d in dirs:
            d.mkdir()
        for position, k in enumerate(order):
            source = FILES[k]
            target = dirs[folders[k]] / f"{position:02d}-{source.name}"
            target.write_bytes(source.read_bytes())
        return summary(load_library(dirs))


@functools.cache
def expected() -> dict[str, Any]:
    """The library read in the order the files are listed, from one folder."""
    return load(list(range(len(FILES))), [0] * len(FILES))


@settings(max_examples=60, deadline=None)
@given(
    order=st.permutations(range(len(FILES))),
    folders=st.lists(st.integers(0, 2), min_size=len(FILES), max_size=len(FILES)),
)
def test_every_order_and_spread_over_folders_gives_the_same_library(
    order: list[int], folders: list[int]
) -> None:
    assert load(list(order), folders) == expected()


def test_the_reversed_order_is_one_of_them() -> None:
    assert load(list(reversed(range(len(FILES)))), [0] * len(FILES)) == expected()
    assert set(expected()["agreements"]) >= {"jpn-rur-gsomia", "rur-usa-gsomia", "deu-gbr-security"}
