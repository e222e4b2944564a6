"""Typed workflow records: one frozen class per kind, with its states and legal transitions.

The store keeps each record as a kind, an id, a state, a version and a JSON body
(:class:`~gsomia.ports.store.WorkflowRecord`); these classes are what the services read and
write. :data:`RECORDS` maps every kind to its class, and a test walks every transition table.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from gsomia.records.base import Record
from gsomia.records.consent import ConsentRecord, ForwardRecord, ReleaseRecord
from gsomia.records.custody import (
    CopyRecord,
    DestructionRecord,
    HandOverRecord,
    PlacementRecord,
    ReceiptRecord,
    ReturnRecord,
)
from gsomia.records.incidents import IncidentRecord
from gsomia.records.liaison import (
    AssuranceRecord,
    LawNoticeRecord,
    LawRequestRecord,
    VisitRecord,
)
from gsomia.records.notes import AmendmentRecord, NoteRecord
from gsomia.records.reclassification import ReclassificationRecord
from gsomia.records.registry import AuthorityRecord, ConditionRecord, TokenRecord

__all__ = [
    "RECORDS",
    "AmendmentRecord",
    "AssuranceRecord",
    "AuthorityRecord",
    "ConditionRecord",
    "ConsentRecord",
    "CopyRecord",
    "DestructionRecord",
    "ForwardRecord",
    "HandOverRecord",
    "IncidentRecord",
    "LawNoticeRecord",
    "LawRequestRecord",
    "NoteRecord",
    "PlacementRecord",
    "ReceiptRecord",
    "ReclassificationRecord",
    "Record",
    "ReleaseRecord",
    "ReturnRecord",
    "TokenRecord",
    "VisitRecord",
]

#: Every workflow record kind and its class.
RECORDS: Mapping[str, type[Record]] = MappingProxyType(
    {
        cls.KIND: cls
        for cls in (
            AmendmentRecord,
            AssuranceRecord,
            AuthorityRecord,
            ConditionRecord,
            ConsentRecord,
            CopyRecord,
            DestructionRecord,
            ForwardRecord,
            HandOverRecord,
            IncidentRecord,
            LawNoticeRecord,
            LawRequestRecord,
            NoteRecord,
            PlacementRecord,
            ReceiptRecord,
            ReclassificationRecord,
            ReleaseRecord,
            ReturnRecord,
            TokenRecord,
            VisitRecord,
        )
    }
)
