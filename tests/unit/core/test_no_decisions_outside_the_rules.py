"""Every decision has one home (design rule 11): no service, route or command builds a
decision, combines decisions or raises a policy refusal itself; they ask
``NodeContext.decide`` (or the rulebook) and act on the answer."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[3] / "src" / "gsomia"
EDGES = ("services", "api", "cli", "demo")
#: The one place a refusal is raised: the node context records it first.
ALLOWED = {("services", "context.py")}


def _offences(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = (
                f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            )
            owner = (
                f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else ""
            )
            if name in ("Decision", "PolicyDenied", "combine"):
                out.append(f"{path.name}:{node.lineno} calls {name}")
            if owner == "Decision" and name in ("allow", "deny"):
                out.append(f"{path.name}:{node.lineno} builds Decision.{name}")
    return out


def test_no_edge_or_service_decides_for_itself() -> None:
    offences = []
    for package in EDGES:
        for path in (SRC / package).rglob("*.py"):
            if (package, path.name) in ALLOWED:
                continue
            offences += _offences(path)
    assert not offences, offences


def test_the_check_finds_a_decision_built_in_a_service(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "def f():\n    raise PolicyDenied(rule_ids=('X-1',), reason='no')\n"
        "def g():\n    return Decision.allow('a', 'X-1', 'ok')\n",
        encoding="utf-8",
    )
    assert len(_offences(sample)) == 2
