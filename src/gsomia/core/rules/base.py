"""The shape every rule has: one class per rule, one generic key, one ``evaluate``."""

from __future__ import annotations

from typing import ClassVar, Protocol, TypeVar

from gsomia.core.decisions import Decision

__all__ = ["Rule"]

RequestT_contra = TypeVar("RequestT_contra", contravariant=True)


class Rule(Protocol[RequestT_contra]):
    """A rule of an agreement.

    ``key`` is the generic name the agreement file maps to its own rule id (``level_covered``
    → ``JK-4.1``); ``article`` says, in a few words, what the rule enforces. ``evaluate``
    MUST be pure, MUST return a decision that cites the agreement's rule id, and MUST deny
    whenever it cannot establish that the act is allowed (fail closed).
    """

    key: ClassVar[str]
    article: ClassVar[str]

    def evaluate(self, request: RequestT_contra) -> Decision: ...
