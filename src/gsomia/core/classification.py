"""National classification schemes: closed, ordered levels per party, loaded from scheme files.

Each party's scheme is an :class:`enum.Enum` of its own, made from a scheme file
(``gsomia/scheme-v1``, ``docs/formats/scheme-v1.md``): the party, its English-equivalent tiers
in order (``TOP SECRET``, ``SECRET``, ``CONFIDENTIAL``, and ``RESTRICTED`` where a scheme has
it), and any number of ranked levels. The JPN, KOR and USA files ship inside this package
(``core/schemes/``) and are read once, like its code; a node finds others on its agreements
path. Levels compare only within their own scheme: comparing a Japanese level with a Korean
one is a programming error, because the two are related only through an agreement's
equivalence table (``spec/agreements.md`` §2).

Wherever a level is accepted, three spellings work: the native name (``極秘``), its
romanisation (``Gokuhi``) and the English-equivalent form ``SECRET@JPN``.
"""

from __future__ import annotations

import enum
import functools
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType
from typing import Any

from gsomia.errors import AgreementFileError, InputError, UnknownName

__all__ = [
    "ENGLISH_TIERS",
    "SCHEME_FORMAT",
    "Level",
    "LevelSpec",
    "SchemeRegistry",
    "builtin_schemes",
    "make_scheme",
    "parse_scheme",
    "same_scheme",
    "scheme_from",
    "tiers_of",
]

#: The marker of a scheme file.
SCHEME_FORMAT = "gsomia/scheme-v1"

#: The three English-equivalent tiers, highest first, and their ranks: the tiers of a scheme
#: declared inside an agreement file (``[[schemes]]`` of agreement-v1), which names none. A
#: scheme file states its own tiers, as many as the scheme has.
ENGLISH_TIERS: Mapping[str, int] = MappingProxyType(
    {"TOP SECRET": 3, "SECRET": 2, "CONFIDENTIAL": 1}
)


@dataclass(frozen=True, slots=True, kw_only=True)
class LevelSpec:
    """What a scheme says of one level: its names and its rank (higher is more sensitive).

    ``english`` is one of the tiers of the level's scheme; :func:`make_scheme` checks it.
    """

    code: str
    native: str
    romanised: str
    english: str
    rank: int
    aliases: tuple[str, ...] = ()
    note: str = ""


class Level(enum.Enum):
    """A level of one national scheme. Subclasses are made by :func:`make_scheme`."""

    _value_: LevelSpec

    @property
    def party(self) -> str:
        """The party whose scheme this level belongs to (``JPN``)."""
        return str(type(self).__scheme_party__)  # type: ignore[attr-defined]

    @property
    def spec(self) -> LevelSpec:
        return self._value_

    @property
    def native(self) -> str:
        return self._value_.native

    @property
    def romanised(self) -> str:
        return self._value_.romanised

    @property
    def english(self) -> str:
        return self._value_.english

    @property
    def rank(self) -> int:
        return self._value_.rank

    @property
    def ref(self) -> str:
        """Stable ASCII reference, ``JPN:GOKUHI``; used in labels and on the wire."""
        return f"{self.party}:{self.name}"

    def __str__(self) -> str:
        return f"{self.native} ({self.romanised})" if self.native != self.romanised else self.native

    def _check_same(self, other: object) -> Level:
        if not isinstance(other, Level):
            return NotImplemented  # type: ignore[no-any-return]
        if type(other) is not type(self):
            raise TypeError(
                f"cannot order {self.ref} against {other.ref}: levels of different schemes "
                "are related only through an agreement's equivalence table"
            )
        return other

    def __lt__(self, other: object) -> bool:
        return self.rank < self._check_same(other).rank

    def __le__(self, other: object) -> bool:
        return self.rank <= self._check_same(other).rank

    def __gt__(self, other: object) -> bool:
        return self.rank > self._check_same(other).rank

    def __ge__(self, other: object) -> bool:
        return self.rank >= self._check_same(other).rank

    def __hash__(self) -> int:
        return hash(self.ref)


def make_scheme(
    party: str, specs: Iterable[LevelSpec], *, tiers: Sequence[str] = tuple(ENGLISH_TIERS)
) -> type[Level]:
    """Build the closed, ordered level enum of one party's scheme.

    ``tiers`` are the scheme's English equivalents, highest first. Raises
    :class:`InputError` when the scheme is empty, a code or name repeats, a level's English
    equivalent is not one of ``tiers``, or a higher level has a lower tier than a lower one.
    """
    spec_list = sorted(specs, key=lambda s: -s.rank)
    if not spec_list:
        raise InputError(f"scheme {party}: a scheme needs at least one level")
    _check_tiers(party, spec_list, tuple(tiers))
    seen: set[str] = set()
    for spec in spec_list:
        for key in {_fold(name) for name in (spec.code, *_spellings(spec))}:
            if key in seen:
                raise InputError(f"scheme {party}: the name {key!r} is used twice")
            seen.add(key)
    scheme: Any = Level(  # type: ignore[call-arg]
        f"{party}Level", [(s.code, s) for s in spec_list]
    )
    scheme.__scheme_party__ = party
    scheme.__scheme_tiers__ = tuple(tiers)
    return scheme  # type: ignore[no-any-return]


def _check_tiers(party: str, specs: Sequence[LevelSpec], tiers: tuple[str, ...]) -> None:
    if not tiers or len(set(tiers)) != len(tiers):
        raise InputError(f"scheme {party}: the tiers must be listed, each once")
    last = 0
    for spec in specs:
        if spec.english not in tiers:
            raise InputError(
                f"level {spec.code}: english equivalent must be one of "
                f"{', '.join(tiers)}, not {spec.english!r}"
            )
        if tiers.index(spec.english) < last:
            raise InputError(
                f"level {spec.code}: its tier {spec.english} is above that of a level ranked higher"
            )
        last = tiers.index(spec.english)


def tiers_of(scheme: type[Level]) -> tuple[str, ...]:
    """The English-equivalent tiers of ``scheme``, highest first."""
    return tuple(scheme.__scheme_tiers__)  # type: ignore[attr-defined]


def _spellings(spec: LevelSpec) -> tuple[str, ...]:
    return tuple(dict.fromkeys((spec.native, spec.romanised, *spec.aliases)))


def _fold(text: str) -> str:
    """Fold a spelling for lookup: NFKC, case-insensitive, spaces/hyphens/underscores ignored."""
    norm = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in norm if ch not in " -_.")


@dataclass(frozen=True, slots=True)
class SchemeRegistry:
    """The schemes a node knows, by party code; immutable once built."""

    schemes: Mapping[str, type[Level]] = field(default_factory=dict)

    def with_scheme(self, scheme: type[Level]) -> SchemeRegistry:
        """A new registry that also knows ``scheme``; refuses to replace a different one."""
        party = scheme.__scheme_party__  # type: ignore[attr-defined]
        existing = self.schemes.get(party)
        if existing is not None and not same_scheme(existing, scheme):
            raise InputError(f"scheme {party} is already defined differently")
        merged = dict(self.schemes)
        merged[party] = existing or scheme
        return SchemeRegistry(MappingProxyType(merged))

    def scheme(self, party: str) -> type[Level]:
        """The scheme of ``party``; raises :class:`UnknownName`."""
        try:
            return self.schemes[party]
        except KeyError:
            raise UnknownName(
                kind="classification scheme", name=party, known=self.schemes
            ) from None

    def __iter__(self) -> Iterator[type[Level]]:
        return iter(self.schemes.values())

    def parse(self, text: str, *, party: str | None = None) -> Level:
        """Resolve a level from any accepted spelling.

        ``text`` may be a native name (``極秘``), a romanisation (``Gokuhi``), a stable
        reference (``JPN:GOKUHI``) or an English equivalent with its scheme (``SECRET@JPN``).
        With ``party`` set, only that party's scheme is searched and an English equivalent
        may omit the ``@JPN``. Raises :class:`UnknownName` when nothing matches and
        :class:`InputError` when a spelling is ambiguous.
        """
        text = text.strip()
        if not text:
            raise InputError("a classification level is required; got an empty string")
        if "@" in text:
            english, _, owner = text.rpartition("@")
            return self._by_english(english, owner.strip().upper(), party)
        if ":" in text:
            owner, _, code = text.partition(":")
            scheme = self.scheme(owner.strip().upper())
            self._check_party(scheme, party, text)
            try:
                return scheme[code.strip().upper()]
            except KeyError:
                raise UnknownName(kind="level", name=text, known=_names(scheme)) from None
        return self._by_name(text, party)

    def _by_name(self, text: str, party: str | None) -> Level:
        key = _fold(text)
        schemes = [self.scheme(party)] if party else list(self.schemes.values())
        hits = [
            level
            for scheme in schemes
            for level in scheme
            if key in {_fold(s) for s in (level.name, *_spellings(level.spec))}
        ]
        if not hits and party:
            english = unicodedata.normalize("NFKC", text).upper().replace("_", " ")
            if english in tiers_of(schemes[0]):
                return self._by_english(english, party, party)
        if not hits:
            known = [str(level.native) for scheme in schemes for level in scheme]
            raise UnknownName(kind="classification level", name=text, known=known)
        if len(hits) > 1:
            refs = ", ".join(h.ref for h in hits)
            raise InputError(f"level {text!r} is ambiguous ({refs}); write it as NAME@PARTY")
        return hits[0]

    def _by_english(self, english: str, owner: str, party: str | None) -> Level:
        scheme = self.scheme(owner)
        self._check_party(scheme, party, f"{english}@{owner}")
        tier = unicodedata.normalize("NFKC", english).strip().upper().replace("_", " ")
        if tier not in tiers_of(scheme):
            raise UnknownName(kind="English equivalent", name=english, known=tiers_of(scheme))
        # The first level in rank order carrying the tier is its canonical holder
        # (JPN SECRET is 極秘; 特定秘密 shares the row but is a statutory category).
        for level in scheme:
            if level.english == tier:
                return level
        raise UnknownName(
            kind=f"level of {owner} at {tier}",
            name=english,
            known=[lv.english for lv in scheme],
        )

    @staticmethod
    def _check_party(scheme: type[Level], party: str | None, text: str) -> None:
        owner = scheme.__scheme_party__  # type: ignore[attr-defined]
        if party is not None and owner != party:
            raise InputError(f"level {text!r} belongs to {owner}'s scheme, not {party}'s")


def _names(scheme: type[Level]) -> list[str]:
    return [level.name for level in scheme]


def same_scheme(a: type[Level], b: type[Level]) -> bool:
    """Whether two schemes say the same: the same tiers and the same levels."""
    return tiers_of(a) == tiers_of(b) and [m.spec for m in a] == [m.spec for m in b]


# Scheme files (gsomia/scheme-v1) ------------------------------------------------------------

_PARTY = re.compile(r"^[A-Z]{3}$")
_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,39}$")
_TIER = re.compile(r"^[A-Z][A-Z0-9 -]{0,39}$")
_TOP = frozenset({"format", "party", "title", "tiers", "levels"})
_LEVEL = frozenset({"code", "native", "romanised", "english", "rank", "aliases", "note"})


def parse_scheme(text: str, *, where: str) -> type[Level]:
    """The scheme a scheme file (``gsomia/scheme-v1``) states.

    Raises :class:`AgreementFileError` naming ``where``, the dotted field that is wrong and
    what is wrong with it (``gbr.toml: levels.3.english: ...``).
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AgreementFileError(path=where, field="(syntax)", problem=str(exc)) from None
    return scheme_from(raw, where=where)


def scheme_from(raw: Mapping[str, Any], *, where: str) -> type[Level]:
    """The scheme of a parsed scheme file; raises :class:`AgreementFileError` as
    :func:`parse_scheme` does."""
    _check_top(raw, where)
    party = _text(raw, "party", where, pattern=_PARTY)
    tiers = _tiers(raw.get("tiers"), where)
    levels = raw.get("levels")
    if not isinstance(levels, list) or not levels:
        raise AgreementFileError(path=where, field="levels", problem="needs one or more [[levels]]")
    specs = [_level(entry, f"levels.{i}", where, tiers) for i, entry in enumerate(levels)]
    try:
        return make_scheme(party, specs, tiers=tiers)
    except InputError as exc:
        raise AgreementFileError(path=where, field="levels", problem=str(exc)) from None


def _check_top(raw: Mapping[str, Any], where: str) -> None:
    if raw.get("format") != SCHEME_FORMAT:
        raise AgreementFileError(path=where, field="format", problem=f"must be {SCHEME_FORMAT!r}")
    _only(raw, _TOP, "", where)
    if not isinstance(raw.get("title", ""), str):
        raise AgreementFileError(path=where, field="title", problem="must be text")


def _only(raw: Mapping[str, Any], known: frozenset[str], prefix: str, where: str) -> None:
    for key in raw:
        if key not in known:
            allowed = ", ".join(sorted(known))
            raise AgreementFileError(
                path=where, field=prefix + key, problem=f"unknown key; known: {allowed}"
            )


def _text(
    raw: Mapping[str, Any], key: str, where: str, *, prefix: str = "", pattern: re.Pattern[str]
) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not pattern.fullmatch(value.strip()):
        raise AgreementFileError(
            path=where, field=prefix + key, problem=f"must be text matching {pattern.pattern}"
        )
    return value.strip()


def _tiers(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise AgreementFileError(
            path=where, field="tiers", problem="must list the English tiers, highest first"
        )
    for i, tier in enumerate(value):
        if not isinstance(tier, str) or not _TIER.fullmatch(tier):
            raise AgreementFileError(
                path=where, field=f"tiers.{i}", problem=f"must be capitals ({_TIER.pattern})"
            )
    if len(set(value)) != len(value):
        raise AgreementFileError(path=where, field="tiers", problem="a tier is listed twice")
    return tuple(value)


def _level(entry: object, field: str, where: str, tiers: tuple[str, ...]) -> LevelSpec:
    if not isinstance(entry, dict):
        raise AgreementFileError(path=where, field=field, problem="must be a table")
    _only(entry, _LEVEL, field + ".", where)
    word = re.compile(r"^\S.*$", re.DOTALL)
    rank = entry.get("rank")
    if isinstance(rank, bool) or not isinstance(rank, int) or not 1 <= rank <= 1000:
        raise AgreementFileError(
            path=where, field=f"{field}.rank", problem="must be a whole number from 1 to 1000"
        )
    aliases = entry.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a for a in aliases):
        raise AgreementFileError(
            path=where, field=f"{field}.aliases", problem="must be a list of names"
        )
    note = entry.get("note", "")
    if not isinstance(note, str):
        raise AgreementFileError(path=where, field=f"{field}.note", problem="must be text")
    english = _text(entry, "english", where, prefix=field + ".", pattern=_TIER)
    if english not in tiers:
        raise AgreementFileError(
            path=where, field=f"{field}.english", problem=f"not one of the tiers {list(tiers)}"
        )
    return LevelSpec(
        code=_text(entry, "code", where, prefix=field + ".", pattern=_CODE),
        native=_text(entry, "native", where, prefix=field + ".", pattern=word),
        romanised=_text(entry, "romanised", where, prefix=field + ".", pattern=word),
        english=english,
        rank=rank,
        aliases=tuple(aliases),
        note=note,
    )


@functools.cache
def builtin_schemes() -> SchemeRegistry:
    """The schemes of Japan, the Republic of Korea and the United States: every scheme file
    shipped in ``gsomia/core/schemes/``, read once."""
    folder = resources.files(__package__).joinpath("schemes")
    registry = SchemeRegistry()
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            text = entry.read_text(encoding="utf-8")
            where = f"gsomia/core/schemes/{entry.name}"
            registry = registry.with_scheme(parse_scheme(text, where=where))
    return registry
