"""The C allocator of a long-running node process (glibc's ``malloc``).

A node serves requests on a pool of threads. glibc gives threads that allocate at the same
time arenas of their own, up to eight per core, and keeps what is freed in each arena for
that arena's next allocation: memory that TLS, SQLite and the AES-GCM contexts freed stays
resident, spread over many arenas. Over a 3-minute soak this free space grew from 2-4 MB
to 9-11 MB per node while what was in use grew by about 2 MB (``docs/scaling.md``). The
node therefore caps the arenas (``mallopt(M_ARENA_MAX)``) when it starts and hands whole free
pages back to the system (``malloc_trim``) from its upkeep.

Elsewhere than glibc (musl, macOS) both are no-ops that say so by returning False.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

__all__ = ["ARENAS", "limit_arenas", "release_free_memory"]

_logger = logging.getLogger(__name__)

#: Arenas a node process may use: its Python code runs one thread at a time (the GIL), so
#: more arenas buy little but keep more freed memory resident.
ARENAS = 2
_M_ARENA_MAX = -8  # glibc's malloc.h


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return None
    if not (hasattr(lib, "mallopt") and hasattr(lib, "malloc_trim")):
        return None
    return lib


_LIBC = _libc()


def limit_arenas(count: int = ARENAS) -> bool:
    """Let the C allocator use at most ``count`` arenas from now on; whether it could."""
    if _LIBC is None:
        return False
    return bool(_LIBC.mallopt(_M_ARENA_MAX, ctypes.c_int(count)))


def release_free_memory() -> bool:
    """Hand the C allocator's whole free pages back to the system; whether any were."""
    if _LIBC is None:
        return False
    return bool(_LIBC.malloc_trim(ctypes.c_size_t(0)))
