"""Every decision has one home (design rule 11): no service, route or command builds a
decision, combines decisions, raises a policy refusal or cites a rule id itself; they ask
``NodeContext.decide`` (or the rulebook) and record what the decision cites."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from gsomia.agreement_files import load_library

SRC = Path(__file__).resolve().parents[3] / "src" / "gsomia"
EDGES = ("services", "api", "cli", "demo")
#: The one place a refusal is raised: the node context records it first.
ALLOWED = {("services", "context.py")}
#: The prefixes of the agreements' rule ids (JK, TI, JU, ...), from the agreement files.
_PREFIXES = sorted(
    {
        rule_id.split("-")[0]
        for agreement in load_library([])
        for rule_id in (*agreement.rule_ids.values(), f"{agreement.rule_prefix}-x")
        if "-" in rule_id
    }
)
#: An agreement's rule id as the files spell them (JK-7.2, TI-3, JU-TERM ...).
_RULE_ID = re.compile(rf"(?:{'|'.join(_PREFIXES)})-(?:[0-9][0-9A-Za-z.()/]*|[A-Z][A-Z0-9]*)")


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
            if name == "rule_id":
                out.append(f"{path.name}:{node.lineno} cites a rule id it chose")
        typed = isinstance(node, ast.Constant) and isinstance(node.value, str)
        if typed and _RULE_ID.fullmatch(node.value):
            out.append(f"{path.name}:{node.lineno} types the rule id {node.value!r}")
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
        "def g():\n    return Decision.allow('a', 'X-1', 'ok')\n"
        "def h(a):\n    return a.rule_id('incident')\n"
        "def k():\n    return ('JK-17.1',)\n",
        encoding="utf-8",
    )
    assert len(_offences(sample)) == 4
