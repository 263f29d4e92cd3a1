"""Demo data: a fictitious PR agency in the German-speaking region.

Deterministic per seed, so that screenshots, tests and bug reports can name what they see.
It grows as features land: for now the agency's users, its clients and their rights.
All addresses use the reserved domain `.example`, so no demo mail can reach anyone.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field

from app.clients.models import FULL, HIDDEN, READ, Client
from app.clients.services import create_client, set_default_client, set_right
from app.contacts.demo import FEMALE, LAST, MALE, ContactsReport
from app.contacts.demo import generate as generate_contacts
from app.extensions import db
from app.settings.services import set_value
from app.users.models import User
from app.users.services import create_user

DEMO_DOMAIN = "pr-agentur.example"
DEMO_ADMIN_EMAIL = f"admin@{DEMO_DOMAIN}"

CLIENTS = [
    ("Alpenquell Mineralbrunnen GmbH", "Mineralwasser und Erfrischungsgetränke, Tirol (AT)"),
    ("Nordlicht Energie AG", "Ökostrom und Wärmepumpen, Hamburg (DE)"),
    ("Uhrenmanufaktur Jura SA", "Mechanische Uhren, Biel/Bienne (CH)"),
    ("Stadtwerke Rheinaue", "Kommunaler Versorger, Bonn (DE)"),
    ("Donaublick Tourismusverband", "Regionaler Tourismus, Wachau (AT)"),
    ("Medizintechnik Lindau GmbH", "Diagnostikgeräte, Bodensee (DE)"),
    ("Verlag Seeland AG", "Fachbücher und Zeitschriften, Zürich (CH)"),
]


class DemoDataError(Exception):
    pass


@dataclass
class DemoReport:
    admin_email: str
    admin_password: str
    users: list = field(default_factory=list)
    clients: list = field(default_factory=list)
    contacts: ContactsReport | None = None

    def lines(self) -> list[str]:
        return [
            f"demo data: {len(self.users)} users, {len(self.clients)} clients",
            *([self.contacts.line()] if self.contacts and self.contacts.persons else []),
            f"demo administrator: {self.admin_email}",
            f"one-time password:  {self.admin_password}",
            "(it must be changed at the first sign-in)",
        ]


def _ascii(text: str) -> str:
    text = text.replace("ß", "ss").replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def load_demo_data(
    seed: int = 1, if_empty: bool = False, users: int = 8, contacts: int = 0
) -> DemoReport | None:
    """Create the demo agency. Refuses to run on a database that has the demo already."""
    if User.select().exists():
        if if_empty:
            return None
        if User.select().where(User.email == DEMO_ADMIN_EMAIL).exists():
            raise DemoDataError("the demo data is loaded already")
    rng = random.Random(seed)
    with db.atomic():
        admin, password = create_user(
            DEMO_ADMIN_EMAIL, "Petra Administratorin", roles=("administrator", "user")
        )
        report = DemoReport(admin_email=admin.email, admin_password=password, users=[admin])
        chosen = set()
        while len(report.users) < users:
            first, last = rng.choice(FEMALE + MALE), rng.choice(LAST)
            if (first, last) in chosen:
                continue
            chosen.add((first, last))
            roles = ("license_manager", "user") if len(report.users) == 1 else ("user",)
            user, _ = create_user(
                f"{_ascii(first)}.{_ascii(last)}@{DEMO_DOMAIN}", f"{first} {last}", roles=roles
            )
            user.locale = rng.choice(["de", "de", "en"])
            # rights (SPEC M9): most may build lists and mailings, every other one may send
            user.may_manage_lists = len(report.users) % 3 != 0
            user.may_send = len(report.users) % 2 == 0
            user.save()
            report.users.append(user)
        # the demo agency's licence (SPEC A4 tiers) has room for all its users
        set_value("named_users", 10)
        for name, description in rng.sample(CLIENTS, k=4):
            report.clients.append(create_client(name, description, origin="demo"))
        _grant_demo_rights(rng, report.users, report.clients)
        report.contacts = generate_contacts(report.clients, contacts, seed=seed)
        if contacts:
            _demo_lists_and_events(rng, admin, report.clients)
    return report


LIST_NAMES = [
    ("Wirtschaftspresse", "Wirtschaftsredaktionen der Tages- und Wochenpresse"),
    ("Fachpresse", "Fach- und Branchenmedien"),
    ("Hauptstadtkorrespondenten", ""),
]
EVENTS = [
    ("press_conference", "Jahrespressekonferenz", "Haus der Bundespressekonferenz, Berlin", 21),
    ("trip", "Pressereise zum neuen Werk", "Treffpunkt Hauptbahnhof München", 45),
    ("background", "Hintergrundgespräch zur Bilanz", "Videokonferenz", -30),
]


def _demo_lists_and_events(rng: random.Random, admin: User, clients: list[Client]) -> None:
    """Per client a few static lists, a saved search and three events with invitations and
    answers, so that the lists and events screens show something real."""
    import datetime

    from app.clock import utcnow
    from app.contacts.models import Person, Topic
    from app.events.models import Event, Invitation
    from app.lists.models import DistributionList, ListMember

    now = utcnow()
    for client in clients:
        people = [
            pid
            for (pid,) in Person.select(Person.id)
            .where((Person.client == client.id) & (Person.blocked == False))  # noqa: E712
            .order_by(Person.id)
            .tuples()
        ]
        if not people:
            continue
        lists = []
        for name, description in LIST_NAMES:
            lst = DistributionList.create(
                client=client,
                name=name,
                description=description,
                created_by=admin,
                created_at=now,
                updated_at=now,
            )
            chosen = rng.sample(people, k=min(len(people), rng.randint(20, 120)))
            ListMember.insert_many(
                [{"distribution_list": lst.id, "person": pid, "added_at": now} for pid in chosen]
            ).execute()
            lists.append(chosen)
        topic = Topic.select().where(Topic.client == client.id).order_by(Topic.id).first()
        if topic:
            DistributionList.create(
                client=client,
                name=f"Alle zum Thema {topic.name}",
                kind="dynamic",
                search=f"topic={topic.id}",
                created_by=admin,
                created_at=now,
                updated_at=now,
            )
        for (kind, title, place, days), invited in zip(EVENTS, lists, strict=False):
            event = Event.create(
                client=client,
                kind=kind,
                title=f"{title} {client.name}",
                place=place,
                starts_at=(now + datetime.timedelta(days=days)).replace(
                    hour=9, minute=0, second=0, microsecond=0
                ),
                created_by=admin,
                created_at=now,
                updated_at=now,
            )
            past = days < 0
            states = (
                ["attended", "attended", "declined", "invited"]
                if past
                else ["accepted", "accepted", "declined", "invited", "invited"]
            )
            Invitation.insert_many(
                [
                    {
                        "event": event.id,
                        "person": pid,
                        "state": rng.choice(states),
                        "invited_at": now,
                        "updated_at": now,
                    }
                    for pid in invited[:60]
                ]
            ).execute()


def _grant_demo_rights(rng: random.Random, users: list[User], clients: list[Client]) -> None:
    """The administrator has full access everywhere; everyone else has full access to two
    clients, reads a third and does not see the fourth, which varies from user to user."""
    admin, others = users[0], users[1:]
    for client in clients:
        set_right(admin, client, FULL, origin="demo")
    set_default_client(admin, clients[0])
    for n, user in enumerate(others):
        order = clients[n % len(clients) :] + clients[: n % len(clients)]
        rights = [FULL, FULL, READ] + [HIDDEN] * (len(order) - 3)
        for client, right in zip(order, rights, strict=True):
            set_right(user, client, right, origin="demo")
        set_default_client(user, rng.choice(order[:2]))
