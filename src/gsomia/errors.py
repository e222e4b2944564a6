"""Every error gsomia raises, under one root.

The tree::

    GsomiaError
    ├── InputError              bad input from a person, a file or a peer; nothing was stored
    │   ├── AgreementFileError  an agreement or scheme file is malformed (path, field, problem)
    │   └── UnknownName         a party, agreement, level, site, item or person that does not exist
    ├── PolicyDenied            a rule of the agreement forbids the act (rule ids + one sentence)
    ├── IntegrityError          a signature, MAC, proof, ciphertext or chain did not verify
    │   ├── WitnessAlarm        a partner's checkpoint forks or rolls back its log
    │   └── StateTampered       a stored row does not match its seal or the ledger
    ├── ConflictError           a replay, a duplicate or a stale version
    ├── ConfigError             settings are missing, default or unsafe; the node refuses to start
    ├── StorageError            the database failed; the unit of work was rolled back
    └── TransportError          a peer or the bus could not be reached; the message stays queued

Adapters translate library errors into this tree (``raise StorageError(...) from exc``);
the API and the CLI each map it to status codes and exit codes in exactly one place.
Every decryption or verification failure collapses into one opaque ``IntegrityError``
so that no failure mode becomes an oracle.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "AgreementFileError",
    "ConfigError",
    "ConflictError",
    "GsomiaError",
    "InputError",
    "IntegrityError",
    "PolicyDenied",
    "StateTampered",
    "StorageError",
    "TransportError",
    "UnknownName",
    "WitnessAlarm",
]


class GsomiaError(Exception):
    """Root of every error gsomia raises on purpose."""

    exit_code: int = 1

    def diagnostics(self) -> str:
        """A sentence for a person: what went wrong and, where known, why."""
        text = str(self)
        if self.__cause__ is not None and not isinstance(self, IntegrityError):
            text += f" (caused by {type(self.__cause__).__name__}: {self.__cause__})"
        return text


class InputError(GsomiaError):
    """Input from a person, a file or a peer is malformed or out of range; nothing was stored."""

    exit_code = 2


class AgreementFileError(InputError):
    """An agreement file or a scheme file is malformed.

    Carries the file's path, the dotted field that is wrong and what is wrong with it.
    """

    def __init__(self, *, path: str, field: str, problem: str) -> None:
        self.path = path
        self.field = field
        self.problem = problem
        super().__init__(f"{path}: {field}: {problem}")


class UnknownName(InputError):
    """A name (party, agreement, level, item, person, site) that is not known."""

    exit_code = 3

    def __init__(self, *, kind: str, name: str, known: Iterable[str] = ()) -> None:
        self.kind = kind
        self.name = name
        known_list = sorted(known)
        hint = f"; known: {', '.join(known_list)}" if 0 < len(known_list) <= 20 else ""
        super().__init__(f"unknown {kind} {name!r}{hint}")


class PolicyDenied(GsomiaError):
    """A rule of the agreement forbids the act.

    ``rule_ids`` are the rules the refusal rests on (``JK-7.2``, ``TI-3``); ``reason`` is one
    plain sentence a security officer can read.
    """

    exit_code = 4

    def __init__(self, *, rule_ids: Iterable[str], reason: str) -> None:
        self.rule_ids: tuple[str, ...] = tuple(rule_ids)
        self.reason = reason
        super().__init__(f"denied by {', '.join(self.rule_ids) or 'policy'}: {reason}")


class IntegrityError(GsomiaError):
    """Something did not verify: a signature, a tag, a proof, a chain.

    Deliberately opaque about which check failed when it guards a secret.
    """

    exit_code = 5


class WitnessAlarm(IntegrityError):
    """A partner presented a checkpoint that forks or rolls back its log; a person must look."""

    exit_code = 6


class StateTampered(IntegrityError):
    """A row of the node's store does not match its seal or what the ledger accounts for:
    it was changed, inserted or rolled back outside the node. The node refuses the act and
    raises an alarm; a person must look (``gsomia audit verify`` names every such row)."""

    exit_code = 11

    def __init__(self, *, table: str, key: str, finding: str) -> None:
        self.table = table
        self.key = key
        self.finding = finding
        super().__init__(f"store row {table}/{key}: {finding}")


class ConflictError(GsomiaError):
    """The act clashes with stored state: a replayed transfer, a duplicate, a stale version."""

    exit_code = 7


class ConfigError(GsomiaError):
    """Settings are missing, default or unsafe; the node refuses to start."""

    exit_code = 8


class StorageError(GsomiaError):
    """The database failed; the unit of work was rolled back and nothing was half-written."""

    exit_code = 9


class TransportError(GsomiaError):
    """A peer or the bus could not be reached; outgoing messages stay queued for retry."""

    exit_code = 10
