"""gsomia.core.rules."""
