"""gsomia: classified military information shared under GSOMIA-style agreements.

Agreements are data; every decision cites its rule; items are sealed end to end; every act
is recorded in a ledger the partner witnesses; and a missile-warning picture measures what
an agreement buys.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
