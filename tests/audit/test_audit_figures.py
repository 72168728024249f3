"""Bulletins whose tree size lies before their own index are recomputed from a window."""

from __future__ import annotations

from corridor.audit.figures import RunningFigures, figure_differences
from corridor.model.signing import SignedPassage
from corridor.reports.bulletin import bulletin_figures
from tests.audit.conftest import LogFactory, run_audit
from tests.audit.logbuilder import DAY1, Keys, bulletin, passage


def test_bulletin_from_an_earlier_tree_size(
    make_log: LogFactory, keys: Keys, clean_entries: list[bytes]
) -> None:
    body = clean_entries[:-1]
    tree_size = len(body) - 40  # the last 40 passages came in after HQ computed it
    entries = [*body, bulletin(keys.hq, DAY1, body, tree_size)]
    report = run_audit(make_log(entries), keys)
    assert report.ok, report.findings


def test_bulletin_tree_size_beyond_its_index(
    make_log: LogFactory, keys: Keys, clean_entries: list[bytes]
) -> None:
    body = clean_entries[:-1]
    entries = [*body, bulletin(keys.hq, DAY1, body, len(body) + 5)]
    [finding] = run_audit(make_log(entries), keys).findings
    assert "beyond the bulletin's own index" in finding.reason


def test_running_figures_window() -> None:
    keys = Keys()
    entries = [SignedPassage.from_bytes(passage(n, keys.p01)).entry for n in range(10)]
    running = RunningFigures(window=4)
    for n, entry in enumerate(entries):
        running.add(n, entry)
    assert running.as_of(DAY1, 10, 10) == bulletin_figures(entries, DAY1)
    assert running.as_of(DAY1, 7, 10) == bulletin_figures(entries[:7], DAY1)
    assert running.as_of(DAY1, 6, 10) == bulletin_figures(entries[:6], DAY1)
    assert running.as_of(DAY1, 5, 10) is None  # passage 5 has left the window


def test_figure_differences_name_each_figure() -> None:
    assert figure_differences({"a": {"b": 1, "c": 2}}, {"a": {"b": 1, "c": 3}}) == [
        "figure a.c: published 2, log gives 3"
    ]
    assert figure_differences({"a": 1}, {"a": 1, "b": 0}) == [
        "figure b: published (missing), log gives 0"
    ]
    assert figure_differences(None, {"a": 1}) == ["figures: expected an object, got NoneType"]
