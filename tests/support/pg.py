"""Fresh PostgreSQL schemas for tests: one per store, dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from urllib.parse import quote

from sqlalchemy import create_engine, text

from tests.support.workflows import World, build_on


def schema_url(base: str, schema: str) -> str:
    """``base`` with every connection's search path set to ``schema``."""
    joiner = "&" if "?" in base else "?"
    return f"{base}{joiner}options={quote(f'-csearch_path={schema}')}"


@contextmanager
def postgres_schema(base: str, prefix: str = "store") -> Iterator[str]:
    """A fresh schema on the server at ``base``, dropped afterwards; yields its URL."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema_url(base, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def postgres_world(base: str, parties: Sequence[str]) -> Iterator[World]:
    """A world whose nodes each keep their store in a fresh schema of their own."""
    with ExitStack() as stack:
        urls = {p: stack.enter_context(postgres_schema(base, p.lower())) for p in parties}
        world = build_on(urls)
        try:
            yield world
        finally:
            for node in world.nodes.values():
                node.ctx.store.close()
