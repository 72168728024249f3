"""The server-drawn SVG bar charts: sizes proportional to values, text escaped, named for
assistive technology."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest

from corridor.web.charts import VALUE_ROOM, WIDTH, Series, bar_chart

SVG = "{http://www.w3.org/2000/svg}"


def _chart() -> str:
    return str(
        bar_chart(
            "c1",
            "Vehicles <by> class",
            ["car", "bus & coach"],
            [Series("inbound", "#245b84", [10, 5]), Series("outbound", "#b5561c", [0, 2.5])],
            lambda v: f"{v:g}",
        )
    )


def test_a_chart_is_an_image_named_by_its_title() -> None:
    root = ElementTree.fromstring(_chart())  # well-formed XML, text escaped
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "c1-title"
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == "Vehicles <by> class"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts == ["inbound", "outbound", "car", "10", "0", "bus & coach", "5", "2.5"]


def test_bars_are_proportional_with_the_largest_filling_the_width() -> None:
    root = ElementTree.fromstring(_chart())
    bars = [float(r.get("width", "")) for r in root.iter(f"{SVG}rect") if r.get("height") == "14"]
    assert bars == [WIDTH - VALUE_ROOM, 0, (WIDTH - VALUE_ROOM) / 2, (WIDTH - VALUE_ROOM) / 4]
    assert re.search(r'viewBox="0 0 420 \d+"', _chart())


def test_an_all_zero_chart_draws_empty_bars() -> None:
    chart = bar_chart("z", "t", ["a"], [Series("s", "#000", [0])], str)
    assert 'width="0.0"' in chart or 'width="0"' in chart


def test_a_series_must_have_a_value_per_category() -> None:
    with pytest.raises(ValueError, match="has 1 values, expected 2"):
        bar_chart("x", "t", ["a", "b"], [Series("s", "#000", [1])], str)
