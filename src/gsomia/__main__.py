"""``python -m gsomia`` is the ``gsomia`` command."""

from gsomia.cli.main import main

main()
