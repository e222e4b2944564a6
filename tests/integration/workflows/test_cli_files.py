"""Files at the node's edge (security review M5, L7, L5): private homes, bounded reads of
operator-given files, no writing through a symbolic link, and odd dates refused with one
clear sentence, never a traceback."""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from gsomia.bootstrap import PRIVATE_FILES, secure_home
from gsomia.cli.main import app
from tests.support.cli import code, deliver, env, invoke, make_homes, ok, rows
from tests.support.workflows import SECRET

LOOSE = 0o022


def invoke_bare(*args: str) -> Result:
    """The main command in-process, without ``--home``."""
    return CliRunner().invoke(app, list(args), env=env())


def _args(text: str) -> list[str]:
    """A command line's words."""
    return shlex.split(text)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture(scope="module")
def homes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Path], str]]:
    """JPN and KOR homes; an item JPN provided and KOR holds; JPN's PKI."""
    root = tmp_path_factory.mktemp("files")
    made = make_homes(root)
    (root / "w.txt").write_bytes(b"launch point 39.0N 125.7E")
    item = ok(
        made["JPN"],
        "provide",
        str(root / "w.txt"),
        "--to",
        "KOR",
        "--level",
        "極秘",
        "--topic",
        "nk-missile",
        "--purpose",
        "w",
        "--as",
        "jpn-officer",
    )["items"][0]
    deliver(made)
    ok(made["KOR"], "audit", "checkpoint")
    ok(made["JPN"], "pki", "init", "--party", "JPN")
    yield root, made, item


def _process(cwd: Path, *args: str, umask: int = LOOSE) -> subprocess.CompletedProcess[str]:
    """``python -m gsomia ARGS`` as a real process started with ``umask``."""
    return subprocess.run(
        [sys.executable, "-m", "gsomia", *args],
        cwd=cwd,
        env=env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        preexec_fn=lambda: os.umask(umask),
    )


# M5: a node home is the owner's only ---------------------------------------------------------

#: The registry a new home is founded with: its first security officer and facility.
FOUNDING = ("--officer", "duty-officer", "--facility", "hq")
#: The clearance of that officer, a level of each party's scheme.
CLEARED = {"JPN": ("--clearance", "極秘"), "KOR": ("--clearance", "군사II급비밀")}


def test_node_init_makes_a_private_home_under_a_loose_umask(tmp_path: Path) -> None:
    done = _process(
        tmp_path, "node", "init", "--party", "KOR", "--home", "kor", *FOUNDING, *CLEARED["KOR"]
    )
    assert done.returncode == 0, done.stderr
    home = tmp_path / "kor"
    assert mode(home) == 0o700 and mode(home / "partners") == 0o700
    for name in ("node.toml", "keyring.gsk", "trusted-keys", "node.db"):
        assert mode(home / name) == 0o600, name
    status = _process(tmp_path, "node", "status", "--home", "kor")
    assert status.returncode == 0, status.stderr
    from gsomia.bootstrap import open_node
    from gsomia.crypto import MasterSecret

    previous = os.umask(LOOSE)
    try:
        node = open_node(home, master=MasterSecret.from_text(SECRET))
        # The WAL and shared memory exist now.
        node.registry.add_facility(facility_id="kor-depot", name="Depot", by="duty-officer")
        for name in ("node.db-wal", "node.db-shm"):
            assert mode(home / name) == 0o600, name
        node.ctx.store.close()
    finally:
        os.umask(previous)


def test_a_loose_home_is_tightened_when_the_node_starts(tmp_path: Path) -> None:
    founded = _process(
        tmp_path, "node", "init", "--party", "JPN", "--home", "jpn", *FOUNDING, *CLEARED["JPN"]
    )
    assert founded.returncode == 0, founded.stderr
    home = tmp_path / "jpn"
    (home / "node.log").write_text("earlier run\n")
    home.chmod(0o755)
    (home / "partners").chmod(0o755)
    for name in PRIVATE_FILES:
        if (home / name).exists():
            (home / name).chmod(0o644)
    changed = secure_home(home)
    assert home in changed and home / "node.db" in changed and home / "node.log" in changed
    assert mode(home) == 0o700
    assert all(mode(home / n) == 0o600 for n in PRIVATE_FILES if (home / n).exists())
    assert secure_home(home) == []
    # `node run` does the same before it opens anything (here it then stops: no PKI yet).
    from gsomia.crypto import MasterSecret
    from gsomia.errors import GsomiaError
    from gsomia.runtime import NodeRuntime

    (home / "node.db").chmod(0o644)
    home.chmod(0o750)
    with pytest.raises(GsomiaError):
        NodeRuntime.start(home, master=MasterSecret.from_text(SECRET))
    assert (mode(home), mode(home / "node.db")) == (0o700, 0o600)


# L7: reading operator-given files is bounded ---------------------------------------------------


def _fifo(tmp_path: Path) -> Path:
    path = tmp_path / "keys.fifo"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["keys", "import", "{src}", "--agreement", "jpn-kor-gsomia"],
        ["pki", "trust", "--party", "KOR", "--ca", "{src}"],
        ["audit", "check-proof", "{src}"],
        _args(
            "provide {src} --to KOR --level 極秘 --topic nk-missile --purpose w --as jpn-officer"
        ),
    ],
)
@pytest.mark.timeout(60)
def test_a_fifo_or_a_device_is_refused_at_once_not_read(
    homes: tuple[Path, dict[str, Path], str], tmp_path: Path, args: list[str]
) -> None:
    _, made, _ = homes
    jpn = made["JPN"]
    before = rows(jpn)
    fifo = _fifo(tmp_path)
    for source in (str(fifo), "/dev/zero", str(tmp_path)):
        command = [a.replace("{src}", source) for a in args]
        result = invoke(jpn, *command)
        assert code(result) == 2, (command, result.output, result.exception)
        assert "not a regular file" in str(result.exception)
    assert rows(jpn) == before
    # A real process: one sentence on stderr, no traceback.
    done = _process(tmp_path, *[a.replace("{src}", str(fifo)) for a in args], "--home", str(jpn))
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr


def test_an_oversized_key_file_is_refused_by_its_size(
    homes: tuple[Path, dict[str, Path], str], tmp_path: Path
) -> None:
    _, made, _ = homes
    big = tmp_path / "big.keys"
    with big.open("wb") as f:
        f.truncate(2 * 1024 * 1024)
    result = invoke(made["KOR"], "keys", "import", str(big), "--agreement", "jpn-kor-gsomia")
    assert code(result) == 2
    assert "the limit is 1048576" in str(result.exception)


# L7: --out never writes through a symbolic link ------------------------------------------------


@pytest.mark.parametrize(
    ("home", "args"),
    [
        ("JPN", ["keys", "export", "--out", "{out}"]),
        ("JPN", ["pki", "export-ca", "--out", "{out}"]),
        ("KOR", ["open", "{item}", "--as", "kor-official", "--out", "{out}"]),
        ("KOR", ["audit", "prove", "{item}", "--out", "{out}"]),
    ],
)
def test_no_command_writes_through_a_symbolic_link(
    homes: tuple[Path, dict[str, Path], str], tmp_path: Path, home: str, args: list[str]
) -> None:
    _, made, item = homes
    target = tmp_path / "precious"
    target.write_bytes(b"do not overwrite")
    link = tmp_path / "out.pem"
    link.symlink_to(target)
    command = [a.replace("{out}", str(link)).replace("{item}", item) for a in args]
    result = invoke(made[home], *command)
    assert code(result) == 2, (command, result.output, result.exception)
    assert "symbolic link" in str(result.exception)
    assert target.read_bytes() == b"do not overwrite"
    assert link.is_symlink()
    dangling = tmp_path / "dangling.pem"
    dangling.symlink_to(tmp_path / "nowhere" / "x")
    command = [a.replace("{out}", str(dangling)).replace("{item}", item) for a in args]
    assert code(invoke(made[home], *command)) == 2
    assert not (tmp_path / "nowhere").exists()
    plain = tmp_path / "plain.out"
    command = [a.replace("{out}", str(plain)).replace("{item}", item) for a in args]
    assert code(invoke(made[home], *command)) == 0
    assert plain.is_file() and not plain.is_symlink()


@pytest.mark.parametrize("command", [["demo", "--quick"], ["value", "--quick", "--no-plots"]])
def test_report_folders_with_links_are_refused(tmp_path: Path, command: list[str]) -> None:
    target = tmp_path / "elsewhere"
    target.mkdir()
    (tmp_path / "report").symlink_to(target)
    linked = invoke_bare(*command, "--out", str(tmp_path / "report"))
    assert code(linked) == 2 and "symbolic link" in str(linked.exception)
    real = tmp_path / "real"
    real.mkdir()
    (real / "value.json").symlink_to(target / "stolen.json")
    holding = invoke_bare(*command, "--out", str(real))
    assert code(holding) == 2 and "value.json" in str(holding.exception)
    assert list(target.iterdir()) == []


# L5: odd dates on the command line: one sentence, exit 2 ---------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        _args("check send --from JPN --to KOR --level 極秘 --topic x --on 9999-12-31"),
        ["agreement", "status", "jpn-kor-gsomia", "--on", "0001-01-01T00:00+09:00"],
        ["agreement", "status", "tisa", "--on", "9999-12-31T23:59:59-12:00"],
        ["agreements", "--on", "1899-12-31"],
    ],
)
def test_odd_dates_in_what_if_commands_get_exit_2_and_no_traceback(
    tmp_path: Path, args: list[str]
) -> None:
    from gsomia.errors import InputError

    result = invoke_bare(*args)
    assert isinstance(result.exception, InputError), result.output
    assert code(result) == 2
    assert "outside the years 1900 to 2999" in str(result.exception)
    if args[0] == "check":  # and as an operator sees it: one sentence, no traceback
        done = _process(tmp_path, *args)
        assert done.returncode == 2, done.stderr
        assert "outside the years 1900 to 2999" in " ".join(done.stderr.split())
        assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "args",
    [
        _args("person add p9 --name x --clearance 秘 --expires 9999-12-31 --as jpn-officer"),
        _args(
            "agreement notice jpn-usa-gsomia --as jpn-officer --text x "
            "--terminates-at 9999-12-31T23:59:59-12:00"
        ),
        _args(
            "law notify --agreement jpn-kor-gsomia --title t --summary s "
            "--effective-on 0001-01-01 --as jpn-officer"
        ),
        _args(
            "provide {file} --to KOR --level 極秘 --topic nk-missile --purpose w "
            "--as jpn-officer --review-on 3000-01-01"
        ),
    ],
)
def test_odd_dates_in_acts_are_refused_and_nothing_is_stored(
    homes: tuple[Path, dict[str, Path], str], args: list[str]
) -> None:
    root, made, _ = homes
    jpn = made["JPN"]
    before = rows(jpn)
    command = [a.replace("{file}", str(root / "w.txt")) for a in args]
    result = invoke(jpn, *command)
    assert code(result) == 2, (result.output, result.exception)
    assert "outside the years 1900 to 2999" in str(result.exception)
    assert rows(jpn) == before
