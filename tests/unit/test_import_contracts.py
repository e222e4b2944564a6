"""The import contracts in ``pyproject.toml`` cover every module of gsomia.

``lint-imports`` checks only the modules a contract names, so a new top-level module outside
every layer would be checked by nothing. These tests read the package tree and the contract
configuration and fail on such a module, on a layer naming a module that no longer exists,
and on a cross-cutting contract (cryptography, cycles, private modules) narrowed to a list
or given exceptions.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

import gsomia

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = Path(gsomia.__file__).resolve().parent


def top_level_modules(package: Path) -> set[str]:
    """``gsomia.x`` for each module ``x.py`` and each package ``x/__init__.py`` in
    ``package`` (the package's own ``__init__`` excluded)."""
    found = {f"gsomia.{p.stem}" for p in package.glob("*.py") if p.name != "__init__.py"}
    found |= {f"gsomia.{p.parent.name}" for p in package.glob("*/__init__.py")}
    return found


def contracts() -> list[dict[str, Any]]:
    with (ROOT / "pyproject.toml").open("rb") as f:
        config = tomllib.load(f)
    return list(config["tool"]["importlinter"]["contracts"])


def layered(layers: Sequence[str]) -> list[str]:
    """Every module named in ``layers`` (``a | b`` and ``a : b`` are two modules each)."""
    return [m.strip() for layer in layers for m in re.split(r"[|:]", layer) if m.strip()]


def unlayered(modules: Iterable[str], layers: Sequence[str]) -> list[str]:
    """The modules in no layer, and the layers' modules that are not in ``modules``."""
    named = layered(layers)
    modules = set(modules)
    missing = sorted(modules - set(named))
    stale = sorted(set(named) - modules)
    twice = sorted({m for m in named if named.count(m) > 1})
    return [f"{m}: in no layer" for m in missing] + [
        *(f"{m}: no such module" for m in stale),
        *(f"{m}: in more than one layer" for m in twice),
    ]


def only(kind: str) -> Mapping[str, Any]:
    found = [c for c in contracts() if c["type"] == kind]
    assert len(found) == 1, f"expected one {kind} contract, found {len(found)}"
    return found[0]


def test_every_top_level_module_is_in_exactly_one_layer() -> None:
    modules = top_level_modules(PACKAGE)
    assert {"gsomia.core", "gsomia.adapters", "gsomia.config", "gsomia.errors"} <= modules
    assert unlayered(modules, only("layers")["layers"]) == []


def test_a_new_module_without_a_layer_is_reported(tmp_path: Path) -> None:
    package = tmp_path / "gsomia"
    (package / "core").mkdir(parents=True)
    (package / "core" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "errors.py").write_text("")
    (package / "newcomer.py").write_text("")
    (package / "fresh").mkdir()
    (package / "fresh" / "__init__.py").write_text("")
    (package / "data").mkdir()  # a folder that is not a package is no module
    modules = top_level_modules(package)
    assert modules == {"gsomia.core", "gsomia.errors", "gsomia.newcomer", "gsomia.fresh"}
    layers = ["gsomia.core | gsomia.gone", "gsomia.errors : gsomia.core"]
    assert unlayered(modules, layers) == [
        "gsomia.fresh: in no layer",
        "gsomia.newcomer: in no layer",
        "gsomia.gone: no such module",
        "gsomia.core: in more than one layer",
    ]


def test_only_crypto_imports_cryptography_checked_for_every_module() -> None:
    contract = only("protected")
    assert contract["protected_modules"] == ["cryptography"]
    assert contract["allowed_importers"] == ["gsomia.crypto"]
    assert "ignore_imports" not in contract


@pytest.mark.parametrize(
    ("kind", "field"),
    [("acyclic_siblings", "ancestors"), ("private_modules", "packages_with_private_modules")],
)
def test_cycles_and_private_modules_are_checked_across_the_whole_package(
    kind: str, field: str
) -> None:
    contract = only(kind)
    assert contract[field] == ["gsomia"]
    assert "skip_descendants" not in contract
    # Both hold with no exception: a cycle is broken by moving code, a private import by
    # making the name public where it belongs.
    assert "ignore_imports" not in contract


def test_the_tracker_is_kept_from_the_truth_with_no_exception() -> None:
    found = [
        c
        for c in contracts()
        if c["type"] == "forbidden" and c["source_modules"] == ["gsomia.warning.tracking"]
    ]
    assert len(found) == 1
    contract = found[0]
    assert set(contract["forbidden_modules"]) == {
        "gsomia.warning.simulation",
        "gsomia.warning.scenario",
        "gsomia.warning.evaluation",
    }
    # Indirect imports count: a tracker module reaching the truth through a sensor module
    # that imports it breaks the contract too.
    assert not contract.get("allow_indirect_imports", False)
    assert "ignore_imports" not in contract
    warning = PACKAGE / "warning"
    for name in ("tracking", "simulation", "scenario", "evaluation"):
        assert (warning / name / "__init__.py").is_file(), name
