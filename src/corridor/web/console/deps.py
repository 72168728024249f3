"""What the console's handlers share: the node, the sessions, the log-in throttle, the logged-in
operator, CSRF.

The app keeps one :class:`ConsoleContext` in ``app.state.console``. A page that needs a login
takes :data:`LoggedIn`; a POST form also calls :func:`check_csrf` with its submitted token.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from argon2 import PasswordHasher
from fastapi import Depends, Request

from corridor.post.auth import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    AuthenticationError,
    CsrfError,
    Session,
    Sessions,
    same_token,
)
from corridor.post.node import PostNode
from corridor.post.throttle import LoginThrottle


class LoginRequired(AuthenticationError):
    """No live session: pages redirect to the login page, the JSON endpoints answer 401."""


@dataclass(frozen=True)
class ConsoleContext:
    node: PostNode
    sessions: Sessions
    #: Set the Secure flag on cookies (when the console is served over HTTPS).
    secure_cookies: bool = False
    #: Failed log-ins, counted in this process's memory.
    throttle: LoginThrottle = field(default_factory=LoginThrottle)
    #: Checks passwords; None is argon2-cffi's defaults.
    hasher: PasswordHasher | None = None


def get_console(request: Request) -> ConsoleContext:
    context: ConsoleContext = request.app.state.console
    return context


def current_session(request: Request) -> Session:
    session = get_console(request).sessions.get(request.cookies.get(SESSION_COOKIE))
    if session is None:
        raise LoginRequired("log in first (or your session ended)")
    return session


def check_csrf(request: Request, submitted: str | None, session: Session | None) -> None:
    """The form's token must equal this browser's CSRF cookie and, logged in, the session's."""
    cookie = request.cookies.get(CSRF_COOKIE)
    if not same_token(submitted, cookie):
        raise CsrfError("this form is stale or was not sent by the console; reload the page")
    if session is not None and not same_token(submitted, session.csrf):
        raise CsrfError("this form belongs to another session; reload the page")


Console = Annotated[ConsoleContext, Depends(get_console)]
LoggedIn = Annotated[Session, Depends(current_session)]
