"""The scenario: the missile catalogue, launch sites, the launches and the sensors in service."""
