"""gsomia.crypto."""
