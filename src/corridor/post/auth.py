"""Who may use a post's console: operators of this post, by password, with short sessions.

* Passwords are stored as Argon2id hashes (argon2-cffi's ``PasswordHasher``), in ``operators``;
  the same table HQ keeps, so HQ's operators of this post arrive with a registry pull.
* A post node accepts only active operators whose ``post`` is this post. An unknown user costs
  the same hashing time as a wrong password, so timing does not tell which usernames exist.
* HQ's users are rows with ``post`` NULL and one of :data:`HQ_ROLES`; HQ's workspace checks them
  with ``authenticate(store, None, ..., roles=HQ_ROLES)`` (corridor.web.coordinator).
* Sessions live in memory (a post has few operators; a restart logs everyone out): the browser
  holds a random token in an ``HttpOnly``, ``SameSite=Strict`` cookie; the server keeps only its
  SHA-256. A session ends after ``idle`` without a request or ``lifetime`` at most.
* Every POST form carries a CSRF token that must equal the ``corridor_csrf`` cookie (double
  submit) and, once logged in, the session's own token.
* Failed log-ins are throttled before any hashing: :mod:`corridor.post.throttle`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select, update

from corridor.errors import ConflictError, SignatureError, ValidationError
from corridor.store.engine import Store
from corridor.store.schema import operators

ROLE_OPERATOR = "operator"
#: The roles of HQ's users (no post), lowest first: each may do what the ones before it may.
HQ_ROLES = ("viewer", "coordinator", "admin")
SESSION_COOKIE = "corridor_session"
CSRF_COOKIE = "corridor_csrf"
CSRF_FIELD = "csrf"
MIN_PASSWORD = 10

log = logging.getLogger("corridor.post.auth")

_hasher = PasswordHasher()
# Verified against when the username is unknown, so that the answer takes as long.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AuthenticationError(SignatureError):
    """Wrong username or password, an operator of another post, or no valid session (401)."""


class CsrfError(AuthenticationError):
    """A form arrived without the CSRF token of this browser's session (403)."""

    status_code = 403


@dataclass(frozen=True, slots=True)
class Operator:
    """A logged-in operator (``post`` is None for HQ's users)."""

    username: str
    post: str | None
    role: str


def add_operator(
    store: Store,
    username: str,
    post: str | None,
    password: str,
    role: str = ROLE_OPERATOR,
    *,
    hasher: PasswordHasher = _hasher,
) -> None:
    """Add an operator with an Argon2 hash of ``password``; refuse an existing username."""
    name = username.strip()
    if not name or len(name) > 64 or any(ch.isspace() for ch in name):
        raise ValidationError("username", "1 to 64 characters, no spaces")
    if len(password) < MIN_PASSWORD:
        raise ValidationError("password", f"at least {MIN_PASSWORD} characters")
    if role == ROLE_OPERATOR and not post:
        raise ValidationError("post", "an operator is assigned to one post")
    if not post and role not in HQ_ROLES:
        raise ValidationError("role", f"an HQ user (no post) is one of {', '.join(HQ_ROLES)}")
    with store.write() as conn:
        exists = conn.execute(select(operators.c.username).where(operators.c.username == name))
        if exists.first() is not None:
            raise ConflictError(f"operator {name!r} already exists")
        conn.execute(
            operators.insert().values(
                username=name,
                post=post,
                role=role,
                password_hash=hasher.hash(password),
                active=1,
            )
        )


def authenticate(
    store: Store,
    post: str | None,
    username: str,
    password: str,
    *,
    hasher: PasswordHasher = _hasher,
    roles: Collection[str] | None = None,
) -> Operator:
    """The operator if ``username`` is an active operator of ``post`` with this password (and,
    if ``roles`` is given, one of those roles). ``post`` None accepts only HQ's users."""
    with store.read() as conn:
        row = conn.execute(select(operators).where(operators.c.username == username)).first()
    refused = AuthenticationError("wrong username or password, or not an operator of this post")
    stored = str(row.password_hash) if row is not None else _DUMMY_HASH
    try:
        hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError) as exc:
        raise refused from exc
    if row is None or not row.active or row.post != post:
        raise refused
    if roles is not None and row.role not in roles:
        raise refused
    if hasher.check_needs_rehash(stored):
        with store.write() as conn:
            conn.execute(
                update(operators)
                .where(operators.c.username == username)
                .values(password_hash=hasher.hash(password))
            )
    return Operator(str(row.username), None if row.post is None else str(row.post), str(row.role))


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def same_token(a: str | None, b: str | None) -> bool:
    """Constant-time comparison of two tokens; false if either is missing."""
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


@dataclass
class Session:
    """A session: who, its CSRF token, and when it started and was last used."""

    operator: Operator
    csrf: str
    started: float
    last_seen: float


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Sessions:
    """In-memory sessions, keyed by the SHA-256 of their token."""

    def __init__(
        self,
        *,
        idle: float = 2 * 3600,
        lifetime: float = 12 * 3600,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.idle = idle
        self.lifetime = lifetime
        self._clock = clock
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def start(self, operator: Operator) -> tuple[str, Session]:
        """A new session for ``operator``: (cookie token, session)."""
        token = secrets.token_urlsafe(32)
        now = self._clock()
        session = Session(operator, new_csrf_token(), now, now)
        with self._lock:
            self._sessions[_digest(token)] = session
        return token, session

    def get(self, token: str | None) -> Session | None:
        """The live session of ``token``, refreshed; None if missing or expired."""
        if not token:
            return None
        key = _digest(token)
        now = self._clock()
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                return None
            if now - session.last_seen > self.idle or now - session.started > self.lifetime:
                del self._sessions[key]
                return None
            session.last_seen = now
            return session

    def end(self, token: str | None) -> None:
        if token:
            with self._lock:
                self._sessions.pop(_digest(token), None)
