"""National classification schemes: closed, ordered levels per party.

Each party's scheme is an :class:`enum.Enum` of its own (``JPN``, ``KOR``, ``USA`` are built
in; an agreement file may declare the scheme of a new party). Levels compare only within
their own scheme: comparing a Japanese level with a Korean one is a programming error,
because the two are related only through an agreement's equivalence table
(``spec/agreements.md`` §2).

Wherever a level is accepted, three spellings work: the native name (``極秘``), its
romanisation (``Gokuhi``) and the English-equivalent form ``SECRET@JPN``.
"""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from gsomia.errors import InputError, UnknownName

__all__ = [
    "ENGLISH_TIERS",
    "Level",
    "LevelSpec",
    "SchemeRegistry",
    "builtin_schemes",
    "make_scheme",
]

#: The English-equivalent tiers, highest first, and their ranks.
ENGLISH_TIERS: Mapping[str, int] = MappingProxyType(
    {"TOP SECRET": 3, "SECRET": 2, "CONFIDENTIAL": 1}
)


@dataclass(frozen=True, slots=True, kw_only=True)
class LevelSpec:
    """What a scheme says of one level: its names and its rank (higher is more sensitive)."""

    code: str
    native: str
    romanised: str
    english: str
    rank: int
    aliases: tuple[str, ...] = ()
    note: str = ""

    def __post_init__(self) -> None:
        if self.english not in ENGLISH_TIERS:
            raise InputError(
                f"level {self.code}: english equivalent must be one of "
                f"{', '.join(ENGLISH_TIERS)}, not {self.english!r}"
            )


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


def make_scheme(party: str, specs: Iterable[LevelSpec]) -> type[Level]:
    """Build the closed, ordered level enum of one party's scheme.

    Raises :class:`InputError` when a code or name repeats or the scheme is empty.
    """
    spec_list = sorted(specs, key=lambda s: -s.rank)
    if not spec_list:
        raise InputError(f"scheme {party}: a scheme needs at least one level")
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
    return scheme  # type: ignore[no-any-return]


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
        if existing is not None and [m.spec for m in existing] != [m.spec for m in scheme]:
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
            if english in ENGLISH_TIERS:
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
        if tier not in ENGLISH_TIERS:
            raise UnknownName(kind="English equivalent", name=english, known=ENGLISH_TIERS)
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


_JPN = (
    LevelSpec(
        code="KIMITSU",
        native="機密",
        romanised="Kimitsu",
        english="TOP SECRET",
        rank=30,
        note="MDA Secrecy Act: especially grave damage",
    ),
    LevelSpec(
        code="GOKUHI",
        native="極秘",
        romanised="Gokuhi",
        english="SECRET",
        rank=20,
        note="MDA Secrecy Act: grave damage",
    ),
    LevelSpec(
        code="TOKUTEI_HIMITSU",
        native="特定秘密",
        romanised="Tokutei Himitsu",
        english="SECRET",
        rank=20,
        aliases=("Tokutei-Himitsu", "Specially Designated Secret"),
        note="statutory category (2014 Act); the Japan-ROK table pins it to the SECRET row",
    ),
    LevelSpec(code="HI", native="秘", romanised="Hi", english="CONFIDENTIAL", rank=10),
)

_KOR = (
    LevelSpec(
        code="GUNSA_I",
        native="군사I급비밀",
        romanised="Gunsa I-geup Bimil",
        english="TOP SECRET",
        rank=30,
        aliases=("군사1급비밀", "GUNSA I-KUP BI MIL", "I-KUP", "I-geup"),
    ),
    LevelSpec(
        code="GUNSA_II",
        native="군사II급비밀",
        romanised="Gunsa II-geup Bimil",
        english="SECRET",
        rank=20,
        aliases=("군사2급비밀", "GUNSA II-KUP BI MIL", "II-KUP", "II-geup"),
    ),
    LevelSpec(
        code="GUNSA_III",
        native="군사III급비밀",
        romanised="Gunsa III-geup Bimil",
        english="CONFIDENTIAL",
        rank=10,
        aliases=("군사3급비밀", "GUNSA III-KUP BI MIL", "III-KUP", "III-geup"),
    ),
)

_USA = (
    LevelSpec(
        code="TOP_SECRET",
        native="TOP SECRET",
        romanised="TOP SECRET",
        english="TOP SECRET",
        rank=30,
    ),
    LevelSpec(code="SECRET", native="SECRET", romanised="SECRET", english="SECRET", rank=20),
    LevelSpec(
        code="CONFIDENTIAL",
        native="CONFIDENTIAL",
        romanised="CONFIDENTIAL",
        english="CONFIDENTIAL",
        rank=10,
    ),
)

JPNLevel = make_scheme("JPN", _JPN)
KORLevel = make_scheme("KOR", _KOR)
USALevel = make_scheme("USA", _USA)

_BUILTIN = SchemeRegistry(MappingProxyType({"JPN": JPNLevel, "KOR": KORLevel, "USA": USALevel}))


def builtin_schemes() -> SchemeRegistry:
    """The schemes of Japan, the Republic of Korea and the United States."""
    return _BUILTIN
