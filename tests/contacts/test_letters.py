"""Letter support (SPEC C6): salutation lines and address blocks in German and English,
checked against a table of real-world cases. The functions are pure, so the persons here
are plain objects with the fields of Person (and PersonOutlet/Outlet for the links)."""

from types import SimpleNamespace

import pytest

from app.contacts.letters import address_block, country_name, letter_head, salutation


def person(**fields):
    values = {
        "gender": "",
        "title": "",
        "first_name": "",
        "last_name": "",
        "language": "de",
        "street": "",
        "postcode": "",
        "city": "",
        "country": "DE",
        "department": "",
        "outlet_links": [],
    }
    return SimpleNamespace(**(values | fields))


def outlet(name="Süddeutsche Zeitung", **fields):
    values = {"street": "", "postcode": "", "city": "", "country": "DE"}
    return SimpleNamespace(name=name, **(values | fields))


def link(outlet, id=1, department="", position=""):
    return SimpleNamespace(id=id, outlet=outlet, department=department, position=position)


F, M, D, U = "female", "male", "diverse", ""

# gender, title, first name, last name, country → German salutation, English salutation
SALUTATIONS = [
    (F, "", "Anna", "Schmidt", "DE", "Sehr geehrte Frau Schmidt,", "Dear Ms Schmidt,"),
    (M, "", "Peter", "Müller", "DE", "Sehr geehrter Herr Müller,", "Dear Mr Müller,"),
    (F, "Dr.", "Anna", "Schmidt", "DE", "Sehr geehrte Frau Dr. Schmidt,", "Dear Dr Schmidt,"),
    (M, "Dr.", "Peter", "Müller", "DE", "Sehr geehrter Herr Dr. Müller,", "Dear Dr Müller,"),
    (
        M,
        "Prof. Dr.",
        "Hans",
        "Müller",
        "DE",
        "Sehr geehrter Herr Professor Müller,",
        "Dear Professor Müller,",
    ),
    (
        F,
        "Prof. Dr.",
        "Ute",
        "Frevert",
        "DE",
        "Sehr geehrte Frau Professorin Frevert,",
        "Dear Professor Frevert,",
    ),
    (
        M,
        "Prof.",
        "Klaus",
        "Lange",
        "DE",
        "Sehr geehrter Herr Professor Lange,",
        "Dear Professor Lange,",
    ),
    (
        M,
        "Univ.-Prof. Dr.",
        "Franz",
        "Gruber",
        "AT",
        "Sehr geehrter Herr Professor Gruber,",
        "Dear Professor Gruber,",
    ),
    (F, "Dr. med.", "Jutta", "Groß", "DE", "Sehr geehrte Frau Dr. Groß,", "Dear Dr Groß,"),
    (M, "Dr. rer. nat.", "Jörg", "Weiß", "DE", "Sehr geehrter Herr Dr. Weiß,", "Dear Dr Weiß,"),
    (M, "Dr.-Ing.", "Uwe", "Kühn", "DE", "Sehr geehrter Herr Dr. Kühn,", "Dear Dr Kühn,"),
    (M, "Dr. Dr. h.c.", "Otto", "Lenz", "DE", "Sehr geehrter Herr Dr. Lenz,", "Dear Dr Lenz,"),
    # degrees are not part of a German (or English) salutation ...
    (M, "Dipl.-Ing.", "Bernd", "Hofmann", "DE", "Sehr geehrter Herr Hofmann,", "Dear Mr Hofmann,"),
    (F, "M.A.", "Lea", "Schulz", "DE", "Sehr geehrte Frau Schulz,", "Dear Ms Schulz,"),
    # ... but in Austria they are
    (F, "Mag.", "Eva", "Huber", "AT", "Sehr geehrte Frau Mag. Huber,", "Dear Ms Huber,"),
    (F, "Mag.a", "Maria", "Pichler", "AT", "Sehr geehrte Frau Mag.a Pichler,", "Dear Ms Pichler,"),
    (M, "DI", "Stefan", "Wimmer", "AT", "Sehr geehrter Herr DI Wimmer,", "Dear Mr Wimmer,"),
    (
        M,
        "Dipl.-Ing.",
        "Karl",
        "Moser",
        "AT",
        "Sehr geehrter Herr Dipl.-Ing. Moser,",
        "Dear Mr Moser,",
    ),
    (M, "Ing.", "Josef", "Berger", "AT", "Sehr geehrter Herr Ing. Berger,", "Dear Mr Berger,"),
    (M, "DI Dr.", "Georg", "Steiner", "AT", "Sehr geehrter Herr Dr. Steiner,", "Dear Dr Steiner,"),
    (F, "Mag. Dr.", "Petra", "Bauer", "AT", "Sehr geehrte Frau Dr. Bauer,", "Dear Dr Bauer,"),
    (M, "DDr.", "Heinz", "Mayer", "AT", "Sehr geehrter Herr DDr. Mayer,", "Dear Dr Mayer,"),
    (F, "Mag.", "Eva", "Huber", "DE", "Sehr geehrte Frau Huber,", "Dear Ms Huber,"),
    # name particles and double names as written
    (
        M,
        "",
        "Richard",
        "von Weizsäcker",
        "DE",
        "Sehr geehrter Herr von Weizsäcker,",
        "Dear Mr von Weizsäcker,",
    ),
    (
        M,
        "Prof. Dr.",
        "Alexander",
        "Van der Bellen",
        "AT",
        "Sehr geehrter Herr Professor Van der Bellen,",
        "Dear Professor Van der Bellen,",
    ),
    (
        M,
        "",
        "Rafael",
        "van der Vaart",
        "NL",
        "Sehr geehrter Herr van der Vaart,",
        "Dear Mr van der Vaart,",
    ),
    (
        F,
        "",
        "Sabine",
        "Leutheusser-Schnarrenberger",
        "DE",
        "Sehr geehrte Frau Leutheusser-Schnarrenberger,",
        "Dear Ms Leutheusser-Schnarrenberger,",
    ),
    (
        F,
        "Dr.",
        "Jutta",
        "Müller Lüdenscheidt",
        "DE",
        "Sehr geehrte Frau Dr. Müller Lüdenscheidt,",
        "Dear Dr Müller Lüdenscheidt,",
    ),
    # gender unknown or diverse: the name without Frau/Herr
    (U, "", "Alex", "Schmidt", "DE", "Guten Tag Alex Schmidt,", "Dear Alex Schmidt,"),
    (D, "", "Kim", "Weißenböck", "AT", "Guten Tag Kim Weißenböck,", "Dear Kim Weißenböck,"),
    (D, "Dr.", "Robin", "Fuchs", "DE", "Guten Tag Dr. Robin Fuchs,", "Dear Dr Fuchs,"),
    (
        U,
        "Prof. Dr.",
        "Sascha",
        "Krüger",
        "DE",
        "Guten Tag Prof. Sascha Krüger,",
        "Dear Professor Krüger,",
    ),
    (U, "Mag.", "Toni", "Hofer", "AT", "Guten Tag Mag. Toni Hofer,", "Dear Toni Hofer,"),
    (U, "Dr.", "", "Lehmann", "DE", "Guten Tag Dr. Lehmann,", "Dear Dr Lehmann,"),
    # no first name
    (F, "", "", "Özdemir", "DE", "Sehr geehrte Frau Özdemir,", "Dear Ms Özdemir,"),
    (U, "", "", "Schmidt", "DE", "Sehr geehrte Damen und Herren,", "Dear Sir or Madam,"),
    # no last name (erased): nobody to name
    (F, "Dr.", "Anna", "", "DE", "Sehr geehrte Damen und Herren,", "Dear Sir or Madam,"),
    (U, "", "", "", "DE", "Sehr geehrte Damen und Herren,", "Dear Sir or Madam,"),
    # stray blanks from an import
    (
        M,
        "  Prof.   Dr. ",
        " Hans ",
        "  Meier  ",
        "DE",
        "Sehr geehrter Herr Professor Meier,",
        "Dear Professor Meier,",
    ),
]


@pytest.mark.parametrize(
    ("gender", "title", "first", "last", "country", "german", "english"),
    SALUTATIONS,
    ids=[f"{c[0] or 'unknown'}-{c[1] or 'notitle'}-{c[3] or 'noname'}-{c[4]}" for c in SALUTATIONS],
)
def test_salutation(gender, title, first, last, country, german, english):
    p = person(gender=gender, title=title, first_name=first, last_name=last, country=country)
    assert salutation(p, "de") == german
    assert salutation(p, "en") == english


def test_the_table_covers_enough_real_cases():
    assert len(SALUTATIONS) >= 25


def test_an_unknown_letter_language_is_refused():
    with pytest.raises(ValueError):
        salutation(person(last_name="Schmidt"), "fr")
    with pytest.raises(ValueError):
        address_block(person(last_name="Schmidt"), "DE")


anna = {"gender": F, "title": "Dr.", "first_name": "Anna", "last_name": "Schmidt"}
sz = outlet(street="Hultschiner Straße 8", postcode="81677", city="München")
orf = outlet("ORF", street="Hugo-Portisch-Gasse 1", postcode="1136", city="Wien", country="AT")
nzz = outlet(
    "Neue Zürcher Zeitung", street="Falkenstrasse 11", postcode="8008", city="Zürich", country="CH"
)

# person, letter language, sender country → address lines
ADDRESSES = [
    (
        "DE private",
        person(**anna, street="Unter den Linden 1", postcode="10117", city="Berlin"),
        "DE",
        {
            "de": ["Frau", "Dr. Anna Schmidt", "Unter den Linden 1", "10117 Berlin"],
            "en": ["Dr Anna Schmidt", "Unter den Linden 1", "10117 Berlin"],
        },
    ),
    (
        "DE man, every title and degree in the address",
        person(
            gender=M,
            title="Prof. Dr.-Ing.",
            first_name="Jürgen",
            last_name="Weiß",
            street="Straße des 17. Juni 135",
            postcode="10623",
            city="Berlin",
        ),
        "DE",
        {
            "de": [
                "Herrn",
                "Prof. Dr.-Ing. Jürgen Weiß",
                "Straße des 17. Juni 135",
                "10623 Berlin",
            ],
            "en": ["Professor Jürgen Weiß", "Straße des 17. Juni 135", "10623 Berlin"],
        },
    ),
    (
        "AT from DE",
        person(
            gender=F,
            title="Mag.",
            first_name="Eva",
            last_name="Huber",
            street="Stephansplatz 1",
            postcode="1010",
            city="Wien",
            country="AT",
        ),
        "DE",
        {
            "de": ["Frau", "Mag. Eva Huber", "Stephansplatz 1", "1010 Wien", "ÖSTERREICH"],
            "en": ["Ms Eva Huber", "Stephansplatz 1", "1010 Wien", "AUSTRIA"],
        },
    ),
    (
        "AT within AT",
        person(
            gender=M,
            title="DI",
            first_name="Stefan",
            last_name="Wimmer",
            street="Hauptplatz 1",
            postcode="8010",
            city="Graz",
            country="AT",
        ),
        "AT",
        {
            "de": ["Herrn", "DI Stefan Wimmer", "Hauptplatz 1", "8010 Graz"],
            "en": ["Mr Stefan Wimmer", "Hauptplatz 1", "8010 Graz"],
        },
    ),
    (
        "CH from DE",
        person(
            gender=M,
            first_name="Urs",
            last_name="Bärtschi",
            street="Bahnhofstrasse 1",
            postcode="8001",
            city="Zürich",
            country="CH",
        ),
        "DE",
        {
            "de": ["Herrn", "Urs Bärtschi", "Bahnhofstrasse 1", "8001 Zürich", "SCHWEIZ"],
            "en": ["Mr Urs Bärtschi", "Bahnhofstrasse 1", "8001 Zürich", "SWITZERLAND"],
        },
    ),
    (
        "CH within CH: Herr, not Herrn",
        person(
            gender=M,
            title="Dr.",
            first_name="Urs",
            last_name="Bärtschi",
            street="Bahnhofstrasse 1",
            postcode="8001",
            city="Zürich",
            country="CH",
        ),
        "CH",
        {
            "de": ["Herr", "Dr. Urs Bärtschi", "Bahnhofstrasse 1", "8001 Zürich"],
            "en": ["Dr Urs Bärtschi", "Bahnhofstrasse 1", "8001 Zürich"],
        },
    ),
    (
        "DE from CH, editorial office",
        person(gender=M, first_name="Kurt", last_name="Kister", outlet_links=[link(sz)]),
        "CH",
        {
            "de": [
                "Süddeutsche Zeitung",
                "Herr Kurt Kister",
                "Hultschiner Straße 8",
                "81677 München",
                "DEUTSCHLAND",
            ],
            "en": [
                "Süddeutsche Zeitung",
                "Mr Kurt Kister",
                "Hultschiner Straße 8",
                "81677 München",
                "GERMANY",
            ],
        },
    ),
    (
        "DE from AT",
        person(**anna, street="Unter den Linden 1", postcode="10117", city="Berlin"),
        "AT",
        {
            "de": ["Frau", "Dr. Anna Schmidt", "Unter den Linden 1", "10117 Berlin", "DEUTSCHLAND"],
            "en": ["Dr Anna Schmidt", "Unter den Linden 1", "10117 Berlin", "GERMANY"],
        },
    ),
    (
        "France",
        person(
            gender=F,
            first_name="Élise",
            last_name="Durand",
            street="12 rue de la Paix",
            postcode="75002",
            city="Paris",
            country="FR",
        ),
        "DE",
        {
            "de": ["Frau", "Élise Durand", "12 rue de la Paix", "75002 Paris", "FRANKREICH"],
            "en": ["Ms Élise Durand", "12 rue de la Paix", "75002 Paris", "FRANCE"],
        },
    ),
    (
        "UK: postcode below the town",
        person(
            gender=M,
            first_name="James",
            last_name="Smith",
            street="10 Downing Street",
            postcode="SW1A 2AA",
            city="London",
            country="GB",
        ),
        "DE",
        {
            "de": [
                "Herrn",
                "James Smith",
                "10 Downing Street",
                "London",
                "SW1A 2AA",
                "VEREINIGTES KÖNIGREICH",
            ],
            "en": ["Mr James Smith", "10 Downing Street", "London", "SW1A 2AA", "UNITED KINGDOM"],
        },
    ),
    (
        "US: postcode after the place",
        person(
            gender=D,
            first_name="Sam",
            last_name="Lee",
            street="1 Main Street",
            postcode="10001",
            city="New York, NY",
            country="US",
        ),
        "DE",
        {
            "de": ["Sam Lee", "1 Main Street", "New York, NY 10001", "VEREINIGTE STAATEN"],
            "en": ["Sam Lee", "1 Main Street", "New York, NY 10001", "UNITED STATES"],
        },
    ),
    (
        "missing postcode",
        person(gender=M, first_name="Paul", last_name="Klee", street="Am Markt 3", city="Bremen"),
        "DE",
        {
            "de": ["Herrn", "Paul Klee", "Am Markt 3", "Bremen"],
            "en": ["Mr Paul Klee", "Am Markt 3", "Bremen"],
        },
    ),
    (
        "no street (a post office box town)",
        person(gender=F, first_name="Ina", last_name="Roth", postcode="20095", city="Hamburg"),
        "DE",
        {"de": ["Frau", "Ina Roth", "20095 Hamburg"], "en": ["Ms Ina Roth", "20095 Hamburg"]},
    ),
    (
        "unknown gender: no Frau/Herrn line",
        person(
            first_name="Alex",
            last_name="Schmidt",
            street="Hauptstraße 5",
            postcode="04109",
            city="Leipzig",
        ),
        "DE",
        {
            "de": ["Alex Schmidt", "Hauptstraße 5", "04109 Leipzig"],
            "en": ["Alex Schmidt", "Hauptstraße 5", "04109 Leipzig"],
        },
    ),
    (
        "editorial office of the outlet, with the link's department",
        person(**anna, outlet_links=[link(sz, department="Wissenschaft")]),
        "DE",
        {
            "de": [
                "Süddeutsche Zeitung",
                "Frau Dr. Anna Schmidt",
                "Wissenschaft",
                "Hultschiner Straße 8",
                "81677 München",
            ],
            "en": [
                "Süddeutsche Zeitung",
                "Dr Anna Schmidt",
                "Wissenschaft",
                "Hultschiner Straße 8",
                "81677 München",
            ],
        },
    ),
    (
        "editorial office abroad, the person's department, first outlet with an address",
        person(
            gender=M,
            first_name="Armin",
            last_name="Wolf",
            department="Zeit im Bild",
            outlet_links=[link(orf, id=7), link(outlet("Blog ohne Adresse"), id=3)],
        ),
        "DE",
        {
            "de": [
                "ORF",
                "Herrn Armin Wolf",
                "Zeit im Bild",
                "Hugo-Portisch-Gasse 1",
                "1136 Wien",
                "ÖSTERREICH",
            ],
            "en": [
                "ORF",
                "Mr Armin Wolf",
                "Zeit im Bild",
                "Hugo-Portisch-Gasse 1",
                "1136 Wien",
                "AUSTRIA",
            ],
        },
    ),
    (
        "editorial office, no department",
        person(first_name="Kim", last_name="Meier", gender=D, outlet_links=[link(nzz)]),
        "CH",
        {
            "de": ["Neue Zürcher Zeitung", "Kim Meier", "Falkenstrasse 11", "8008 Zürich"],
            "en": ["Neue Zürcher Zeitung", "Kim Meier", "Falkenstrasse 11", "8008 Zürich"],
        },
    ),
    (
        "own address wins over the outlet's",
        person(**anna, city="Potsdam", postcode="14467", outlet_links=[link(sz)]),
        "DE",
        {
            "de": ["Frau", "Dr. Anna Schmidt", "14467 Potsdam"],
            "en": ["Dr Anna Schmidt", "14467 Potsdam"],
        },
    ),
    (
        "no address anywhere: only the name, no country line",
        person(**anna, country="AT", outlet_links=[link(outlet("Podcast"))]),
        "DE",
        {"de": ["Frau", "Dr. Anna Schmidt"], "en": ["Dr Anna Schmidt"]},
    ),
    (
        "erased: nothing left",
        person(),
        "DE",
        {"de": [], "en": []},
    ),
]


@pytest.mark.parametrize(
    ("case", "p", "sender", "expected"), ADDRESSES, ids=[c[0] for c in ADDRESSES]
)
def test_address_block(case, p, sender, expected):
    for lang in ("de", "en"):
        assert address_block(p, lang, sender) == expected[lang], lang


def test_letter_head_is_the_block_a_blank_line_and_the_salutation():
    p = person(**anna, street="Unter den Linden 1", postcode="10117", city="Berlin")
    assert letter_head(p, "de") == (
        "Frau\nDr. Anna Schmidt\nUnter den Linden 1\n10117 Berlin\n\nSehr geehrte Frau Dr. Schmidt,"
    )
    assert letter_head(p, "en", "AT") == (
        "Dr Anna Schmidt\nUnter den Linden 1\n10117 Berlin\nGERMANY\n\nDear Dr Schmidt,"
    )
    # nothing to address: just the salutation
    assert letter_head(person(), "de") == "Sehr geehrte Damen und Herren,"


def test_country_names_in_capitals_of_the_letter_language_and_unknown_codes():
    assert country_name("at", "de") == "Österreich"
    assert country_name("XY", "en") == "XY"
    p = person(last_name="Lee", city="Springfield", country="XY")
    assert address_block(p, "de") == ["Lee", "Springfield", "XY"]
