"""``gsomia audit checkpoint`` then ``audit verify``: a node signs its checkpoint on demand,
asks only the partners it can reach to cosign, and its ledger verifies with the
partner's cosignature once the request is delivered."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text

from tests.support.cli import deliver, invoke, make_homes, ok, rows


def outbox(home: Path) -> list[tuple[str, str]]:
    engine = create_engine(f"sqlite:///{home / 'node.db'}")
    with engine.connect() as conn:
        found = conn.execute(text("SELECT kind, destination FROM outbox ORDER BY kind")).all()
    engine.dispose()
    return [(kind, destination) for kind, destination in found]


def test_a_checkpoint_on_demand_is_cosigned_by_the_partner_and_verifies(tmp_path: Path) -> None:
    homes = make_homes(tmp_path)
    jpn = homes["JPN"]
    (tmp_path / "w.txt").write_bytes(b"launch point 39.0N 125.7E")
    ok(
        jpn,
        "provide",
        str(tmp_path / "w.txt"),
        *("--to", "KOR", "--level", "極秘", "--topic", "nk-missile"),
        *("--purpose", "warning", "--as", "jpn-officer"),
    )
    before = invoke(jpn, "audit", "verify")
    assert before.exit_code != 0 and "no signed checkpoint covers" in before.output

    size = rows(jpn)["ledger"]  # the registry's acts and the provision
    signed = ok(jpn, "audit", "checkpoint")
    assert signed["size"] == size > 1
    # JPN knows the keys of KOR only: the USA, a party to other agreements of JPN's, is
    # not asked to cosign a checkpoint it could never receive.
    assert outbox(jpn) == [("checkpoint", "KOR"), ("transfer", "KOR")]
    deliver(homes)
    report = ok(jpn, "audit", "verify")
    assert report["ok"] is True
    cosigned = next(c for c in report["checks"] if c["name"] == "signatures")
    assert "1 cosignatures verify" in cosigned["detail"]
