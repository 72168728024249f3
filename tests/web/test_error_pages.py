"""Errors: a page in the reader's language for a browser on a public page, the project's JSON
shape for the API, the log and files, never a 500 or FastAPI's bare ``{"detail": ...}``."""

from __future__ import annotations

import warnings

import pytest
from fastapi import FastAPI

from corridor.web.i18n import localizer

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

BROWSER = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.fixture
def reader(app: FastAPI) -> TestClient:
    return TestClient(app)


@pytest.mark.parametrize("lang", ["en", "ru", "hy", "az"])
def test_an_unknown_page_is_a_404_page_in_the_readers_language(
    reader: TestClient, lang: str
) -> None:
    response = reader.get(f"/no-such-page?lang={lang}", headers=BROWSER)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-language"] == lang
    page = response.text
    assert f'<html lang="{lang}">' in page
    loc = localizer(lang)
    assert loc.gettext("Nothing here") in page
    assert loc.gettext("There is no page at %(path)s.", path="/no-such-page") in page
    assert 'class="site-nav"' in page  # the reader can go on from here


def test_the_api_and_files_keep_the_json_shape(reader: TestClient) -> None:
    for url in ("/api/v1/no-such-thing", "/log/no-such-file"):
        response = reader.get(url, headers=BROWSER)
        assert response.status_code == 404
        body = response.json()
        assert body["error"] == "NotFoundError" and body["message"], url


def test_an_unknown_language_is_a_400_page_that_lists_the_languages(reader: TestClient) -> None:
    response = reader.get("/?lang=fr", headers=BROWSER)
    assert response.status_code == 400
    assert response.headers["content-language"] == "en"
    for code in ("en", "ru", "hy", "az"):
        assert code in response.text
    as_json = reader.get("/?lang=fr")  # no HTML asked for: the JSON shape
    assert as_json.status_code == 400
    assert as_json.json()["error"] == "BadRequestError"
    assert "'fr'" in as_json.json()["message"]
