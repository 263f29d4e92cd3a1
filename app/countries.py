"""Countries: the ISO 3166-1 alpha-2 codes and their names in the user's language, from the
CLDR data that ships with Babel; the one way a country code is checked."""

from __future__ import annotations

import functools
import unicodedata

from babel import Locale
from flask_babel import get_locale

# CLDR territories with two letters that are not countries (or only reserved codes)
_NOT_COUNTRIES = {"AC", "CP", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"}
# listed first wherever a country is chosen: where the users' press is
FIRST = ("DE", "AT", "CH")


@functools.cache
def codes() -> frozenset[str]:
    return frozenset(
        code
        for code in Locale("en").territories
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    )


def is_country(code: str) -> bool:
    return (code or "").upper() in codes()


def country_name(code: str) -> str:
    """The country's name in the current language, or the code when it is unknown."""
    return _names(str(get_locale() or "en")).get(code, code)


@functools.cache
def _names(locale: str) -> dict[str, str]:
    territories = Locale.parse(locale).territories
    return {code: territories.get(code, code) for code in codes()}


def country_choices(only=None) -> list[tuple[str, str]]:
    """(code, name) of every country (or of the codes in `only`), the usual ones first,
    then by name in the current language."""
    names = _names(str(get_locale() or "en"))
    wanted = codes() if only is None else [c for c in only if c in names]
    first = [(c, names[c]) for c in FIRST if c in wanted]
    rest = sorted(((c, names[c]) for c in wanted if c not in FIRST), key=lambda p: _key(p[1]))
    return first + rest


def _key(name: str) -> str:
    """Sort key of a name: Österreich beside Oman, not after Zypern."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
