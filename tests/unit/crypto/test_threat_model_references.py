"""docs/threat-model.md names, for each control, the tests that prove it: every file it
names exists and every test it names is defined there, and every control names one."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
DOC = (ROOT / "docs" / "threat-model.md").read_text(encoding="utf-8")


def test_every_test_the_threat_model_names_exists() -> None:
    # A reference is a file path (or the name of one named before), optionally followed by
    # ::test names (a bare ::name refers to the last file named).
    last: Path | None = None
    known: dict[str, Path] = {}
    named = 0
    for token in re.findall(r"`([^`]+)`", DOC):
        path, _, rest = token.partition("::")
        if path.startswith("tests/") and path.endswith(".py"):
            last = ROOT / path
            assert last.is_file(), f"{path} does not exist"
            known[last.name] = last
            named += 1
        elif path.endswith(".py") and (ROOT / "src" / "gsomia" / path.split(":")[0]).is_file():
            continue  # the code that carries a control, named beside it
        elif path.endswith(".py"):
            assert path in known, f"{path} is named before its full path is"
            last = known[path]
        elif path:
            continue
        if rest:
            assert last is not None
            name = rest.split(" ")[0]
            source = last.read_text(encoding="utf-8")
            assert re.search(rf"^def {re.escape(name)}\(", source, flags=re.M), (
                f"{last.relative_to(ROOT)} defines no {name}"
            )
    assert named >= 15


def test_every_control_names_its_tests() -> None:
    controls = re.findall(r"^\* \*\*(C\d+) [^*]+\*\*(.*?)(?=^\* \*\*C|^## )", DOC, re.M | re.S)
    assert len(controls) >= 16
    assert [c for c, _ in controls] == [f"C{n}" for n in range(1, len(controls) + 1)]
    for control, text in controls:
        assert "Tests:" in text and ".py" in text, f"{control} names no test"
