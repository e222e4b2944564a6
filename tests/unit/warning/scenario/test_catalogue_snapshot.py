"""The scenario catalogues read from data files equal the catalogues written as code before.

``catalogue_snapshot.json`` holds the ``repr`` of every catalogue entry as the code built it
before the data moved to TOML: every field of every entry, floats to the last digit. A value
lost, rounded or reordered on the way to the data files changes a ``repr`` and fails here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from gsomia.warning.scenario.launches import dated_launch, dated_launches
from gsomia.warning.scenario.missiles import missile_class, missile_classes
from gsomia.warning.scenario.sensor_catalogue import infrared_satellites, radars
from gsomia.warning.scenario.sites import launch_site, launch_sites

_SNAPSHOT = json.loads(
    (Path(__file__).with_name("catalogue_snapshot.json")).read_text(encoding="utf-8")
)

_CATALOGUES: dict[str, Callable[[], Sequence[object]]] = {
    "missile_classes": missile_classes,
    "launch_sites": launch_sites,
    "radars": radars,
    "infrared_satellites": infrared_satellites,
    "dated_launches": dated_launches,
}


@pytest.mark.parametrize("name", sorted(_CATALOGUES))
def test_catalogue_entries_equal_the_snapshot(name: str) -> None:
    assert [repr(entry) for entry in _CATALOGUES[name]()] == _SNAPSHOT[name]


def test_every_key_and_alias_still_finds_its_entry() -> None:
    for missile in missile_classes():
        for alias in (missile.key, *missile.aliases):
            assert missile_class(alias.upper()) is missile
    for site in launch_sites():
        for alias in (site.key, *site.aliases):
            assert launch_site(f" {alias} ") is site
    for launch in dated_launches():
        assert dated_launch(launch.key) is launch
