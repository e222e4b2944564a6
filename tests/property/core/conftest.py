from __future__ import annotations

import pytest

from gsomia.agreement_files import load_library
from gsomia.core.agreements import AgreementLibrary
from gsomia.core.rules import Rulebook


@pytest.fixture(scope="session")
def library() -> AgreementLibrary:
    return load_library([])


@pytest.fixture(scope="session")
def rulebook(library: AgreementLibrary) -> Rulebook:
    return Rulebook(library.agreements)
