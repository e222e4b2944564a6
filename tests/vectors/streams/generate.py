"""Write the vectors of warning-stream-v1, the descriptor that announces a warning stream.

Run ``python tests/vectors/streams/generate.py`` from the repository root after a deliberate
format change. The stream numbers are fixed (a node takes the random end of an id), so the
file is the same on every run; ``test_stream_vectors.py`` builds it again and reads each
descriptor back through :func:`gsomia.formats.streams.read_stream_descriptor`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2] / "src"))
sys.path.insert(0, str(HERE.parents[2]))

from gsomia.formats.streams import STREAM_FORMAT, stream_descriptor  # noqa: E402
from tests.support.vectors import write_vectors  # noqa: E402

# The smallest and largest numbers a frame-v1 header carries, and one a node might draw.
STREAMS = (0, 0x5A17C0DE, 2**32 - 1)


def stream_vector() -> dict[str, Any]:
    return {
        "format": STREAM_FORMAT,
        "descriptors": [
            {"stream": s, "descriptor_utf8": stream_descriptor(s).decode("utf-8")} for s in STREAMS
        ],
    }


def build() -> dict[str, dict[str, Any]]:
    return {"warning-stream-v1.json": stream_vector()}


def main() -> None:
    write_vectors(HERE, build())


if __name__ == "__main__":
    main()
