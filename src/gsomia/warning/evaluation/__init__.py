"""Evaluation of the tracker against a truth it does not share."""
