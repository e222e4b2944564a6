"""warning-stream-v1: the descriptor that announces a stream of missile-warning frames.

A sender announces each stream (RT-1) as an item provided to the recipient, whose content is
this descriptor; the frames that follow are frame-v1 under the stream's number
(``docs/formats/warning-v1.md``, ``docs/formats/frame-v1.md``).
"""

from __future__ import annotations

import json

from gsomia.errors import InputError

__all__ = ["STREAM_FIELDS", "STREAM_FORMAT", "read_stream_descriptor", "stream_descriptor"]

STREAM_FORMAT = "gsomia/warning-stream-v1"
#: The RT-1 fields a stream carries, in the order the descriptor lists them.
STREAM_FIELDS = ("launch_point", "trajectory", "impact_point", "times")
_MAX_STREAM = 2**32 - 1  # a frame-v1 header carries the stream number in four bytes


def stream_descriptor(stream_id: int) -> bytes:
    """The descriptor of stream ``stream_id``: JSON with sorted keys, UTF-8."""
    _check_stream(stream_id)
    body = {"format": STREAM_FORMAT, "stream": stream_id, "fields": list(STREAM_FIELDS)}
    return json.dumps(body, sort_keys=True).encode()


def read_stream_descriptor(data: bytes) -> int:
    """The stream number ``data`` announces; raises :class:`InputError` for anything but a
    warning-stream-v1 descriptor of the RT-1 fields."""
    try:
        body = json.loads(data)
    except (UnicodeDecodeError, ValueError):
        raise InputError("the stream descriptor is not JSON") from None
    if not isinstance(body, dict) or body.get("format") != STREAM_FORMAT:
        raise InputError(f"the stream descriptor is not {STREAM_FORMAT}")
    if set(body) != {"format", "stream", "fields"}:
        raise InputError(f"the stream descriptor has members {sorted(body)}")
    if body["fields"] != list(STREAM_FIELDS):
        raise InputError(f"the stream descriptor's fields are not {', '.join(STREAM_FIELDS)}")
    stream = body["stream"]
    _check_stream(stream)
    return int(stream)


def _check_stream(stream: object) -> None:
    if isinstance(stream, bool) or not isinstance(stream, int) or not 0 <= stream <= _MAX_STREAM:
        raise InputError(f"stream number {stream!r} is not an integer from 0 to {_MAX_STREAM}")
