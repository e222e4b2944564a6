"""Rendering for the CLI: JSON for machines, Rich for people; classification banners."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table

__all__ = ["console", "emit_json", "err_console", "table"]

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def emit_json(value: Any) -> None:
    """Print ``value`` as JSON on stdout (UTF-8, native level names kept)."""
    console.file.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")


def table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
    """A Rich table with the given columns and rows."""
    t = Table(title=title, title_justify="left")
    for c in columns:
        t.add_column(c)
    for r in rows:
        t.add_row(*(str(x) if x is not None else "—" for x in r))
    return t
