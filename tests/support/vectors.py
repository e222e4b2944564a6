"""What the vector generators and their tests share: fixed inputs, the keyrings made from
them, and the one way a vector file is written and checked.

Each ``tests/vectors/<area>/generate.py`` runs on its own from the repository root, and is
loaded by its test with :func:`load_generator`; both import this module as
``tests.support.vectors``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import tempfile
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

from gsomia import crypto

T = TypeVar("T")


def fixed_bytes(domain: str, name: str, size: int = 32) -> bytes:
    """A fixed pseudo-random value named ``name`` in the generator's ``domain``."""
    return hashlib.sha256(f"{domain} {name}".encode()).digest()[:size]


def keyring_seeds(domain: str, prefix: str = "") -> dict[str, str]:
    """The three keyring seeds named ``<prefix>signing``, ``<prefix>encryption`` and
    ``<prefix>at-rest`` in ``domain``, in hex, as a vector file records them."""
    return {
        "signing_seed": fixed_bytes(domain, f"{prefix}signing").hex(),
        "encryption_seed": fixed_bytes(domain, f"{prefix}encryption").hex(),
        "at_rest_key": fixed_bytes(domain, f"{prefix}at-rest").hex(),
    }


def seeded_keyring(*, party: str, seeds: Mapping[str, str], now: datetime) -> crypto.Keyring:
    """The keyring of ``party`` made from the hex ``seeds`` of :func:`keyring_seeds`."""
    return crypto.Keyring.from_seeds(
        party=party,
        created_at=now,
        signing_seed=bytes.fromhex(seeds["signing_seed"]),
        encryption_seed=bytes.fromhex(seeds["encryption_seed"]),
        at_rest_key=bytes.fromhex(seeds["at_rest_key"]),
    )


def paired_keyrings(
    parties: Mapping[str, Mapping[str, str]], *, now: datetime, agreement_id: str
) -> dict[str, crypto.Keyring]:
    """JPN and KOR from their fixed seeds, each registered with the other."""
    rings = {party: seeded_keyring(party=party, seeds=s, now=now) for party, s in parties.items()}
    jpn = rings["JPN"].register(agreement_id=agreement_id, keys=rings["KOR"].public_keys())
    kor = rings["KOR"].register(agreement_id=agreement_id, keys=rings["JPN"].public_keys())
    return {"JPN": jpn, "KOR": kor}


def load_text(text: str, *, name: str, loader: Callable[[Path], T]) -> T:
    """``text`` read by ``loader`` from a file named ``name``, as the code reads its files."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_text(text, encoding="utf-8")
        return loader(path)


def vector_text(value: Any) -> str:
    """``value`` as a vector file holds it: JSON indented by two, UTF-8 unescaped."""
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def write_vectors(folder: Path, files: Mapping[str, Any]) -> None:
    """Write each of ``files`` (file name to content) into ``folder``."""
    for name, value in files.items():
        (folder / name).write_text(vector_text(value), encoding="utf-8")


def load_generator(folder: Path, name: str) -> ModuleType:
    """The ``generate.py`` of ``folder``, loaded as the module ``name``."""
    spec = importlib.util.spec_from_file_location(name, folder / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_generator_writes(folder: Path, built: Mapping[str, Any]) -> None:
    """Every vector file in ``folder`` is, byte for byte, what the generator built."""
    assert sorted(built) == sorted(p.name for p in folder.glob("*.json"))
    for name, value in built.items():
        assert (folder / name).read_text(encoding="utf-8") == vector_text(value), name


def one_byte_changed(text: str, old: str, new: str) -> str:
    """``text`` with its first ``old`` replaced by ``new``, checked to differ from it in one
    character exactly (a vector's one-byte-changed case)."""
    assert old in text, old
    changed = text.replace(old, new, 1)
    assert len(changed) == len(text)
    assert sum(a != b for a, b in zip(changed, text, strict=True)) == 1
    return changed
