"""The public dashboard: the page shell, rendered once in the reader's language;
``static/dashboard.js`` fills it from the JSON API. The corridor's names and the SIMULATED label
are in the HTML itself, so they show even before (or without) the scripts. The script's own
words (chart titles, popups) come translated in a JSON block of the page (:func:`script_messages`),
so one catalog serves the page and its script."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from corridor.store import queries
from corridor.web.api import PREFIX
from corridor.web.context import Context, Reader
from corridor.web.i18n import Localizer, language_of, localizer, render
from corridor.web.labels import labels

router = APIRouter(include_in_schema=False)


def script_messages(loc: Localizer) -> dict[str, str]:
    """The words dashboard.js shows, translated; ``{name}`` marks a value the script fills in."""
    _ = loc.gettext
    return {
        "data_range": _("Data: {range}."),
        "day_range": _("{first} to {last}"),
        "post_of_kind": _("{id}, {kind} post"),
        "checkpoint": _("checkpoint"),
        "observation": _("observation"),
        "chainage": _("chainage {km} km"),
        "outside_band": _("outside the band"),
        "route_version": _("Route, version {version}"),
        "in_force_from": _("in force from {from}"),
        "in_force_until": _("in force from {from} until {to}"),
        "length_km": _("{km} km"),
        "band_width": _("band {km} km wide"),
        "map_caption": _(
            "Band, route centreline (version {version}, in force on {day}) and posts; "
            "checkpoints in red, observation posts in orange. No background map: this page "
            "works offline."
        ),
        "vehicles": _("vehicles"),
        "people": _("people"),
        "tonnes": _("tonnes"),
        "returnees_cumulative": _("returnees, cumulative"),
        "class_direction": _("{class} ({direction})"),
        "load_error": _("Some figures could not be loaded: {detail}"),
    }


@router.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse)
def dashboard(request: Request, context: Context, conn: Reader) -> HTMLResponse:
    corridor = context.corridor
    state = queries.published_state(conn)
    loc = localizer(language_of(request))
    return render(
        request,
        "dashboard.html",
        {
            "endpoints": [place.label for place in corridor.endpoints],
            "width_km": corridor.width_m / 1000,
            # Relative to the page, so the app also works behind a path prefix.
            "api": PREFIX.lstrip("/"),
            "log_vkey": queries.get_meta(conn, "log_vkey"),
            "log_size": None if state is None else state[0],
            "log_url": str(request.base_url) + "log/",
            "messages": script_messages(loc),
            "labels": asdict(labels(loc)),
        },
    )
