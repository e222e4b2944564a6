"""gsomia.cli."""
