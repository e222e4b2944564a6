"""Who may *see* a marking: the one place listings (TAXII collections, the warning feed to
TAK) ask before they show that an item or a warning exists.

Seeing is less than opening: a person sees an item's marking when cleared at or above the
holder's national level of the item (in the holder's own scheme, on the day) and with a
need to know its topic (JK-7.2 reasoning applied to the marking). Opening is decided by the
rules through :meth:`~gsomia.services.custody.CustodyService.open` and recorded.

This module is where the decision path of the rules (``core/rules``) plugs in: every
listing calls :func:`see_marking` and nothing else.
"""

from __future__ import annotations

from datetime import datetime

from gsomia.core.decisions import Decision
from gsomia.core.people import Person
from gsomia.services.context import NodeContext

__all__ = ["network_may_carry", "see_marking"]


def see_marking(
    ctx: NodeContext,
    *,
    person: Person,
    agreement_id: str,
    holder_level_ref: str,
    topic: str,
    at: datetime,
) -> Decision:
    """May ``person`` see that this node holds something marked ``holder_level_ref`` on
    ``topic`` under ``agreement_id``? Cites the agreement's need-and-clearance rule."""
    agreement = ctx.agreement(agreement_id)
    rule = agreement.rule_id("need_and_clearance")
    if person.party != ctx.party:
        return Decision.deny("see", rule, f"{person.id} is not a person of {ctx.party}")
    level = agreement.schemes.parse(holder_level_ref, party=ctx.party)
    cleared = person.clearance_on(at.date())
    if cleared is None or type(cleared) is not type(level) or cleared < level:
        return Decision.deny("see", rule, f"{person.id} is not cleared for {level.ref}")
    if topic not in person.need_to_know:
        return Decision.deny("see", rule, f"{person.id} has no need to know {topic}")
    return Decision.allow("see", rule, f"{person.id} is cleared for {level.ref} and needs {topic}")


def network_may_carry(
    ctx: NodeContext, *, agreement_id: str, holder_level_ref: str, accredited: str, at: datetime
) -> Decision:
    """May a network of this party accredited up to ``accredited`` (a level of this party's
    scheme) carry something marked ``holder_level_ref``? Cites the need-and-clearance rule."""
    agreement = ctx.agreement(agreement_id)
    rule = agreement.rule_id("need_and_clearance")
    level = agreement.schemes.parse(holder_level_ref, party=ctx.party)
    ceiling = agreement.schemes.parse(accredited, party=ctx.party)
    if ceiling < level:
        return Decision.deny("carry", rule, f"the network is accredited to {ceiling.ref} only")
    return Decision.allow("carry", rule, f"the network is accredited to {ceiling.ref} on {at:%F}")
