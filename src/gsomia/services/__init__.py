"""gsomia.services."""
