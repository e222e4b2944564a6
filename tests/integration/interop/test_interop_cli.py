"""The interop commands on node homes: ``gsomia label --format adatp-4774`` (the label the
receiving node holds, back to the same label-v1), ``gsomia keys export`` writing the log's
verifier key (which checks the node's own checkpoint), and ``gsomia feed cot`` refusing to
start without a bus to read held warnings from."""

from __future__ import annotations

import json
from pathlib import Path

import xmlschema

from gsomia.bootstrap import open_node
from gsomia.core.labels import Label
from gsomia.crypto import MasterSecret
from gsomia.crypto.signed_notes import parse_verifier_key
from gsomia.interop import adatp4774
from gsomia.ledger.checkpoint import open_checkpoint
from gsomia.services.plumbing.tlog import LogTiles
from tests.support.cli import code, deliver, invoke, make_homes, ok
from tests.support.interop import REPO
from tests.support.workflows import SECRET

XSD = xmlschema.XMLSchema(REPO / "tests" / "data" / "interop" / "adatp-4774-label.xsd")


def test_label_keys_and_feed_commands(tmp_path: Path) -> None:
    homes = make_homes(tmp_path)
    content = tmp_path / "report.txt"
    content.write_text("launch point 39.0N 125.7E", encoding="utf-8")
    args = ["--to", "KOR", "--level", "極秘", "--topic", "nk-missile", "--purpose", "warning"]
    item = ok(homes["JPN"], "provide", str(content), *args, "--as", "jpn-officer")["items"][0]
    deliver(homes)

    as_json = invoke(homes["KOR"], "label", item)
    assert as_json.exit_code == 0, as_json.output
    held = Label.from_dict(json.loads(as_json.stdout))
    assert held.marked_by == "KOR" and held.equivalent_for("KOR") == "KOR:GUNSA_II"
    assert held.format == "gsomia/label-v2" and held.content_digest is None
    for name in ("label", "label-v1"):  # the option's name, and its old spelling
        assert invoke(homes["KOR"], "label", item, "--format", name).stdout == as_json.stdout
    as_xml = invoke(homes["KOR"], "label", item, "--format", "adatp-4774")
    assert as_xml.exit_code == 0, as_xml.output
    XSD.validate(as_xml.stdout)
    assert adatp4774.from_xml(as_xml.stdout.encode()) == held
    wrong = invoke(homes["KOR"], "label", item, "--format", "xml")
    assert code(wrong) == 2 and "adatp-4774" in str(wrong.exception)
    assert code(invoke(homes["KOR"], "label", "0" * 32)) == 2

    out = tmp_path / "kor.export"
    ok(homes["KOR"], "keys", "export", "--out", str(out))
    vkey = (tmp_path / "kor.export.vkey").read_text(encoding="utf-8").strip()
    assert vkey.startswith("gsomia.node/kor+")
    assert ok(homes["KOR"], "audit", "checkpoint")
    node = open_node(homes["KOR"], master=MasterSecret.from_text(SECRET))
    try:
        text = LogTiles(node.ctx).checkpoint()
    finally:
        node.ctx.store.close()
    verified = open_checkpoint(text, verifiers=[parse_verifier_key(vkey)])
    assert verified.checkpoint.origin == "gsomia.node/kor"

    refused = invoke(homes["KOR"], "feed", "cot", "--to", "tcp://127.0.0.1:9", "--level", "x")
    assert code(refused) == 8 and "bus_url" in str(refused.exception)
