"""Geometry of the Earth: the WGS 84 frames and the radar horizon."""
