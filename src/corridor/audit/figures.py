"""Recomputing bulletins while streaming the log, without holding its entries.

The audit keeps, per day, the running figures of every passage seen so far
(:func:`corridor.reports.bulletin.add_entry`, the same counting rule as
:func:`~corridor.reports.bulletin.daily_figures`), and the hourly flow of the whole log, from
which a bulletin's disruptions are replayed (:mod:`corridor.reports.disruptions`). A bulletin
at index ``i`` states figures as of ``tree_size <= i``. HQ writes each bulletin with
``tree_size == i``: then the running figures of its day are exactly the recomputation. For
``tree_size < i`` the figures (and the hourly flow) are additive, so the audit subtracts the
passages of ``[tree_size, i)`` from the running figures; it keeps the last :data:`WINDOW`
passages for that. A bulletin whose ``tree_size`` lies further back is reported as
not recomputable (a finding), rather than re-reading the log.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from corridor.model.events import PublicEntry
from corridor.reports.bulletin import add_entry, empty_figures
from corridor.reports.disruptions import FlowCounts, day_disruptions

__all__ = ["WINDOW", "RunningFigures", "figure_differences"]

WINDOW = 4096
"""Passages kept to recompute a bulletin whose tree size is before its own index."""


def _subtract(total: dict[str, Any], part: Mapping[str, Any]) -> None:
    for key, value in part.items():
        if isinstance(value, Mapping):
            _subtract(total[key], value)
        else:
            total[key] -= value


def _copy(figures: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _copy(v) if isinstance(v, Mapping) else v for k, v in figures.items()}


class RunningFigures:
    """Per-day figures of the passages streamed so far, and a window of recent passages."""

    def __init__(self, window: int = WINDOW) -> None:
        self.days: dict[date, dict[str, Any]] = {}
        self.flow = FlowCounts()
        self.recent: deque[tuple[int, PublicEntry]] = deque(maxlen=window)

    def add(self, index: int, entry: PublicEntry) -> None:
        """Count the passage at ``index``."""
        day = entry.observed_at.date()
        figures = self.days.get(day)
        if figures is None:
            figures = self.days[day] = empty_figures()
        add_entry(figures, entry)
        self.flow.add(entry)
        self.recent.append((index, entry))

    def as_of(self, day: date, tree_size: int, index: int) -> dict[str, Any] | None:
        """The figures of ``day`` over the entries below ``tree_size``, when the stream is at
        ``index`` (every passage below ``index`` counted); ``None`` if out of the window."""
        figures = _copy(self.days.get(day) or empty_figures())
        if tree_size == index:
            figures["disruptions"] = day_disruptions(self.flow, day)
            return figures
        oldest = self.recent[0][0] if self.recent else index
        if len(self.recent) == self.recent.maxlen and oldest > tree_size:
            return None
        later = empty_figures()
        flow = self.flow.copy()
        for at, entry in self.recent:
            if at >= tree_size:
                flow.add(entry, -1)
                if entry.observed_at.date() == day:
                    add_entry(later, entry)
        _subtract(figures, later)
        figures["disruptions"] = day_disruptions(flow, day)
        return figures


def _leaves(value: object, path: str) -> Iterator[tuple[str, object]]:
    if isinstance(value, Mapping):
        for key in sorted(value):
            yield from _leaves(value[key], f"{path}.{key}" if path else str(key))
    else:
        yield path, value


def figure_differences(published: object, computed: Mapping[str, Any]) -> list[str]:
    """Each figure that differs, as ``name: published X, log gives Y``."""
    if not isinstance(published, Mapping):
        return [f"figures: expected an object, got {type(published).__name__}"]
    have = dict(_leaves(published, ""))
    want = dict(_leaves(computed, ""))
    out = []
    for name in sorted(have.keys() | want.keys()):
        got, expected = have.get(name, "(missing)"), want.get(name, "(not a figure)")
        if got != expected or type(got) is not type(expected):
            out.append(f"figure {name}: published {got}, log gives {expected}")
    return out
