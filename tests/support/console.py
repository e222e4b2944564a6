"""A browser over a node's app in process, as the console's integration tests drive it."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx

from gsomia.api.app import create_app
from gsomia.config import Limits
from gsomia.crypto import FormKey
from gsomia.services.node import Node


def console_app(node: Node, key: FormKey) -> Any:
    """The node's user API and console, its forms under ``key``, with no rate to speak of."""
    limits = Limits(requests_per_minute_per_person=1_000_000)
    return create_app(node, limits=limits, form_key=key)


class Client:
    """A browser over one app: keeps cookies, follows no redirects."""

    def __init__(self, app: Any) -> None:
        self._runner = asyncio.Runner()
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://console.test"
        )

    def get(self, path: str) -> httpx.Response:
        return self._runner.run(self.client.get(path))

    def post(self, path: str, data: dict[str, str], **kw: Any) -> httpx.Response:
        return self._runner.run(self.client.post(path, data=data, **kw))

    def login(self, token: str) -> None:
        form = self.get("/console/login")
        answer = self.post("/console/login", {"token": token, "csrf": csrf_of(form)})
        assert answer.status_code == 303, answer.text

    def close(self) -> None:
        self._runner.run(self.client.aclose())
        self._runner.close()


def csrf_of(page: httpx.Response) -> str:
    """The CSRF token of the page's (first) form."""
    found = re.search(r'name="csrf" value="([0-9a-f]{64})"', page.text)
    assert found, page.text
    return found.group(1)
