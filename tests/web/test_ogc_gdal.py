"""GDAL's OAPIF driver (Debian's ogrinfo) reads /ogc/ from a real server as it is: every
collection as a layer, every post across pages, and bbox and datetime filters sent to the
server."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from shapely.geometry import Point, box

from corridor.sim.scenario import Scenario
from tests.browser import served
from tests.web.ogc_app import ogc_app

OGRINFO = shutil.which("ogrinfo") or "/usr/bin/ogrinfo"


@pytest.fixture(scope="module")
def ogc_url(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not Path(OGRINFO).exists():
        pytest.skip("install gdal-bin (Debian) to run the OGC client test")
    with ogc_app(demo_dir, tmp_path_factory.mktemp("ogc-gdal")) as app, served(app) as url:
        yield f"OAPIF:{url}/ogc"


def ogrinfo(*args: str) -> str:
    """ogrinfo's output; it fails the test on a non-zero exit or an ERROR line."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.lower().endswith("_proxy")  # loopback only: never through a proxy
    }
    env.update(
        {
            "GDAL_HTTP_TIMEOUT": "30",
            "GDAL_HTTP_MAX_RETRY": "0",
            "CPL_CURL_VERBOSE": "NO",
            "no_proxy": "127.0.0.1",
        }
    )
    done = subprocess.run(
        [OGRINFO, *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0 and "ERROR" not in output, output
    return output


def values(output: str, field: str) -> list[str]:
    return re.findall(rf"^  {re.escape(field)} \(\w+\) = (.*)$", output, flags=re.MULTILINE)


def test_ogrinfo_lists_every_collection_as_a_layer(ogc_url: str) -> None:
    output = ogrinfo("-ro", "-so", ogc_url)
    layers = re.findall(r"^\d+: (\S+) \(title: .*\) \((\w[\w ]*)\)$", output, flags=re.MULTILINE)
    assert layers == [
        ("band", "Polygon"),
        ("routes", "Line String"),
        ("posts", "Point"),
        ("crew-zones", "Polygon"),
        ("daily-flow", "Point"),
    ]


def test_ogrinfo_reads_every_post_with_its_names(ogc_url: str, scenario: Scenario) -> None:
    output = ogrinfo("-ro", ogc_url, "posts")
    # 23 posts at GDAL's page size of 10: three pages, followed by the next links.
    assert values(output, "post_id") == [post.id for post in scenario.corridor.posts]
    assert values(output, "label") == [post.label for post in scenario.corridor.posts]
    assert "(2:Lachin,Berdzor)" in values(output, "names")
    assert "Feature Count: 23" in output


def test_ogrinfo_spatial_filter_is_answered_by_the_server(ogc_url: str, scenario: Scenario) -> None:
    area = (46.40, 39.45, 46.50, 39.56)
    expected = [p.id for p in scenario.corridor.posts if box(*area).intersects(Point(p.point))]
    output = ogrinfo("-ro", "--debug", "on", "-spat", *map(str, area), ogc_url, "posts")
    # GDAL asked the server, not only filtered what it got.
    assert re.search(r"Fetch\(\S+/ogc/collections/posts/items\?\S*bbox=46\.", output), output
    assert values(output, "post_id") == expected and len(expected) == 6


def test_ogrinfo_date_filter_becomes_a_datetime_query(ogc_url: str) -> None:
    # GDAL turns a condition on the first date field into the datetime parameter.
    where = "day = '2020-12-02T12:00:00Z'"
    output = ogrinfo("-ro", "--debug", "on", ogc_url, "daily-flow", "-where", where)
    assert "datetime=2020-12-02T12:00:00Z" in output
    days = values(output, "day")
    assert days and set(days) == {"2020/12/02"}
    assert set(values(output, "post_id")) == {"P01", "P23"}
