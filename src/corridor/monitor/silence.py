"""``silent_post``: an active checkpoint that has sent neither events nor a sync for too long.

A post node syncs every few seconds while it has a link and pulls the registry every ten
minutes, so a post that HQ has not heard from for an hour has lost its link, its power or its
operator. Only *active* checkpoints are watched (a post closed for the season is not silent).
HQ hears a post through its passages (their observed time) and its syncs (the time HQ received
them); whichever is later counts.

The alert opens at the moment the silence passed ``silent_after`` (not at the tick that noticed
it), escalates to critical after ``escalate_after``, and closes when the post speaks again.
Deadlines sit in a heap, one live entry per post.
"""

from __future__ import annotations

from datetime import datetime

from corridor.model.corridor import Corridor
from corridor.model.events import format_time
from corridor.monitor.alerts import (
    Alert,
    AlertChange,
    AlertKind,
    AlertTable,
    Severity,
    SubjectKind,
    minutes,
    require_utc,
)
from corridor.monitor.config import SilenceConfig
from corridor.monitor.observations import PassageObservation
from corridor.monitor.state import Deadlines

_SILENT = "silent"
_ESCALATE = "escalate"


class SilentPostRule:
    """Watches when each active checkpoint was last heard from."""

    kinds = (AlertKind.SILENT_POST,)

    def __init__(
        self,
        corridor: Corridor,
        active_posts: frozenset[str],
        config: SilenceConfig | None = None,
        start: datetime | None = None,
    ) -> None:
        self.corridor = corridor
        self.active_posts = active_posts
        self.config = config or SilenceConfig()
        self.alerts = AlertTable()
        self._heard: dict[str, datetime] = {}
        self._due: Deadlines[tuple[str, str]] = Deadlines()
        self._start: datetime | None = None
        if start is not None:
            self._begin(require_utc("start", start))

    def last_heard(self, post_id: str) -> datetime | None:
        return self._heard.get(post_id)

    def _begin(self, at: datetime) -> None:
        # Posts not heard from yet get the whole silent_after from the start of monitoring.
        self._start = at
        for post in sorted(self.active_posts):
            if post not in self._heard:
                self._due.set((post, _SILENT), at + self.config.silent_after)

    def on_passage(self, obs: PassageObservation) -> list[AlertChange]:
        return self.heard(obs.post_id, obs.observed_at, obs.event_id)

    def on_sync(self, post_id: str, at: datetime) -> list[AlertChange]:
        return self.heard(post_id, require_utc("at", at))

    def heard(self, post_id: str, at: datetime, evidence: str | None = None) -> list[AlertChange]:
        """The post spoke at ``at``: push its deadline back and close its alert if open."""
        if self._start is None:
            self._begin(at)
        if post_id not in self.active_posts:
            return []
        before = self._heard.get(post_id)
        if before is not None and at <= before:
            return []
        self._heard[post_id] = at
        self._due.set((post_id, _SILENT), at + self.config.silent_after)
        self._due.cancel((post_id, _ESCALATE))
        key = f"{AlertKind.SILENT_POST}:{post_id}"
        alert = self.alerts.get(key)
        if alert is None:
            return []
        since = before or self._start or at
        return [
            self.alerts.close(
                key,
                at,
                summary=f"{self._label(post_id)} was silent for {minutes(at - since):.0f} min.",
                evidence=[evidence] if evidence else [],
                figures={"silent_min": minutes(at - since)},
            )
        ]

    def tick(self, now: datetime) -> list[AlertChange]:
        """Open or escalate the alerts of posts whose silence has passed a threshold."""
        if self._start is None:
            self._begin(now)
        changes: list[AlertChange] = []
        for (post, stage), due in self._due.pop_due(now):
            key = f"{AlertKind.SILENT_POST}:{post}"
            last = self._heard.get(post)
            since = last or self._start or due
            if stage == _SILENT:
                changes.append(self.alerts.open(self._alert(key, post, last, due)))
                self._due.set((post, _ESCALATE), since + self.config.escalate_after)
            elif key in self.alerts:
                change = self.alerts.update(
                    key,
                    due,
                    severity=Severity.CRITICAL,
                    summary=self._silent_summary(post, last, due),
                    figures={"silent_min": minutes(due - since)},
                )
                if change is not None:
                    changes.append(change)
        return changes

    def _alert(self, key: str, post: str, last: datetime | None, due: datetime) -> Alert:
        since = last or self._start or due
        return Alert(
            kind=AlertKind.SILENT_POST,
            key=key,
            severity=Severity.WARNING,
            subject=post,
            subject_kind=SubjectKind.POST,
            opened_at=due,
            summary=self._silent_summary(post, last, due),
            figures={
                "last_heard": format_time(last) if last else "never",
                "silent_min": minutes(due - since),
            },
        )

    def _silent_summary(self, post: str, last: datetime | None, at: datetime) -> str:
        since = last or self._start or at
        heard = f"since {last:%Y-%m-%d %H:%M} UTC" if last else "since monitoring started"
        return (
            f"No events or sync from {self._label(post)} {heard} ({minutes(at - since):.0f} min)."
        )

    def _label(self, post_id: str) -> str:
        return self.corridor.post(post_id).label if self.corridor.has_post(post_id) else post_id
