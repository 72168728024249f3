"""The words the public pages show for the log's vocabulary values, in the reader's language.

The log stores fixed codes (``turned_back``, ``humanitarian_other``: docs/data-model.md); a page
shows each one through :func:`labels`, written once here so the dashboard, bulletins and open
data say the same thing. Every string is a literal ``loc.gettext("...")`` call so that
``make messages`` extracts it; a value without a label is shown as its code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from corridor.web.i18n import Localizer


@dataclass(frozen=True)
class Labels:
    """One mapping of code to label per vocabulary (each keyed by the code's string value)."""

    kinds: Mapping[str, str]
    directions: Mapping[str, str]
    vehicle_classes: Mapping[str, str]
    people: Mapping[str, str]
    cargo: Mapping[str, str]
    reasons: Mapping[str, str]
    severities: Mapping[str, str]


def labels(loc: Localizer) -> Labels:
    """Every vocabulary's labels in ``loc``'s language."""
    return Labels(
        kinds={
            "arrived": loc.gettext("arrived"),
            "passed": loc.gettext("passed"),
            "inspected": loc.gettext("inspected"),
            "denied": loc.gettext("denied"),
            "turned_back": loc.gettext("turned back"),
        },
        directions={
            "inbound": loc.gettext("inbound"),
            "outbound": loc.gettext("outbound"),
        },
        vehicle_classes={
            "car": loc.gettext("car"),
            "bus": loc.gettext("bus"),
            "truck": loc.gettext("truck"),
            "ambulance": loc.gettext("ambulance"),
            "repair": loc.gettext("repair vehicle"),
            "official": loc.gettext("official vehicle"),
            "humanitarian": loc.gettext("humanitarian vehicle"),
        },
        people={
            "residents": loc.gettext("residents"),
            "returnees": loc.gettext("returnees"),
            "crew": loc.gettext("crew"),
            "other": loc.gettext("other people"),
        },
        cargo={
            "food": loc.gettext("food"),
            "medicine": loc.gettext("medicine"),
            "fuel": loc.gettext("fuel"),
            "construction": loc.gettext("construction materials"),
            "humanitarian_other": loc.gettext("other humanitarian cargo"),
            "commercial_other": loc.gettext("other commercial cargo"),
        },
        reasons={
            "no_permit": loc.gettext("no permit"),
            "unregistered_vehicle": loc.gettext("unregistered vehicle"),
            "document_mismatch": loc.gettext("documents do not match"),
            "prohibited_cargo": loc.gettext("prohibited cargo"),
            "inspection_refused": loc.gettext("inspection refused"),
            "route_closed": loc.gettext("route closed"),
            "other": loc.gettext("other reason"),
        },
        severities={
            "info": loc.gettext("information"),
            "warning": loc.gettext("warning"),
            "critical": loc.gettext("critical"),
        },
    )


def label(mapping: Mapping[str, str], code: str) -> str:
    """``code``'s label in ``mapping``, or the code itself if it has none (a newer log)."""
    return mapping.get(code, code)
