"""gsomia.adapters.peers."""
