"""An app for the /ogc/ tests: a copy of the session's demo data directory (so the crews added
here never reach the other web tests) with two repair crews' zones in HQ's registry."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi import FastAPI

from corridor.datadir import DataDir
from corridor.hq.crews import add_crew, add_zone
from corridor.web.app import create_app

LACHIN_CITY = (46.5460, 39.6390)  # on route version 1 only
KM_7 = (46.4451, 39.5090)  # on both versions
CREW_NAME = "Road repair team 4 (Anna Petrosyan)"  # a person's name: must never be served
ZONE_NAME = "Bridge at km 7, ask Farid"


def square(centre: tuple[float, float], half: float = 0.005) -> dict[str, object]:
    lon, lat = centre
    ring = [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
        [lon - half, lat - half],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


@contextmanager
def ogc_app(demo_dir: Path, workdir: Path) -> Iterator[FastAPI]:
    """The app over a copy of ``demo_dir`` in ``workdir``, with crew zones at km 7 (December
    2020) and in Lachin city (March 2021)."""
    copy = workdir / "corridor-data"
    shutil.copytree(demo_dir, copy)
    datadir = DataDir(copy)
    scenario = datadir.scenario()
    store = datadir.open_store()
    try:
        add_crew(store, "R-04", CREW_NAME)
        add_zone(
            store,
            scenario.corridor,
            crew_id="R-04",
            geojson=square(KM_7),
            active_from="2020-12-01T06:00:00Z",
            active_to="2020-12-02T18:00:00Z",
            name=ZONE_NAME,
        )
        add_zone(
            store,
            scenario.corridor,
            crew_id="R-04",
            geojson=square(LACHIN_CITY),
            active_from="2021-03-01T06:00:00Z",
            active_to="2021-03-05T18:00:00Z",
            name=ZONE_NAME,
        )
        yield create_app(store, scenario, simulated=scenario.traffic.simulated)
    finally:
        store.dispose()
