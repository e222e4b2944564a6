"""gsomia.adapters.bus."""
