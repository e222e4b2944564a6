"""The fast path of :mod:`gsomia.ledger.entries`: a batch of entries for one act on many
items (a provision, a transfer of thousands), fenced off from the normative definition.

The template is validated once; each varying value is checked a whole column at a time
against its syntax and spliced into the template's canonical bytes
(:mod:`gsomia.core.canonical`); entries are built from those validated values without
``__init__`` (:mod:`gsomia.core.unchecked`). It gives exactly what constructing each entry
gives, and is registered in place of the plain batch
(:func:`~gsomia.ledger.entries.register_fast_batch`) when :mod:`gsomia.ledger` is imported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType

from gsomia.core.canonical import ascii_column, column_matches, cut_around, splice
from gsomia.core.unchecked import builder
from gsomia.errors import InputError
from gsomia.ledger.entries import (
    _ENCODER,
    _ITEM,
    _MARKER,
    DETAIL_KEYS,
    MAX_ENTRY_BYTES,
    LedgerEntry,
    _check_ref,
    register_fast_batch,
)

__all__: list[str] = []


def _batch(
    template: LedgerEntry, item_ids: Sequence[str], details: Mapping[str, Sequence[str]]
) -> list[LedgerEntry]:
    keys = sorted(details)
    if template.item_id is None or not set(keys) <= template.details.keys():
        raise InputError("ledger entry batch: the template must name an item and each detail")
    for key in keys:
        if len(details[key]) != len(item_ids):
            raise InputError(f"ledger entry batch: one {key!r} per item is needed")
        values: Sequence[object] = details[key]
        if column_matches(_column(key), values):
            continue
        for value in values:
            if not isinstance(value, str):
                raise InputError(f"ledger entry detail {key!r} must be a string")
            _check_ref(key, value, *DETAIL_KEYS[key])
    ids: Sequence[object] = item_ids
    if not column_matches(_ITEMS, ids):
        for item_id in ids:
            if not isinstance(item_id, str) or not _ITEM.fullmatch(item_id):
                raise InputError(f"ledger entry item {item_id!r}: 32 lower-case hex digits")
    cut = _splice_cut(template, keys)
    columns = [ascii_column(details[k]) for k in keys]
    datas = splice(cut, [*columns, ascii_column(item_ids)])
    longest = max(map(len, datas), default=0)
    if longest > MAX_ENTRY_BYTES:
        raise InputError(f"ledger entry is {longest} bytes; the limit is {MAX_ENTRY_BYTES}")
    base = dict(template.details)
    out = []
    for i, (item_id, data) in enumerate(zip(item_ids, datas, strict=True)):
        values_of = base.copy()
        for key in keys:
            values_of[key] = details[key][i]
        out.append(_assemble(template, item_id, MappingProxyType(values_of), data))
    return out


# A column of values is checked with one match over them, one per line: no syntax above
# matches a newline, so the column matches exactly when there are as many lines as values and
# each line matches. On a mismatch each value is checked, to name the bad one.
_ITEMS = re.compile(r"(?:[0-9a-f]{32}\n)*")
_COLUMNS: dict[str, re.Pattern[str]] = {}


def _column(key: str) -> re.Pattern[str]:
    column = _COLUMNS.get(key)
    if column is None:
        unit = DETAIL_KEYS[key][0].pattern.removeprefix("^").removesuffix("$")
        column = _COLUMNS[key] = re.compile(f"(?:{unit}\n)*")
    return column


def _splice_cut(template: LedgerEntry, keys: list[str]) -> list[bytes]:
    """The template's bytes cut around the values of ``keys`` (in ``details``) and then the
    item id; checked to join back into the template's own bytes. Every value is validated
    ASCII without quotes or backslashes, so a splice is exact."""
    paths = [*(("details", key) for key in keys), ("item",)]
    cut = cut_around(template.to_dict(), paths, encode=_ENCODER.encode, head=_MARKER)
    own = [[template.details[k].encode("ascii")] for k in keys]
    if splice(cut, [*own, [str(template.item_id).encode("ascii")]]) != [template.to_bytes()]:
        raise InputError("ledger entry batch: the template's bytes cannot be spliced")
    return cut


_build_entry = builder(LedgerEntry)


def _assemble(
    template: LedgerEntry, item_id: str, details: Mapping[str, str], data: bytes
) -> LedgerEntry:
    """An entry with the template's other fields and these already-validated values."""
    t = template
    return _build_entry(
        agreement_id=t.agreement_id,
        event=t.event,
        actor=t.actor,
        at=t.at,
        item_id=item_id,
        rule_ids=t.rule_ids,
        details=details,
        _bytes=data,
    )


register_fast_batch(_batch)
