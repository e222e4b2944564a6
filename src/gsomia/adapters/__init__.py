"""gsomia.adapters."""
