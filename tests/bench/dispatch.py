"""Dispatch benchmark (SPEC M4, issue 6): a mailing to 10,000 personalised, DKIM-signed
recipients sent by a real worker (`depesche worker`) to a local SMTP sink in its own
process, against a bare smtplib loop that sends 10,000 pre-built messages over one
connection to the same kind of sink, in the same run. Goal: the dispatch reaches at least
0.8 of the bare loop's messages per second with the worker's peak memory under 200 MB.

Both sides' CPU per message is printed too (the bare loop and its sink; the worker, its
sink and the PostgreSQL server), with the load average: on a shared machine the rates move
with other load, the CPU figures much less.

    python -m tests.bench.dispatch [RECIPIENTS] [--sqlite-only | --postgres-only]
"""

from __future__ import annotations

import argparse
import os
import signal
import smtplib
import subprocess
import tempfile
import time
from pathlib import Path

from tests.mailings.workers import DEPESCHE, Sink

RECIPIENTS = 10_000
PARAGRAPH = (
    "<p>Die Stadtwerke stellen heute ihre Strategie für die Energieversorgung der nächsten "
    "zehn Jahre vor: Wärmenetze, Speicher und ein neues Umspannwerk im Norden der Stadt. "
    "Die Investitionen belaufen sich auf 1,2 Milliarden Euro.</p>"
)
HTML = (
    "<p>{{anrede}}</p><h2>Neue Energiestrategie der Stadtwerke</h2>"
    + PARAGRAPH * 14
    + "<p>Mit freundlichen Grüßen<br>Ihre Pressestelle</p>"
)


def prepare(work: Path, database_url: str | None, recipients: int):
    """An instance with one client, a sender with its DKIM key, a user who may send, and a
    mailing to a list of `recipients` journalists."""
    from app import create_app
    from app.clients.services import create_client, set_right
    from app.clock import utcnow
    from app.contacts.models import Person, PersonEmail
    from app.extensions import db
    from app.lists.models import DistributionList, ListMember
    from app.mailings.content import text_from_html
    from app.mailings.models import Mailing, MailingSource
    from app.models import upgrade
    from app.senders.services import assign_users, create_sender
    from app.users.models import User
    from app.users.services import create_user

    config = {"DATA_DIR": str(work / "data"), "HUEY_IMMEDIATE": False}
    if database_url:
        config["DATABASE_URL"] = database_url
    app = create_app(config)
    upgrade()
    with app.app_context():
        db.connect(reuse_if_open=True)
        user, _ = create_user("bench@agentur.example", "Bench", password="Lauf-Messung-2026!")
        User.update(may_send=True).where(User.id == user.id).execute()
        client = create_client("Stadtwerke", "")
        set_right(user, client, "full")
        sender = create_sender("Pressestelle Stadtwerke", "presse@stadtwerke.example")
        assign_users(sender, [user.id])
        now = utcnow()
        genders = ("female", "male", "")
        with db.atomic():
            rows = [
                {
                    "client": client.id,
                    "first_name": f"Vorname{n}",
                    "last_name": f"Müller-{n}",
                    "gender": genders[n % 3],
                    "title": "Dr." if n % 7 == 0 else "",
                    "language": "en" if n % 5 == 0 else "de",
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(recipients)
            ]
            for begin in range(0, len(rows), 1000):
                Person.insert_many(rows[begin : begin + 1000]).execute()
            ids = [pid for (pid,) in Person.select(Person.id).order_by(Person.id).tuples()]
            lst = DistributionList.create(client=client.id, name="Alle")
            emails = [
                {
                    "person": pid,
                    "address": f"redaktion{n}@zeitung{n % 50}.example",
                    "is_primary": True,
                }
                for n, pid in enumerate(ids)
            ]
            members = [{"distribution_list": lst.id, "person": pid} for pid in ids]
            for begin in range(0, len(ids), 1000):
                PersonEmail.insert_many(emails[begin : begin + 1000]).execute()
                ListMember.insert_many(members[begin : begin + 1000]).execute()
        mailing = Mailing.create(
            client=client.id,
            subject="Neue Energiestrategie für {{nachname}}",
            html=HTML,
            text=text_from_html(HTML),
            sender=sender.id,
            created_by=user.id,
        )
        MailingSource.create(mailing=mailing, distribution_list=lst.id)
        db.close()
    return app, user.id, mailing.id


def bare_loop(app, mailing_id: int, sink: Sink, recipients: int):
    """Messages per second of smtplib sending pre-built, signed messages over one
    connection (the messages are made before the clock starts), and the CPU seconds the
    client and the sink spent meanwhile."""
    from app.extensions import db
    from app.mailings.dispatch import Batch, new_token, return_path
    from app.mailings.models import Mailing, MailingRecipient

    with app.app_context():
        db.connect(reuse_if_open=True)
        mailing = Mailing.get_by_id(mailing_id)
        rows = [
            MailingRecipient(
                mailing=mailing_id, address=f"redaktion{n}@zeitung.example", token=new_token()
            )
            for n in range(recipients)
        ]
        batch = Batch(mailing, rows[:1], holder="")
        raw, _ = batch.message(rows[0])
        envelope = [(return_path(r.token, "presse@stadtwerke.example"), r.address) for r in rows]
        db.close()
    connection = smtplib.SMTP("127.0.0.1", sink.port)
    sink_cpu = _cpu_seconds(sink.process.pid)
    cpu = time.process_time()
    start = time.perf_counter()
    for sender, to in envelope:
        connection.sendmail(sender, [to], raw)
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    sink_cpu = _cpu_seconds(sink.process.pid) - sink_cpu
    connection.quit()
    return recipients / seconds, {"client": cpu, "sink": sink_cpu}


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _database_cpu_seconds() -> float:
    """CPU time of the PostgreSQL server processes serving this database, other than our
    own connection (0 on SQLite, which runs inside the worker)."""
    from peewee import SqliteDatabase

    from app.extensions import db

    if isinstance(db.obj, SqliteDatabase):
        return 0.0
    pids = db.execute_sql(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        " AND pid <> pg_backend_pid()"
    ).fetchall()
    return sum(_cpu_seconds(pid) for (pid,) in pids)


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def worker_dispatch(app, user_id, mailing_id, sink: Sink, work: Path, database_url):
    """Messages per second of the real worker, from the confirmation to the last message
    in the sink, the worker's peak RSS, and the CPU seconds the worker, the sink and the
    database server spent meanwhile."""
    from app.extensions import db
    from app.mailings import dispatch
    from app.mailings.models import Mailing
    from app.users.models import User

    env = {k: v for k, v in os.environ.items() if not k.startswith("DEPESCHE_")}
    env.update(
        LANG="C.UTF-8",
        DEPESCHE_DATA_DIR=str(work / "data"),
        DEPESCHE_SMTP_URL=f"smtp://127.0.0.1:{sink.port}",
    )
    if database_url:
        env["DEPESCHE_DATABASE_URL"] = database_url
    app.config["SMTP_URL"] = env["DEPESCHE_SMTP_URL"]
    worker = subprocess.Popen(  # noqa: S603 (our own command)
        [DEPESCHE, "worker", "--workers", "2", "--no-periodic"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    time.sleep(3)  # the consumer is up
    worker_cpu = _cpu_seconds(worker.pid)
    sink_cpu = _cpu_seconds(sink.process.pid)
    with app.app_context():
        db.connect(reuse_if_open=True)
        database_cpu = _database_cpu_seconds()  # the worker's connections, if already open
        start = time.perf_counter()
        mailing = dispatch.start(User.get_by_id(user_id), mailing_id)
        total = mailing.recipients_total
        first = None
        while Mailing.get_by_id(mailing_id).state != "sent":
            if first is None and sink.received():
                first = time.perf_counter()
            time.sleep(0.02)
        end = time.perf_counter()
        cpu = {
            "worker": _cpu_seconds(worker.pid) - worker_cpu,
            "sink": _cpu_seconds(sink.process.pid) - sink_cpu,
            "database": _database_cpu_seconds() - database_cpu,
        }
        db.close()
    peak = _peak_rss_mb(worker.pid)
    worker.send_signal(signal.SIGINT)
    worker.communicate(timeout=60)
    assert sink.received() == total, (sink.received(), total)
    # the sending rate (first message at the sink to the last), and the whole including
    # the confirmation (recipient rows written, the chain queued)
    return (total - 1) / (end - (first or start)), total / (end - start), peak, cpu


def run(recipients: int, database_url: str | None, label: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        app, user_id, mailing_id = prepare(work, database_url, recipients)
        bare_sink = Sink(work, name="bare")
        try:
            bare, bare_cpu = bare_loop(app, mailing_id, bare_sink, recipients)
        finally:
            bare_sink.stop()
        sink = Sink(work, name="dispatch")
        try:
            rate, overall, peak, cpu = worker_dispatch(
                app, user_id, mailing_id, sink, work, database_url
            )
        finally:
            sink.stop()
    print(
        f"{label:<12}{bare:>12,.0f}{rate:>16,.0f}{rate / bare:>8.2f}{overall:>16,.0f}"
        f"{overall / bare:>8.2f}{peak:>10.0f} MB"
    )
    per = 1000 / recipients
    print(
        f"{'':<12}CPU ms per message: bare loop {bare_cpu['client'] * per:.2f} + sink "
        f"{bare_cpu['sink'] * per:.2f}; worker {cpu['worker'] * per:.2f} + sink "
        f"{cpu['sink'] * per:.2f} + database server {cpu['database'] * per:.2f}"
    )


def main(recipients: int = RECIPIENTS, postgres: bool = True, sqlite: bool = True) -> None:
    from tests.bench.imports import _postgres_url

    print(f"\ndispatch: {recipients:,} personalised, DKIM-signed messages (≈8 KB) to a local sink")
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(
        f"{'database':<12}{'bare msg/s':>12}{'sending msg/s':>16}{'ratio':>8}"
        f"{'with confirm':>16}{'ratio':>8}{'peak RSS':>13}"
    )
    if sqlite:
        run(recipients, None, "SQLite")
    if postgres:
        name = f"depesche_bench_dispatch_{os.getpid()}"
        url, admin = _postgres_url(name)
        if url:
            try:
                run(recipients, url, "PostgreSQL")
            finally:
                from psycopg2 import sql

                with admin.cursor() as cur:
                    cur.execute(
                        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                            sql.Identifier(name)
                        )
                    )
                admin.close()
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print("goal: sending ratio ≥ 0.8 (sending: first to last message at the sink), worker < 200 MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m tests.bench.dispatch")
    parser.add_argument("recipients", type=int, nargs="?", default=RECIPIENTS)
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--sqlite-only", action="store_true")
    only.add_argument("--postgres-only", action="store_true")
    args = parser.parse_args()
    main(args.recipients, postgres=not args.sqlite_only, sqlite=not args.postgres_only)
