"""Who may use a post's console: operators of this post, by password, with short sessions.

* Passwords are stored as Argon2id hashes (argon2-cffi's ``PasswordHasher``), in ``operators``;
  the same table HQ keeps, so HQ's operators of this post arrive with a registry pull.
* A post node accepts only active operators whose ``post`` is this post. An unknown user costs
  the same hashing time as a wrong password, so timing does not tell which usernames exist.
* Sessions live in memory (a post has few operators; a restart logs everyone out): the browser
  holds a random token in an ``HttpOnly``, ``SameSite=Strict`` cookie; the server keeps only its
  SHA-256. A session ends after ``idle`` without a request or ``lifetime`` at most.
* Every POST form carries a CSRF token that must equal the ``corridor_csrf`` cookie (double
  submit) and, once logged in, the session's own token.
* Failed log-ins are counted in memory (a restart forgets them) by :class:`LoginThrottle`, per
  username from one address, per username from all addresses, and per address; a counter that
  reaches its rule refuses further attempts for a while (:class:`LoginThrottled`, 429) before
  any password is hashed. :func:`log_in` is :func:`authenticate` behind the throttle.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select, update

from corridor.errors import ConflictError, SignatureError, ValidationError
from corridor.store.engine import Store
from corridor.store.schema import operators

ROLE_OPERATOR = "operator"
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
    """A logged-in operator."""

    username: str
    post: str
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
    store: Store, post: str, username: str, password: str, *, hasher: PasswordHasher = _hasher
) -> Operator:
    """The operator if ``username`` is an active operator of ``post`` with this password."""
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
    if hasher.check_needs_rehash(stored):
        with store.write() as conn:
            conn.execute(
                update(operators)
                .where(operators.c.username == username)
                .values(password_hash=hasher.hash(password))
            )
    return Operator(str(row.username), str(row.post), str(row.role))


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


# -- throttling failed log-ins ---------------------------------------------------------------

#: The alert raised when a counter locks (see docs/console.md).
LOCKOUT_ALERT = "login_locked"
#: The three counters a log-in attempt is counted in.
PAIR, USERNAME, ADDRESS = "username from address", "username", "address"
#: Seconds to wait when as many attempts as a rule allows are being checked right now.
BUSY_RETRY = 2.0


@dataclass(frozen=True, slots=True)
class ThrottleRule:
    """After ``failures`` failed log-ins within ``window`` seconds, refuse for ``lockout`` s."""

    failures: int
    window: float = 15 * 60
    lockout: float = 15 * 60


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """The three rules. Only failures count; refused attempts are neither counted nor hashed.

    One address can never lock a username for other addresses: it adds at most
    ``pair.failures`` failures to the username's count per ``pair.lockout``, which stays below
    ``username.failures`` as long as ``pair.failures < username.failures`` and
    ``pair.lockout >= username.window`` (as by default: 5 < 20, 15 minutes each).
    """

    #: One username from one address: what an operator who mistypes meets.
    pair: ThrottleRule = ThrottleRule(5)
    #: One username from every address together: guessing one password from many machines.
    username: ThrottleRule = ThrottleRule(20)
    #: One address, every username together: trying many usernames from one machine.
    address: ThrottleRule = ThrottleRule(20)
    #: Counters kept at most; beyond, idle ones are forgotten, then the oldest; locked ones never.
    max_tracked: int = 10_000


@dataclass(frozen=True, slots=True)
class Lockout:
    """A counter that has just locked: what the operators' alert and the log say (no password)."""

    scope: str
    username: str
    address: str
    rule: ThrottleRule

    def describe(self) -> str:
        count = f"{self.rule.failures} failed log-ins"
        within = f"within {_span(self.rule.window)}"
        refused = f"refused for {_span(self.rule.lockout)} (a restart of the console lifts it)"
        if self.scope == ADDRESS:
            return f"{count} from {self.address} {within}: every log-in from there is {refused}"
        if self.scope == USERNAME:
            return (
                f"{count} as {self.username!r} from several addresses {within}: log-ins as "
                f"{self.username!r} from anywhere are {refused}"
            )
        return (
            f"{count} as {self.username!r} from {self.address} {within}: log-ins as "
            f"{self.username!r} from there are {refused}"
        )


class LoginThrottled(AuthenticationError):
    """Too many failed log-ins for this username or from this address (429). Says the same
    whether or not the username exists. ``lockouts`` are the locks this very attempt caused."""

    status_code = 429

    def __init__(self, scope: str, retry_after: float, lockouts: tuple[Lockout, ...] = ()) -> None:
        self.scope = scope
        self.retry_after = max(1, math.ceil(retry_after))
        self.lockouts = lockouts
        super().__init__(self.explain())

    def explain(self, retry_at: str | None = None) -> str:
        """The message, with the wall-clock time to retry at when the caller knows it."""
        whose = "from this computer" if self.scope == ADDRESS else "for this username"
        when = f"in {_span(self.retry_after)}"
        when = f"after {retry_at} ({when})" if retry_at else when
        return (
            f"Too many failed log-ins {whose}: try again {when}. An administrator can lift "
            "the lock at once by restarting the console (corridor serve --role post)."
        )


@dataclass(frozen=True, slots=True)
class Attempt:
    """A log-in attempt under way: the username (as counted) and the client's address."""

    username: str
    address: str


@dataclass(slots=True)
class _Counter:
    failures: deque[float] = field(default_factory=deque)
    in_flight: int = 0
    locked_until: float = -math.inf
    last: float = -math.inf

    def expire(self, rule: ThrottleRule, now: float) -> None:
        while self.failures and self.failures[0] <= now - rule.window:
            self.failures.popleft()

    def idle(self, now: float) -> bool:
        return not self.failures and not self.in_flight and self.locked_until <= now


class LoginThrottle:
    """Failed log-ins counted in memory, per username from an address, per username and per
    address (:class:`ThrottlePolicy`). ``clock`` is monotonic seconds (injectable in tests).

    :meth:`begin` is called before the password is checked and refuses while a counter is
    locked, and while as many attempts as a rule still allows are being checked at once (so
    parallel requests cannot get past the count). Every attempt ends with :meth:`failed`,
    :meth:`succeeded` or :meth:`abandon`.
    """

    def __init__(
        self,
        policy: ThrottlePolicy | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy or ThrottlePolicy()
        self._clock = clock
        self._counters: dict[tuple[str, str, str], _Counter] = {}
        self._lock = threading.Lock()

    def _rules(self, attempt: Attempt) -> list[tuple[str, tuple[str, str, str], ThrottleRule]]:
        user, address, policy = attempt.username, attempt.address, self.policy
        return [
            (PAIR, (PAIR, user, address), policy.pair),
            (USERNAME, (USERNAME, user, ""), policy.username),
            (ADDRESS, (ADDRESS, "", address), policy.address),
        ]

    def begin(self, username: str, address: str) -> Attempt:
        """Count an attempt as under way, or raise :class:`LoginThrottled` (nothing counted)."""
        # No real username is longer than 64 characters: longer ones count by their first 65.
        attempt = Attempt(username[:65], address or "unknown")
        now = self._clock()
        with self._lock:
            counters = []
            for scope, key, rule in self._rules(attempt):
                counter = self._counters.get(key) or _Counter()
                counter.expire(rule, now)
                counters.append((scope, key, rule, counter))
            locks = [(c.locked_until, scope) for scope, _, _, c in counters if c.locked_until > now]
            if locks:
                until, scope = max(locks)
                raise LoginThrottled(scope, until - now)
            for scope, _key, rule, counter in counters:
                if len(counter.failures) + counter.in_flight >= rule.failures:
                    raise LoginThrottled(scope, BUSY_RETRY)
            for _scope, key, _rule, counter in counters:
                counter.in_flight += 1
                counter.last = now
                self._counters[key] = counter
            if len(self._counters) > self.policy.max_tracked:
                self._forget(now)
        return attempt

    def failed(self, attempt: Attempt) -> LoginThrottled | None:
        """Count a failure; the refusal to answer with if a counter of ``attempt`` is locked
        now (carrying the locks this failure caused, which are also logged)."""
        now = self._clock()
        lockouts: list[Lockout] = []
        refusal: tuple[float, str] | None = None
        with self._lock:
            for scope, key, rule in self._rules(attempt):
                counter = self._counters.setdefault(key, _Counter())
                counter.in_flight = max(0, counter.in_flight - 1)
                counter.expire(rule, now)
                counter.failures.append(now)
                counter.last = now
                if len(counter.failures) >= rule.failures:
                    counter.failures.clear()
                    if counter.locked_until <= now:
                        counter.locked_until = now + rule.lockout
                        lockouts.append(Lockout(scope, attempt.username, attempt.address, rule))
                if counter.locked_until > now and (
                    refusal is None or counter.locked_until > refusal[0]
                ):
                    refusal = (counter.locked_until, scope)
        for lockout in lockouts:
            log.warning("log-in lockout: %s", lockout.describe())
        if refusal is None:
            return None
        return LoginThrottled(refusal[1], refusal[0] - now, tuple(lockouts))

    def succeeded(self, attempt: Attempt) -> None:
        """The password was right: clear the username's counts (not the address's)."""
        now = self._clock()
        with self._lock:
            for scope, key, _rule in self._rules(attempt):
                counter = self._counters.get(key)
                if counter is None:
                    continue
                counter.in_flight = max(0, counter.in_flight - 1)
                if scope != ADDRESS:
                    counter.failures.clear()
                    counter.locked_until = -math.inf
                if counter.idle(now):
                    del self._counters[key]

    def abandon(self, attempt: Attempt) -> None:
        """The check itself failed (the store, not the password): count nothing."""
        now = self._clock()
        with self._lock:
            for _scope, key, _rule in self._rules(attempt):
                counter = self._counters.get(key)
                if counter is not None:
                    counter.in_flight = max(0, counter.in_flight - 1)
                    if counter.idle(now):
                        del self._counters[key]

    def reset(self) -> None:
        """Forget every count and lock (what a restart does)."""
        with self._lock:
            self._counters.clear()

    def tracked(self) -> int:
        """How many counters are kept now."""
        with self._lock:
            return len(self._counters)

    def _forget(self, now: float) -> None:
        """Drop idle counters, then the oldest unlocked ones, down to ``max_tracked``."""
        rules = {PAIR: self.policy.pair, USERNAME: self.policy.username}
        for key, counter in list(self._counters.items()):
            counter.expire(rules.get(key[0], self.policy.address), now)
            if counter.idle(now):
                del self._counters[key]
        excess = len(self._counters) - self.policy.max_tracked
        if excess > 0:
            unlocked = [
                (counter.last, key)
                for key, counter in self._counters.items()
                if counter.locked_until <= now and not counter.in_flight
            ]
            for _last, key in sorted(unlocked)[:excess]:
                del self._counters[key]


def log_in(
    store: Store,
    post: str,
    username: str,
    password: str,
    address: str,
    throttle: LoginThrottle,
    *,
    hasher: PasswordHasher | None = None,
) -> Operator:
    """:func:`authenticate` behind ``throttle``: :class:`LoginThrottled` before any hashing
    while a counter of this username or ``address`` is locked, and on the failure that locks
    one; :class:`AuthenticationError` for other failures. A success clears the username's
    counts."""
    attempt = throttle.begin(username, address)
    try:
        operator = authenticate(store, post, username, password, hasher=hasher or _hasher)
    except AuthenticationError as exc:
        refusal = throttle.failed(attempt)
        if refusal is not None:
            raise refusal from exc
        raise
    except BaseException:
        throttle.abandon(attempt)
        raise
    throttle.succeeded(attempt)
    return operator


def _span(seconds: float) -> str:
    """``15 minutes``, ``1 minute``, ``30 seconds``, ``2 hours``: rounded up."""
    if seconds < 60:
        count, unit = math.ceil(seconds), "second"
    elif seconds < 2 * 3600:
        count, unit = math.ceil(seconds / 60), "minute"
    else:
        count, unit = math.ceil(seconds / 3600), "hour"
    return f"{count} {unit}{'' if count == 1 else 's'}"
