"""gsomia.adapters.storage."""
