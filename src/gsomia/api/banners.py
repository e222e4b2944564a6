"""Classification banners of the web console: the highest level a page shows, and its colour.

A page's top and bottom banners state the highest classification of what it shows, in the
node's own scheme: native name, romanisation and English tier (``군사II급비밀 · Gunsa
II-geup Bimil · SECRET``), coloured by tier as US banners are. A page that shows no
classified item says ``UNCLASSIFIED`` in green. Each listed item carries the same marking
for its own level (its portion marking).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from gsomia.core.classification import Level

__all__ = ["OTHER_TIER_COLOURS", "TIER_COLOURS", "UNCLASSIFIED", "Banner", "banner", "marking"]

UNCLASSIFIED = "UNCLASSIFIED"

#: Background and text colour of each English tier's banner.
TIER_COLOURS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "TOP SECRET": ("#FF8C00", "#000000"),
        "SECRET": ("#C8102E", "#FFFFFF"),
        "CONFIDENTIAL": ("#0033A0", "#FFFFFF"),
        "RESTRICTED": ("#502B85", "#FFFFFF"),
        UNCLASSIFIED: ("#007A33", "#FFFFFF"),
    }
)
#: The colours of any other tier a scheme file names.
OTHER_TIER_COLOURS = ("#5B5B5B", "#FFFFFF")


@dataclass(frozen=True, slots=True, kw_only=True)
class Banner:
    """A marking as the console draws it: its words, tier and colours."""

    text: str
    tier: str
    background: str
    foreground: str

    @property
    def css_class(self) -> str:
        """The stylesheet class of the tier (``tier-top-secret``)."""
        return "tier-" + self.tier.lower().replace(" ", "-")


def marking(level: Level | None) -> Banner:
    """The marking of one level (``None`` is unclassified)."""
    if level is None:
        tier, text = UNCLASSIFIED, UNCLASSIFIED
    else:
        tier = level.english
        text = " · ".join(dict.fromkeys((level.native, level.romanised, level.english)))
    background, foreground = TIER_COLOURS.get(tier, OTHER_TIER_COLOURS)
    return Banner(text=text, tier=tier, background=background, foreground=foreground)


def banner(levels: Iterable[Level]) -> Banner:
    """The banner of a page showing items at ``levels``: the highest of them, or unclassified.

    The levels must all be of one scheme (the node's own); raises :class:`TypeError`
    otherwise, since levels of two schemes are related only through an agreement.
    """
    return marking(max(levels, default=None))
