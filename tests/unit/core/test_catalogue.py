"""The catalogue of rules is complete: every rule key an agreement file sets is read by a rule
(or is explicitly not enforced, with the reason), every rule is reached by an act a service
decides, and an unknown key in a file is an error naming the file and the key."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

from gsomia.agreement_files import builtin_agreements_dir, load_agreement, load_library
from gsomia.core.rules import Act
from gsomia.core.rules.catalogue import (
    CATALOGUE,
    NOT_ENFORCED,
    all_rules,
    known_keys,
    rule_keys,
)
from gsomia.errors import AgreementFileError

SRC = Path(__file__).resolve().parents[3] / "src" / "gsomia"


def test_every_rule_key_of_every_agreement_file_is_read_by_a_rule_or_said_not_to_be() -> None:
    for agreement in load_library([]):
        for key in agreement.rule_ids:
            assert key in rule_keys(agreement) or key in NOT_ENFORCED, (agreement.id, key)


def test_every_reason_for_not_enforcing_a_key_is_given() -> None:
    assert all(reason.strip() for reason in NOT_ENFORCED.values())
    assert not set(NOT_ENFORCED) & {r.key for a in load_library([]) for _, r in all_rules(a)}


def test_every_act_has_rules_under_every_agreement() -> None:
    for agreement in load_library([]):
        for act in Act:
            assert CATALOGUE[act](agreement), (act, agreement.id)


def _acts_decided_by_services() -> set[str]:
    """Every ``Act.X`` named in the services (the acts some workflow asks the rules)."""
    names: set[str] = set()
    for path in (SRC / "services").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "Act"
            ):
                names.add(node.attr)
    return names


def test_every_act_of_the_catalogue_is_decided_by_some_service() -> None:
    decided = _acts_decided_by_services()
    missing = [act.name for act in Act if act.name not in decided]
    assert not missing, f"acts no service decides: {missing}"


def test_a_misspelt_rule_key_is_an_error_naming_the_file_and_the_key(tmp_path: Path) -> None:
    source = builtin_agreements_dir() / "jpn-kor-gsomia.toml"
    bad = tmp_path / "jk.toml"
    shutil.copy(source, bad)
    text = bad.read_text(encoding="utf-8").replace(
        'level_covered = "JK-4.1"', 'level_coverd = "JK-4.1"'
    )
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(AgreementFileError) as err:
        load_agreement(bad)
    assert str(bad) in str(err.value)
    assert "level_coverd" in str(err.value) and "level_covered" in str(err.value)


def test_the_known_keys_are_the_catalogues_and_the_not_enforced() -> None:
    keys = known_keys()
    assert {"level_covered", "provider", "assurance", "laws_on_request", "window"} <= keys
    assert set(NOT_ENFORCED) <= keys
