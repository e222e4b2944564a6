"""gsomia.analysis."""
