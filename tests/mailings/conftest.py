"""The mailings tests use the contacts tests' data, a relay whose answers a test sets,
and a mailing that is ready to be sent."""

import asyncio
import email
import email.policy
import socket

import pytest

from app.contacts.services import create_person
from app.lists.models import DistributionList, ListMember
from app.mailings.models import Mailing, MailingSource
from app.users.models import User
from tests.contacts.conftest import world  # noqa: F401
from tests.mailings.workers import real_dispatch  # noqa: F401


class RelayHandler:
    """An aiosmtpd handler with PIPELINING whose answers a test sets: `rcpt[address]` or
    `data[address]` = "451 …" / "550 …" (else 250). Keeps what it accepted."""

    def __init__(self):
        self.rcpt: dict[str, str] = {}
        self.data: dict[str, str] = {}
        self.messages = []
        self.pipelining = True
        self.delay = 0.0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        session.host_name = hostname
        if self.pipelining:
            return [*responses[:-1], "250-PIPELINING", responses[-1]]
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        answer = self.rcpt.get(address)
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.delay:
            await asyncio.sleep(self.delay)
        answer = next((self.data[a] for a in envelope.rcpt_tos if a in self.data), None)
        if answer:
            return answer
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        message.raw = envelope.content
        message.envelope_from = envelope.mail_from
        message.envelope_to = list(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 2.0.0 queued"


@pytest.fixture
def relay(app):
    """A relay of the test's own on a free port; the app sends to it."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = RelayHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    handler.port = port
    yield handler
    controller.stop()


def make_ready(app, people, count=5, subject="Neue Energiestrategie", priority="standard"):
    """A mailing of Alpha (`people`: the `world` fixture's dict) from the user's sender to
    a list of `count` journalists with addresses; the user may send. Returns (mailing id,
    list id, person ids)."""
    from app.senders.models import SenderAccount
    from app.senders.services import assign_users, create_sender

    with app.app_context():
        User.update(may_send=True).where(User.id == people["user"].id).execute()
        sender = SenderAccount.get_or_none(SenderAccount.address == "presse@alpha-ag.example")
        if sender is None:
            sender = create_sender(
                "Pressestelle Alpha", "presse@alpha-ag.example", "antwort@alpha-ag.example"
            )
            assign_users(sender, [people["user"].id])
        writer = User.get_by_id(people["user"].id)
        lst = DistributionList.create(client=people["alpha"], name=f"Verteiler {subject}")
        ids = []
        for n in range(count):
            person = create_person(
                writer,
                people["alpha"],
                gender="female" if n % 2 else "male",
                first_name=f"Vorname{n}",
                last_name=f"Nachname{n}",
                emails=[f"journalist{n}.{lst.id}@redaktion.example"],
            )
            ListMember.create(distribution_list=lst, person=person)
            ids.append(person.id)
        mailing = Mailing.create(
            client=people["alpha"],
            subject=subject,
            html="<p>{{anrede}}</p><p>Die neue Strategie für {{vorname}} {{nachname}}.</p>",
            text="{{anrede}}\n\nDie neue Strategie für {{vorname}} {{nachname}}.\n",
            sender=sender.id,
            priority=priority,
            created_by=people["user"].id,
        )
        MailingSource.create(mailing=mailing, distribution_list=lst)
    return mailing.id, lst.id, ids


def bulk_list(client_id, name, count, domain="redaktion.example"):
    """A list of `count` journalists with addresses, inserted in bulk (inside an app
    context); returns the list."""
    from app.clock import utcnow
    from app.contacts.models import Person, PersonEmail

    now = utcnow()
    lst = DistributionList.create(client=client_id, name=name)
    rows = [
        {
            "client": client_id,
            "first_name": f"Vorname{n}",
            "last_name": f"Redakteur{n}",
            "gender": ("female", "male", "")[n % 3],
            "created_at": now,
            "updated_at": now,
        }
        for n in range(count)
    ]
    first = Person.select(Person.id).order_by(Person.id.desc()).scalar() or 0
    Person.insert_many(rows).execute()
    ids = [
        pid
        for (pid,) in Person.select(Person.id).where(Person.id > first).order_by(Person.id).tuples()
    ]
    PersonEmail.insert_many(
        [
            {"person": pid, "address": f"r{n}.{lst.id}@{domain}", "is_primary": True}
            for n, pid in enumerate(ids)
        ]
    ).execute()
    ListMember.insert_many([{"distribution_list": lst.id, "person": pid} for pid in ids]).execute()
    return lst
