"""The operator's files, read and written safely: bounded reads, no writing through links.

A node reads files that an operator names (a partner's public keys, an authority bundle, a
proof, the contents to provide, its own settings) and writes files an operator names
(``--out``). Three rules hold for all of them:

* A read is bounded: only a regular file is read, and never more than ``limit`` bytes, so
  a FIFO cannot make a command hang and ``/dev/zero`` cannot exhaust its memory. The file
  is opened without blocking and checked with ``fstat`` on the open descriptor, so it
  cannot be swapped for another between the check and the read.
* A write never follows a symbolic link: a path that is a link is refused, and the data
  goes to a new file made next to it (``O_CREAT | O_EXCL``, which does not follow links)
  and then renamed over the path, so a reader sees the old file or the new one, whole.
* Every failure is an :class:`~gsomia.errors.InputError` that names the path and says what
  is wrong with it.

The node's own files are kept from other accounts: :data:`PRIVATE_DIR` and
:data:`PRIVATE_FILE` are the modes of its home and of the files in it, and
:func:`make_private` tightens them where they are looser.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from gsomia.errors import InputError

__all__ = [
    "PRIVATE_DIR",
    "PRIVATE_FILE",
    "PRIVATE_UMASK",
    "make_private",
    "read_bounded",
    "refuse_link",
    "refuse_links_in",
    "write_file",
]

_logger = logging.getLogger(__name__)

#: The mode of a node's home and of the directories in it: the owner only.
PRIVATE_DIR = 0o700
#: The mode of the files a node keeps: read and write for the owner only.
PRIVATE_FILE = 0o600
#: The umask a node process runs with, so that every file it makes is private.
PRIVATE_UMASK = 0o077
_CHUNK = 64 * 1024


def read_bounded(path: Path, *, limit: int, what: str = "", allow_empty: bool = False) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them.

    Raises :class:`InputError` naming the path when it is missing, not a regular file (a
    FIFO, a device, a directory), empty (unless ``allow_empty``), or larger than ``limit``
    bytes.
    """
    name = f"{what} {path}".strip()
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise InputError(f"cannot read {name}: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{name} is not a regular file; give a file, not a pipe or device")
        if info.st_size > limit:
            raise InputError(f"{name} is {info.st_size} bytes; the limit is {limit}")
        data = _read_up_to(fd, limit + 1, name)
    finally:
        os.close(fd)
    if not data and not allow_empty:
        raise InputError(f"{name} is empty")
    if len(data) > limit:
        raise InputError(f"{name} is larger than the limit of {limit} bytes")
    return data


def _read_up_to(fd: int, count: int, name: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < count:
        try:
            chunk = os.read(fd, min(_CHUNK, count - size))
        except OSError as exc:
            raise InputError(f"cannot read {name}: {exc.strerror}") from None
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def refuse_link(path: Path, *, what: str = "") -> None:
    """Raise :class:`InputError` if ``path`` is a symbolic link (broken or not)."""
    if path.is_symlink():
        name = f"{what} {path}".strip()
        raise InputError(f"{name} is a symbolic link; give the real path (links are not followed)")


def refuse_links_in(directory: Path, *, what: str = "") -> None:
    """Raise :class:`InputError` if ``directory`` is a symbolic link or holds one, so that
    the files a report writes into it cannot land elsewhere."""
    refuse_link(directory, what=what)
    if not directory.is_dir():
        return
    for entry in directory.iterdir():
        if entry.is_symlink():
            name = f"{what} {directory}".strip()
            raise InputError(f"{name} holds the symbolic link {entry.name}; remove it first")


def write_file(path: Path, data: bytes, *, mode: int = PRIVATE_FILE, what: str = "") -> None:
    """Write ``data`` to ``path`` whole or not at all, never through a symbolic link.

    The file gets ``mode`` (before the umask). Raises :class:`InputError` naming the path
    when it is a link, a directory, or cannot be written.
    """
    name = f"{what} {path}".strip()
    refuse_link(path, what=what)
    if path.is_dir():
        raise InputError(f"{name} is a directory; give a file name")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(tmp, flags, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"cannot write {name}: {exc.strerror}") from None


def make_private(path: Path, *, directory: bool = False) -> bool:
    """Tighten ``path`` to the owner only (:data:`PRIVATE_DIR` or :data:`PRIVATE_FILE`).

    Returns True when it was looser (and logs a warning naming it); a missing path or a
    symbolic link is left alone.
    """
    try:
        info = path.lstat()
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(info.st_mode):
        return False
    wanted = PRIVATE_DIR if directory else PRIVATE_FILE
    current = stat.S_IMODE(info.st_mode)
    if current & ~wanted == 0:
        return False
    path.chmod(current & wanted)
    _logger.warning("%s was mode %o; now %o (owner only)", path, current, current & wanted)
    return True
