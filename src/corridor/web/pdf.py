"""HTML to PDF with WeasyPrint, offline: only the package's own static files may be read.

The bulletin's PDF is its page's HTML laid out for print (``static/bulletin.css``, ``@media
print``), with DejaVu Sans from ``static/vendor/fonts`` declared by ``@font-face``: one family
with Latin, Cyrillic and Armenian letters, embedded in the file so it reads the same anywhere.
Relative links in the page resolve against the static folder as ``file://`` URLs, and the URL
fetcher refuses anything else (another host, another file), so making a PDF never touches the
network or the rest of the disk.

WeasyPrint loads Pango through its C libraries when first imported; a machine without them
answers :class:`PdfUnavailableError` (503) saying what to install.
"""

from __future__ import annotations

import importlib
import mimetypes
from functools import cache, lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote, urlsplit

from corridor.errors import UnavailableError

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
INSTALL_HINT = (
    "PDF bulletins need WeasyPrint's system libraries, which this machine lacks; "
    "install libpango-1.0-0 and libpangoft2-1.0-0 (apt-get install libpango-1.0-0 "
    "libpangoft2-1.0-0) and restart the server"
)


class PdfUnavailableError(UnavailableError):
    """WeasyPrint or the libraries it needs (Pango) cannot be loaded on this machine."""


@cache
def weasyprint() -> ModuleType:
    """The WeasyPrint module, or :class:`PdfUnavailableError` naming the libraries to install."""
    try:
        return importlib.import_module("weasyprint")
    except (OSError, ImportError) as exc:  # OSError: cannot load library 'libpango-1.0-0'
        raise PdfUnavailableError(f"{INSTALL_HINT} ({exc})") from exc


def static_path(url: str) -> Path | None:
    """The file under the static folder that ``url`` names, or None if it names anything else
    (another scheme, a host, a file outside the folder, a file that does not exist)."""
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return None
    path = Path(unquote(parts.path)).resolve()
    if not path.is_relative_to(STATIC_DIR) or not path.is_file():
        return None
    return path


@cache
def _fetcher_class() -> Any:
    urls = importlib.import_module("weasyprint.urls")
    base: Any = urls.URLFetcher  # WeasyPrint has no type hints

    class StaticFilesOnly(base):  # type: ignore[misc]
        """WeasyPrint's fetcher, limited to the static folder."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            path = static_path(url)
            if path is None:
                raise ValueError(f"{url}: a PDF may only use the site's own static files")
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return urls.URLFetcherResponse(url, path.read_bytes(), headers={"Content-Type": kind})

    return StaticFilesOnly


def static_fetcher() -> Any:
    """A WeasyPrint URL fetcher that reads the static folder and refuses everything else."""
    weasyprint()
    return _fetcher_class()()


@lru_cache(maxsize=32)
def html_to_pdf(html: str, page_path: str) -> bytes:
    """``html``, as served at ``page_path`` (``/bulletins/2020-12-01.pdf``), as PDF bytes.

    Its relative links (``../static/bulletin.css``) resolve as they do in a browser, against the
    web folder standing in for the site's root. A layout takes seconds of CPU and the same page
    is asked for again and again (its HTML changes only when a new checkpoint is published), so
    recent results are kept, keyed by the HTML itself."""
    module = weasyprint()
    base_url = WEB_DIR.as_uri() + page_path
    document = module.HTML(string=html, base_url=base_url, url_fetcher=static_fetcher())
    pdf: bytes = document.write_pdf()
    return pdf
