"""The pure domain: agreements, classification schemes, labels, items, people and rules."""

# The labels' fast paths register behind their plain definitions (gsomia.core.labels).
from gsomia.core import _labels_fast as _labels_fast
