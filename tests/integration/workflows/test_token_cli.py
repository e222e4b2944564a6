"""``gsomia token issue|list|revoke``: a token is shown once, works until revoked, and is
never listed; it is issued by the node itself, or by a registry officer for themselves or for
a person holding no authority the officer lacks (JK-6.e)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gsomia.bootstrap import open_node
from gsomia.crypto import MasterSecret
from gsomia.errors import IntegrityError
from gsomia.services.plumbing.auth import AuthService
from tests.support.cli import SECRET, code, invoke, make_homes, ok


def person_of(home: Path, token: str) -> str:
    node = open_node(home, master=MasterSecret.from_text(SECRET))
    try:
        return AuthService(node.ctx).person(token).id
    finally:
        node.ctx.store.close()


def test_a_token_works_until_revoked_and_its_secret_is_never_listed(tmp_path: Path) -> None:
    jpn = make_homes(tmp_path)["JPN"]
    issued = ok(jpn, "token", "issue", "jpn-officer", "--hours", "2")  # by the node itself
    assert issued["token"].startswith("gst_") and issued["person"] == "jpn-officer"
    assert person_of(jpn, issued["token"]) == "jpn-officer"

    listed = ok(jpn, "token", "list", "--as", "jpn-registrar")
    assert [(t["token_id"], t["state"]) for t in listed] == [(issued["token_id"], "active")]
    shown = invoke(jpn, "token", "list", "--as", "jpn-registrar")
    assert issued["token"] not in shown.output and issued["token"] not in str(listed)

    ok(jpn, "token", "revoke", issued["token_id"], "--as", "jpn-registrar")
    assert (
        ok(jpn, "token", "list", "--person", "jpn-officer", "--as", "jpn-registrar")[0]["state"]
        == "revoked"
    )
    with pytest.raises(IntegrityError):
        person_of(jpn, issued["token"])


def test_tokens_only_for_registered_persons_and_known_ids(tmp_path: Path) -> None:
    jpn = make_homes(tmp_path)["JPN"]
    assert code(invoke(jpn, "token", "issue", "nobody", "--as", "jpn-registrar")) == 3
    assert code(invoke(jpn, "token", "revoke", "0" * 32, "--as", "jpn-registrar")) == 3
    assert (
        code(invoke(jpn, "token", "issue", "jpn-officer", "--hours", "0", "--as", "jpn-registrar"))
        == 2
    )
    assert ok(jpn, "token", "list", "--as", "jpn-registrar") == []


@pytest.mark.parametrize("party", ["JPN", "KOR"])
def test_a_registrar_issues_no_token_for_a_person_holding_authorities_it_lacks(
    tmp_path: Path, party: str
) -> None:
    home = make_homes(tmp_path)[party]
    p = party.lower()
    refused = invoke(home, "token", "issue", f"{p}-officer", "--as", f"{p}-registrar")
    assert code(refused) == 4, refused.output
    assert "JK-6.e" in str(refused.exception) and "notes" in str(refused.exception)
    assert ok(home, "token", "list", "--as", f"{p}-registrar") == []
    # the official holds no authority: the registrar issues theirs; the officer their own
    own = ok(home, "token", "issue", f"{p}-officer", "--as", f"{p}-officer")
    official = ok(home, "token", "issue", f"{p}-official", "--as", f"{p}-registrar")
    assert person_of(home, own["token"]) == f"{p}-officer"
    assert person_of(home, official["token"]) == f"{p}-official"
    # a registrar still revokes the officer's token: revocation only narrows access
    ok(home, "token", "revoke", own["token_id"], "--as", f"{p}-registrar")
    with pytest.raises(IntegrityError):
        person_of(home, own["token"])
