"""Decisions: what a rule or a policy concluded, the rule ids it rests on, and why.

A :class:`Decision` explains itself for reports and for the ledger; the enforcing call,
:meth:`Decision.enforce`, raises :class:`~gsomia.errors.PolicyDenied` when it denies.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gsomia.errors import PolicyDenied

__all__ = ["Decision", "combine"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """The outcome of deciding one act under one agreement."""

    act: str
    allowed: bool
    rule_ids: tuple[str, ...]
    reason: str
    obligations: tuple[str, ...] = ()

    def enforce(self) -> Decision:
        """Return ``self`` when allowed; raise :class:`PolicyDenied` with the rule ids
        and the reason otherwise."""
        if not self.allowed:
            raise PolicyDenied(rule_ids=self.rule_ids, reason=self.reason)
        return self

    @classmethod
    def allow(cls, act: str, rule_id: str, reason: str, *obligations: str) -> Decision:
        return cls(
            act=act, allowed=True, rule_ids=(rule_id,), reason=reason, obligations=obligations
        )

    @classmethod
    def deny(cls, act: str, rule_id: str, reason: str) -> Decision:
        return cls(act=act, allowed=False, rule_ids=(rule_id,), reason=reason)

    def as_dict(self) -> dict[str, object]:
        return {
            "act": self.act,
            "allowed": self.allowed,
            "rule_ids": list(self.rule_ids),
            "reason": self.reason,
            "obligations": list(self.obligations),
        }


def combine(act: str, decisions: Iterable[Decision]) -> Decision:
    """All-of: allowed only if every decision allows; an empty all-of denies (fail closed).

    A denial cites only the failing rules and joins their reasons, each reason once (the same
    rule under several agreements gives the same sentence); an allowance cites every rule
    that was consulted and carries all obligations.
    """
    items = list(decisions)
    if not items:
        return Decision(
            act=act, allowed=False, rule_ids=(), reason="no rule applies, so the act is refused"
        )
    denied = [d for d in items if not d.allowed]
    chosen = denied or items
    rule_ids = tuple(dict.fromkeys(r for d in chosen for r in d.rule_ids))
    if denied:
        reason = " ".join(dict.fromkeys(_sentence(d.reason) for d in denied))
        return Decision(act=act, allowed=False, rule_ids=rule_ids, reason=reason)
    obligations = tuple(dict.fromkeys(o for d in items for o in d.obligations))
    reason = " ".join(dict.fromkeys(_sentence(d.reason) for d in items))
    return Decision(
        act=act, allowed=True, rule_ids=rule_ids, reason=reason, obligations=obligations
    )


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith(".") else text + "."
