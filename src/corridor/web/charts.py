"""Bar charts as inline SVG, drawn on the server: they need no script, print, and appear in the
bulletin's PDF as they do on screen.

:func:`bar_chart` is pure: categories and series in, markup out. Bars are horizontal with each
category's name on its own line above its bars, so a long label in any language never collides
with a bar. A chart is an image to assistive technology (``role="img"`` named by its
``<title>``); the page gives the same numbers in a table beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

#: Narrow enough to sit beside its table on A4 with the text still readable.
WIDTH = 420
#: Room kept right of the longest bar for its value.
VALUE_ROOM = 70
LEGEND_HEIGHT = 24
LABEL_HEIGHT = 16
BAR_HEIGHT = 14
BAR_GAP = 3
GROUP_GAP = 10
FONT_SIZE = 12
#: The family the chart's text asks for. A page's CSS overrides this presentation attribute
#: (bulletin.css on screen); WeasyPrint's SVG renderer reads it, so the PDF uses the vendored
#: DejaVu Sans face that bulletin.css declares.
FONT_FAMILY = "Corridor DejaVu Sans, DejaVu Sans, sans-serif"


@dataclass(frozen=True)
class Series:
    """One set of bars: a name for the legend, a fill colour, one value per category."""

    label: str
    colour: str
    values: Sequence[float]


def _legend(series: Sequence[Series]) -> list[str]:
    parts, x = [], 0
    for item in series:
        parts.append(
            f'<rect x="{x}" y="4" width="12" height="12" fill="{escape(item.colour)}"/>'
            f'<text x="{x + 17}" y="14" font-size="{FONT_SIZE}">{escape(item.label)}</text>'
        )
        x += 30 + 8 * len(item.label)  # a rough width: legends hold a few short words
    return parts


def bar_chart(
    chart_id: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    value_text: Callable[[float], str],
) -> Markup:
    """A horizontal bar chart of ``series`` over ``categories``; ``value_text`` writes each
    value beside its bar (in the reader's number format). ``chart_id`` must be unique on the
    page: the title is referenced by id."""
    for item in series:
        if len(item.values) != len(categories):
            raise ValueError(
                f"series {item.label!r} has {len(item.values)} values, expected {len(categories)}"
            )
    largest = max((v for item in series for v in item.values), default=0) or 1
    scale = (WIDTH - VALUE_ROOM) / largest
    title_id = f"{chart_id}-title"
    parts = [f'<title id="{escape(title_id)}">{escape(title)}</title>', *_legend(series)]
    y = LEGEND_HEIGHT
    for position, category in enumerate(categories):
        y += LABEL_HEIGHT
        parts.append(
            f'<text x="0" y="{y - 4}" font-size="{FONT_SIZE}" font-weight="bold">'
            f"{escape(category)}</text>"
        )
        for item in series:
            value = item.values[position]
            width = round(value * scale, 1)
            parts.append(
                f'<rect x="0" y="{y}" width="{width}" height="{BAR_HEIGHT}" '
                f'fill="{escape(item.colour)}"/>'
                f'<text x="{width + 4}" y="{y + BAR_HEIGHT - 3}" font-size="{FONT_SIZE}">'
                f"{escape(value_text(value))}</text>"
            )
            y += BAR_HEIGHT + BAR_GAP
        y += GROUP_GAP
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" '
        f'role="img" aria-labelledby="{escape(title_id)}" viewBox="0 0 {WIDTH} {y}" '
        f'width="{WIDTH}" height="{y}" font-family="{FONT_FAMILY}">' + "".join(parts) + "</svg>"
    )
