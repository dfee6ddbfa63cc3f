"""Where a case is handled: the area a location names, the organisation for a route and tier, the next one up."""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.cases.lifecycle import TIERS, tier_above
from hotline.cases.models import Area, Case, Organisation

Placement = Tuple[Optional[Organisation], Optional[str]]


def placement_of(route_to: Optional[str]) -> Tuple[Optional[str], Optional[str]]:
    """(tier, committee) from a route such as `mediation:town` or `committee:medical`."""
    if not route_to:
        return None, None
    if route_to.startswith("mediation:"):
        return route_to.split(":", 1)[1], None
    if route_to.startswith("committee:"):
        # A specialist committee stands beside the town centres: overdue, it goes to the county centre.
        return "town", route_to.split(":", 1)[1]
    return None, None


def area_chain(area: Optional[Area]) -> List[Area]:
    """The area and its ancestors, nearest first."""
    chain: List[Area] = []
    while area is not None and area not in chain:
        chain.append(area)
        area = area.parent
    return chain


def find_area(session: Session, location: Optional[str]) -> Optional[Area]:
    """The most specific area whose name or alias appears in the location ("城关镇幸福村" -> 幸福村)."""
    if not location:
        return None
    best: Optional[Tuple[int, int, int]] = None
    found: Optional[Area] = None
    for area in session.execute(select(Area)).scalars():
        names = [area.name, *(area.aliases or [])]
        length = max((len(n) for n in names if n and n in location), default=0)
        if not length:
            continue
        key = (len(area_chain(area)), length, -area.id)
        if best is None or key > best:
            best, found = key, area
    return found


def _nearest(organisations: Sequence[Organisation], chain: Sequence[Area]) -> Organisation:
    for area in chain:
        for organisation in organisations:
            if organisation.area_id == area.id:
                return organisation
    return organisations[0]


def choose_organisation(session: Session, route_to: Optional[str], tier: Optional[str],
                        area: Optional[Area]) -> Placement:
    """(organisation, tier) for a case; the organisation is None when the data cannot place it.

    A body that lists the route (committees, arbitration, 12315) wins; else the
    mediation body of the tier in the case's area or the nearest area above it.
    When the area has no body at that tier, the next tier up with one takes
    it, so a case is never placed below what the data can serve.
    """
    organisations = list(session.execute(select(Organisation).order_by(Organisation.id)).scalars())
    if not organisations:
        return None, tier
    chain = area_chain(area)
    if route_to:
        listed = [o for o in organisations if route_to in (o.routes or [])]
        if listed:
            chosen = _nearest(listed, chain)
            return chosen, chosen.tier or tier
    if tier not in TIERS:
        return None, tier
    mediation = [o for o in organisations if o.kind == "mediation"]
    for level in TIERS[TIERS.index(tier):]:
        for place in chain:
            for organisation in mediation:
                if organisation.tier == level and organisation.area_id == place.id:
                    return organisation, level
    if tier == "city" or not chain:
        top = [o for o in mediation if o.tier == "city"]
        if tier == "city" and len(top) == 1:
            return top[0], "city"
    return None, tier


def escalation_target(session: Session, case: Case) -> Placement:
    """Where the case goes one tier up: (organisation or None, tier); tier None means nowhere higher."""
    current = case.organisation
    if current is not None and current.parent is not None:
        parent = current.parent
        return parent, parent.tier or tier_above(case.tier) or case.tier
    up = tier_above(case.tier)
    if up is None:
        return None, None
    area = current.area if current is not None and current.area is not None else find_area(session, case.location)
    organisation, tier = choose_organisation(session, None, up, area)
    return organisation, tier
