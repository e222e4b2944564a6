"""Ports: narrow Protocols with written contracts that adapters implement.

Each submodule holds the ports of one area (``ledger``, ``store``, ``bus``, ``peers``,
``clock``). Services depend on these Protocols only; only composition roots (the API app
factory, the CLI, the demo) choose adapters. Every adapter of a port passes that port's
conformance suite under ``tests/conformance``.
"""
