"""PDF documents rendered with WeasyPrint from a Jinja template (DESIGN: `render_pdf`).

The URL fetcher loads nothing from the network: only `data:` URLs and files inside
`app/static/` (the stylesheet `css/pdf.css`, fonts or pictures placed there). Any other
URL — http(s), ftp, another local file — is refused and left out of the document, so a
text typed by a user can never make the server fetch something while it renders.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import render_template
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

STATIC = (Path(__file__).resolve().parent / "static").resolve()
STYLESHEET = STATIC / "css" / "pdf.css"


class LocalOnlyFetcher(URLFetcher):
    """`data:` URLs and files below app/static/; everything else raises."""

    def fetch(self, url, headers=None):
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = Path(unquote(urlsplit(url).path)).resolve()
            if path.is_relative_to(STATIC) and path.is_file():
                content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})
        raise ValueError(f"not loaded while rendering a PDF: {url[:200]}")


def render_pdf(template: str, **context) -> bytes:
    """Render `template` with `context` and return the PDF's bytes."""
    fetcher = LocalOnlyFetcher()
    html = render_template(template, **context)
    document = HTML(string=html, base_url=STATIC.as_uri() + "/", url_fetcher=fetcher)
    return document.write_pdf(stylesheets=[CSS(filename=str(STYLESHEET), url_fetcher=fetcher)])
