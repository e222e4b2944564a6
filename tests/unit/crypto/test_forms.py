"""form-v1: the console's form tokens under a key the master secret derives."""

from __future__ import annotations

import pytest

from gsomia.crypto import FormKey, MasterSecret
from gsomia.errors import IntegrityError

MASTER = MasterSecret.from_text(MasterSecret.generate())


def test_the_key_is_the_same_in_every_process_that_holds_the_master_secret() -> None:
    again = MasterSecret.from_text(MASTER.value.decode())
    assert FormKey.from_master(MASTER).token("cookie") == FormKey.from_master(again).token("cookie")
    FormKey.from_master(again).check(
        value="cookie", token=FormKey.from_master(MASTER).token("cookie")
    )


def test_another_master_secret_or_value_makes_another_token() -> None:
    key = FormKey.from_master(MASTER)
    other = FormKey.from_master(MasterSecret.from_text(MasterSecret.generate()))
    token = key.token("cookie")
    assert len(token) == 64 and int(token, 16) >= 0
    assert other.token("cookie") != token
    assert key.token("cookie2") != token
    for wrong in (other.token("cookie"), key.token("cookie2"), "", "x" * 64, "é" * 64):
        with pytest.raises(IntegrityError):
            key.check(value="cookie", token=wrong)


def test_the_key_is_not_the_master_secrets_other_keys_and_is_never_printed() -> None:
    key = FormKey.from_master(MASTER)
    assert MASTER.derive(salt=b"gsomia/form-v1", purpose=b"other") not in repr(key).encode()
    assert "FormKey(" in repr(key) and "_key" not in repr(key)
    assert FormKey.drawn().token("c") != FormKey.drawn().token("c")
