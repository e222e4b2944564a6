"""The shape every rule has (one class per rule, one generic key, one ``evaluate``) and the
acts the rules decide."""

from __future__ import annotations

import enum
from typing import Any, Protocol, TypeVar

from gsomia.core.decisions import Decision

__all__ = ["Act", "Rule", "Wrapping"]

RequestT_contra = TypeVar("RequestT_contra", contravariant=True)


class Act(enum.StrEnum):
    """Every act a node decides, each through :meth:`Rulebook.decide
    <gsomia.core.rules.Rulebook.decide>` and the rules the catalogue lists for it."""

    # Custody: provision, receipt and access (JK-4, JK-5.2, JK-6.e, JK-7, JK-9, JK-16).
    SEND = "send"
    RECEIVE = "receive"
    OPEN = "open"
    # Handling held items (JK-6.e, JK-6.f, JK-6.h, JK-13, JK-14, JK-15.1, JK-16).
    COPY = "copy"
    TRANSLATE = "translate"
    PLACE = "place"
    HAND_OVER = "hand-over"
    LAPSE = "lapse"
    RETAIN = "retain"
    RETURN = "return"
    DESTROY = "destroy"
    # Consent, release and the hub (JK-5.1, JK-5.2, TI-3, TI-6).
    ASK_CONSENT = "ask-consent"
    ANSWER_CONSENT = "answer-consent"
    RELEASE = "release"
    FORWARD = "forward"
    # Reclassification (JK-6.g): the originator decides, every holder re-marks.
    RECLASSIFY = "reclassify"
    REMARK = "remark"
    RESEAL = "reseal"  # a holder's new label version at the same marking
    # Incidents (JK-17.1).
    INCIDENT = "incident"
    # The agreement itself (JK-21).
    GIVE_NOTE = "give-note"
    RECEIVE_NOTE = "receive-note"
    AMEND = "amend"
    # Liaison between competent authorities (JK-3, JK-7.4, JK-8.1, JK-18.1).
    NOTIFY_LAW = "notify-law"
    REQUEST_LAWS = "request-laws"
    ANSWER_LAWS = "answer-laws"
    REQUEST_VISIT = "request-visit"
    ANSWER_VISIT = "answer-visit"
    ASSURE = "assure"
    # The registry and access tokens (JK-6.e, JK-7, JK-16).
    FOUND = "found"
    ADMINISTER = "administer"
    CERTIFY_CONDITION = "certify-condition"
    GRANT_AUTHORITY = "grant-authority"
    REVOKE_AUTHORITY = "revoke-authority"
    ISSUE_TOKEN = "issue-token"  # noqa: S105 - an act, not a secret
    REVOKE_TOKEN = "revoke-token"  # noqa: S105 - an act, not a secret
    USE_TOKEN = "use-token"  # noqa: S105 - a token acting for its person, at every request
    # Seeing markings, the registry and the ledger.
    VIEW_ITEM = "view-item"
    VIEW_REGISTRY = "view-registry"
    VIEW_LEDGER = "view-ledger"
    VIEW_RECORDS = "view-records"
    # Signing a checkpoint of the ledger and asking partners to cosign it (JK-6.f).
    REQUEST_CHECKPOINT = "request-checkpoint"
    # The real-time warning feed (RT-1, RT-2, RT-3).
    SHARE_WARNING = "share-warning"
    # A network of the party (a TAK server) carrying markings.
    CARRY = "carry"
    # A partner's act, recorded here under the article it was done under.
    RECEIVE_RETURN = "receive-return"
    RECEIVE_INCIDENT = "receive-incident"
    RECEIVE_CONSENT_REQUEST = "receive-consent-request"
    RECEIVE_CONSENT_ANSWER = "receive-consent-answer"
    RECEIVE_LAW_NOTICE = "receive-law-notice"
    RECEIVE_LAW_REQUEST = "receive-law-request"
    RECEIVE_VISIT = "receive-visit"
    RECEIVE_VISIT_ANSWER = "receive-visit-answer"
    RECEIVE_ASSURANCE = "receive-assurance"
    RECEIVE_AMENDMENT = "receive-amendment"


class Rule(Protocol[RequestT_contra]):
    """A rule of an agreement.

    ``key`` is the generic name the agreement file maps to its own rule id (``level_covered``
    → ``JK-4.1``); ``article`` says, in a few words, what the rule enforces. ``evaluate``
    MUST be pure, MUST return a decision that cites the agreement's rule id, and MUST deny
    whenever it cannot establish that the act is allowed (fail closed).
    """

    @property
    def key(self) -> str: ...

    @property
    def article(self) -> str: ...

    def evaluate(self, request: RequestT_contra) -> Decision: ...


class Wrapping:
    """A rule that reads another for a different request or in a narrower case (``rule``):
    it cites the wrapped rule's article (``key``, ``article``). Subclasses are frozen
    dataclasses with a ``rule`` field."""

    __slots__ = ()
    rule: Rule[Any]

    @property
    def key(self) -> str:
        return self.rule.key

    @property
    def article(self) -> str:
        return self.rule.article
