"""Rules for the real-time missile-warning link (RT-1, RT-2, RT-3): what a shared warning
may carry, and when.

Each reads what the agreement file states in ``[payload]``: the fields (RT-1), the window
(RT-2) and whether a warning must name no sensor (RT-3).
"""

from __future__ import annotations

from typing import ClassVar

from gsomia.core.agreements import WarningWindow
from gsomia.core.decisions import Decision
from gsomia.core.rules.requests import WarningRequest

__all__ = ["WARNING_FIELDS", "NoSensorIdentity", "PayloadLimited", "WithinWindow"]

#: The fields a shared warning can carry (warning-v1), in the agreement files' words.
WARNING_FIELDS = ("launch_point", "trajectory", "impact_point", "times")

_ACT = "share-warning"


class PayloadLimited:
    """A warning carries only the fields the agreement lists: launch point, trajectory,
    impact point, times (RT-1)."""

    key: ClassVar[str] = "payload"
    article: ClassVar[str] = "only the agreed payload fields"

    def evaluate(self, request: WarningRequest) -> Decision:
        rule = request.agreement.rule_id(self.key)
        allowed = set(request.agreement.payload_fields)
        extra = [f for f in request.fields if f not in allowed]
        if not allowed or extra:
            listed = ", ".join(extra) or "any field"
            return Decision.deny(_ACT, rule, f"the agreement's payload does not include {listed}")
        return Decision.allow(_ACT, rule, "only the agreed fields")


class WithinWindow:
    """Warnings are shared only between detection and the predicted impact (RT-2), unless the
    agreement's window is ``open``."""

    key: ClassVar[str] = "window"
    article: ClassVar[str] = "between detection and impact"

    def evaluate(self, request: WarningRequest) -> Decision:
        rule = request.agreement.rule_id(self.key)
        if request.agreement.warning_window is WarningWindow.OPEN:
            return Decision.allow(_ACT, rule, "the agreement sets no window")
        if request.impact_t is not None and request.t > request.impact_t:
            return Decision.deny(_ACT, rule, "the predicted impact has passed")
        return Decision.allow(_ACT, rule, "before the predicted impact")


class NoSensorIdentity:
    """A shared warning names no sensor, site or measurement (RT-3)."""

    key: ClassVar[str] = "sensor_identity"
    article: ClassVar[str] = "no sensor identity"

    def evaluate(self, request: WarningRequest) -> Decision:
        rule = request.agreement.rule_id(self.key)
        if request.sensor_identity:
            return Decision.deny(_ACT, rule, "the warning names a sensor")
        return Decision.allow(_ACT, rule, "no sensor is named")
