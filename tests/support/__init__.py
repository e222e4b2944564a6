"""Helpers shared by the tests, one module per area, imported as ``tests.support.<area>``.

``workflows`` builds three in-process nodes with people; ``cli`` makes node homes with the
CLI; ``crypto`` holds the crypto tests' fixed keyrings and in-memory item-key store; ``pg``
gives fresh PostgreSQL schemas; ``seals`` seals a store used without a node; ``ledger`` has
fixed keys and entry factories; ``edge`` and ``console`` drive a node's app over ASGI;
``browser`` drives the console in Chromium; ``cluster`` is a party's API on a running
cluster node; ``interop`` has the outside tools and a node on a socket; ``core``, ``rules``
and ``tracking`` hold the core factories, the rule strategies and the tracking scenarios.
Nothing here is collected as a test; ``pyproject.toml`` puts the repository root on
pytest's ``pythonpath`` so that these imports resolve the same way from every test
directory.
"""
