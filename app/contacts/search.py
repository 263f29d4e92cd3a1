"""Full-text search over persons (SPEC C4): one query API, two engines.

Both engines index `Person.search_text`, a canonical text made here from the person's names,
position, department, city, notes, e-mail addresses, outlets and topics: lower case, and
every word with an umlaut or ß twice — transliterated (müller → mueller) and stripped
(muller) — so that any of the spellings finds the others. A query is canonicalised the same
way and every word matches as a prefix.

- SQLite: an FTS5 table with external content (`person_fts`), kept in step by triggers and
  ranked by bm25 (both created by migration 0006).
- PostgreSQL: a GIN index on `to_tsvector('simple', search_text)`, ranked by ts_rank. The
  'simple' configuration is deliberate: names must not be stemmed, and transliteration is
  already done here, so the `unaccent` extension is not needed.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import cologne_phonetics
from peewee import SQL, Expression, PostgresqlDatabase, Table, fn

from app.extensions import db

FTS_TABLE = "person_fts"
_TRANSLIT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "œ": "oe"})
_WORD = re.compile(r"[^\W_]+", re.UNICODE)  # letters and digits; "_" separates


def _strip(word: str) -> str:
    return "".join(
        ch for ch in unicodedata.normalize("NFKD", word) if not unicodedata.combining(ch)
    ).replace("ß", "ss")


@functools.lru_cache(maxsize=65536)
def _forms(word: str) -> tuple[str, ...]:
    word = word.lower()
    transliterated, stripped = _strip(word.translate(_TRANSLIT)), _strip(word)
    return (transliterated,) if stripped == transliterated else (transliterated, stripped)


def word_forms(word: str) -> list[str]:
    """The spellings under which a word is indexed: transliterated and stripped."""
    return list(_forms(word))


def canonical_text(*parts: str) -> str:
    """The text to index for the given parts (names, notes, addresses, …)."""
    words = []
    for part in parts:
        for word in _WORD.findall(part or ""):
            words.extend(_forms(word))
    return " ".join(words)


def name_key(last_name: str) -> str:
    """The phonetic key of a last name (Kölner Phonetik, one code per part): Meier, Meyer
    and Mayr share one, as do Müller and Mueller. Duplicate candidates share it (C7)."""
    codes = [code for _, code in cologne_phonetics.encode(last_name or "") if code]
    return "-".join(codes)[:40]


def query_words(query: str) -> list[str]:
    """The words of a search, canonical (transliterated), without operators or quotes."""
    return [word_forms(w)[0] for w in _WORD.findall(query or "")][:12]


def is_postgres() -> bool:
    return isinstance(db.obj, PostgresqlDatabase)


def matching(query, text: str):
    """Narrow a SELECT of persons to those matching `text`, best first. An empty search
    leaves the query as it is. Scoping stays with the caller (Person.visible_to)."""
    from app.contacts.models import Person

    words = query_words(text)
    if not words:
        return query
    if is_postgres():
        # The same expression as the GIN index of migration 0006, so the index is used.
        vector = fn.to_tsvector(SQL("'simple'"), Person.search_text)
        tsquery = fn.to_tsquery(SQL("'simple'"), " & ".join(f"{w}:*" for w in words))
        return query.where(Expression(vector, "@@", tsquery)).order_by(
            fn.ts_rank(vector, tsquery).desc(), Person.id
        )
    fts = Table(FTS_TABLE, ("rowid", "rank"))
    expression = " ".join(f'"{w}"*' for w in words)
    return (
        query.join(fts, on=(fts.rowid == Person.id))
        .where(SQL("person_fts MATCH ?", [expression]))
        .order_by(fts.rank, Person.id)
    )
