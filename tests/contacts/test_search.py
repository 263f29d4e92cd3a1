"""Full-text search over persons (SPEC C4): one API, SQLite FTS5 or PostgreSQL."""

import pytest

from app.contacts.models import Person, PersonEmail, PersonOutlet, PersonTopic, Topic
from app.contacts.search import canonical_text, matching, query_words, word_forms
from app.contacts.services import reindex
from app.outlets.models import Outlet
from tests import factories


def test_umlauts_and_sharp_s_have_all_their_spellings():
    assert word_forms("Müller") == ["mueller", "muller"]
    assert word_forms("Strauß") == ["strauss"]
    assert word_forms("Zoë") == ["zoe"]
    assert canonical_text("Jürgen Weiß") == "juergen jurgen weiss"
    assert query_words('Müller "OR" -x*') == ["mueller", "or", "x"]


@pytest.fixture
def people(app_ctx):
    """Two clients; the searching user sees only the first."""
    alpha, beta = factories.new_client("Alpha AG"), factories.new_client("Beta AG")
    user, _ = factories.user()
    factories.grant(user, alpha, "full")
    factories.grant(user, beta, "hidden")
    outlet = Outlet.create(client=alpha, name="Süddeutsche Zeitung", kind="daily")
    topic = Topic.create(client=alpha, name="Energiewende")

    def person(client, first, last, **fields):
        p = Person.create(client=client, first_name=first, last_name=last, **fields)
        return p

    anna = person(alpha, "Anna", "Müller", city="München", position="Redakteurin")
    PersonEmail.create(person=anna, address="anna.mueller@sz.example", is_primary=True)
    PersonOutlet.create(person=anna, outlet=outlet)
    PersonTopic.create(person=anna, topic=topic)
    person(alpha, "Jürgen", "Mueller", city="Wien")
    person(alpha, "Karl", "Strauß", notes="schreibt über Photovoltaik")
    person(beta, "Maria", "Müller", city="Zürich")  # hidden from the user
    reindex(p.id for p in Person.select())
    return user


def _names(user, text):
    return [f"{p.first_name} {p.last_name}" for p in matching(Person.visible_to(user), text)]


def test_transliterations_find_each_other(people):
    for spelling in ("müller", "mueller", "MÜLLER", "Mül"):
        assert sorted(_names(people, spelling)) == ["Anna Müller", "Jürgen Mueller"], spelling
    assert _names(people, "muller") == ["Anna Müller"]  # typed without the umlaut
    assert _names(people, "strauss") == ["Karl Strauß"]
    assert _names(people, "juergen") == ["Jürgen Mueller"]


def test_every_field_is_searched(people):
    assert _names(people, "sz.example") == ["Anna Müller"]  # e-mail
    assert _names(people, "süddeutsche") == ["Anna Müller"]  # outlet
    assert _names(people, "energiewende") == ["Anna Müller"]  # topic
    assert _names(people, "redakteurin") == ["Anna Müller"]  # position
    assert _names(people, "photovolt") == ["Karl Strauß"]  # notes, prefix
    assert _names(people, "anna münchen") == ["Anna Müller"]  # all words must match


def test_hidden_clients_stay_hidden_in_search(people):
    assert "Maria Müller" not in _names(people, "müller")
    assert _names(people, "zürich") == []


def test_search_follows_changes(people):
    karl = Person.get(Person.last_name == "Strauß")
    karl.last_name = "Brandstätter"
    karl.save()
    reindex([karl.id])
    assert _names(people, "brandstaetter") == ["Karl Brandstätter"]
    assert _names(people, "strauss") == []
    karl.delete_instance()
    assert _names(people, "brandst") == []


def test_operators_and_quotes_in_a_search_are_only_words(people):
    assert _names(people, 'müller" OR "*') == []  # "or" is just another word here
    assert _names(people, "") != []  # no search: the list as it is
    assert _names(people, "%_'") != []


def test_better_matches_rank_first(people):
    anna = Person.get(Person.first_name == "Anna")
    anna.notes = "müller müller müller"
    anna.save()
    reindex([anna.id])
    assert _names(people, "müller")[0] == "Anna Müller"


def test_the_cached_name_key_is_the_libraries_kolner_phonetik():
    """name_key caches the encoding by a word's letters; it must stay what
    cologne_phonetics itself gives for any name (umlauts, accents, hyphens, digits)."""
    import random

    import cologne_phonetics

    from app.contacts.search import name_key

    def library(name):
        codes = [code for _, code in cologne_phonetics.encode(name or "") if code]
        return "-".join(codes)[:40]

    names = ["", None, "Müller", "Mueller", "Meier-Lüdenscheidt", "de la Cruz", "O'Brien"]
    names += ["Çelik", "Straße", "Nachname12", "Nachname13", "  Doppel  Leer ", "Ångström"]
    names += ["Jędrzejczyk", "ÄÖÜ äöü ß", "123", "Łukasz", "Dvořák", "Œuvre", "İnce", "a\tb"]
    randomly = random.Random(5)
    alphabet = "abcdefghijklmnopqrstuvwxyzäöüßéèçñøåłšžABCXYZÄÖÜ -'.0123456789\u0301İı"
    for _ in range(5000):
        names.append("".join(randomly.choices(alphabet, k=randomly.randint(0, 25))))
    assert [name_key(n) for n in names] == [library(n) for n in names]
    assert name_key("Meier") == name_key("Mayr") == name_key("Meyer")
