"""Agreement files: TOML on disk to validated :class:`~gsomia.core.agreements.Agreement` values.

The format (``gsomia/agreement-v1``) is documented in ``docs/formats/agreement-v1.md``. A bad
file is reported with its path, the dotted field that is wrong and what is wrong with it
(:class:`~gsomia.errors.AgreementFileError`); nothing half-loaded is returned. A user adds an
agreement by dropping a file in a directory on ``GSOMIA_AGREEMENTS_PATH``; no code changes.

A folder may also hold scheme files (``gsomia/scheme-v1``, ``docs/formats/scheme-v1.md``):
the classification scheme of a party gsomia does not ship. :func:`load_library` reads every
scheme first, then builds every agreement against all of them, so the order in which files
and folders are read never changes the result.
"""

from __future__ import annotations

import logging
import os
import tomllib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from difflib import get_close_matches
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, field_validator

from gsomia.core.agreements import (
    Agreement,
    AgreementEvent,
    AgreementLibrary,
    Boundary,
    EquivalenceRow,
    EventKind,
    LegalNature,
    Party,
    Route,
    Term,
    WarningWindow,
)
from gsomia.core.classification import (
    ENGLISH_TIERS,
    SCHEME_FORMAT,
    Level,
    LevelSpec,
    SchemeRegistry,
    builtin_schemes,
    make_scheme,
    same_scheme,
    scheme_from,
    tiers_of,
)
from gsomia.core.lifecycle import notice_termination
from gsomia.core.rules.catalogue import known_keys
from gsomia.core.rules.warning import WARNING_FIELDS
from gsomia.errors import AgreementFileError, GsomiaError

__all__ = [
    "agreements_path",
    "builtin_agreements_dir",
    "load_agreement",
    "load_library",
    "load_scheme",
]

_logger = logging.getLogger(__name__)

FORMAT = "gsomia/agreement-v1"
_ID = r"^[a-z0-9][a-z0-9-]{1,62}$"
_PARTY = r"^[A-Z]{3}$"
_RULE = r"^[A-Z]{2,4}-[A-Za-z0-9._-]{1,24}$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("must carry a UTC offset, e.g. 2016-11-23T00:00:00+09:00")
    return value


AwareTime = Annotated[datetime, Field()]


class _PartyModel(_Model):
    code: str = Field(pattern=_PARTY)
    name: str = Field(min_length=1)
    competent_authority: str = Field(min_length=1)


class _LevelModel(_Model):
    code: str = Field(pattern=r"^[A-Z][A-Z0-9_]{0,39}$")
    native: str = Field(min_length=1)
    romanised: str = Field(min_length=1)
    english: Literal["TOP SECRET", "SECRET", "CONFIDENTIAL"]
    rank: int = Field(ge=1, le=1000)
    aliases: list[str] = []


class _SchemeModel(_Model):
    """A scheme declared inside an agreement file (the first home of a new party's scheme,
    still read); its tiers are the three of :data:`ENGLISH_TIERS`."""

    party: str = Field(pattern=_PARTY)
    levels: list[_LevelModel] = Field(min_length=1)


class _ScopeModel(_Model):
    topics: list[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")]] = []
    description: str = ""


class _RouteModel(_Model):
    kind: Literal["direct", "hub"]
    hub: str | None = Field(default=None, pattern=_PARTY)
    consent_required: bool = False
    realtime: bool = False


class _TermModel(_Model):
    entry_into_force: datetime
    initial_years: int = Field(default=1, ge=1, le=100)
    renewal_years: int | None = Field(default=None, ge=1, le=100)
    automatic_renewal: bool = True
    notice_days: int = Field(default=90, ge=0, le=3650)
    indefinite: bool = False
    renewal_boundary: str = ""

    _aware = field_validator("entry_into_force")(_aware)


class _BoundaryModel(_Model):
    at: datetime
    source: str = Field(min_length=1)

    _aware = field_validator("at")(_aware)


class _EventModel(_Model):
    id: str = Field(pattern=_ID)
    kind: EventKind
    by: str = Field(pattern=_PARTY)
    at: datetime
    note: str = ""
    of: list[str] | str = []
    terminates_at: datetime | None = None
    terminates_at_source: str = "recorded in the agreement file"
    terminates_at_alternatives: list[_BoundaryModel] = []

    _aware = field_validator("at", "terminates_at")(_aware)


class _PayloadModel(_Model):
    """What a shared warning may carry (RT-1), whether it must name no sensor (RT-3), and
    when it may be shared (RT-2)."""

    fields: list[str] = []
    strip_sensor_identity: StrictBool = False
    window: WarningWindow = WarningWindow.UNTIL_IMPACT

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, value: list[str]) -> list[str]:
        for name in value:
            if name not in WARNING_FIELDS:
                raise ValueError(f"{name!r} is not one of {', '.join(WARNING_FIELDS)}")
        return value


class _ContractorsModel(_Model):
    """The conditions a contractor facility must meet before it receives items (JK-16.x),
    and those that fall due again (JK-16(g): periodic inspections)."""

    conditions: dict[
        Annotated[str, Field(pattern=r"^[a-z][a-z0-9]{0,7}$")], Annotated[str, Field(min_length=1)]
    ] = Field(min_length=1)
    periodic_days: dict[str, Annotated[int, Field(ge=1, le=3650)]] = {}


class _AgreementModel(_Model):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    format: Literal["gsomia/agreement-v1"]
    id: str = Field(pattern=_ID)
    version: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")
    title: str = Field(min_length=1)
    short_name: str = Field(min_length=1)
    kind: Literal["gsomia", "arrangement", "mechanism"]
    legal_nature: LegalNature
    timezone: str = Field(pattern=r"^[+-](0\d|1[0-4]):[0-5]\d$")
    rule_prefix: str = Field(pattern=r"^[A-Z]{2,4}$")
    basis: list[str] = []
    schemes: list[_SchemeModel] = []
    parties: list[_PartyModel] = Field(min_length=2)
    equivalence: list[dict[str, Any]] = Field(min_length=1)
    scope: _ScopeModel = _ScopeModel()
    route: _RouteModel
    payload: _PayloadModel = _PayloadModel()
    contractors: _ContractorsModel | None = None
    term: _TermModel
    rules: dict[str, Annotated[str, Field(pattern=_RULE)]]
    events: list[_EventModel] = []


def builtin_agreements_dir() -> Path:
    """The directory of agreement files shipped with gsomia."""
    packaged = Path(__file__).parent / "_data" / "agreements"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "agreements"


def load_agreement(path: Path, *, schemes: SchemeRegistry | None = None) -> Agreement:
    """Load and validate one agreement file.

    ``schemes`` are the schemes its parties' levels are read in (the built-in ones if not
    given), with any the file itself declares. Raises :class:`AgreementFileError` naming the
    file, the field and the problem.
    """
    model = _validate(str(path), _read(path))
    return _Builder(model, str(path), schemes or builtin_schemes()).build()


def load_scheme(path: Path) -> SchemeRegistry:
    """The built-in schemes and the one a scheme file (``gsomia/scheme-v1``) states.

    Raises :class:`AgreementFileError` naming the file, the field and the problem, also when
    the file redefines a built-in scheme differently.
    """
    return _Schemes().add(str(path), scheme_from(_read(path), where=str(path)), "party").registry


def _read(path: Path) -> dict[str, Any]:
    where = str(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AgreementFileError(
            path=where, field="(file)", problem=exc.strerror or str(exc)
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise AgreementFileError(path=where, field="(syntax)", problem=str(exc)) from None


def _validate(where: str, raw: Mapping[str, Any]) -> _AgreementModel:
    try:
        return _AgreementModel.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise AgreementFileError(path=where, field=field, problem=first["msg"]) from None


def _inline_scheme(model: _SchemeModel) -> type[Level]:
    specs = [
        LevelSpec(**lv.model_dump(exclude={"aliases"}), aliases=tuple(lv.aliases))
        for lv in model.levels
    ]
    return make_scheme(model.party, specs, tiers=tuple(ENGLISH_TIERS))


class _Schemes:
    """The schemes of a library as they are gathered, and the file each came from."""

    def __init__(self) -> None:
        self.registry = builtin_schemes()
        self.origin = {code: "the built-in schemes" for code in self.registry.schemes}

    def add(self, where: str, scheme: type[Level], field: str) -> _Schemes:
        party = str(scheme.__scheme_party__)  # type: ignore[attr-defined]
        known = self.registry.schemes.get(party)
        if known is not None and not same_scheme(known, scheme):
            raise AgreementFileError(
                path=where,
                field=field,
                problem=f"the scheme of {party} is already defined differently in "
                f"{self.origin[party]}",
            )
        self.registry = self.registry.with_scheme(scheme)
        self.origin.setdefault(party, where)
        return self

    def add_inline(self, where: str, model: _AgreementModel) -> None:
        for i, declared in enumerate(model.schemes):
            try:
                scheme = _inline_scheme(declared)
            except GsomiaError as exc:
                raise AgreementFileError(
                    path=where, field=f"schemes.{i}", problem=str(exc)
                ) from None
            self.add(where, scheme, f"schemes.{i}")


class _Builder:
    """Turns a validated model into an :class:`Agreement`, checking cross-references."""

    def __init__(self, model: _AgreementModel, path: str, schemes: SchemeRegistry) -> None:
        self.m = model
        self.path = path
        self.schemes = schemes

    def fail(self, field: str, problem: str) -> AgreementFileError:
        return AgreementFileError(path=self.path, field=field, problem=problem)

    def build(self) -> Agreement:
        m = self.m
        self._add_schemes()
        parties = tuple(Party(**p.model_dump()) for p in m.parties)
        codes = [p.code for p in parties]
        if len(set(codes)) != len(codes):
            raise self.fail("parties", "a party code appears twice")
        for code in codes:
            if code not in self.schemes.schemes:
                raise self.fail(
                    "parties",
                    f"no classification scheme for {code}: add a scheme file "
                    f'(format = "{SCHEME_FORMAT}", party = "{code}") to a folder on the '
                    "agreements path",
                )
        self._check_route(codes)
        self._check_rules()
        contractors = self._contractors()
        agreement = Agreement(
            id=m.id,
            version=m.version,
            title=m.title,
            short_name=m.short_name,
            kind=m.kind,
            legal_nature=m.legal_nature,
            tz=_offset(m.timezone),
            rule_prefix=m.rule_prefix,
            parties=parties,
            equivalence=self._equivalence(codes),
            scope_topics=tuple(m.scope.topics),
            scope_description=m.scope.description,
            route=Route(**m.route.model_dump()),
            term=self._term(),
            events=self._events(codes),
            rule_ids=MappingProxyType(dict(m.rules)),
            schemes=self.schemes,
            basis=tuple(m.basis),
            payload_fields=tuple(m.payload.fields),
            strip_sensor_identity=m.payload.strip_sensor_identity,
            warning_window=m.payload.window,
            contractor_conditions=MappingProxyType(dict(contractors[0])),
            periodic_conditions=MappingProxyType(dict(contractors[1])),
            source_path=self.path,
        )
        self._check_notices(agreement)
        return agreement

    def _add_schemes(self) -> None:
        for i, scheme in enumerate(self.m.schemes):
            try:
                self.schemes = self.schemes.with_scheme(_inline_scheme(scheme))
            except GsomiaError as exc:
                raise self.fail(f"schemes.{i}", str(exc)) from None

    def _check_rules(self) -> None:
        known = known_keys()
        for key in self.m.rules:
            if key not in known:
                near = get_close_matches(key, sorted(known), n=1)
                hint = f"; did you mean {near[0]!r}?" if near else ""
                raise self.fail(f"rules.{key}", f"{key!r} is not a rule key{hint}")

    def _contractors(self) -> tuple[dict[str, str], dict[str, int]]:
        c = self.m.contractors
        if c is None:
            return {}, {}
        for key in c.periodic_days:
            if key not in c.conditions:
                raise self.fail(f"contractors.periodic_days.{key}", "not one of the conditions")
        return dict(c.conditions), dict(c.periodic_days)

    def _check_route(self, codes: list[str]) -> None:
        route = self.m.route
        if route.kind == "hub" and route.hub not in codes:
            raise self.fail("route.hub", "a hub route needs a hub that is one of the parties")
        if route.kind == "direct" and route.hub is not None:
            raise self.fail("route.hub", "a direct route has no hub")

    def _equivalence(self, codes: list[str]) -> tuple[EquivalenceRow, ...]:
        rows: list[EquivalenceRow] = []
        seen: set[str] = set()
        for i, raw in enumerate(self.m.equivalence):
            english = raw.get("english")
            if not isinstance(english, str) or not english:
                raise self.fail(f"equivalence.{i}.english", "must name the row's English tier")
            levels: dict[str, tuple[Level, ...]] = {}
            for party, names in raw.items():
                if party == "english":
                    continue
                if party not in codes:
                    raise self.fail(f"equivalence.{i}.{party}", "not a party to this agreement")
                self._check_tier(f"equivalence.{i}.english", english, party)
                levels[party] = self._levels(f"equivalence.{i}.{party}", party, names, seen)
            if len(levels) < 2:
                raise self.fail(
                    f"equivalence.{i}", "a row needs the levels of at least two parties"
                )
            rows.append(EquivalenceRow(english=english, levels=MappingProxyType(levels)))
        return tuple(rows)

    def _check_tier(self, field: str, english: str, party: str) -> None:
        tiers = tiers_of(self.schemes.scheme(party))
        if english not in tiers:
            raise self.fail(
                field, f"{english!r} is not a tier of {party}'s scheme ({', '.join(tiers)})"
            )

    def _levels(self, field: str, party: str, names: Any, seen: set[str]) -> tuple[Level, ...]:
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise self.fail(field, "must be a non-empty list of level names")
        out: list[Level] = []
        for name in names:
            try:
                level = self.schemes.parse(name, party=party)
            except GsomiaError as exc:
                raise self.fail(field, str(exc)) from None
            if level.ref in seen:
                raise self.fail(field, f"{level.ref} appears in two rows")
            seen.add(level.ref)
            out.append(level)
        return tuple(out)

    def _term(self) -> Term:
        t = self.m.term
        if t.indefinite and t.automatic_renewal and "automatic_renewal" in t.model_fields_set:
            raise self.fail("term", "an indefinite term has no automatic renewal")
        if t.indefinite and t.renewal_years is not None:
            raise self.fail("term.renewal_years", "an indefinite term is never renewed")
        return Term(
            entry_into_force=t.entry_into_force.astimezone(_offset(self.m.timezone)),
            initial_years=t.initial_years,
            renewal_years=t.renewal_years,
            automatic_renewal=t.automatic_renewal and not t.indefinite,
            notice_days=t.notice_days,
            indefinite=t.indefinite,
            renewal_boundary=t.renewal_boundary,
        )

    def _events(self, codes: list[str]) -> tuple[AgreementEvent, ...]:
        events: list[AgreementEvent] = []
        ids: set[str] = set()
        for i, e in enumerate(self.m.events):
            if e.id in ids:
                raise self.fail(f"events.{i}.id", f"{e.id!r} is used twice")
            if e.by not in codes:
                raise self.fail(f"events.{i}.by", f"{e.by} is not a party")
            of = (e.of,) if isinstance(e.of, str) else tuple(e.of)
            for ref in of:
                if ref not in ids:
                    raise self.fail(f"events.{i}.of", f"{ref!r} is not an earlier event")
            if e.kind is not EventKind.NOTICE and (e.terminates_at or e.terminates_at_alternatives):
                raise self.fail(f"events.{i}.terminates_at", "only a notice terminates")
            ids.add(e.id)
            events.append(self._event(e, of))
        return tuple(sorted(events, key=lambda ev: ev.at))

    def _event(self, e: _EventModel, of: tuple[str, ...]) -> AgreementEvent:
        tz = _offset(self.m.timezone)
        ends = None
        if e.terminates_at is not None:
            ends = Boundary(at=e.terminates_at.astimezone(tz), source=e.terminates_at_source)
        return AgreementEvent(
            id=e.id,
            kind=e.kind,
            by=e.by,
            at=e.at.astimezone(tz),
            note=e.note,
            of=of,
            terminates_at=ends,
            alternatives=tuple(
                Boundary(at=b.at.astimezone(tz), source=b.source)
                for b in e.terminates_at_alternatives
            ),
        )

    def _check_notices(self, agreement: Agreement) -> None:
        for i, event in enumerate(agreement.events):
            if event.kind is EventKind.NOTICE:
                try:
                    ends = notice_termination(agreement, event).at
                except GsomiaError as exc:
                    raise self.fail(f"events.{i}.terminates_at", str(exc)) from None
                if ends <= event.at:
                    raise self.fail(f"events.{i}.terminates_at", "must be after the notice")


def _offset(text: str) -> timezone:
    sign = -1 if text.startswith("-") else 1
    hours, minutes = (int(x) for x in text[1:].split(":"))
    if (hours, minutes) == (0, 0):
        return UTC
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def agreements_path(value: str | None = None) -> list[Path]:
    """The folders on ``GSOMIA_AGREEMENTS_PATH`` (or ``value``): separated by ``os.pathsep``
    (``:`` on POSIX), empty entries ignored. Raises :class:`AgreementFileError` for one that
    is not a folder."""
    text = os.environ.get("GSOMIA_AGREEMENTS_PATH", "") if value is None else value
    dirs = [Path(p) for p in text.split(os.pathsep) if p]
    _check_dirs(dirs)
    return dirs


def _check_dirs(dirs: Iterable[Path]) -> None:
    for directory in dirs:
        if not Path(directory).is_dir():
            raise AgreementFileError(
                path=str(directory),
                field="(folder)",
                problem="not a folder; every entry of GSOMIA_AGREEMENTS_PATH must exist",
            )


def load_library(dirs: Iterable[Path] | None = None) -> AgreementLibrary:
    """Load every ``*.toml`` file in the built-in directory and in ``dirs``: scheme files
    (``gsomia/scheme-v1``) and agreement files.

    Without ``dirs``, the folders on ``GSOMIA_AGREEMENTS_PATH`` (:func:`agreements_path`)
    are added. Every scheme is gathered first (the built-in ones, scheme files, and schemes
    an agreement file declares), then every agreement is built against all of them, so the
    order of files and folders never matters. A later file with the same id as an earlier
    one, or a scheme defined differently in two places, is refused. Raises
    :class:`AgreementFileError` for a bad file or a folder that does not exist.
    """
    dirs = agreements_path() if dirs is None else list(dirs)
    _check_dirs(dirs)
    gathered = _Schemes()
    models: list[tuple[str, _AgreementModel]] = []
    for directory in [builtin_agreements_dir(), *dirs]:
        for path in sorted(Path(directory).glob("*.toml")):
            raw = _read(path)
            if raw.get("format") == SCHEME_FORMAT:
                gathered.add(str(path), scheme_from(raw, where=str(path)), "party")
                continue
            models.append((str(path), _validate(str(path), raw)))
            gathered.add_inline(*models[-1])
    found: dict[str, Agreement] = {}
    for where, model in models:
        agreement = _Builder(model, where, gathered.registry).build()
        if agreement.id in found:
            raise AgreementFileError(
                path=where,
                field="id",
                problem=f"{agreement.id!r} is already defined in {found[agreement.id].source_path}",
            )
        found[agreement.id] = agreement
    _check_basis(found)
    _logger.debug("loaded %d agreements", len(found))
    return AgreementLibrary(MappingProxyType(found), gathered.registry)


def _check_basis(found: Mapping[str, Agreement]) -> None:
    for agreement in found.values():
        for basis in agreement.basis:
            if basis not in found:
                raise AgreementFileError(
                    path=agreement.source_path,
                    field="basis",
                    problem=f"{basis!r} is not a known agreement",
                )
