"""What each ``/ogc/`` collection is called and says about itself, in the reader's language.

The features themselves come from :mod:`corridor.reports.features`; here are only the words,
written as literal ``gettext`` calls so ``make messages`` finds them.
"""

from __future__ import annotations

from corridor.errors import NotFoundError
from corridor.reports.features import COLLECTIONS
from corridor.web.i18n import Localizer


def require(collection_id: str, loc: Localizer) -> str:
    """``collection_id`` if it is one of ours, else :class:`NotFoundError` listing them."""
    if collection_id not in COLLECTIONS:
        raise NotFoundError(
            loc.gettext(
                "no collection %(id)r; the collections are %(ids)s",
                id=collection_id,
                ids=", ".join(COLLECTIONS),
            )
        )
    return collection_id


def describe(collection_id: str, loc: Localizer, *, simulated: bool) -> tuple[str, str]:
    """The title and description of a collection; simulated flow says so in both."""
    texts = {
        "band": (
            loc.gettext("Corridor band"),
            loc.gettext(
                "The corridor band (the route buffered by half the corridor's width), one "
                "polygon per route version with the dates it is in force."
            ),
        ),
        "routes": (
            loc.gettext("Route versions"),
            loc.gettext("The route's centreline, one line per version with its dates."),
        ),
        "posts": (
            loc.gettext("Posts"),
            loc.gettext(
                "Checkpoints and observation posts with every name in use, their kind and their "
                "distance along the route."
            ),
        ),
        "crew-zones": (
            loc.gettext("Repair crews' zones"),
            loc.gettext(
                "Where and when each repair crew may work: the zone and its time window, by "
                "crew id."
            ),
        ),
        "daily-flow": (
            loc.gettext("Daily flow per post"),
            loc.gettext(
                "One point per post and day: vehicles passed inbound and outbound by class, "
                "people and cargo on them, and vehicles denied or turned back."
            ),
        ),
    }
    title, description = texts[collection_id]
    if simulated:
        label = loc.gettext("SIMULATED DATA")
        return f"{title} ({label})", f"{label}: {description}"
    return title, description
