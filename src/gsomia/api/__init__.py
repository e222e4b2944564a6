"""gsomia.api."""
