from __future__ import annotations

from pathlib import Path

import pytest

from gsomia.agreement_files import load_library
from gsomia.core.agreements import Agreement, AgreementLibrary
from gsomia.core.classification import SchemeRegistry, builtin_schemes
from gsomia.core.rules import Rulebook

DATA = Path(__file__).resolve().parents[2] / "data" / "agreements"


@pytest.fixture(scope="session")
def library() -> AgreementLibrary:
    return load_library([])


@pytest.fixture(scope="session")
def rulebook(library: AgreementLibrary) -> Rulebook:
    return Rulebook(library.agreements)


@pytest.fixture(scope="session")
def schemes() -> SchemeRegistry:
    return builtin_schemes()


@pytest.fixture(scope="session")
def jk(library: AgreementLibrary) -> Agreement:
    return library.get("jpn-kor-gsomia")


@pytest.fixture(scope="session")
def tisa(library: AgreementLibrary) -> Agreement:
    return library.get("tisa")
