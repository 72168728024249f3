"""The demo summary as text for a terminal (rich renderables)."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", show_edge=False)
    for n, column in enumerate(columns):
        table.add_column(column, justify="left" if n == 0 else "right")
    return table


def render_summary(summary: dict[str, Any]) -> RenderableType:
    """Tables of passages, people, returnees, cargo, denials and the monitor's alerts (next to
    the incidents the scenario injected), under a SIMULATED banner."""
    header = Text(
        f"{summary['corridor_name']}: {summary['days']} days from {summary['first_day']} "
        f"(SIMULATED data, seed {summary['seed']}), {summary['events']:,} events",
        style="bold",
    )
    passages = _table("Passages by kind and direction", "kind", "inbound", "outbound")
    for kind, by_direction in summary["passages"].items():
        passages.add_row(kind, f"{by_direction['inbound']:,}", f"{by_direction['outbound']:,}")
    people = _table("People (passed)", "category", "people")
    for category, count in summary["people"].items():
        people.add_row(category, f"{count:,}")
    people.add_row("returnees, cumulative", f"{summary['returnees_cumulative']:,}")
    cargo = _table("Cargo (passed)", "category", "tonnes")
    for category, tonnes in summary["cargo_tonnes"].items():
        cargo.add_row(category, f"{tonnes:,.1f}")
    denials = _table("Denials and turn-backs by reason", "reason", "events")
    for reason, count in summary["denials_by_reason"].items():
        denials.add_row(reason, f"{count:,}")
    parts: list[RenderableType] = [header, passages, people, cargo, denials]
    if "alerts_by_kind" in summary:
        found, expected = summary["alerts_by_kind"], summary["alerts_expected_by_kind"]
        alerts = _table(
            "Alerts found by HQ's monitor (SIMULATED incidents)", "kind", "found", "injected"
        )
        for kind in sorted(found.keys() | expected.keys()):
            alerts.add_row(kind, f"{found.get(kind, 0):,}", f"{expected.get(kind, 0):,}")
        parts.append(alerts)
    for key, label in (("log_vkey", "log key"), ("audit_command", "check it yourself")):
        if key in summary:
            parts.append(Text(f"{label}: {summary[key]}"))
    return Group(*parts)
