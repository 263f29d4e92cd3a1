"""A mailing's content (SPEC M2): the HTML body sanitised with nh3 (Ammonia), the plain-text
part made from it with inscriptis, and the personalisation placeholders filled per
recipient — in German or English spelling, `{{anrede}}` or `{{salutation}}`."""

from __future__ import annotations

import html as html_module
import re

import nh3
from inscriptis import get_text
from inscriptis.model.config import ParserConfig

from app.contacts import letters

TAGS = {
    "p", "br", "strong", "b", "em", "i", "u", "s", "a", "ul", "ol", "li", "h1", "h2", "h3",
    "h4", "blockquote", "hr", "img", "table", "thead", "tbody", "tr", "th", "td", "span",
    "div", "sub", "sup",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
# name → (German name, the value for a person in a language)
PLACEHOLDERS = {
    "salutation": "anrede",
    "first_name": "vorname",
    "last_name": "nachname",
    "outlet": "medium",
}
PLACEHOLDER = re.compile(r"\{\{\s*([a-zA-Z_äöüÄÖÜ]+)\s*\}\}")


def sanitise(body: str) -> str:
    """The HTML body without scripts, event handlers, forms, styles or unsafe links: only
    the elements a press release needs, links to http(s) and mailto."""
    return nh3.clean(
        body or "",
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def text_from_html(body: str) -> str:
    """The plain-text part: paragraphs, lists and links ([text](url)) kept readable."""
    text = get_text(body or "", ParserConfig(display_links=True))
    lines = [line.rstrip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def _key(name: str) -> str | None:
    name = name.lower()
    for key, german in PLACEHOLDERS.items():
        if name in (key, german):
            return key
    return None


def unknown_placeholders(*texts: str) -> list[str]:
    """Placeholders that would stay as they are in the message (a typo)."""
    found = []
    for text in texts:
        for match in PLACEHOLDER.finditer(text or ""):
            if _key(match.group(1)) is None and match.group(0) not in found:
                found.append(match.group(0))
    return found


def values_for(person, outlet_name: str = "") -> dict:
    lang = person.language if person.language in ("de", "en") else "de"
    return {
        "salutation": letters.salutation(person, lang),
        "first_name": person.first_name,
        "last_name": person.last_name,
        "outlet": outlet_name,
    }


def personalise(text: str, values: dict, *, html: bool) -> str:
    """Fill the placeholders; in the HTML part the values are escaped."""

    def fill(match):
        key = _key(match.group(1))
        if key is None:
            return match.group(0)
        value = values.get(key, "")
        return html_module.escape(value) if html else value

    return PLACEHOLDER.sub(fill, text or "")
