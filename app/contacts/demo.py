"""Demo contacts: outlets, topics and journalists of the German-speaking press, fictitious
but realistic (names with umlauts, German, Austrian and Swiss addresses, media names and
outlet types), deterministic per seed, and fast: tens of thousands of persons a second.

How it is fast (decision D33): every person is a tuple built from precomputed pools
(names, cities with their streets and postcodes, outlets with their domains), and its
search text is joined from the canonical forms of those pool entries, each computed once
(`_canon`), instead of canonicalising every person's whole text. The rows go to the
database in one transaction, 10,000 persons at a time: on SQLite with the driver's
`executemany` of 100-row INSERTs, the full-text insert trigger of `person` set aside and
the new rows indexed with one `INSERT … SELECT` at the end; on PostgreSQL with
`COPY … FROM STDIN`, the next chunk built in a second thread meanwhile. Into empty tables
the secondary indexes are built after the load (on PostgreSQL the foreign keys between
those tables are added back after it too).
The load ends with ANALYZE. The result is the same as through the services: tests compare
the search text with `reindex`.
"""

from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain

from peewee import PostgresqlDatabase, fn

from app import data_versions
from app.clock import utcnow
from app.contacts.models import (
    OutletTopic,
    Person,
    PersonEmail,
    PersonOutlet,
    PersonPhone,
    PersonTopic,
    Topic,
)
from app.contacts.search import canonical_text, name_key, word_forms
from app.extensions import db
from app.outlets.models import Outlet, OutletDepartment
from app.transfer.services import copy_text, send_copy

ROWS_PER_STATEMENT = 100  # rows in one INSERT on SQLite
SQLITE_VARIABLES = 999  # the lowest limit of parameters per statement of any SQLite

FEMALE = [
    "Anna", "Lena", "Sophie", "Marie", "Laura", "Katharina", "Julia", "Sabine", "Claudia",
    "Verena", "Theresa", "Ursula", "Regula", "Andrea", "Johanna", "Franziska", "Birgit",
    "Petra", "Monika", "Jana", "Miriam", "Sarah", "Nina", "Carina", "Elisabeth", "Hanna",
    "Christiane", "Barbara", "Silvia", "Corinne", "Nadine", "Jasmin", "Daniela", "Ruth",
    "Bärbel", "Jördis", "Dörte", "Käthe", "Annegret", "Margit", "Gudrun", "Heike", "Ilse",
    "Brigitte", "Stefanie", "Isabell", "Mirjam", "Seraina", "Ladina", "Zoë", "Anaïs",
]  # fmt: skip
MALE = [
    "Lukas", "Maximilian", "Jonas", "Felix", "Tobias", "Stefan", "Florian", "Matthias",
    "Andreas", "Thomas", "Michael", "Reto", "Urs", "Beat", "Christoph", "Dominik", "Georg",
    "Jürgen", "Bernd", "Klaus", "Wolfgang", "Martin", "Patrick", "Simon", "Fabian", "Jörg",
    "Peter", "Markus", "Daniel", "Philipp", "Sebastian", "Ralf", "Adrian", "Dieter", "Sönke",
    "Björn", "Günther", "Jörn", "Uwe", "Ömer", "Rüdiger", "Hansjörg", "Mathis", "Gian",
    "Luca", "Noah", "Valentin", "Leopold", "Ferdinand", "Gregor",
]  # fmt: skip
LAST = [
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
    "Hofmann", "Schäfer", "Koch", "Richter", "Gruber", "Huber", "Bauer", "Pichler", "Steiner",
    "Moser", "Mayr", "Egger", "Brunner", "Keller", "Meier", "Baumann", "Frei", "Zimmermann",
    "Gerber", "Widmer", "Kälin", "Lehmann", "Wößner", "Strauß", "Schröder", "Krüger", "Wolf",
    "Neumann", "Schwarz", "Braun", "Hofer", "Lang", "Winkler", "Fuchs", "Weiß", "Jäger",
    "Lorenz", "Berger", "Haas", "Böhm", "Wimmer", "Schüler", "Vogel", "Bühler", "Marti",
    "Lüthi", "Graf", "Scholz", "Möller", "Hahn", "Kühn", "Sommer", "Özdemir", "Yılmaz",
    "Nowak", "Kovačević", "Dvořák", "Leitner", "Aigner", "Brandstätter", "Grünwald",
    "Oberhuber", "Rüegg", "Zürcher", "Nägeli", "Bösch", "Hüsler", "Große", "Köhler",
    "Mößner", "Fröhlich", "Günther", "Lübke", "Pöschl", "Schütz", "Vöhringer",
]  # fmt: skip

# country, city, adjective ("Berliner"), area code, postcode base and spread, weight
CITIES = [
    ("DE", "Berlin", "Berliner", "30", 10115, 2000, 9),
    ("DE", "Hamburg", "Hamburger", "40", 20095, 1500, 6),
    ("DE", "München", "Münchner", "89", 80331, 1500, 6),
    ("DE", "Köln", "Kölner", "221", 50667, 300, 4),
    ("DE", "Frankfurt am Main", "Frankfurter", "69", 60311, 300, 4),
    ("DE", "Stuttgart", "Stuttgarter", "711", 70173, 400, 3),
    ("DE", "Düsseldorf", "Düsseldorfer", "211", 40210, 400, 3),
    ("DE", "Leipzig", "Leipziger", "341", 4103, 250, 2),
    ("DE", "Nürnberg", "Nürnberger", "911", 90402, 100, 2),
    ("DE", "Bremen", "Bremer", "421", 28195, 500, 2),
    ("DE", "Dresden", "Dresdner", "351", 1067, 250, 2),
    ("DE", "Hannover", "Hannoversche", "511", 30159, 500, 2),
    ("DE", "Mannheim", "Mannheimer", "621", 68159, 150, 1),
    ("DE", "Heidelberg", "Heidelberger", "6221", 69115, 10, 1),
    ("DE", "Freiburg im Breisgau", "Freiburger", "761", 79098, 30, 1),
    ("DE", "Münster", "Münstersche", "251", 48143, 30, 1),
    ("DE", "Würzburg", "Würzburger", "931", 97070, 20, 1),
    ("DE", "Lübeck", "Lübecker", "451", 23552, 20, 1),
    ("DE", "Göttingen", "Göttinger", "551", 37073, 10, 1),
    ("DE", "Saarbrücken", "Saarbrücker", "681", 66111, 20, 1),
    ("AT", "Wien", "Wiener", "1", 1010, 220, 6),
    ("AT", "Graz", "Grazer", "316", 8010, 50, 2),
    ("AT", "Linz", "Linzer", "732", 4020, 40, 2),
    ("AT", "Salzburg", "Salzburger", "662", 5020, 20, 2),
    ("AT", "Innsbruck", "Innsbrucker", "512", 6020, 10, 1),
    ("AT", "Klagenfurt am Wörthersee", "Kärntner", "463", 9020, 10, 1),
    ("AT", "St. Pölten", "Niederösterreichische", "2742", 3100, 10, 1),
    ("AT", "Bregenz", "Vorarlberger", "5574", 6900, 1, 1),
    ("CH", "Zürich", "Zürcher", "44", 8001, 60, 4),
    ("CH", "Bern", "Berner", "31", 3011, 20, 2),
    ("CH", "Basel", "Basler", "61", 4051, 10, 2),
    ("CH", "Luzern", "Luzerner", "41", 6003, 10, 1),
    ("CH", "St. Gallen", "St. Galler", "71", 9000, 10, 1),
    ("CH", "Winterthur", "Winterthurer", "52", 8400, 10, 1),
    ("CH", "Chur", "Bündner", "81", 7000, 10, 1),
    ("CH", "Aarau", "Aargauer", "62", 5000, 4, 1),
]
REGIONS = {
    "DE": ["Rhein-Neckar", "Ostsee", "Schwarzwald", "Allgäu", "Weser-Ems", "Lausitz", "Eifel",
           "Bodensee", "Oberpfalz", "Sauerland", "Rhein-Main", "Havelland"],
    "AT": ["Mühlviertel", "Salzkammergut", "Wachau", "Pinzgau", "Waldviertel", "Steiermark",
           "Tirol", "Burgenland", "Innviertel", "Vorarlberg"],
    "CH": ["Emmental", "Oberland", "Zürichsee", "Seetal", "Linth", "Engadin", "Thurgau"],
}  # fmt: skip
STREETS = {
    "DE": ["Hauptstraße", "Bahnhofstraße", "Schillerstraße", "Goethestraße", "Lindenweg",
           "Gartenstraße", "Kirchstraße", "Friedrichstraße", "Mühlenweg", "Am Markt",
           "Königsallee", "Rosenstraße", "Uhlandstraße", "Große Bleichen", "Jägerstraße"],
    "AT": ["Hauptplatz", "Kärntner Straße", "Mariahilfer Straße", "Herrengasse", "Stiftgasse",
           "Landstraße", "Schmiedgasse", "Wiedner Hauptstraße", "Annagasse", "Ringstraße"],
    "CH": ["Bahnhofstrasse", "Seestrasse", "Dorfstrasse", "Hauptgasse", "Kirchgasse",
           "Rathausplatz", "Limmatquai", "Marktgasse", "Spitalgasse", "Zürcherstrasse"],
}  # fmt: skip
COUNTRY_CODES = {"DE": "+49", "AT": "+43", "CH": "+41"}
MOBILE_PREFIXES = {"DE": ["151", "160", "170", "171", "176"], "AT": ["664", "676", "699"],
                   "CH": ["76", "78", "79"]}  # fmt: skip
PRIVATE_DOMAINS = {
    "DE": ["gmx.example", "web.example", "posteo.example", "t-online.example"],
    "AT": ["gmx-at.example", "aon.example", "chello.example"],
    "CH": ["bluewin.example", "gmx-ch.example", "hispeed.example"],
}
TOPICS = [
    "Energiewende", "Mobilität", "Gesundheit", "Tourismus", "Wirtschaft", "Politik", "Kultur",
    "Bildung", "Digitalisierung", "Umwelt", "Landwirtschaft", "Ernährung", "Sport",
    "Wissenschaft", "Finanzen", "Immobilien", "Handel", "Industrie", "Medien", "Mode",
    "Architektur", "Verkehr", "Forschung", "Start-ups", "Nachhaltigkeit",
]  # fmt: skip
DEPARTMENTS = [
    "Politik", "Wirtschaft", "Kultur", "Lokales", "Sport", "Wissenschaft", "Reise",
    "Gesellschaft", "Digitales", "Feuilleton", "Nachrichten", "Chef vom Dienst",
]  # fmt: skip
# (female, male) forms; persons without a gender get either
POSITIONS = [
    ("Redakteurin", "Redakteur"), ("Redakteurin", "Redakteur"), ("Redakteurin", "Redakteur"),
    ("Ressortleiterin", "Ressortleiter"), ("Chefredakteurin", "Chefredakteur"),
    ("Volontärin", "Volontär"), ("Korrespondentin", "Korrespondent"),
    ("Moderatorin", "Moderator"), ("Reporterin", "Reporter"), ("Chefin vom Dienst",
    "Chef vom Dienst"), ("stellv. Chefredakteurin", "stellv. Chefredakteur"),
]  # fmt: skip
FREELANCE = ("freie Journalistin", "freier Journalist")
INDEPENDENT = [("Autorin", "Autor"), ("Fotografin", "Fotograf"), ("Bloggerin", "Blogger")]
TITLES = ["", "", "", "", "", "", "", "", "", "", "", "Dr.", "Dr.", "Prof. Dr."]
TITLES_AT = TITLES + ["Mag.", "Mag.", "DI", "Mag. Dr."]
NOTES = [
    "Bevorzugt Kontakt per E-Mail.",
    "Schreibt über Photovoltaik und Wärmepumpen.",
    "Nicht vor 10 Uhr anrufen.",
    "Interessiert an Hintergrundgesprächen.",
    "Sprach auf der Pressekonferenz im März mit uns.",
    "Möchte Pressemitteilungen nur als PDF.",
    "Recherchiert zu Lieferketten; Rückruf erwünscht.",
    "Urlaubsvertretung über die Zentralredaktion.",
    "Kennt unsere Geschäftsführerin persönlich.",
    "Fragt regelmäßig nach Bildmaterial in Druckqualität.",
    "Berichtet über Messen in Düsseldorf und München.",
    "Hat die Reportage über das Werk in Österreich geschrieben.",
    "Bitte keine Einladungen zu Abendterminen.",
    "Zuständig für die Wochenendausgabe.",
    "Führt Interviews am liebsten telefonisch.",
]
# outlet kinds with their share and name patterns; {city} the city, {adj} its adjective,
# {region} a region of the country, {topic} a topic, {paper} a masthead word
KINDS = [
    ("daily", 26, ["{adj} {paper}", "{adj} {paper}", "{region}-Zeitung", "{region} {paper}",
                   "Neue {adj} {paper}", "{adj} Tages-Anzeiger"]),
    ("weekly", 10, ["{adj} Wochenblatt", "{adj} Wochenspiegel", "{region}-Woche",
                    "Die {adj} Woche", "{adj} Stadtanzeiger"]),
    ("magazine", 14, ["{topic}-Magazin", "{topic} heute", "Das {topic}-Journal",
                      "{adj} Stadtmagazin", "{region} Magazin"]),
    ("trade", 14, ["{topic} aktuell", "{topic}-Report", "Fachzeitschrift {topic}",
                   "Praxis {topic}", "{topic} & Markt"]),
    ("online", 14, ["{topic}-Portal", "{city} Online", "{region}-News", "{topic} kompakt",
                    "{adj} Netzzeitung"]),
    ("radio", 7, ["Radio {region}", "Antenne {region}", "{region} FM", "Welle {city}",
                  "Radio {city}"]),
    ("tv", 5, ["{region} Fernsehen", "TV {city}", "{city} 1", "Regionalfernsehen {region}"]),
    ("agency", 3, ["{region}-Presseagentur", "Nachrichtendienst {city}",
                   "Pressebüro {region}"]),
    ("blog", 7, ["{topic}-Podcast", "{topic} Blog", "Der {topic}-Blog", "{city} bloggt"]),
]  # fmt: skip
PAPERS = [
    "Tagblatt", "Nachrichten", "Rundschau", "Anzeiger", "Allgemeine", "Zeitung", "Kurier",
    "Abendpost", "Morgenpost", "Volksblatt", "Bote", "Echo", "Presse", "Landbote",
    "General-Anzeiger", "Neueste Nachrichten", "Abendzeitung", "Tageblatt",
]  # fmt: skip
EDITIONS = ["Nord", "Süd", "Ost", "West", "Stadt", "Land", "Mitte"]
COUNTRY_WEIGHTS = {"DE": 60, "AT": 22, "CH": 18}


@dataclass
class ContactsReport:
    persons: int = 0
    outlets: int = 0
    topics: int = 0
    seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return self.persons / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        return (
            f"demo contacts: {self.persons} persons, {self.outlets} outlets, {self.topics} "
            f"topics in {self.seconds:.1f} s ({self.per_second:,.0f} persons/s)"
        )


_canon_cache: dict[str, str] = {}


def _canon(part: str) -> str:
    """canonical_text of one part, computed once per distinct part."""
    text = _canon_cache.get(part)
    if text is None:
        text = _canon_cache[part] = canonical_text(part)
    return text


def _slug(text: str) -> str:
    """Lower-case ASCII letters and digits, words joined by `-` (for addresses)."""
    words = ("".join(ch for ch in word_forms(w)[0] if ch.isalnum()) for w in text.split())
    return "-".join(w for w in words if w).replace("--", "-")


def _local(text: str) -> str:
    """The ASCII form of a name for the local part of an address (no separators)."""
    return _slug(text).replace("-", "")


def _timestamp() -> str:
    """Now as the text both drivers would make of it (SQLite's adapter: ISO with a space;
    PostgreSQL parses it), made once instead of once per row."""
    return utcnow().isoformat(" ")


def _next_id(model) -> int:
    return (model.select(fn.MAX(model.id)).scalar() or 0) + 1


class _Writer:
    """Inserts rows (tuples in the order of `columns`) into a model's table; the columns
    not named get their field's default (created_at and updated_at: the writer's one
    `now`). SQLite: executemany with the statement peewee builds; PostgreSQL: COPY in text
    format, made and sent as the import does (`copy_text`, `send_copy`: the constant
    columns made once per chunk, the whole text handed over in one read)."""

    def __init__(self):
        self.postgres = isinstance(db.obj, PostgresqlDatabase)
        self.now = _timestamp()  # every row's created_at and updated_at

    def write(self, model, columns: tuple[str, ...], rows: list[tuple]) -> None:
        self.send(self.prepare(model, columns, rows))

    def prepare(self, model, columns: tuple[str, ...], rows: list[tuple]):
        """What `send` writes: on PostgreSQL the COPY statement and its text, made here
        without the database (so another thread can make it while `send` runs)."""
        if not rows:
            return None
        fields = [model._meta.fields[name] for name in columns]
        rest = [
            f
            for f in model._meta.sorted_fields
            if f.name not in columns and f is not model._meta.primary_key
        ]
        tail = tuple(self._constant(f) for f in rest)
        if self.postgres:
            return copy_text(model, fields + rest, rows, tail)
        return model, fields + rest, rows, tail

    def _constant(self, field):
        """The value of a column not named: the writer's `now`, or the field's default."""
        if field.name in ("created_at", "updated_at"):
            return self.now
        return field.default() if callable(field.default) else field.default

    def send(self, prepared) -> None:
        if prepared is None:
            return
        if self.postgres:
            send_copy(*prepared)
            return
        model, columns, rows, tail = prepared
        # Several rows per statement (a VALUES list peewee writes with placeholders), sent
        # with executemany: twice as fast as one row per statement.
        per = max(1, min(ROWS_PER_STATEMENT, SQLITE_VARIABLES // len(columns)))
        if tail:
            rows = [row + tail for row in rows]
        cursor = db.cursor()
        whole = len(rows) - len(rows) % per
        if whole:
            statement, _ = model.insert_many(rows[:per], fields=columns).sql()
            flat = chain.from_iterable
            cursor.executemany(
                statement, [tuple(flat(rows[i : i + per])) for i in range(0, whole, per)]
            )
        if whole < len(rows):
            statement, _ = model.insert_many(rows[whole:], fields=columns).sql()
            cursor.execute(statement, tuple(chain.from_iterable(rows[whole:])))


def _weighted(pairs) -> list:
    """A long list to draw from: each item repeated by its weight."""
    return [item for item, weight in pairs for _ in range(weight)]


@dataclass
class _City:
    country: str
    name: str
    adjective: str
    area: str
    postcode: int
    spread: int


def _postcode(city: _City, draw: float) -> str:
    code = city.postcode + int(draw * city.spread)
    return f"{code:05d}" if city.country == "DE" else f"{code:04d}"


def _outlet_names(rng, cities_of, count):
    """`count` distinct outlet names with their kind and city; a name that exists already
    becomes a local edition ("… Ausgabe Nord"), as real regional papers do."""
    kinds = _weighted([((kind, patterns), share) for kind, share, patterns in KINDS])
    countries = _weighted(COUNTRY_WEIGHTS.items())
    taken = set()
    result = []
    for n in range(count):
        country = rng.choice(countries)
        city = rng.choice(cities_of[country])
        kind, patterns = rng.choice(kinds)
        name = rng.choice(patterns).format(
            city=city.name.split(" am ")[0].split(" im ")[0],
            adj=city.adjective,
            region=rng.choice(REGIONS[country]),
            topic=rng.choice(TOPICS),
            paper=rng.choice(PAPERS),
        )
        if name in taken:
            name = _variant(rng, name, kind, country, cities_of, taken) or f"{name} ({n})"
        taken.add(name)
        result.append((name, kind, city))
    return result


def _variant(rng, name, kind, country, cities_of, taken):
    """A free variant of a taken name: a paper's local edition ("… – Ausgabe Nord",
    "… – Ausgabe Graz"), any other medium's city or region ("Radio Tirol Innsbruck")."""
    places = sorted({city.name.split(" am ")[0].split(" im ")[0] for city in cities_of[country]})
    named_after_a_city = any(place in name for place in places)
    places = [place for place in places if place not in name]
    editions = [f"{name} – Ausgabe {place}" for place in EDITIONS + places]
    local = [f"{name} {place}" for place in places]
    if kind not in ("daily", "weekly"):
        editions = [f"{name} – {place}" for place in EDITIONS]
        if named_after_a_city:
            local = []  # "Radio Bern" does not become "Radio Bern Basel"
    first, then = (editions, local) if kind in ("daily", "weekly") else (local, editions)
    more = [f"{name} {word}" for word in ("plus", "extra", "aktuell", "regional", "24", "live")]
    for candidate in rng.sample(first, len(first)) + rng.sample(then, len(then)) + more:
        if candidate not in taken:
            return candidate
    return None


def generate(clients, persons: int, seed: int = 1) -> ContactsReport:
    """Create `persons` persons (with a tenth as many outlets) spread over the clients."""
    started = time.perf_counter()
    rng = random.Random(seed)
    report = ContactsReport()
    if persons <= 0 or not clients:
        return report
    with db.atomic():
        report.topics, topics_of = _topics(clients)
        with _indexes_set_aside(BULK_MODELS):
            outlets_of, report.outlets = _outlets(rng, clients, max(1, persons // 10), topics_of)
            _persons(rng, clients, persons, topics_of, outlets_of)
        _fix_sequences([Topic, Outlet, Person])
        _analyse()
    report.persons = persons
    report.seconds = time.perf_counter() - started
    return report


def _topics(clients):
    """The demo topics of every client (existing ones are reused): (created, {client id:
    [(topic id, canonical name)]})."""
    existing = {
        (client_id, name): topic_id
        for topic_id, client_id, name in Topic.select(Topic.id, Topic.client, Topic.name)
        .where(Topic.client.in_([c.id for c in clients]))
        .tuples()
    }
    rows, topics_of = [], {}
    next_id = _next_id(Topic)
    for client in clients:
        topics_of[client.id] = []
        for name in TOPICS:
            topic_id = existing.get((client.id, name))
            if topic_id is None:
                topic_id, next_id = next_id, next_id + 1
                rows.append((topic_id, client.id, name))
            topics_of[client.id].append((topic_id, _canon(name)))
    _Writer().write(Topic, ("id", "client", "name"), rows)
    return len(rows), topics_of


@dataclass
class _Outlet:
    id: int
    name: str
    canon: str  # canonical name
    domain: str
    domain_canon: str
    city: _City
    kind: str


def _cities():
    cities = [_City(c, n, a, area, p, s) for c, n, a, area, p, s, _ in CITIES]
    weights = [w for *_, w in CITIES]
    by_country = {country: [] for country in COUNTRY_WEIGHTS}
    for city, weight in zip(cities, weights, strict=True):
        by_country[city.country].extend([city] * weight)
    return by_country


def _outlets(rng, clients, count, topics_of):
    """Outlets with departments and topics, round robin over the clients:
    ({client id: [_Outlet]}, created)."""
    writer = _Writer()
    cities_of = _cities()
    next_id = _next_id(Outlet)
    rows, department_rows, topic_rows = [], [], []
    outlets_of = {c.id: [] for c in clients}
    for n, (name, kind, city) in enumerate(_outlet_names(rng, cities_of, count)):
        client_id = clients[n % len(clients)].id
        outlet_id = next_id + n
        domain = f"{_slug(name.split(' – ')[0])[:40].strip('-')}.example"
        circulation = (
            rng.randrange(2_000, 400_000, 500)
            if kind in ("daily", "weekly", "magazine", "trade")
            else None
        )
        rows.append(
            (
                outlet_id,
                client_id,
                name,
                kind,
                circulation,
                rng.randrange(5_000, 2_000_000, 1_000),
                city.name,
                "de",
                f"https://www.{domain}",
                f"redaktion@{domain}",
                f"{COUNTRY_CODES[city.country]} {city.area} {rng.randrange(100000, 9999999)}",
                f"{rng.choice(STREETS[city.country])} {rng.randint(1, 120)}",
                _postcode(city, rng.random()),
                city.name,
                city.country,
                "manual",
            )
        )
        for department in rng.sample(DEPARTMENTS, 4 if kind == "daily" else rng.randint(1, 2)):
            department_rows.append((outlet_id, department))
        for topic_id, _ in rng.sample(topics_of[client_id], rng.randint(1, 3)):
            topic_rows.append((outlet_id, topic_id))
        outlets_of[client_id].append(
            _Outlet(outlet_id, name, _canon(name), domain, _canon(domain), city, kind)
        )
    writer.write(
        Outlet,
        (
            "id",
            "client",
            "name",
            "kind",
            "circulation",
            "reach",
            "region",
            "language",
            "website",
            "email",
            "phone",
            "street",
            "postcode",
            "city",
            "country",
            "origin",
        ),  # fmt: skip
        rows,
    )
    writer.write(OutletDepartment, ("outlet", "name"), department_rows)
    writer.write(OutletTopic, ("outlet", "topic"), topic_rows)
    return outlets_of, len(rows)


PERSON_COLUMNS = (
    "id", "client", "gender", "title", "first_name", "last_name", "position", "department",
    "language", "street", "postcode", "city", "country", "notes", "blocked", "origin",
    "search_text", "name_key",
)  # fmt: skip
CHUNK = 10_000  # persons generated and written at a time


def _persons(rng, clients, count, topics_of, outlets_of) -> None:
    """The persons with their addresses, numbers, outlets and topics, built and written a
    chunk at a time; on PostgreSQL the next chunk is built while this one is written
    (`_made_ahead`). On SQLite building in a thread is slower: the writer waits for the
    interpreter lock after every row the driver steps."""
    writer = _Writer()
    next_id = _next_id(Person)
    chunks = (
        (
            writer.prepare(Person, PERSON_COLUMNS, persons),
            writer.prepare(PersonEmail, ("person", "address", "is_primary"), emails),
            writer.prepare(PersonPhone, ("person", "number", "kind", "is_primary"), phones),
            writer.prepare(PersonOutlet, ("person", "outlet", "position", "department"), outlets),
            writer.prepare(PersonTopic, ("person", "topic"), topics),
        )
        for persons, emails, phones, outlets, topics in _person_rows(
            rng, clients, count, next_id, topics_of, outlets_of
        )
    )
    with _bulk_person_load(person_ids=(next_id, next_id + count - 1)):
        for chunk in _made_ahead(chunks) if writer.postgres else chunks:
            for prepared in chunk:
                writer.send(prepared)


def _made_ahead(items):
    """The items of an iterator, each next one made in a second thread while the caller
    works on this one. On PostgreSQL the writer waits for the server (COPY) without the
    interpreter lock, so the next chunk's rows and COPY text are made meanwhile, on the
    other core. (SQLite's driver takes the lock back after every row it steps: there the
    chunks are made in turn, see `_persons`.) The items are made in order, one at a time:
    the same rows as without the thread."""
    with ThreadPoolExecutor(max_workers=1) as maker:
        pending = maker.submit(next, items, None)
        while (item := pending.result()) is not None:
            pending = maker.submit(next, items, None)
            yield item


def _person_rows(rng, clients, count, next_id, topics_of, outlets_of):
    """Yield (persons, e-mails, phones, outlet links, topic links) rows, CHUNK persons at a
    time."""
    cities_of = _cities()
    name_keys = {last: name_key(last) for last in LAST}  # phonetic keys, once per name (C7)
    countries = _weighted(COUNTRY_WEIGHTS.items())
    random_ = rng.random
    genders = ["female"] * 48 + ["male"] * 46 + [""] * 5 + ["diverse"]
    canon_private = {d: _canon(d) for domains in PRIVATE_DOMAINS.values() for d in domains}
    locals_ = {name: _local(name) for name in FEMALE + MALE + LAST}
    for department in DEPARTMENTS:
        locals_[department] = _local(department)
    # topic sets to draw from per client and size: (topic ids, their canonical names)
    sizes = [1] * 35 + [2] * 35 + [3] * 20 + [4] * 10
    pool = max(1, min(count // 4, 1000))
    topic_sets = {}
    for client_id, topics in topics_of.items():
        topic_sets[client_id] = {}
        for size in (1, 2, 3, 4):
            sets = [rng.sample(topics, min(size, len(topics))) for _ in range(pool)]
            topic_sets[client_id][size] = [
                ([t for t, _ in chosen], " ".join(name for _, name in chosen)) for chosen in sets
            ]
    taken: set[str] = set()
    rows, email_rows, phone_rows, outlet_rows, topic_rows = [], [], [], [], []

    def pick(pool):
        return pool[int(random_() * len(pool))]

    def address(local: str, domain: str, domain_canon: str) -> tuple[str, str]:
        """A new address and its canonical words (ASCII words separated by dots)."""
        candidate, n = f"{local}@{domain}", 1
        while candidate in taken:
            n += 1
            candidate = f"{local}{n}@{domain}"
        taken.add(candidate)
        if n > 1:
            local = f"{local}{n}"
        return candidate, f"{local.replace('.', ' ')} {domain_canon}"

    for n in range(count):
        person_id = next_id + n
        client_id = clients[n % len(clients)].id
        gender = pick(genders)
        female = gender == "female" or (gender in ("", "diverse") and random_() < 0.5)
        first = pick(FEMALE if female else MALE)
        last = pick(LAST)
        # outlets: most one, some two, freelancers several, a few none
        draw = random_()
        own = outlets_of[client_id]
        freelance = False
        if draw < 0.04 or not own:
            links, position = [], pick(INDEPENDENT)
        elif draw < 0.12:
            links, position = rng.sample(own, min(len(own), 2 + int(random_() * 3))), FREELANCE
            freelance = True
        elif draw < 0.24:
            links, position = rng.sample(own, min(len(own), 2)), pick(POSITIONS)
        else:
            links, position = [pick(own)], pick(POSITIONS)
        position = position[0] if female else position[1]
        if links:
            home = links[0].city
            city = home if random_() < 0.8 else pick(cities_of[home.country])
        else:
            city = pick(cities_of[pick(countries)])
        country = city.country
        title = pick(TITLES_AT if country == "AT" else TITLES)
        department = pick(DEPARTMENTS)
        notes = pick(NOTES) if random_() < 0.3 else ""
        # e-mail addresses: work first (primary), then private, then the desk's
        first_local, last_local = locals_[first], locals_[last]
        emails = []
        draw = random_()
        wanted = 0 if draw < 0.03 else 1 if draw < 0.75 else 2 if draw < 0.95 else 3
        if wanted:
            if links and not freelance:
                style = random_()
                local = (
                    f"{first_local}.{last_local}"
                    if style < 0.7
                    else f"{first_local[0]}.{last_local}"
                    if style < 0.9
                    else last_local
                )
                emails.append(address(local, links[0].domain, links[0].domain_canon))
            else:
                private = pick(PRIVATE_DOMAINS[country])
                emails.append(
                    address(f"{first_local}.{last_local}", private, canon_private[private])
                )
            if wanted > 1:
                other = pick(PRIVATE_DOMAINS[country])
                emails.append(address(f"{first_local}{last_local}", other, canon_private[other]))
            if wanted > 2 and links:
                desk = links[-1]
                emails.append(address(locals_[department], desk.domain, desk.domain_canon))
        primary = True
        for email, _ in emails:
            email_rows.append((person_id, email, primary))
            primary = False
        # phone numbers: office first (primary), mobile, fax
        draw = random_()
        numbers = 0 if draw < 0.1 else 1 if draw < 0.7 else 2 if draw < 0.95 else 3
        if numbers:
            code = COUNTRY_CODES[country]
            office = f"{code} {city.area} {int(random_() * 9_000_000) + 100_000}"
            phone_rows.append((person_id, office, "office", True))
            if numbers > 1:
                mobile = pick(MOBILE_PREFIXES[country])
                number = f"{code} {mobile} {int(random_() * 9_000_000) + 1_000_000}"
                phone_rows.append((person_id, number, "mobile", False))
            if numbers > 2:
                phone_rows.append((person_id, office[:-2] + "99", "fax", False))
        topic_ids, topic_words = pick(topic_sets[client_id][pick(sizes)])
        parts = [
            _canon(title),
            _canon(first),
            _canon(last),
            _canon(position),
            _canon(department),
            _canon(city.name),
            _canon(notes),
        ]
        parts.extend(words for _, words in emails)
        parts.extend(outlet.canon for outlet in links)
        parts.append(topic_words)
        rows.append(
            (
                person_id,
                client_id,
                gender,
                title,
                first,
                last,
                position,
                department,
                "de" if random_() < 0.9 else "en",
                f"{pick(STREETS[country])} {int(random_() * 180) + 1}",
                _postcode(city, random_()),
                city.name,
                country,
                notes,
                random_() < 0.01,
                "manual",
                " ".join(filter(None, parts)),
                name_keys[last],
            )
        )
        for outlet in links:
            outlet_rows.append((person_id, outlet.id, position, department))
        for topic_id in topic_ids:
            topic_rows.append((person_id, topic_id))
        if len(rows) == CHUNK:
            yield rows, email_rows, phone_rows, outlet_rows, topic_rows
            rows, email_rows, phone_rows, outlet_rows, topic_rows = [], [], [], [], []
    if rows:
        yield rows, email_rows, phone_rows, outlet_rows, topic_rows


BULK_MODELS = (
    Outlet,
    OutletDepartment,
    OutletTopic,
    Person,
    PersonEmail,
    PersonPhone,
    PersonOutlet,
    PersonTopic,
)


@contextmanager
def _indexes_set_aside(models):
    """Into empty tables, rows go faster without their secondary indexes, which are then
    built once, sorted, from the stored definitions (SQLite's sqlite_master, PostgreSQL's
    pg_indexes: exactly as migrated, the full-text GIN index included). Unique indexes are
    checked when they are built; on PostgreSQL the foreign keys between these tables go
    the same way (`_foreign_keys_set_aside`). All inside the caller's transaction: on an
    error nothing is lost. With rows present the indexes stay (rebuilding them would cost
    more)."""
    from playhouse.migrate import migrate

    tables = [model._meta.table_name for model in models]
    if any(model.select().exists() for model in models):
        yield
        return
    if isinstance(db.obj, PostgresqlDatabase):
        from playhouse.migrate import PostgresqlMigrator as Migrator

        indexes = db.execute_sql(
            "SELECT i.tablename, i.indexname, i.indexdef FROM pg_indexes i "
            "WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
            "WHERE c.conname = i.indexname AND c.connamespace = "
            "(SELECT oid FROM pg_namespace WHERE nspname = i.schemaname))",
            (tables,),
        ).fetchall()
    else:
        from playhouse.migrate import SqliteMigrator as Migrator

        indexes = [
            row
            for row in db.execute_sql(
                "SELECT tbl_name, name, sql FROM sqlite_master "
                "WHERE type = 'index' AND sql IS NOT NULL"
            ).fetchall()
            if row[0] in tables
        ]
    migrator = Migrator(db.obj)
    migrate(*(migrator.drop_index(table, name) for table, name, _ in indexes))
    constraints = _foreign_keys_set_aside(tables)
    yield
    data_versions.settle()  # PostgreSQL builds no index while trigger events are pending
    for _, _, definition in indexes:
        db.execute_sql(definition)
    _foreign_keys_restored(constraints)


def _foreign_keys_set_aside(tables) -> list[tuple[str, str, str]]:
    """PostgreSQL checks a foreign key with a query per written row (a trigger event each,
    ~5 µs): for the ~740,000 checks of 100,000 persons' links that was half of the load.
    Between the tables being filled (both ends empty and locked exclusively since their
    indexes were dropped) the constraints are dropped here and added again by
    `_foreign_keys_restored`, which checks all rows with one join per constraint.
    Constraints to other tables (client, topic) stay and check per row: dropping one
    would lock the other table exclusively (PostgreSQL 15 removes its triggers there) and
    block every request that reads it. Constraints of other tables referring to these
    (history, lists, mailings → person) are not touched: inserts are not checked against
    them. On SQLite a check is an index lookup in the process: nothing is set aside.
    Returns (table, name, definition) as stored."""
    if not isinstance(db.obj, PostgresqlDatabase):
        return []
    from psycopg2 import sql

    constraints = db.execute_sql(
        "SELECT t.relname, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
        "JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class r ON r.oid = c.confrelid "
        "WHERE c.contype = 'f' AND t.relname = ANY(%s) AND r.relname = ANY(%s) "
        "AND t.relnamespace = r.relnamespace "
        "AND t.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) "
        "ORDER BY c.oid",
        (tables, tables),
    ).fetchall()
    for table, name, _ in constraints:
        statement = sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
            sql.Identifier(table), sql.Identifier(name)
        )
        db.execute_sql(statement)
    return constraints


def _foreign_keys_restored(constraints) -> None:
    """The foreign keys `_foreign_keys_set_aside` dropped, added again from their stored
    definitions; adding one checks every row (an error rolls the whole load back)."""
    from psycopg2 import sql

    for table, name, definition in constraints:
        statement = sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
            sql.Identifier(table), sql.Identifier(name), sql.SQL(definition)
        )
        db.execute_sql(statement)


class _bulk_person_load:  # noqa: N801 (used as a context manager)
    """On SQLite, the full-text index of `person` (migration 0006) is kept in step by
    triggers, one index insert per row. For a bulk load the insert trigger is set aside
    inside the transaction and the new rows are indexed with one statement afterwards; the
    trigger is then recreated from its own stored definition, so it stays exactly as
    migrated. If anything fails, the transaction rolls back and the trigger was never gone."""

    def __init__(self, person_ids):
        self.first, self.last = person_ids
        self.definition = None

    def __enter__(self):
        if isinstance(db.obj, PostgresqlDatabase):
            return self
        row = db.execute_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'person_fts_insert'"
        ).fetchone()
        if row:
            self.definition = row[0]
            db.execute_sql("DROP TRIGGER person_fts_insert")
        return self

    def __exit__(self, kind, value, traceback):
        if kind is not None or self.definition is None:
            return False
        db.execute_sql(
            "INSERT INTO person_fts(rowid, search_text) "
            "SELECT id, search_text FROM person WHERE id BETWEEN ? AND ?",
            (self.first, self.last),
        )
        db.execute_sql(self.definition)
        return False


def _analyse() -> None:
    """A bulk load ends with fresh planner statistics: without them both engines pick the
    index of the client filter for the contacts screen and sort every person for a page
    (SQLite has none until ANALYZE runs; PostgreSQL's autovacuum comes later). On SQLite an
    approximate analysis (a sample per index) is enough for the planner and much faster."""
    if isinstance(db.obj, PostgresqlDatabase):
        db.execute_sql("ANALYZE")
        return
    db.execute_sql("PRAGMA analysis_limit = 1000")
    db.execute_sql("ANALYZE")
    db.execute_sql("PRAGMA analysis_limit = 0")


def _fix_sequences(models) -> None:
    """Rows were written with explicit ids: move PostgreSQL's sequences past them."""
    if not isinstance(db.obj, PostgresqlDatabase):
        return
    for model in models:
        last = _next_id(model) - 1
        if last:
            db.execute_sql(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
                (model._meta.table_name, last),
            )
