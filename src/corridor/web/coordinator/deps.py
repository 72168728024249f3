"""What the workspace's handlers share: its :class:`Workspace` (sessions, log-in throttle, live
feed, clock) in ``app.state.workspace``, and the logged-in user that
:func:`corridor.web.coordinator.access.authorize` put on the request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated

from argon2 import PasswordHasher
from fastapi import Depends, Request

from corridor.hq.live import LiveFeed
from corridor.hq.services import HqServices
from corridor.post.auth import Session, Sessions
from corridor.post.throttle import LoginThrottle


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Workspace:
    """The coordinator workspace's own state. Sessions and throttle counts live in this
    process's memory (a restart logs everyone out and forgets failed log-ins), like the post
    console's. Give the same ``feed`` to whatever publishes positions, alerts and syncs."""

    feed: LiveFeed = field(default_factory=LiveFeed)
    sessions: Sessions = field(default_factory=Sessions)
    throttle: LoginThrottle = field(default_factory=LoginThrottle)
    #: Checks passwords; None is argon2-cffi's defaults.
    hasher: PasswordHasher | None = None
    #: Set the Secure flag on cookies (when HQ is served over HTTPS).
    secure_cookies: bool = False
    #: Wall-clock time of acknowledgements and new records.
    clock: Callable[[], datetime] = _now
    #: Seconds between keep-alive comments on an idle event stream.
    heartbeat: float = 15.0
    #: Seconds an event stream stays open before it ends and the browser reconnects (so that
    #: an ended session stops receiving, and a server shutdown is never held up for long).
    stream_max_age: float = 300.0


def workspace_for(hq: HqServices | None) -> Workspace:
    """A fresh workspace following HQ's own live feed (or a feed of its own without HQ)."""
    return Workspace(feed=hq.live) if hq is not None else Workspace()


def get_workspace(request: Request) -> Workspace:
    workspace: Workspace = request.app.state.workspace
    return workspace


def current_session(request: Request) -> Session:
    """The session :func:`~corridor.web.coordinator.access.authorize` found (it already refused
    the request if the route needs one and there was none)."""
    session: Session | None = getattr(request.state, "hq_session", None)
    assert session is not None, "a route that needs a user is marked PUBLIC in ACCESS"
    return session


WorkspaceDep = Annotated[Workspace, Depends(get_workspace)]
User = Annotated[Session, Depends(current_session)]
