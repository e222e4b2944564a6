"""Sensors that observe the truth (radars, infrared satellites) and the reports they make."""
