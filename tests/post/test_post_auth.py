"""Operators, passwords, sessions and CSRF at a post's console."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from corridor.errors import ConflictError, ValidationError
from corridor.post.auth import (
    AuthenticationError,
    Operator,
    Sessions,
    add_operator,
    authenticate,
)
from corridor.post.node import PostNode
from corridor.store.schema import operators
from tests.post.conftest import FAST_HASHER, PASSWORD, POST, csrf_of, log_in


def test_an_operator_of_this_post_logs_in(node: PostNode, operator: tuple[str, str]) -> None:
    who = authenticate(node.store, POST, *operator)
    assert (who.username, who.post, who.role) == ("amira", POST, "operator")


@pytest.mark.parametrize(
    ("username", "password"),
    [("amira", "wrong password!"), ("nobody", PASSWORD), ("amira", ""), ("", "")],
)
def test_wrong_credentials_are_refused(
    node: PostNode, operator: tuple[str, str], username: str, password: str
) -> None:
    with pytest.raises(AuthenticationError, match="wrong username or password"):
        authenticate(node.store, POST, username, password)


def test_an_operator_of_another_post_is_refused(node: PostNode) -> None:
    add_operator(node.store, "bahram", "P03", PASSWORD, hasher=FAST_HASHER)
    with pytest.raises(AuthenticationError, match="not an operator of this post"):
        authenticate(node.store, POST, "bahram", PASSWORD)


def test_an_inactive_operator_is_refused(node: PostNode, operator: tuple[str, str]) -> None:
    with node.store.write() as conn:
        conn.execute(update(operators).values(active=0))
    with pytest.raises(AuthenticationError):
        authenticate(node.store, POST, *operator)


def test_adding_operators_checks_its_input(node: PostNode, operator: tuple[str, str]) -> None:
    with pytest.raises(ConflictError, match="already exists"):
        add_operator(node.store, "amira", POST, PASSWORD, hasher=FAST_HASHER)
    with pytest.raises(ValidationError, match="password: at least 10"):
        add_operator(node.store, "short", POST, "123", hasher=FAST_HASHER)
    with pytest.raises(ValidationError, match="username"):
        add_operator(node.store, "two words", POST, PASSWORD, hasher=FAST_HASHER)
    with pytest.raises(ValidationError, match="post"):
        add_operator(node.store, "nopost", None, PASSWORD, hasher=FAST_HASHER)


def test_passwords_are_stored_as_argon2_hashes(node: PostNode, operator: tuple[str, str]) -> None:
    with node.store.read() as conn:
        stored = conn.execute(operators.select()).one().password_hash
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_sessions_expire_when_idle_and_at_most_after_their_lifetime(node: PostNode) -> None:
    now = [0.0]
    sessions = Sessions(idle=60, lifetime=300, clock=lambda: now[0])
    who = authenticate_fast(node)
    token, _ = sessions.start(who)
    for _ in range(5):
        now[0] += 59
        assert sessions.get(token) is not None
    now[0] += 10  # 305 s since the start
    assert sessions.get(token) is None
    token, _ = sessions.start(who)
    now[0] += 61
    assert sessions.get(token) is None
    token, _ = sessions.start(who)
    sessions.end(token)
    assert sessions.get(token) is None
    assert sessions.get("forged") is None and sessions.get(None) is None


def authenticate_fast(node: PostNode) -> Operator:
    add_operator(node.store, "temp-op", POST, PASSWORD, hasher=FAST_HASHER)
    return authenticate(node.store, POST, "temp-op", PASSWORD)


# -- over HTTP --------------------------------------------------------------------------------


def test_pages_need_a_session(console: TestClient) -> None:
    response = console.get("/console", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    api = console.get("/console/api/vehicles?prefix=34")
    assert api.status_code == 401 and api.json()["error"] == "LoginRequired"
    assert console.get("/console/passages/1/receipt.png", follow_redirects=False).status_code == 303


def test_login_sets_strict_http_only_cookies(console: TestClient) -> None:
    page = console.get("/login")
    assert page.status_code == 200
    assert "samesite=strict" in page.headers["set-cookie"].lower()
    response = console.post(
        "/login",
        data={"username": "amira", "password": PASSWORD, "csrf": csrf_of(console)},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/console"
    cookies = [c.lower() for c in response.headers.get_list("set-cookie")]
    session = next(c for c in cookies if c.startswith("corridor_session="))
    assert "httponly" in session and "samesite=strict" in session and "path=/" in session
    assert console.get("/console").status_code == 200


def test_wrong_password_shows_the_login_page_again(console: TestClient) -> None:
    console.get("/login")
    response = console.post(
        "/login", data={"username": "amira", "password": "nope nope nope", "csrf": csrf_of(console)}
    )
    assert response.status_code == 401
    assert "wrong username or password" in response.text
    assert "corridor_session" not in console.cookies


def test_login_without_the_csrf_token_is_refused(console: TestClient) -> None:
    console.get("/login")
    response = console.post("/login", data={"username": "amira", "password": PASSWORD})
    assert response.status_code == 403
    response = console.post(
        "/login", data={"username": "amira", "password": PASSWORD, "csrf": "guessed"}
    )
    assert response.status_code == 403


def test_forms_need_the_sessions_csrf_token(console: TestClient) -> None:
    log_in(console)
    passage = {"plate": "34 AA 123", "vehicle_class": "truck", "direction": "inbound"}
    assert console.post("/console/passages", data=passage).status_code == 403
    assert console.post("/console/passages", data={**passage, "csrf": "x"}).status_code == 403
    # A token that matches a cookie the attacker planted, but not the session's, is refused too.
    console.cookies.set("corridor_csrf", "planted")
    response = console.post("/console/passages", data={**passage, "csrf": "planted"})
    assert response.status_code == 403
    assert "another session" in response.text


def test_logout_ends_the_session(console: TestClient) -> None:
    log_in(console)
    token = csrf_of(console)
    response = console.post("/logout", data={"csrf": token}, follow_redirects=False)
    assert response.status_code == 303
    assert console.get("/console", follow_redirects=False).status_code == 303
