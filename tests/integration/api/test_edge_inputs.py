"""Inputs at the edge of the user API and the console (security review M1, L5).

Bodies are counted while they stream, chunked or not, before anything parses them or
looks at a token; an item over ``max_item_bytes`` is refused by the service; lone
surrogates and dates outside the years the node takes get a 4xx that says where, never a
500. Nothing is stored in any of these cases.
"""

from __future__ import annotations

import base64
import json

import pytest

from gsomia.api.app import create_app
from gsomia.config import Limits
from tests.support.edge import Api, chunks

MIB = 1024 * 1024
PROVIDE = {
    "to": "KOR",
    "level": "極秘",
    "topic": "nk-missile",
    "purpose": "missile warning",
    "agreement": "jpn-kor-gsomia",
}


def _ledger(api: Api) -> int:
    return api.node.ctx.store.ledger.size()


# Body limits, counted while the body streams -----------------------------------------------


@pytest.mark.parametrize(
    ("path", "token", "content_type"),
    [
        ("/v1/items", None, "application/json"),  # review M1: read whole before the 401
        ("/v1/items", "", "application/json"),  # authenticated: six items were created
        ("/v1/persons", "gst_forged", "application/json"),
        ("/v1/agreements/jpn-kor-gsomia/notes", "", "application/json"),
        ("/v1/items/" + "0" * 32 + "/translations", None, "application/json"),
    ],
)
def test_a_chunked_body_over_the_limit_is_refused_with_413_and_stores_nothing(
    api: Api, path: str, token: str | None, content_type: str
) -> None:
    items, ledger = api.items(), _ledger(api)
    body = chunks(9 * MIB, start=b'{"contents": ["')
    answer = api.call(
        "POST", path, token=token, content=body, headers={"Content-Type": content_type}
    )
    assert answer.status_code == 413, answer.text
    assert answer.json()["error"] == "TooLarge"
    assert (api.items(), _ledger(api)) == (items, ledger)


def test_the_console_takes_only_small_forms_however_they_are_sent(api: Api) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for body in (chunks(64 * 1024, start=b"token="), [b"token=" + b"A" * 5000]):
        answer = api.call("POST", "/console/login", token=None, content=body, headers=form)
        assert answer.status_code == 413, answer.text
        assert answer.headers["x-frame-options"] == "DENY"
    declared = api.call(
        "POST", "/console/logout", token=None, content=b"csrf=" + b"0" * 8000, headers=form
    )
    assert declared.status_code == 413


def test_a_content_length_that_is_not_a_number_is_refused(api: Api) -> None:
    answer = api.call(
        "POST",
        "/v1/items",
        content=b"{}",
        headers={"Content-Length": "12abc", "Content-Type": "application/json"},
    )
    assert answer.status_code == 400
    assert "Content-Length" in answer.json()["message"]


def test_a_body_within_the_limit_still_streams_to_the_route(api: Api) -> None:
    body = json.dumps({**PROVIDE, "contents": [base64.b64encode(b"x" * 1000).decode()]})
    pieces = [body[i : i + 7].encode() for i in range(0, len(body), 7)]
    answer = api.call(
        "POST", "/v1/items", content=pieces, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 201, answer.text
    assert len(answer.json()["items"]) == 1


# max_item_bytes, by the service ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("agreement", "to", "sizes", "bad"),
    [
        ("jpn-kor-gsomia", "KOR", [5 * MIB], 0),
        ("jpn-kor-gsomia", "KOR", [10, 4 * MIB + 1], 1),
        ("tisa", "KOR", [1, 2, 5 * MIB], 2),
    ],
)
def test_an_item_over_max_item_bytes_is_refused_by_the_service(
    api: Api, agreement: str, to: str, sizes: list[int], bad: int
) -> None:
    limits = Limits(max_request_bytes=16 * MIB, requests_per_minute_per_person=10**6)
    app = create_app(api.node, limits=limits)
    api.app = app
    contents = [base64.b64encode(b"\x00" * n).decode() for n in sizes]
    body = {**PROVIDE, "agreement": agreement, "to": to, "contents": contents}
    items, ledger = api.items(), _ledger(api)
    answer = api.call("POST", "/v1/items", json=body)
    assert answer.status_code == 400, answer.text
    assert f"contents[{bad}]" in answer.json()["message"]
    assert "4194304" in answer.json()["message"]
    assert (api.items(), _ledger(api)) == (items, ledger)


# Odd values: a 4xx that says where, never a 500 --------------------------------------------


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        (
            "/v1/items",
            '{"to":"KOR","level":"極秘","topic":"nk-missile","purpose":"\\ud800",'
            '"contents":["QUFB"]}',
        ),
        (
            "/v1/items",
            '{"to":"KOR","level":"\\udfff","topic":"nk-missile","purpose":"x","contents":["QUFB"]}',
        ),
        ("/v1/items", '{"\\ud800": 1}'),
        ("/v1/persons", '{"id":"p1","name":"\\ud83d","role":"official"}'),
        (
            "/v1/incidents",
            '{"items":["' + "0" * 32 + '"],"kind":"loss","possible":true,"description":"\\udc00x"}',
        ),
        (
            "/v1/check/send",
            '{"originator":"JPN","recipient":"KOR","level":"極秘",'
            '"topic":"nk-missile","on":"2019-01-01\\ud800"}',
        ),
    ],
)
def test_a_lone_surrogate_gets_a_422_naming_the_field_not_a_500(
    api: Api, path: str, raw: str
) -> None:
    items, ledger = api.items(), _ledger(api)
    answer = api.call(
        "POST", path, content=raw.encode(), headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 422, answer.text
    found = answer.json()
    assert found["error"] == "InputError"
    assert found["errors"][0]["loc"][0] == "body"
    assert (api.items(), _ledger(api)) == (items, ledger)


@pytest.mark.parametrize(
    "on",
    [
        "9999-12-31",
        "0001-01-01T00:00+09:00",
        "9999-12-31T23:59:59Z",
        "9999-12-31T23:59:59-12:00",
        "0001-01-01",
        "1899-12-31",
    ],
)
def test_dates_outside_the_years_the_node_takes_get_400_on_status_and_check(
    api: Api, on: str
) -> None:
    answers = [
        api.call("GET", f"/v1/agreements/tisa/status?on={on.replace('+', '%2B')}"),
        api.call(
            "POST",
            "/v1/check/send",
            json={
                "originator": "JPN",
                "recipient": "KOR",
                "level": "極秘",
                "topic": "nk-missile",
                "on": on,
            },
        ),
    ]
    for answer in answers:
        assert answer.status_code == 400, answer.text
        assert "outside the years 1900 to 2999" in answer.json()["message"]
    inside = api.call("GET", "/v1/agreements/jpn-kor-gsomia/status?on=2999-12-31")
    assert inside.status_code == 200


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/v1/agreements/jpn-kor-gsomia/notes",
            {"kind": "notice", "text": "x", "terminates_at": "9999-12-31T23:59:59-12:00"},
            "terminates_at",
        ),
        (
            "/v1/agreements/jpn-usa-gsomia/notes",
            {"kind": "notice", "text": "x", "terminates_at": "0001-01-01T00:00:00+09:00"},
            "terminates_at",
        ),
        (
            "/v1/agreements/jpn-kor-gsomia/notes",
            {"kind": "notice", "text": "x", "terminates_at": "2020-01-01T00:00:00"},
            "terminates_at",
        ),
        (
            "/v1/persons",
            {
                "id": "p9",
                "name": "x",
                "role": "official",
                "clearance": "秘",
                "expires_on": "9999-12-31",
            },
            "expires_on",
        ),
        (
            "/v1/law-notices",
            {
                "agreement": "jpn-kor-gsomia",
                "title": "t",
                "summary": "s",
                "effective_on": "0001-01-01",
            },
            "effective_on",
        ),
    ],
)
def test_stored_dates_outside_the_years_are_refused_before_they_can_poison_the_node(
    api: Api, path: str, body: dict[str, object], field: str
) -> None:
    # A note at year 9999 used to be stored, after which every provision under the
    # agreement answered 500 (its status no longer computed).
    before = api.call("GET", "/v1/agreements/jpn-kor-gsomia/notes").json()
    answer = api.call("POST", path, json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["loc"][-1] == field
    assert api.call("GET", "/v1/agreements/jpn-kor-gsomia/notes").json() == before
    provided = api.call(
        "POST", "/v1/items", json={**PROVIDE, "contents": [base64.b64encode(b"x").decode()]}
    )
    assert provided.status_code == 201, provided.text
