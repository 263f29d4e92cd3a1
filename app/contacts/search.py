"""Full-text search over persons (SPEC C4): one query API, two engines.

Both engines index `Person.search_text`, a canonical text made here from the person's names,
position, department, city, notes, e-mail addresses, outlets and topics: lower case, and
every word with an umlaut or ß twice — transliterated (müller → mueller) and stripped
(muller) — so that any of the spellings finds the others. A query is canonicalised the same
way and every word matches as a prefix.

- SQLite: an FTS5 table with external content (`person_fts`), kept in step by triggers and
  ranked by bm25 (both created by migration 0006).
- PostgreSQL: a stored column `search_vector` = `to_tsvector('simple', search_text)` with a
  GIN index (migration 0026), ranked by ts_rank over the stored vector (D41: computing it
  anew from the text for every match to rank them cost 16 ms for "mueller", 3 ms stored).
  The 'simple' configuration is deliberate: names must not be stemmed, and transliteration
  is already done here, so the `unaccent` extension is not needed. The column is not a
  model field (SQLite has none); `_search_vector` names it in queries.

Outlets are searched the same way over `Outlet.search_text` (name, city, region,
departments, topics) with their own index (`outlet_fts`, migration 0009): `full_text_match`.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import cologne_phonetics
from peewee import SQL, Entity, Expression, Field, PostgresqlDatabase, Table, fn

from app.extensions import db

FTS_TABLE = "person_fts"
_TRANSLIT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "œ": "oe"})
_WORD = re.compile(r"[^\W_]+", re.UNICODE)  # letters and digits; "_" separates


def _strip(word: str) -> str:
    return "".join(
        ch for ch in unicodedata.normalize("NFKD", word) if not unicodedata.combining(ch)
    ).replace("ß", "ss")


def _forms(word: str) -> tuple[str, ...]:
    word = word.lower()
    if word.isascii():  # nothing to transliterate or strip (most words; imports call this a lot)
        return (word,)
    return _accented_forms(word)


# Only words with umlauts or accents are kept: an ASCII word costs no more than the cache's
# own look-up, and an import's unique words (names, addresses) filled 65,536 entries, 16 MB.
@functools.lru_cache(maxsize=65536)
def _accented_forms(word: str) -> tuple[str, ...]:
    transliterated, stripped = _strip(word.translate(_TRANSLIT)), _strip(word)
    return (transliterated,) if stripped == transliterated else (transliterated, stripped)


def word_forms(word: str) -> list[str]:
    """The spellings under which a word is indexed: transliterated and stripped."""
    return list(_forms(word))


def canonical_text(*parts: str) -> str:
    """The text to index for the given parts (names, notes, addresses, …)."""
    texts = [_short_part(p) if len(p) <= 100 else _part(p) for p in parts if p]
    return " ".join(t for t in texts if t)


def _part(part: str) -> str:
    words = []
    for word in _WORD.findall(part):
        words.extend(_forms(word))
    return " ".join(words)


# Cities, outlets, topics, positions repeat from person to person (an import's rows); long
# parts (notes) are not kept.
_short_part = functools.lru_cache(maxsize=16384)(_part)


def name_key(last_name: str) -> str:
    """The phonetic key of a last name (Kölner Phonetik, one code per part): Meier, Meyer
    and Mayr share one, as do Müller and Mueller. Duplicate candidates share it (C7)."""
    codes = [_word_code(word) for word in (last_name or "").replace("-", " ").lower().split(" ")]
    return "-".join(code for code in codes if code)[:40]


_NOT_LETTERS = re.compile(r"[^a-z]")


def _word_code(word: str) -> str:
    """`cologne_phonetics.encode` of one lower-case word, cached by the word's letters: the
    encoding drops everything but a-z first (after umlauts and accents), so Name1 and Name2
    share one entry. The ~20 regular expressions per word were 40 % of an import's CPU."""
    if word.isascii():
        letters = _NOT_LETTERS.sub("", word)
    else:
        letters = _NOT_LETTERS.sub("", cologne_phonetics.encode(word)[0][0])
    return _letters_code(letters)


@functools.lru_cache(maxsize=65536)
def _letters_code(letters: str) -> str:
    return cologne_phonetics.encode(letters)[0][1]


def query_words(query: str) -> list[str]:
    """The words of a search, canonical (transliterated), without operators or quotes."""
    return [word_forms(w)[0] for w in _WORD.findall(query or "")][:12]


def is_postgres() -> bool:
    return isinstance(db.obj, PostgresqlDatabase)


@functools.cache
def _search_vector(model) -> Field:
    """The stored vector of `model`'s search text on PostgreSQL (migration 0026): a column
    that queries name, not a field of the model (no SELECT of the model reads it)."""
    vector = Field(column_name="search_vector")
    vector.bind(model, "search_vector", set_attribute=False)
    return vector


def matching(query, text: str):
    """Narrow a SELECT of persons to those matching `text`, best first. An empty search
    leaves the query as it is. Scoping stays with the caller (Person.visible_to)."""
    from app.contacts.models import Person

    return full_text_match(query, text, Person.search_text, FTS_TABLE)


def search_expression(text: str) -> str | None:
    """The engine's own search for `text` (a tsquery's text on PostgreSQL, an FTS5 MATCH
    expression on SQLite), every word as a prefix; None for a search without words."""
    words = query_words(text)
    if not words:
        return None
    if is_postgres():
        return " & ".join(f"{w}:*" for w in words)
    return " ".join(f'"{w}"*' for w in words)


def full_text_match(query, text: str, field, fts_table: str):
    """Narrow a SELECT of `field`'s model to the rows whose canonical search text (`field`)
    matches `text`, best first: on PostgreSQL through the GIN index on the stored
    `to_tsvector('simple', field)` (the column `search_vector`), on SQLite through the FTS5
    table `fts_table` whose rowid is the model's id. Persons and outlets are searched alike
    (docs/decisions.md D32)."""
    expression = search_expression(text)
    if expression is None:
        return query
    return full_text_where(query, expression, field, fts_table)


def full_text_where(query, expression, field, fts_table: str):
    """`full_text_match` for a `search_expression` (or a statement's slot for one)."""
    model = field.model
    if is_postgres():
        vector = _search_vector(model)
        tsquery = fn.to_tsquery(SQL("'simple'"), expression)
        return query.where(Expression(vector, "@@", tsquery)).order_by(
            fn.ts_rank(vector, tsquery).desc(), model.id
        )
    fts = Table(fts_table, ("rowid", "rank"))
    return (
        query.join(fts, on=(fts.rowid == model.id))
        .where(Expression(Entity(fts_table), "MATCH", expression))  # the hidden column
        .order_by(fts.rank, model.id)
    )
