"""Which column of a file holds which field of a person: the fields an import can fill, the
German and English headers recognised for them, and the conversion of a row's texts into
the values the contacts services check (`contacts.services._clean`)."""

from __future__ import annotations

import functools
import re
import unicodedata

from email_validator import SPECIAL_USE_DOMAIN_NAMES
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.contacts.models import Topic
from app.contacts.services import _clean
from app.emails import InvalidEmail, normalise_email
from app.outlets.models import Outlet

FIELDS = {
    "gender": _l("Salutation"),
    "title": _l("Title"),
    "first_name": _l("First name"),
    "last_name": _l("Last name"),
    "email": _l("E-mail"),
    "phone": _l("Phone"),
    "outlet": _l("Outlet"),
    "department": _l("Department"),
    "position": _l("Position"),
    "street": _l("Street"),
    "postcode": _l("Postcode"),
    "city": _l("City"),
    "country": _l("Country"),
    "language": _l("Language"),
    "topics": _l("Topics"),
    "notes": _l("Notes"),
}
HEADERS = {
    "gender": ["Anrede", "Salutation", "Geschlecht", "Gender"],
    "title": ["Titel", "Title", "Akademischer Grad"],
    "first_name": ["Vorname", "First name", "Firstname", "Given name", "Forename"],
    "last_name": ["Nachname", "Name", "Last name", "Surname", "Familienname", "Family name"],
    "email": ["E-Mail", "Email", "Mail", "E-Mail-Adresse", "Email address"],
    "phone": ["Telefon", "Phone", "Tel", "Telefonnummer", "Phone number", "Mobil", "Mobile"],
    "outlet": ["Medium", "Outlet", "Redaktion", "Medien", "Publication", "Media"],
    "department": ["Ressort", "Department", "Abteilung", "Desk"],
    "position": ["Position", "Funktion", "Job title", "Role", "Rolle"],
    "street": ["Straße", "Street", "Adresse", "Address", "Anschrift"],
    "postcode": ["PLZ", "Postcode", "ZIP", "ZIP code", "Postleitzahl", "Postal code"],
    "city": ["Ort", "Stadt", "City", "Town"],
    "country": ["Land", "Country"],
    "language": ["Sprache", "Language"],
    "topics": ["Themen", "Topics", "Thema", "Topic", "Schlagworte", "Tags"],
    "notes": ["Notizen", "Notes", "Bemerkungen", "Anmerkungen", "Kommentar", "Comment"],
}
_TRANSLIT = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})


def header_key(header: str) -> str:
    """A header reduced for comparison: case, umlauts, spaces and punctuation ignored."""
    text = (header or "").lower().translate(_TRANSLIT)
    text = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    return re.sub(r"[\W_]+", "", text)


_KNOWN = {header_key(h): name for name, headers in HEADERS.items() for h in headers}


def field_for(header: str) -> str:
    """The field a header names, or "" if it names none."""
    return _KNOWN.get(header_key(header), "")


def auto_mapping(headers: list[str]) -> dict[int, str]:
    """{column: field} for the recognised headers; a field is taken by its first column."""
    mapping, taken = {}, set()
    for index, header in enumerate(headers):
        name = field_for(header)
        if name and name not in taken:
            mapping[index] = name
            taken.add(name)
    return mapping


def find_header(rows: list[list[str]]) -> int:
    """The index of the header row among the first rows: the one naming most fields (a
    title row above the headers is passed over), else the first row with any text."""
    best, best_count = None, 0
    for index, row in enumerate(rows):
        count = len({field_for(cell) for cell in row} - {""})
        if count > best_count:
            best, best_count = index, count
    if best is not None:
        return best
    for index, row in enumerate(rows):
        if any(row):
            return index
    return 0


def column_name(index: int) -> str:
    """A, B, …, Z, AA, … as the spreadsheet names column `index` (0-based)."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def headers_of(row: list[str]) -> list[str]:
    """The header texts; an empty header cell (e.g. under a merged cell) gets its column's
    name, so every column can be mapped."""
    return [cell or _("Column %(name)s", name=column_name(i)) for i, cell in enumerate(row)]


GENDERS = {
    "female": {"frau", "fr", "ms", "mrs", "miss", "weiblich", "female", "w", "f"},
    "male": {"herr", "hr", "hrn", "herrn", "mr", "mannlich", "male", "m"},
    "diverse": {"divers", "diverse", "d", "x"},
}
LANGUAGE_NAMES = {
    "de": {"de", "deutsch", "german", "ger", "deu"},
    "en": {"en", "englisch", "english", "eng"},
    "fr": {"fr", "franzosisch", "french", "fra"},
    "it": {"it", "italienisch", "italian", "ita"},
}
_SPLIT_TOPICS = re.compile(r"[,;|\n]+")
_SPLIT_EMAILS = re.compile(r"[\s,;]+")


_SIMPLE_EMAIL = re.compile(
    r"[a-z0-9_%+-]+(?:\.[a-z0-9_%+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
)


def checked_email(address: str) -> str:
    """`app.emails.normalise_email`, with a shortcut for the common plain ASCII address
    that the validator is known to accept unchanged but lower-cased (it costs ~36 µs per
    address, a third of the import's time budget). Anything else goes to the validator."""
    lowered = address.strip().lower()
    local, _at, domain = lowered.partition("@")
    if (
        _SIMPLE_EMAIL.fullmatch(lowered)
        and len(lowered) <= 254
        and len(local) <= 64
        and domain.rsplit(".", 1)[-1] not in SPECIAL_USE_DOMAIN_NAMES
    ):
        return lowered
    return normalise_email(address)


@functools.lru_cache(maxsize=1024)
def _gender(value: str) -> str:
    key = header_key(value)
    for gender, words in GENDERS.items():
        if key in words:
            return gender
    return ""


@functools.lru_cache(maxsize=1024)
def _language(value: str) -> str:
    key = header_key(value)
    for code, words in LANGUAGE_NAMES.items():
        if key in words:
            return code
    return value


def _country_codes() -> dict[str, str]:
    """{reduced name: code} of every country in German and English."""
    from babel import Locale

    from app.countries import codes

    names = {}
    for locale in ("en", "de"):
        territories = Locale.parse(locale).territories
        for code in codes():
            if code in territories:
                names[header_key(territories[code])] = code
    return names


_COUNTRIES: dict[str, str] = {}


def _country(value: str) -> str:
    if len(value) == 2 or not value:
        return value
    if not _COUNTRIES:
        _COUNTRIES.update(_country_codes())
    return _COUNTRIES.get(header_key(value), value)


class Row:
    """One row of the file turned into a person's values, or the reasons it cannot be."""

    __slots__ = ("number", "values", "emails", "outlet", "topics", "errors", "merged", "prepared")

    def __init__(self, number: int):
        self.number = number
        self.values: dict[str, str] = {}
        self.emails: list[str] = []
        self.outlet = ""
        self.topics: list[str] = []
        self.errors: list[str] = []
        self.merged: list[int] = []  # later rows of the same address folded into this one
        self.prepared: tuple[str, str] | None = None  # (search text, name key) of the row

    @property
    def key(self) -> str:
        """What duplicates are judged by: the normalised primary e-mail address."""
        return self.emails[0] if self.emails else ""

    @property
    def summary(self) -> str:
        name = " ".join(
            v for v in (self.values.get("first_name"), self.values.get("last_name")) if v
        )
        return " ".join(p for p in (name, f"<{self.key}>" if self.key else "") if p)[:254]

    @property
    def reason(self) -> str:
        return " ".join(self.errors)


def convert(number: int, cells: list[str], mapping: dict[int, str]) -> Row | None:
    """The person a row describes, checked by the contacts services' own rules; None for a
    row without any mapped text (blank lines are passed over)."""
    raw = {}
    for index, name in mapping.items():
        if index < len(cells) and cells[index]:
            raw[name] = cells[index]
    row = Row(number)
    if not raw:
        return None
    addresses = [a for a in _SPLIT_EMAILS.split(raw.pop("email", "")) if a]
    outlet = raw.pop("outlet", "")
    topics = _topic_names(raw.pop("topics", ""))
    if "gender" in raw:
        raw["gender"] = _gender(raw["gender"])
    if "language" in raw:
        raw["language"] = _language(raw["language"])
    if "country" in raw:
        raw["country"] = _country(raw["country"])
    values, errors = _clean({"last_name": "", **raw})
    emails = []
    for address in addresses:
        try:
            emails.append(checked_email(address))
        except InvalidEmail:
            errors.setdefault("email", _("This is not a valid e-mail address."))
    if len(outlet) > _OUTLET_MAX:
        errors["outlet"] = _("At most %(n)d characters, please.", n=_OUTLET_MAX)
    if topics and max(map(len, topics)) > _TOPIC_MAX:
        errors["topics"] = _("At most %(n)d characters, please.", n=_TOPIC_MAX)
    if errors:
        row.values = {k: v for k, v in raw.items() if k in ("first_name", "last_name")}
        row.emails = addresses[:1]
        row.errors = [f"{FIELDS[name]}: {message}" for name, message in errors.items()]
        return row
    row.emails = list(dict.fromkeys(emails))
    row.values = values
    row.outlet = outlet
    row.topics = list(topics)
    return row


_OUTLET_MAX = Outlet.name.max_length
_TOPIC_MAX = Topic.name.max_length


@functools.lru_cache(maxsize=4096)
def _topic_names(text: str) -> tuple[str, ...]:
    """The topics of a cell, each once (cells such as "Politik, Wirtschaft" repeat)."""
    return tuple(dict.fromkeys(t for t in (p.strip() for p in _SPLIT_TOPICS.split(text)) if t))
