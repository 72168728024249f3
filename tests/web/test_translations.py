"""The four languages: every catalog translates every string of the public pages, and the reader
gets the language they ask for, remember or accept.

The strings are extracted here, from the templates and the web code as `make messages` does
(babel.cfg), so a new string that nobody translated fails this test, not a reader's page."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from fastapi import FastAPI

from corridor.web.i18n import COOKIE, DEFAULT_LANGUAGE, LANGUAGES, WEB_DIR, catalog_path

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = [lang for lang in LANGUAGES if lang != DEFAULT_LANGUAGE]
# Python's %(name)s and the dashboard script's {name}: a translation keeps every one.
PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}")


def source_messages() -> set[str]:
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(WEB_DIR), method_map, options_map
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def load(lang: str) -> Catalog:
    with catalog_path(lang).open("rb") as po:
        return read_po(po, locale=lang)


@pytest.fixture
def reader(app: FastAPI) -> TestClient:
    """A client of its own: the language cookie it collects must not reach other tests."""
    return TestClient(app)


def test_the_pages_have_strings_to_translate() -> None:
    messages = source_messages()
    assert "SIMULATED DATA" in messages
    assert len(messages) > 50


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_string_is_translated_and_none_is_fuzzy(lang: str) -> None:
    catalog = load(lang)
    entries = {
        message.id if isinstance(message.id, str) else message.id[0]: message
        for message in catalog
        if message.id
    }
    missing = sorted(source_messages() - set(entries))
    assert not missing, f"{lang}: not in the catalog (run `make messages`): {missing[:10]}"
    untranslated = [
        key
        for key, message in entries.items()
        if not message.string or (isinstance(message.string, tuple) and not all(message.string))
    ]
    assert not untranslated, f"{lang}: untranslated: {untranslated[:10]}"
    fuzzy = [key for key, message in entries.items() if message.fuzzy]
    assert not fuzzy, f"{lang}: fuzzy (check and clear the flag): {fuzzy[:10]}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_keep_every_placeholder(lang: str) -> None:
    for message in load(lang):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            assert set(PLACEHOLDER.findall(string)) == expected, (lang, message.id, string)


def test_a_page_is_in_the_language_asked_for_and_remembers_it(reader: TestClient) -> None:
    english = reader.get("/", headers={"accept-language": "en"})
    assert english.headers["content-language"] == "en"
    for lang in TRANSLATED:
        asked = reader.get(f"/?lang={lang}")
        assert asked.status_code == 200
        assert asked.headers["content-language"] == lang
        assert f'<html lang="{lang}">' in asked.text
        assert asked.cookies.get(COOKIE) == lang
        # The catalog's own words for the banner are on the page.
        banner = load(lang).get("SIMULATED DATA")
        assert banner is not None and banner.string in asked.text
        remembered = reader.get("/")  # no ?lang=: the cookie just set decides
        assert remembered.headers["content-language"] == lang


def test_accept_language_chooses_the_first_time(reader: TestClient) -> None:
    chosen = reader.get("/", headers={"accept-language": "fr-FR, hy-AM;q=0.9, ru;q=0.8"})
    assert chosen.headers["content-language"] == "hy"
    fallback = reader.get("/", headers={"accept-language": "fr, de;q=0.5"})
    assert fallback.headers["content-language"] == "en"


def test_an_unknown_language_is_a_400_naming_the_choices(reader: TestClient) -> None:
    response = reader.get("/?lang=xx")
    assert response.status_code == 400
    assert "xx" in response.text and all(lang in response.text for lang in LANGUAGES)


def test_every_page_offers_every_language(reader: TestClient) -> None:
    page = reader.get("/?lang=en").text
    for lang, name in LANGUAGES.items():
        assert f'hreflang="{lang}"' in page and name in page
