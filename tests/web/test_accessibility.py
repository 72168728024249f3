"""Every public HTML page, in each of its four languages, in headless Chromium (Debian's): no
serious or critical axe-core violation, and at a phone's width (375 px) no sideways scrolling and
the site's navigation in view. The pages are found by the same crawl as the privacy test, so a
page added later is checked without being listed here."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Route, ViewportSize

from corridor.web.app import create_app_for_dir
from tests.browser import served, watched_page
from tests.web import public_routes
from tests.web.public_routes import Crawl

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe-core" / "axe.min.js"
#: Where the page loads axe from. Served by the test from the page's own origin, so the
#: Content-Security-Policy (``script-src 'self'``) stays in force: a script injected inline
#: would need ``bypass_csp``, and a page without its CSP is not the page readers get.
AXE_PATH = "/__test__/axe.min.js"
IMPACTS = ("serious", "critical")
PHONE: ViewportSize = {"width": 375, "height": 740}
DESKTOP: ViewportSize = {"width": 1400, "height": 1000}

RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    targets: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
  }));
}"""
#: The page's width and the elements that stick out of it (not those inside a scrolling box).
SIDEWAYS = """() => {
  const page = document.scrollingElement;
  const clipped = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement)
      if (getComputedStyle(p).overflowX !== "visible") return true;
    return false;
  };
  const name = (el) => {
    const classes = typeof el.className === "string" ? el.className.split(/\\s+/) : [];
    const tag = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "");
    return [tag, ...classes.filter(Boolean)].join(".");
  };
  const out = [...document.querySelectorAll("body *")].filter((el) => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.right > page.clientWidth + 1 && !clipped(el);
  });
  return [page.scrollWidth, page.clientWidth, out.slice(0, 3).map(name)];
}"""


def sample_pages(crawl: Crawl) -> list[str]:
    """One page of each HTML route (the dashboard, the bulletins' index, one bulletin, ...),
    without its language; a route that answers another's page word for word is left out."""
    chosen: dict[str, str] = {}
    seen: set[bytes] = set()
    for got in sorted(crawl.html_pages(), key=lambda f: f.url):
        template = public_routes.template_of(got.path, crawl.templates)
        key = template.path if template is not None else got.path
        digest = hashlib.sha256(got.body).digest()
        if key not in chosen and digest not in seen:
            chosen[key] = public_routes.with_lang(got.url, None)
            seen.add(digest)
    return sorted(chosen.values())


@dataclass
class Audit:
    pages: list[str]
    templates: list[str]
    violations: list[str] = field(default_factory=list)
    layout: list[str] = field(default_factory=list)


def _load(page: Page, url: str) -> None:
    """Open ``url``; a page with scripts also gets its data (network idle for 0.5 s), a page
    without is laid out once loaded."""
    page.goto(url, wait_until="load")
    if page.locator("script[src]").count():
        page.wait_for_load_state("networkidle")


def _check(page: Page, base: str, url: str, audit: Audit) -> None:
    page.set_viewport_size(DESKTOP)
    _load(page, base + url)
    page.add_script_tag(url=base + AXE_PATH)
    found: list[dict[str, Any]] = page.evaluate(RUN_AXE)
    audit.violations += [
        f"{url}: {v['id']} ({v['impact']}) at {', '.join(v['targets'])}"
        for v in found
        if v["impact"] in IMPACTS
    ]
    # Loaded again at a phone's width, as a phone gets it: a page resized after loading may
    # not have re-laid out its charts and map yet.
    page.set_viewport_size(PHONE)
    _load(page, base + url)
    scroll_width, client_width, culprits = page.evaluate(SIDEWAYS)
    if scroll_width > client_width + 1:
        audit.layout.append(
            f"{url}: {scroll_width} px wide at {client_width} px, sticking out: "
            + ", ".join(culprits)
        )
    nav = page.locator("nav").first
    box = nav.bounding_box() if nav.count() else None
    if box is None or not nav.is_visible() or box["x"] < 0 or box["x"] + box["width"] > 376:
        audit.layout.append(f"{url}: the navigation is not in view at {PHONE['width']} px")


@pytest.fixture(scope="module")
def audit(tmp_path_factory: pytest.TempPathFactory, chromium_path: Path) -> Iterator[Audit]:
    directory = public_routes.demo_site(tmp_path_factory)
    app = create_app_for_dir(directory)
    with served(app, "uvicorn-accessibility", lifespan="on", access_log=False) as base:
        # PDFs are laid out in seconds each and are no HTML page: not fetched here.
        crawl = public_routes.crawl(base, app, skip_suffixes=(".pdf",))
        result = Audit(sample_pages(crawl), [t.path for t in crawl.templates])
        with watched_page(base, chromium_path) as watched:

            def axe(route: Route) -> None:
                route.fulfill(path=AXE, content_type="text/javascript; charset=utf-8")

            # Registered after watched_page's own handler, so it is asked first.
            watched.page.route(base + AXE_PATH, axe)
            for page in result.pages:
                for lang in public_routes.LANGUAGES:
                    _check(watched.page, base, public_routes.with_lang(page, lang), result)
        yield result


def test_the_audit_covers_each_kind_of_public_page(audit: Audit) -> None:
    assert "/" in audit.pages
    for prefix in ("/bulletins/", "/data/", "/ogc/"):
        if any(t.startswith(prefix) for t in audit.templates):
            assert any(p.startswith(prefix) for p in audit.pages), f"no page under {prefix}"


def test_no_serious_or_critical_accessibility_violation(audit: Audit) -> None:
    assert audit.violations == [], "axe-core found:\n" + "\n".join(audit.violations)


def test_pages_fit_a_phone_and_keep_their_navigation(audit: Audit) -> None:
    assert audit.layout == [], "\n".join(audit.layout)
