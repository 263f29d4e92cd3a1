"""Demo contacts: outlets, topics and journalists of the German-speaking press, fictitious
but realistic (names with umlauts, German, Austrian and Swiss addresses and outlet types),
deterministic per seed, written with bulk inserts (tens of thousands of persons a second).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from peewee import DateTimeField, PostgresqlDatabase, fn

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
from app.contacts.search import word_forms
from app.contacts.services import search_text
from app.extensions import db
from app.outlets.models import Outlet, OutletDepartment

CHUNK = 2000

FEMALE = [
    "Anna",
    "Lena",
    "Sophie",
    "Marie",
    "Laura",
    "Katharina",
    "Julia",
    "Sabine",
    "Claudia",
    "Verena",
    "Theresa",
    "Ursula",
    "Regula",
    "Andrea",
    "Johanna",
    "Franziska",
    "Birgit",
    "Petra",
    "Monika",
    "Jana",
    "Miriam",
    "Sarah",
    "Nina",
    "Carina",
    "Elisabeth",
    "Hanna",
    "Christiane",
    "Barbara",
    "Silvia",
    "Corinne",
    "Nadine",
    "Jasmin",
    "Daniela",
    "Ruth",
]
MALE = [
    "Lukas",
    "Maximilian",
    "Jonas",
    "Felix",
    "Tobias",
    "Stefan",
    "Florian",
    "Matthias",
    "Andreas",
    "Thomas",
    "Michael",
    "Reto",
    "Urs",
    "Beat",
    "Christoph",
    "Dominik",
    "Georg",
    "Jürgen",
    "Bernd",
    "Klaus",
    "Wolfgang",
    "Martin",
    "Patrick",
    "Simon",
    "Fabian",
    "Jörg",
    "Peter",
    "Markus",
    "Daniel",
    "Philipp",
    "Sebastian",
    "Ralf",
    "Adrian",
    "Dieter",
]
LAST = [
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Hofmann",
    "Schäfer",
    "Koch",
    "Richter",
    "Gruber",
    "Huber",
    "Bauer",
    "Pichler",
    "Steiner",
    "Moser",
    "Mayr",
    "Egger",
    "Brunner",
    "Keller",
    "Meier",
    "Baumann",
    "Frei",
    "Zimmermann",
    "Gerber",
    "Widmer",
    "Kälin",
    "Lehmann",
    "Wößner",
    "Strauß",
    "Schröder",
    "Krüger",
    "Wolf",
    "Neumann",
    "Schwarz",
    "Braun",
    "Hofer",
    "Lang",
    "Winkler",
    "Fuchs",
    "Weiß",
    "Jäger",
    "Lorenz",
    "Berger",
    "Haas",
    "Böhm",
    "Wimmer",
    "Schüler",
    "Vogel",
    "Bühler",
    "Marti",
    "Lüthi",
    "Graf",
    "Scholz",
    "Möller",
    "Hahn",
    "Kühn",
    "Sommer",
]
CITIES = [
    ("DE", "10117", "Berlin"),
    ("DE", "20095", "Hamburg"),
    ("DE", "80331", "München"),
    ("DE", "50667", "Köln"),
    ("DE", "60311", "Frankfurt am Main"),
    ("DE", "70173", "Stuttgart"),
    ("DE", "40213", "Düsseldorf"),
    ("DE", "04109", "Leipzig"),
    ("DE", "90402", "Nürnberg"),
    ("DE", "28195", "Bremen"),
    ("DE", "01067", "Dresden"),
    ("DE", "30159", "Hannover"),
    ("AT", "1010", "Wien"),
    ("AT", "8010", "Graz"),
    ("AT", "4020", "Linz"),
    ("AT", "5020", "Salzburg"),
    ("AT", "6020", "Innsbruck"),
    ("AT", "9020", "Klagenfurt"),
    ("CH", "8001", "Zürich"),
    ("CH", "3011", "Bern"),
    ("CH", "4051", "Basel"),
    ("CH", "6003", "Luzern"),
    ("CH", "9000", "St. Gallen"),
    ("CH", "1003", "Lausanne"),
]
STREETS = [
    "Hauptstraße",
    "Bahnhofstraße",
    "Marktplatz",
    "Schillerstraße",
    "Goethestraße",
    "Lindenweg",
    "Seestraße",
    "Kirchgasse",
    "Mühlweg",
    "Rathausplatz",
]
OUTLET_PATTERNS = [
    ("daily", "{city}er Tagblatt"),
    ("daily", "{city}er Nachrichten"),
    ("daily", "{city}er Abendpost"),
    ("weekly", "{city}er Wochenspiegel"),
    ("magazine", "Magazin für {topic}"),
    ("trade", "Fachblatt {topic}"),
    ("online", "{topic} Online"),
    ("radio", "Radio {city}"),
    ("tv", "{city} TV"),
    ("agency", "Presseagentur {city}"),
    ("blog", "{topic}-Podcast"),
]
TOPICS = [
    "Energiewende",
    "Mobilität",
    "Gesundheit",
    "Tourismus",
    "Wirtschaft",
    "Politik",
    "Kultur",
    "Bildung",
    "Digitalisierung",
    "Umwelt",
    "Landwirtschaft",
    "Ernährung",
    "Sport",
    "Wissenschaft",
    "Finanzen",
    "Immobilien",
    "Handel",
    "Industrie",
    "Medien",
    "Mode",
    "Architektur",
    "Verkehr",
    "Forschung",
    "Start-ups",
    "Nachhaltigkeit",
]
DEPARTMENTS = [
    "Politik",
    "Wirtschaft",
    "Kultur",
    "Lokales",
    "Sport",
    "Wissenschaft",
    "Reise",
    "Gesellschaft",
    "Digitales",
    "Feuilleton",
]
POSITIONS = [
    "Redakteurin",
    "Redakteur",
    "Ressortleiterin",
    "Ressortleiter",
    "Chefredakteurin",
    "Chefredakteur",
    "Volontärin",
    "Volontär",
    "freie Journalistin",
    "freier Journalist",
    "Korrespondentin",
    "Korrespondent",
    "Moderatorin",
]
TITLES = ["", "", "", "", "", "", "", "", "Dr.", "Prof. Dr.", "Mag."]
NOTES = [
    "",
    "",
    "",
    "",
    "Bevorzugt Kontakt per E-Mail.",
    "Schreibt über Photovoltaik.",
    "Nicht vor 10 Uhr anrufen.",
    "Interessiert an Hintergrundgesprächen.",
    "Sprach auf der Pressekonferenz im März mit uns.",
]


@dataclass
class ContactsReport:
    persons: int = 0
    outlets: int = 0
    topics: int = 0

    def line(self) -> str:
        return (
            f"demo contacts: {self.persons} persons, {self.outlets} outlets, {self.topics} topics"
        )


def _slug(text: str) -> str:
    return "".join(ch for ch in word_forms(text.replace(" ", ""))[0] if ch.isalnum())


def _next_id(model) -> int:
    return (model.select(fn.MAX(model.id)).scalar() or 0) + 1


def _bulk(model, rows: list[dict]) -> None:
    """Insert many rows with the driver's executemany: peewee would build the SQL of every
    value as an object, which costs more than the database's own work here."""
    if not rows:
        return
    fields = [
        f
        for f in model._meta.sorted_fields
        if f.name in rows[0] or f is not model._meta.primary_key
    ]
    names = [f.name for f in fields]
    fields_by_name = dict(zip(names, fields, strict=True))
    defaults = {f.name: (f.default() if callable(f.default) else f.default) for f in fields}
    # peewee writes the statement (one row, every column in field order); executemany
    # then sends all rows with it.
    statement, _ = model.insert({f: defaults[f.name] for f in fields}).sql()
    # Only timestamps need peewee's conversion; the driver takes the rest as it is.
    convert = {f.name for f in fields if isinstance(f, DateTimeField)}
    values = [
        tuple(
            fields_by_name[name].db_value(row.get(name, defaults[name]))
            if name in convert
            else row.get(name, defaults[name])
            for name in names
        )
        for row in rows
    ]
    cursor = db.obj.cursor()
    for start in range(0, len(values), CHUNK):
        cursor.executemany(statement, values[start : start + CHUNK])


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


def generate(clients, persons: int, seed: int = 1) -> ContactsReport:
    """Create `persons` persons (with a tenth as many outlets) spread over the clients."""
    rng = random.Random(seed)
    now = utcnow()
    report = ContactsReport()
    if persons <= 0 or not clients:
        return report
    with db.atomic():
        topic_rows, topic_names = [], {}
        existing = {
            (client_id, name): topic_id
            for topic_id, client_id, name in Topic.select(Topic.id, Topic.client, Topic.name)
            .where(Topic.client.in_([c.id for c in clients]))
            .tuples()
        }
        next_topic = _next_id(Topic)
        for client in clients:
            for name in TOPICS:
                topic_id = existing.get((client.id, name))
                if topic_id is None:
                    topic_id, next_topic = next_topic, next_topic + 1
                    topic_rows.append({"id": topic_id, "client": client.id, "name": name})
                topic_names[topic_id] = (client.id, name)
        _bulk(Topic, topic_rows)
        topics_of = {
            c.id: [t for t, (cid, _) in topic_names.items() if cid == c.id] for c in clients
        }

        outlet_rows, department_rows, outlet_topic_rows = [], [], []
        next_outlet = _next_id(Outlet)
        outlets_of = {c.id: [] for c in clients}
        outlet_info = {}
        for n in range(max(1, persons // 10)):
            client = clients[n % len(clients)]
            country, postcode, city = rng.choice(CITIES)
            kind, pattern = rng.choice(OUTLET_PATTERNS)
            topic = rng.choice(TOPICS)
            city_stem = city.split()[0].rstrip("e")
            name = pattern.format(city=city_stem, topic=topic)
            if any(info[0] == name for info in outlet_info.values()):
                name = f"{name} {n}"
            domain = f"{_slug(name)[:30]}.example"
            outlet_rows.append(
                {
                    "id": next_outlet,
                    "client": client.id,
                    "name": name,
                    "kind": kind,
                    "circulation": rng.randrange(2_000, 400_000, 500)
                    if kind in ("daily", "weekly", "magazine", "trade")
                    else None,
                    "reach": rng.randrange(5_000, 2_000_000, 1_000),
                    "region": city,
                    "language": "fr" if postcode == "1003" else "de",
                    "website": f"https://www.{domain}",
                    "email": f"redaktion@{domain}",
                    "street": f"{rng.choice(STREETS)} {rng.randint(1, 120)}",
                    "postcode": postcode,
                    "city": city,
                    "country": country,
                    "origin": "manual",
                    "created_at": now,
                    "updated_at": now,
                }
            )
            for department in rng.sample(DEPARTMENTS, 3):
                department_rows.append({"outlet": next_outlet, "name": department})
            outlet_topic_rows.append(
                {"outlet": next_outlet, "topic": rng.choice(topics_of[client.id])}
            )
            outlets_of[client.id].append(next_outlet)
            outlet_info[next_outlet] = (name, domain)
            next_outlet += 1
        _bulk(Outlet, outlet_rows)
        _bulk(OutletDepartment, department_rows)
        _bulk(OutletTopic, outlet_topic_rows)

        next_person = _next_id(Person)
        person_rows, email_rows, phone_rows, link_rows, person_topic_rows = [], [], [], [], []
        for n in range(persons):
            client = clients[n % len(clients)]
            gender = rng.choice(("female", "male", "female", "male", ""))
            first = rng.choice(
                FEMALE if gender == "female" else MALE if gender == "male" else FEMALE + MALE
            )
            last = rng.choice(LAST)
            country, postcode, city = rng.choice(CITIES)
            own_outlets = rng.sample(
                outlets_of[client.id],
                min(len(outlets_of[client.id]), 2 if rng.random() < 0.1 else 1),
            )
            own_topics = rng.sample(topics_of[client.id], rng.randint(1, 3))
            domain = outlet_info[own_outlets[0]][1]
            email = f"{_slug(first)}.{_slug(last)}.{n}@{domain}"
            fields = {
                "id": next_person,
                "client": client.id,
                "gender": gender,
                "title": rng.choice(TITLES if country != "AT" else TITLES + ["Mag.", "DI"]),
                "first_name": first,
                "last_name": last,
                "position": rng.choice(POSITIONS),
                "department": rng.choice(DEPARTMENTS),
                "language": "fr" if postcode == "1003" else rng.choice(("de",) * 9 + ("en",)),
                "street": f"{rng.choice(STREETS)} {rng.randint(1, 200)}",
                "postcode": postcode,
                "city": city,
                "country": country,
                "notes": rng.choice(NOTES),
                "blocked": rng.random() < 0.01,
                "origin": "manual",
                "created_at": now,
                "updated_at": now,
            }
            fields["search_text"] = search_text(
                fields,
                [email],
                [outlet_info[o][0] for o in own_outlets],
                [topic_names[t][1] for t in own_topics],
            )
            person_rows.append(fields)
            email_rows.append({"person": next_person, "address": email, "is_primary": True})
            phone_rows.append(
                {
                    "person": next_person,
                    "kind": "office",
                    "is_primary": True,
                    "number": {"DE": "+49", "AT": "+43", "CH": "+41"}[country]
                    + f" {rng.randint(30, 899)} {rng.randint(100000, 9999999)}",
                }
            )
            for outlet in own_outlets:
                link_rows.append(
                    {
                        "person": next_person,
                        "outlet": outlet,
                        "position": fields["position"],
                        "department": fields["department"],
                    }
                )
            for topic in own_topics:
                person_topic_rows.append({"person": next_person, "topic": topic})
            next_person += 1
        _bulk(Person, person_rows)
        _bulk(PersonEmail, email_rows)
        _bulk(PersonPhone, phone_rows)
        _bulk(PersonOutlet, link_rows)
        _bulk(PersonTopic, person_topic_rows)
        _fix_sequences([Topic, Outlet, Person])
    report.persons, report.outlets, report.topics = persons, len(outlet_rows), len(topic_rows)
    return report
