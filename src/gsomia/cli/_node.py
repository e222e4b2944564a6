"""What the node's commands share: the node home, the open node, options and views.

Every command takes ``--home DIR`` (default ``$GSOMIA_HOME``, else ``./.gsomia``); the
master secret comes from ``GSOMIA_MASTER_SECRET`` or ``GSOMIA_MASTER_SECRET_FILE``. A command
opens the node, calls one service method, renders the result (a Rich table or, with
``--json``, JSON) and closes the store. Errors are raised; the main CLI maps them to exit
codes in one place.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gsomia.errors import InputError

if TYPE_CHECKING:  # the node's modules load only when a command runs (fast --help)
    from gsomia.ports.store import ItemRecord, WorkflowRecord
    from gsomia.records import Record
    from gsomia.services.node import Node
    from gsomia.services.plumbing.context import Stored

__all__ = [
    "AsOpt",
    "HomeOpt",
    "JsonOpt",
    "home_of",
    "item_row",
    "opened",
    "parse_day",
    "parse_time",
    "record_row",
]

HomeOpt = Annotated[
    Path | None,
    typer.Option("--home", help="Node home directory (default $GSOMIA_HOME or ./.gsomia)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
AsOpt = Annotated[str, typer.Option("--as", help="The person acting (a registered person id).")]


def home_of(home: Path | None) -> Path:
    """The node home: ``home``, else ``$GSOMIA_HOME``, else ``./.gsomia``."""
    from gsomia.config import node_home

    return node_home(home)


@contextmanager
def opened(home: Path | None) -> Iterator[Node]:
    """The node in ``home``, open for one command; its store is closed afterwards.

    Raises :class:`~gsomia.errors.ConfigError` when ``home`` is not a node home or the
    master secret is missing or does not open the keyring.
    """
    from gsomia.bootstrap import open_node
    from gsomia.config import load_settings, node_home

    path = node_home(home)
    facility = None
    if (path / "node.toml").exists():
        facility = load_settings(path).default_facility
    node = open_node(path, default_facility=facility)
    try:
        yield node
    finally:
        node.close()


def parse_day(text: str, *, what: str) -> date:
    """A date from ``YYYY-MM-DD`` in the years the node takes; raises :class:`InputError`
    naming ``what``."""
    from gsomia.services.what_if import check_years

    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{what}: {text!r} is not a date (YYYY-MM-DD)") from None
    check_years(value, what=f"{what}: {text!r}")
    return value


def parse_time(text: str, *, what: str) -> datetime:
    """A timezone-aware time from ISO 8601 in the years the node takes; raises
    :class:`InputError` naming ``what``."""
    from gsomia.services.what_if import check_years

    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"{what}: {text!r} is not an ISO time") from None
    if value.tzinfo is None:
        raise InputError(f"{what}: give a time zone, e.g. 2019-11-23T00:00:00+09:00")
    check_years(value, what=f"{what}: {text!r}")
    return value


def item_row(record: ItemRecord) -> dict[str, Any]:
    """An item as the CLI shows it: markings and custody, never content."""
    return {
        "item": record.id,
        "agreement": record.agreement_id,
        "originator": record.originator,
        "level": record.level_ref,
        "holder_level": record.holder_level_ref,
        "topic": record.topic,
        "purpose": record.purpose,
        "state": record.state.value,
        "kind": record.kind,
        "of": record.parent_id,
        "copy_number": record.copy_number,
        "facility": record.facility_id,
        "label": record.label_digest,
        "provided_at": record.provided_at.isoformat(),
        "review_on": record.review_on.isoformat() if record.review_on else None,
        "purpose_lapsed": record.purpose_lapsed,
    }


def record_row(record: WorkflowRecord | Record | Stored[Any]) -> dict[str, Any]:
    """A workflow record as the CLI shows it (its typed fields)."""
    from gsomia.services.plumbing.views import record_view

    return record_view(record)
