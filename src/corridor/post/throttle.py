"""Throttling of failed console log-ins, counted before any password is hashed.

Failed log-ins are counted in memory (a restart forgets them) per username from one address,
per username from all addresses, and per address; a counter that reaches its rule refuses
further attempts for a while (:class:`LoginThrottled`, 429). :func:`log_in` is
:func:`corridor.post.auth.authenticate` behind the throttle. The trade-offs (why a username is
not simply locked after five failures) are in docs/security.md.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from argon2 import PasswordHasher

from corridor.post.auth import AuthenticationError, Operator, authenticate
from corridor.store.engine import Store

log = logging.getLogger("corridor.post.auth")


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
    post: str | None,
    username: str,
    password: str,
    address: str,
    throttle: LoginThrottle,
    *,
    hasher: PasswordHasher | None = None,
    roles: Collection[str] | None = None,
) -> Operator:
    """:func:`authenticate` behind ``throttle``: :class:`LoginThrottled` before any hashing
    while a counter of this username or ``address`` is locked, and on the failure that locks
    one; :class:`AuthenticationError` for other failures. A success clears the username's
    counts. ``post`` None and ``roles`` are HQ's log-ins (see :func:`authenticate`)."""
    attempt = throttle.begin(username, address)
    try:
        operator = (
            authenticate(store, post, username, password, roles=roles)
            if hasher is None
            else authenticate(store, post, username, password, hasher=hasher, roles=roles)
        )
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
