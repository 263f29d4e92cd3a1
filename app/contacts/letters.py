"""Letter support (SPEC C6): the salutation line and the postal address block of a person,
in German and in English, and both together as the head of a letter to copy.

The functions are pure: they read the person's fields (and its outlet links) and need no
request. The letter's language is "de" or "en" and is independent of the language of the
screen, so the letter texts are written here in both languages, not translated.

Salutation (first line of the letter)
-------------------------------------
Only one title goes into a salutation, the highest one; academic degrees do not:

* Professor ("Prof.", "Prof. Dr.", "Univ.-Prof.", "Professorin" …) → German "Professor",
  for a woman "Professorin" (Duden: "Sehr geehrte Frau Professorin Schmidt,"), English
  "Professor" whatever the gender: "Sehr geehrter Herr Professor Müller," /
  "Dear Professor Müller,". A doctorate besides the professorship is left out.
* Any doctorate ("Dr.", "Dr. med.", "Dr. rer. nat.", "Dr.-Ing.", "Dr. h.c.", "Dr. Dr.",
  "PD Dr.") → "Dr." in German, "Dr" in English (British style, no full stop, and without
  Ms/Mr: "Dear Dr Schmidt,").
* Degrees (Dipl.-Ing., Dipl.-Kfm., M.A., MBA, LL.M. …) are not used in a German
  salutation — except in Austria (the person's country is AT), where the degree titles are
  part of the form of address: then Mag./Mag.a/MMag., DI, Dipl.-Ing., Dkfm./Dipl.-Kfm. and, below
  them, Ing. are kept as written ("Sehr geehrte Frau Mag. Huber,"), and a double doctorate
  stays "DDr.". English letters never use these degrees ("Dear Ms Huber,").
* Women "Sehr geehrte Frau …," / "Dear Ms …,"; men "Sehr geehrter Herr …," / "Dear Mr …,".
* Gender diverse or unknown: no Frau/Herr but the full name, "Guten Tag Alex Schmidt," /
  "Dear Alex Schmidt,". In German the salutation title comes before it, abbreviated
  ("Guten Tag Dr. Alex Schmidt,", "Guten Tag Prof. Alex Schmidt,"); in English a Dr or
  Professor is itself neutral ("Dear Dr Schmidt,").
* Without a last name (after erasure), or with neither a first name nor a title when the
  gender is not known: "Sehr geehrte Damen und Herren," / "Dear Sir or Madam,".
* Names are used as stored, only with runs of blanks reduced: name particles stay part of
  the last name in the case entered ("Sehr geehrter Herr von Weizsäcker,", but "Herr Van
  der Bellen" as he writes it), double names and umlauts/ß unchanged.

Address block (DIN 5008)
------------------------
* The person's own address (street, postcode or city given) is used first. Without it the
  letter goes to the editorial office of the first linked outlet (in the order they were
  linked) that has an address: outlet name first, then the person on one line without
  "z. Hd." (DIN 5008 dropped it; company first means the office may open the letter),
  then the department (the link's, else the person's), then the outlet's address.
* Private address, German: "Frau" / "Herrn" (accusative, as DIN 5008 writes it; a Swiss
  sender writes "Herr", as the Swiss norm SN 010130 does) on a line of its own, then
  title (as entered: the address carries every title and degree), first and last name;
  in the outlet form "Frau Dr. Anna Schmidt" on one line. English: "Dr Anna Schmidt",
  "Professor Anna Schmidt", "Ms Anna Schmidt", "Mr Peter Müller", or just the name;
  German degrees are left out.
* Street line, then postcode and city on one line ("10115 Berlin", "1010 Wien",
  "8001 Zürich"); no country prefix before the postcode (DIN 5008). A missing postcode
  leaves the city alone. Destinations that write the postcode after the place: the UK and
  Ireland on a line of their own below the town, the US, Canada and Australia on the
  same line after it.
* Mail abroad (the address's country differs from the sender's country, the setting
  `organisation_country`) ends with the country's name in capitals in the letter's
  language ("ÖSTERREICH" / "AUSTRIA"); none for mail within the sender's country.
* Nothing is invented: without any address the block is only the name lines.
"""

from __future__ import annotations

import re
from functools import cache

from babel import Locale

LANGUAGES = ("de", "en")

_NOT_LETTER = r"(?<![a-zäöüß])"
_END = r"(?![a-zäöüß])"
_PROFESSOR = re.compile(_NOT_LETTER + r"prof(?:essor(?:in)?)?" + _END, re.I)
_DOUBLE_DOCTOR = re.compile(_NOT_LETTER + r"ddr" + _END, re.I)
_DOCTOR = re.compile(_NOT_LETTER + r"dr" + _END, re.I)
# Austrian titles below the doctorate, highest first, matched as written
_AUSTRIAN = [
    re.compile(
        r"(?<![\w.-])(?:M?Mag(?:\.a|\.)?|D?DI|Dipl\.-Ing\.|Dkfm\.|Dipl\.-Kfm\.)(?![\w-])", re.I
    ),
    re.compile(r"(?<![\w.-])Ing\.(?![\w-])", re.I),
]
# where the postcode follows the place: on its own line, or on the same line
_POSTCODE_BELOW = {"GB", "IE"}
_POSTCODE_AFTER = {"US", "CA", "AU"}


def _clean(value) -> str:
    return " ".join((value or "").split())


def _gender(person) -> str:
    return person.gender if person.gender in ("female", "male") else ""


def _salutation_title(person) -> tuple[str, str]:
    """("professor" | "doctor" | "degree" | "", the abbreviation as used in German)."""
    title = _clean(person.title)
    austrian = (person.country or "").upper() == "AT"
    if _PROFESSOR.search(title):
        return "professor", "Prof."
    if austrian and _DOUBLE_DOCTOR.search(title):
        return "doctor", "DDr."
    if _DOCTOR.search(title) or _DOUBLE_DOCTOR.search(title):
        return "doctor", "Dr."
    if austrian:
        for pattern in _AUSTRIAN:
            match = pattern.search(title)
            if match:
                return "degree", match.group(0)
    return "", ""


def _check(lang: str) -> None:
    if lang not in LANGUAGES:
        raise ValueError(f"letter language must be one of {LANGUAGES}, not {lang!r}")


def salutation(person, lang: str) -> str:
    """The salutation line with its comma, e.g. "Sehr geehrte Frau Dr. Schmidt,"."""
    _check(lang)
    first, last = _clean(person.first_name), _clean(person.last_name)
    gender = _gender(person)
    kind, short = _salutation_title(person)
    if lang == "de":
        if not last:
            return "Sehr geehrte Damen und Herren,"
        if kind == "professor":
            spoken = "Professorin" if gender == "female" else "Professor"
        else:
            spoken = short
        if gender == "female":
            parts = ["Sehr geehrte Frau", spoken, last]
        elif gender == "male":
            parts = ["Sehr geehrter Herr", spoken, last]
        elif first or short:
            parts = ["Guten Tag", short, first, last]
        else:
            return "Sehr geehrte Damen und Herren,"
        return " ".join(p for p in parts if p) + ","
    if not last:
        return "Dear Sir or Madam,"
    if kind == "professor":
        return f"Dear Professor {last},"
    if kind == "doctor":
        return f"Dear Dr {last},"
    if gender:
        return f"Dear {'Ms' if gender == 'female' else 'Mr'} {last},"
    if first:
        return f"Dear {first} {last},"
    return "Dear Sir or Madam,"


def _english_honorific(person) -> str:
    kind, _ = _salutation_title(person)
    if kind == "professor":
        return "Professor"
    if kind == "doctor":
        return "Dr"
    return {"female": "Ms", "male": "Mr", "": ""}[_gender(person)]


def _form_of_address(person, sender_country: str) -> str:
    """Frau / Herrn (Herr from Switzerland) for the German address, "" when unknown."""
    if not _clean(person.last_name):
        return ""
    male = "Herr" if sender_country == "CH" else "Herrn"
    return {"female": "Frau", "male": male, "": ""}[_gender(person)]


def _name_line(person, lang: str, form: str = "") -> str:
    """Title (German: as entered; English: the honorific) and name, in German after `form`
    (Frau/Herrn on the same line: the outlet form)."""
    first, last = _clean(person.first_name), _clean(person.last_name)
    if not (first or last):
        return ""
    if lang == "de":
        parts = [form, _clean(person.title), first, last]
    else:
        parts = [_english_honorific(person) if last else "", first, last]
    return " ".join(p for p in parts if p)


def _has_address(record) -> bool:
    return any(_clean(getattr(record, name, "")) for name in ("street", "postcode", "city"))


def _outlet_link(person):
    """The first linked outlet (in the order linked) with an address, or None."""
    for link in sorted(person.outlet_links, key=lambda link: link.id):
        if _has_address(link.outlet):
            return link
    return None


@cache
def _country_names(lang: str) -> dict:
    return Locale.parse(lang).territories


def country_name(code: str, lang: str) -> str:
    """The name of a country (ISO 3166 alpha-2) in the language, the code if unknown."""
    return _country_names(lang).get(code.upper(), code.upper())


def _place_lines(postcode: str, city: str, country: str) -> list[str]:
    if country in _POSTCODE_BELOW:
        lines = [city, postcode]
    elif country in _POSTCODE_AFTER:
        lines = [" ".join(p for p in (city, postcode) if p)]
    else:
        lines = [" ".join(p for p in (postcode, city) if p)]
    return [line for line in lines if line]


def address_block(person, lang: str, sender_country: str = "DE") -> list[str]:
    """The lines of the address field (DIN 5008), without blank lines."""
    _check(lang)
    sender_country = (sender_country or "DE").upper()
    form = _form_of_address(person, sender_country) if lang == "de" else ""
    if _has_address(person):
        place, lines = person, [form, _name_line(person, lang)]
    elif (link := _outlet_link(person)) is not None:
        place = link.outlet
        department = _clean(link.department) or _clean(person.department)
        lines = [_clean(place.name), _name_line(person, lang, form), department]
    else:  # nowhere to send it: the name only
        return [line for line in (form, _name_line(person, lang)) if line]
    country = (_clean(place.country) or sender_country).upper()
    lines.append(_clean(place.street))
    lines.extend(_place_lines(_clean(place.postcode), _clean(place.city), country))
    if country != sender_country:
        lines.append(country_name(country, lang).upper())
    return [line for line in lines if line]


def letter_head(person, lang: str, sender_country: str = "DE") -> str:
    """Address block, a blank line and the salutation: what the Copy button copies."""
    block = "\n".join(address_block(person, lang, sender_country))
    greeting = salutation(person, lang)
    return f"{block}\n\n{greeting}" if block else greeting


class _WithLinks:
    """A person whose outlet links (with their outlets) are loaded once, so that building
    both letter heads runs no query per link."""

    def __init__(self, person, links):
        self._person, self.outlet_links = person, list(links)

    def __getattr__(self, name):
        return getattr(self._person, name)


def for_person(person, outlet_links=None) -> list[dict]:
    """The person page's letter panel: German and English, the person's language first,
    each with its address lines, salutation and the text to copy. The sender's country is
    the run-time setting `organisation_country`. `outlet_links`: the person's links with
    their outlets already loaded (the page has them); else they are loaded here."""
    from app.contacts.listing import LANGUAGE_NAMES
    from app.outlets.services import links_of_person
    from app.settings.services import get

    sender = get("organisation_country")
    person = _WithLinks(person, links_of_person(person) if outlet_links is None else outlet_links)
    order = ("en", "de") if person.language == "en" else ("de", "en")
    return [
        {
            "lang": lang,
            "label": LANGUAGE_NAMES[lang],
            "lines": address_block(person, lang, sender),
            "salutation": salutation(person, lang),
            "text": letter_head(person, lang, sender),
        }
        for lang in order
    ]
