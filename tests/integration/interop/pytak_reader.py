"""Run by the interop tests with pytak's own interpreter (``.venv-pytak``): connects to a
TAK server as a client, announces itself, and prints every CoT event it reads (one JSON
string per line) until COUNT events arrived or SECONDS passed.

    python pytak_reader.py tcp://HOST:PORT COUNT SECONDS
"""

import asyncio
import json
import sys
from configparser import ConfigParser

import pytak


async def main() -> int:
    url, count, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    config = ConfigParser()
    config["reader"] = {"COT_URL": url}
    reader, writer = await pytak.protocol_factory(config["reader"])
    hello = pytak.gen_cot(lat=35.0, lon=139.0, uid="gsomia-test-reader", cot_type="a-f-G-U-C")
    writer.write(hello)
    await writer.drain()
    print("READY", flush=True)
    got = 0
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while got < count and loop.time() < deadline:
        try:
            data = await asyncio.wait_for(
                reader.readuntil(b"</event>"), timeout=deadline - loop.time()
            )
        except (TimeoutError, asyncio.IncompleteReadError):
            break
        print(json.dumps(data.decode("utf-8")), flush=True)
        got += 1
    writer.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
