"""A malformed scenario data file is refused with the file, the entry and the field named."""

from __future__ import annotations

import re
from datetime import date, time

import pytest

from gsomia.errors import InputError
from gsomia.warning.scenario.data_files import data_text
from gsomia.warning.scenario.launches import parse_dated_launches
from gsomia.warning.scenario.missiles import parse_missile_classes
from gsomia.warning.scenario.sensor_catalogue import parse_sensors
from gsomia.warning.scenario.sites import parse_launch_sites

_SITE = """
[[site]]
key = "test-site"
name = "A test site"
lat_deg = 39.5
lon_deg = 125.5
approximate = true
"""

_MISSILE = """
[[missile]]
key = "test-missile"
name = "A test missile"
aliases = ["tm"]
propellant = "solid"
vertical_rise_s = 4.0
pitch_over_s = 14.0
boost_beta = 20_000.0
boost_rcs_m2 = 0.5
payload_beta = 12_000.0
payload_rcs_m2 = 0.3
separates = false
[[missile.stages]]
burn_time_s = 38.0
isp_s = 245.0
propellant_fraction = 0.781
spent_beta = 4000.0
spent_rcs_m2 = 0.3
"""


def _refused(parse: object, text: str, where: str, field: str, problem: str) -> None:
    assert callable(parse)
    with pytest.raises(InputError, match=re.escape(f"{where}: {field}: ") + problem):
        parse(text, where)


def test_the_well_formed_samples_load() -> None:
    (site,) = parse_launch_sites(_SITE, "s.toml")
    assert (site.key, site.lat_deg, site.height_m, site.aliases) == ("test-site", 39.5, 0.0, ())
    (missile,) = parse_missile_classes(_MISSILE, "m.toml")
    assert missile.stages[0].isp_s == 245.0
    assert missile.pull_up is None


@pytest.mark.parametrize(
    ("edit", "field", "problem"),
    [
        (("lat_deg = 39.5\n", ""), "site[test-site].lat_deg", "required field missing"),
        (("lat_deg = 39.5", 'lat_deg = "39.5"'), "site[test-site].lat_deg", "expected a number"),
        (("approximate = true", "approximate = 1"), "site[test-site].approximate", "expected true"),
        (("lon_deg = 125.5", "lon_deg = true"), "site[test-site].lon_deg", "expected a number"),
        (("approximate", "aliases = [1]\napproximate"), "site[test-site].aliases[0]", "expected"),
        (("approximate", "height = 3.0\napproximate"), "site[test-site].height", "unknown field"),
        (("key = ", "kee = "), "site[A test site].kee", "unknown field"),
        (("[[site]]", "[[sites]]"), "sites", "unknown table"),
        (("[[site]]", "[[site]"), "(syntax)", ""),
    ],
)
def test_a_bad_site_names_the_file_entry_and_field(
    edit: tuple[str, str], field: str, problem: str
) -> None:
    text = _SITE.replace(*edit)
    assert text != _SITE
    _refused(parse_launch_sites, text, "sites.toml", field, problem)


@pytest.mark.parametrize(
    ("edit", "field", "problem"),
    [
        (("isp_s = 245.0\n", ""), "missile[test-missile].stages[0].isp_s", "required field"),
        (("isp_s = 245.0", 'isp_s = "fast"'), "missile[test-missile].stages[0].isp_s", "expected"),
        (("separates = false", 'separates = "no"'), "missile[test-missile].separates", "expected"),
        (('aliases = ["tm"]', 'aliases = "tm"'), "missile[test-missile].aliases", "expected an"),
        (
            ("propellant_fraction = 0.781", "propellant_fraction = 1.2"),
            "missile[test-missile].stages[0]",
            "propellant fraction must be in",
        ),
        (
            ("separates = false", "separates = false\npull_up = 3"),
            "missile[test-missile].pull_up",
            "expected a table",
        ),
    ],
)
def test_a_bad_missile_names_the_file_entry_and_field(
    edit: tuple[str, str], field: str, problem: str
) -> None:
    text = _MISSILE.replace(*edit)
    assert text != _MISSILE
    _refused(parse_missile_classes, text, "missiles.toml", field, problem)


def test_a_name_used_twice_is_refused() -> None:
    twice = _SITE + _SITE.replace('key = "test-site"', 'key = "other"\naliases = ["test-site"]')
    with pytest.raises(InputError, match=r"sites\.toml: site\[other\]: the name 'test-site'"):
        parse_launch_sites(twice, "sites.toml")


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(InputError, match=r"m\.toml: missile: expected one or more"):
        parse_missile_classes("", "m.toml")


@pytest.mark.parametrize("name", ["missiles.toml", "sites.toml", "sensors.toml", "launches.toml"])
def test_the_packaged_files_keep_their_source_notes(name: str) -> None:
    text = data_text(name)
    assert text.startswith("# ")
    assert "spec/missile-scenario.md" in text


_SENSORS = """
[[radar_type]]
key = "test-type"
kind = "Test radar"
party = "JPN"
reach_m = 1.0e6
elevation_mask_deg = 1.0
revisit_s = 2.0
wavelength_m = 0.10
aperture_m = 4.0
range_resolution_m = 30.0

[[radar]]
name = "Test radar one"
type = "test-type"
lat_deg = 35.0
lon_deg = 135.0
height_m = 10.0
approximate = true
in_service = 2010-01-01

[[infrared]]
name = "Test infrared"
party = "USA"
in_service = 1970-11-06
delay_s = 60.0
delay_sigma_s = 10.0
position_sigma_m = 5000.0
azimuth_sigma_deg = 5.0
"""


def test_a_well_formed_sensor_file_loads_with_the_beamwidth_computed() -> None:
    (radar,), (infrared,) = parse_sensors(_SENSORS, "s.toml")
    assert radar.beamwidth_rad == 0.886 * 0.10 / 4.0
    assert (radar.party, radar.max_range_m, radar.in_service) == ("JPN", 1.0e6, date(2010, 1, 1))
    assert infrared.in_service == date(1970, 11, 6)


@pytest.mark.parametrize(
    ("edit", "field", "problem"),
    [
        (('type = "test-type"', 'type = "fps-9"'), "radar[Test radar one].type", "unknown radar"),
        (("height_m = 10.0\n", ""), "radar[Test radar one].height_m", "required: type"),
        (('party = "JPN"\n', ""), "radar[Test radar one].party", "required: type"),
        (
            ("in_service = 2010-01-01", 'in_service = "2010"'),
            "radar[Test radar one].in_service",
            "expected a date",
        ),
        (
            ("in_service = 2010-01-01", "in_service = 2010-01-01T00:00:00"),
            "radar[Test radar one].in_service",
            "expected a date",
        ),
        (("aperture_m = 4.0", "aperture = 4.0"), "radar_type[test-type].aperture", "unknown"),
        (("delay_s = 60.0\n", ""), "infrared[Test infrared].delay_s", "required field missing"),
        (("revisit_s = 2.0", "revisit_s = -2.0"), "radar[Test radar one]", "Test radar one: "),
        (
            ('name = "Test infrared"', 'name = "Test radar one"'),
            "infrared[Test radar one]",
            "the name 'Test radar one' is used twice",
        ),
    ],
)
def test_a_bad_sensor_names_the_file_entry_and_field(
    edit: tuple[str, str], field: str, problem: str
) -> None:
    text = _SENSORS.replace(*edit)
    assert text != _SENSORS
    _refused(parse_sensors, text, "sensors.toml", field, problem)


_LAUNCH = """
[[launch]]
key = "2099-01-02"
day = 2099-01-02
local_time = 07:30:00
missile = "kn23"
site = "sohae"
bearing_deg = 90.0
bearing_basis = "test"
fit_basis = "test"
[[launch.rounds]]
offset_s = 0.0
apogee_km = 50.0
range_km = 400.0
[[launch.reported]]
source = "Japan MOD"
missiles = 2
"""


def test_a_well_formed_launch_loads_and_a_left_out_time_is_none() -> None:
    (launch,) = parse_dated_launches(_LAUNCH, "l.toml")
    assert (launch.local_time, launch.reported[0].missiles) == (time(7, 30), 2)
    assert launch.reported[0].apogee_km is None
    (noon,) = parse_dated_launches(_LAUNCH.replace("local_time = 07:30:00\n", ""), "l.toml")
    assert noon.local_time is None


@pytest.mark.parametrize(
    ("edit", "field", "problem"),
    [
        (('site = "sohae"', 'site = "atlantis"'), "launch[2099-01-02].site", "unknown launch site"),
        (('missile = "kn23"', 'missile = "v-2"'), "launch[2099-01-02].missile", "unknown missile"),
        (("bearing_deg = 90.0\n", ""), "launch[2099-01-02].bearing_deg", "required field missing"),
        (
            ("local_time = 07:30:00", 'local_time = "07:30"'),
            "launch[2099-01-02].local_time",
            "expected a local time",
        ),
        (
            ("missiles = 2", "missiles = 2.0"),
            "launch[2099-01-02].reported[0].missiles",
            "expected an integer",
        ),
        (
            ("range_km = 400.0", 'range_km = "far"'),
            "launch[2099-01-02].rounds[0].range_km",
            "expected a number",
        ),
        (
            (
                "[[launch.rounds]]\noffset_s = 0.0\napogee_km = 50.0\nrange_km = 400.0\n",
                "rounds = []\n",
            ),
            "launch[2099-01-02].rounds",
            "a launch needs at least one round",
        ),
        (
            ("[[launch.reported]]", "[[launch.reports]]"),
            "launch[2099-01-02].reports",
            "unknown field",
        ),
    ],
)
def test_a_bad_launch_names_the_file_entry_and_field(
    edit: tuple[str, str], field: str, problem: str
) -> None:
    text = _LAUNCH.replace(*edit)
    assert text != _LAUNCH
    _refused(parse_dated_launches, text, "launches.toml", field, problem)


def test_a_launch_date_used_twice_is_refused() -> None:
    with pytest.raises(InputError, match=r"launches\.toml: launch\[2099-01-02\]: the name"):
        parse_dated_launches(_LAUNCH + _LAUNCH, "launches.toml")
