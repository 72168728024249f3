"""Failed log-ins at a post's console are throttled: a username locked after 5 failures from one
address, refused with a 429 before any password is hashed, the same for unknown usernames, with
an alert; a success clears the count; locks expire on the (injected) clock.

The console is the real app over the real node; the hasher is the real Argon2 hasher, counting
its verifications. Most tests go through the in-process client (address ``testclient``); the
ones about addresses go over a real socket, from two loopback addresses.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from corridor.post.node import PostNode
from corridor.post.throttle import (
    LOCKOUT_ALERT,
    LoginThrottle,
    LoginThrottled,
    ThrottlePolicy,
    ThrottleRule,
)
from corridor.web.console import create_post_app
from tests.browser import served
from tests.post.conftest import PASSWORD, csrf_of

LOCK_SECONDS = 15 * 60


class Clock:
    """Monotonic seconds that only move when a test moves them."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class CountingHasher(PasswordHasher):
    """argon2-cffi's own hasher, counting the passwords it verified."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.verified += 1
        return super().verify(hash, password)


@pytest.fixture
def ticks() -> Clock:
    return Clock()


@pytest.fixture
def hasher() -> CountingHasher:
    return CountingHasher()


@pytest.fixture
def throttle(ticks: Clock) -> LoginThrottle:
    return LoginThrottle(clock=ticks)


@pytest.fixture
def app(
    pulled: PostNode,
    operator: tuple[str, str],
    throttle: LoginThrottle,
    hasher: CountingHasher,
) -> FastAPI:
    return create_post_app(pulled, throttle=throttle, hasher=hasher)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://127.0.0.1:8100") as opened:
        opened.get("/login")
        yield opened


def attempt(client: TestClient, username: str, password: str) -> httpx.Response:
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf": csrf_of(client)},
        follow_redirects=False,
    )


def fail(client: TestClient, username: str = "amira", times: int = 1) -> list[int]:
    return [attempt(client, username, "wrong password!").status_code for _ in range(times)]


def test_five_failures_lock_the_username_with_a_clear_429(
    client: TestClient, hasher: CountingHasher
) -> None:
    assert fail(client, times=4) == [401] * 4
    fifth = attempt(client, "amira", "wrong password!")
    assert fifth.status_code == 429  # the failure that locks says so at once
    refused = attempt(client, "amira", PASSWORD)  # even the right password now
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == str(LOCK_SECONDS)
    # The node's clock says 09:30 UTC: retry at 09:45.
    message = (
        "Too many failed log-ins for this username: try again after 09:45 UTC (in 15 minutes). "
        "An administrator can lift the lock at once by restarting the console "
        "(corridor serve --role post)."
    )
    for response in (fifth, refused):
        assert message in response.text
        assert 'role="alert"' in response.text
    assert "corridor_session" not in client.cookies
    assert hasher.verified == 5


def test_no_password_is_hashed_while_locked(client: TestClient, hasher: CountingHasher) -> None:
    fail(client, times=5)
    checked = hasher.verified
    assert fail(client, times=30) == [429] * 30
    assert attempt(client, "amira", PASSWORD).status_code == 429
    assert hasher.verified == checked


def test_a_success_clears_the_usernames_count(client: TestClient, ticks: Clock) -> None:
    assert fail(client, times=4) == [401] * 4
    assert attempt(client, "amira", PASSWORD).status_code == 303
    assert fail(client, times=4) == [401] * 4  # a fresh count: 8 failures, no lock
    assert fail(client) == [429]


def test_the_lock_expires(client: TestClient, ticks: Clock) -> None:
    fail(client, times=5)
    ticks.advance(LOCK_SECONDS - 60)
    refused = attempt(client, "amira", PASSWORD)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "60" and "(in 1 minute)" in refused.text
    ticks.advance(60)
    assert attempt(client, "amira", PASSWORD).status_code == 303
    assert client.get("/console").status_code == 200


def test_failures_older_than_the_window_are_forgotten(client: TestClient, ticks: Clock) -> None:
    for _ in range(4):
        fail(client)
        ticks.advance(5 * 60)  # 5 failures in 20 minutes, never 5 within 15
    assert fail(client, times=2) == [401, 401]


def test_a_lock_raises_one_alert_and_no_password_is_written_anywhere(
    client: TestClient, pulled: PostNode, ticks: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "hunter2-the-guess"
    for _ in range(12):
        attempt(client, "amira", secret)
    (alert,) = pulled.open_alerts()
    assert alert["kind"] == LOCKOUT_ALERT and alert["source"] == "console"
    assert alert["message"] == (
        "5 failed log-ins as 'amira' from testclient within 15 minutes: log-ins as 'amira' from "
        "there are refused for 15 minutes (a restart of the console lifts it)"
    )
    assert "log-in lockout: 5 failed log-ins as 'amira'" in caplog.text
    ticks.advance(LOCK_SECONDS)
    attempt(client, "amira", PASSWORD)
    page = client.get("/console").text
    assert f'data-kind="{LOCKOUT_ALERT}"' in page and "5 failed log-ins as" in page
    written = caplog.text + repr(pulled.open_alerts()) + page
    assert secret not in written and PASSWORD not in written


def test_an_unknown_username_is_answered_like_a_known_one(
    pulled: PostNode, operator: tuple[str, str], hasher: CountingHasher
) -> None:
    def run(username: str) -> tuple[list[tuple[int, str, str | None]], int, list[str]]:
        app = create_post_app(pulled, throttle=LoginThrottle(clock=Clock()), hasher=hasher)
        before = hasher.verified
        with TestClient(app, base_url="http://127.0.0.1:8100") as client:
            client.get("/login")
            answers = []
            for _ in range(7):
                response = attempt(client, username, "wrong password!")
                body = response.text.replace(csrf_of(client), "CSRF").replace(username, "NAME")
                answers.append((response.status_code, body, response.headers.get("retry-after")))
        alerts = [str(a["message"]).replace(username, "NAME") for a in pulled.open_alerts()]
        for alert in pulled.open_alerts():
            pulled.acknowledge_alert(int(str(alert["id"])))
        return answers, hasher.verified - before, alerts

    known, unknown = run("amira"), run("nobody")
    assert [status for status, _, _ in known[0]] == [401] * 4 + [429] * 3
    assert known[1] == 5 and len(known[2]) == 1  # 5 passwords hashed, one alert
    assert known == unknown


def test_one_address_trying_many_usernames_is_refused_for_all(
    client: TestClient, hasher: CountingHasher
) -> None:
    for name in ("ali", "bo", "cem", "dana", "emil"):  # 4 each: no username reaches 5
        statuses = fail(client, name, times=4)
    assert statuses == [401, 401, 401, 429]  # the 20th failure from this address
    refused = attempt(client, "amira", PASSWORD)  # a right password, from there
    assert refused.status_code == 429
    assert "Too many failed log-ins from this computer" in refused.text
    assert hasher.verified == 20


def test_another_address_is_not_locked_out(
    pulled: PostNode, operator: tuple[str, str], ticks: Clock
) -> None:
    """Over a real socket: 127.0.0.2 locks 'amira' for itself only; 127.0.0.1 still logs in."""
    app = create_post_app(pulled, throttle=LoginThrottle(clock=ticks), hasher=CountingHasher())

    def client(source: str, url: str) -> httpx.Client:
        transport = httpx.HTTPTransport(local_address=source)
        return httpx.Client(base_url=url, transport=transport, follow_redirects=False)

    def post(browser: httpx.Client, password: str) -> httpx.Response:
        browser.get("/login")
        csrf = browser.cookies["corridor_csrf"]
        return browser.post(
            "/login", data={"username": "amira", "password": password, "csrf": csrf}
        )

    with served(app, "uvicorn-throttle-test") as url:
        with client("127.0.0.2", url) as attacker, client("127.0.0.1", url) as operator_pc:
            statuses = [post(attacker, "wrong password!").status_code for _ in range(6)]
            assert statuses == [401] * 4 + [429] * 2
            assert post(operator_pc, PASSWORD).status_code == 303
            assert post(attacker, PASSWORD).status_code == 429
    (alert,) = pulled.open_alerts()
    assert "from 127.0.0.2" in str(alert["message"])


# -- the throttle on its own: the rules across addresses, attempts in flight, memory ---------


def test_failures_from_many_addresses_lock_the_username_everywhere(ticks: Clock) -> None:
    throttle = LoginThrottle(clock=ticks)
    for source in ("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"):
        refusals = [throttle.failed(throttle.begin("amira", source)) for _ in range(5)]
        assert refusals[:4] == [None] * 4 and refusals[4] is not None
    (lockout,) = [lock for lock in refusals[4].lockouts if lock.scope == "username"]
    assert "from several addresses" in lockout.describe()
    with pytest.raises(LoginThrottled, match="for this username") as raised:
        throttle.begin("amira", "10.0.0.99")
    assert raised.value.status_code == 429 and raised.value.retry_after == LOCK_SECONDS
    throttle.begin("someone-else", "10.0.0.99")  # the address itself is not locked


def test_attempts_being_checked_count_against_the_limit(ticks: Clock) -> None:
    """Parallel requests cannot all slip past the count while their passwords are hashed."""
    throttle = LoginThrottle(clock=ticks)
    in_flight = [throttle.begin("amira", "a") for _ in range(5)]
    with pytest.raises(LoginThrottled, match="in 2 seconds"):
        throttle.begin("amira", "a")
    throttle.abandon(in_flight.pop())  # a store error: nothing counted
    throttle.succeeded(in_flight.pop())
    assert throttle.tracked() == 3  # pair, username and address counters, still in flight
    for attempt_ in in_flight:
        throttle.failed(attempt_)
    throttle.failed(throttle.begin("amira", "a"))
    throttle.begin("amira", "a")  # 4 failures counted since the success


def test_memory_is_bounded_and_locks_are_kept(ticks: Clock) -> None:
    policy = ThrottlePolicy(pair=ThrottleRule(2), address=ThrottleRule(1000), max_tracked=30)
    throttle = LoginThrottle(policy, clock=ticks)
    for _ in range(2):
        throttle.failed(throttle.begin("amira", "a"))
    for number in range(100):
        ticks.advance(1)
        throttle.failed(throttle.begin(f"user{number}", "a"))
    assert throttle.tracked() <= 30
    with pytest.raises(LoginThrottled):
        throttle.begin("amira", "a")
    throttle.reset()
    assert throttle.tracked() == 0
    throttle.begin("amira", "a")
