"""Measure request costs against each other in one run and print the ratios, then the
contacts screens on a realistic amount of data.

Absolute times depend on the machine; ratios measured side by side in one process do not
(much), so they are what a reviewer compares between commits.

Part 2 (`contacts`): per backend (SQLite; PostgreSQL when it answers at
DEPESCHE_BENCH_POSTGRES, by default postgresql://postgres@127.0.0.1:5432/postgres, in a
throw-away database) 100,000 demo persons and 10,000 outlets are generated, then
- the server-side time of the contacts screens (p50 and p95 of in-process requests, with
  the number of SQL statements each runs), goal: p95 < 50 ms; on PostgreSQL after a
  `VACUUM (ANALYZE)`, the state autovacuum reaches shortly after a bulk load;
- the throughput of the real server (`depesche serve`: gunicorn gthread, 2 processes with
  4 threads) for the contacts screen and for /healthz, 8 client threads with keep-alive
  for a fixed time each, signed in through the real sign-in form; goal: ratio ≥ 0.25.
  Beside it the CPU time the server used per request (with PostgreSQL's processes for
  the bench database), which other programs on the machine disturb much less.

Part 4 (`tests/bench/imports.py`, `tests/bench/dispatch.py`, issues 5 and 6): an import of
100,000 rows against a bare read, and a mailing to 10,000 recipients by a real worker
against a bare smtplib loop to the same kind of sink.

Part 3 (`tests/bench/backup.py`, issue 7): backup to two sites and restore of an instance
with the same number of persons and 1 GB of files through `backup/depesche-backup`, and
three second backups after 1 % of the data changed each time (deduplication), on SQLite
and on PostgreSQL.

    python -m tests.bench                 # everything (about eight minutes)
    python -m tests.bench --persons 20000 --backup-media-mb 128   # a quicker look
    python -m tests.bench contacts        # part 2 only (--backend sqlite|postgresql: one)
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

from app import create_app
from app.extensions import db
from app.models import upgrade
from app.users.services import create_user
from tests.bench import backup

ROUNDS = 200
PASSWORD = "Zeitmessung-am-Abend-7"
SCREEN_ROUNDS = 40
LOAD_SECONDS = 8
LOAD_THREADS = 8
PG_URL = os.environ.get("DEPESCHE_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
DEPESCHE = str(Path(sys.executable).with_name("depesche"))
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _time(func, rounds=ROUNDS) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        func()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _login(app, email):
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    html = browser.get("/login").get_data(as_text=True)
    token = CSRF.search(html).group(1)
    response = browser.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, response.status_code
    return browser


def basic() -> None:
    """The request costs of the empty application, relative to /healthz."""
    with tempfile.TemporaryDirectory() as data_dir:
        # the sign-in is timed 20 times: the limiter (10 a minute) would answer 429
        app = create_app(
            {"DATA_DIR": data_dir, "HUEY_IMMEDIATE": True, "AUTH_RATE_LIMIT": "1000 per minute"}
        )
        upgrade()
        with app.app_context():
            user, _ = create_user("bench@agentur.example", "Bench", password=PASSWORD)
        client = _login(app, user.email)

        healthz = _time(lambda: client.get("/healthz"))
        login_page = _time(lambda: client.get("/login"))
        sign_in = _time(lambda: _login(app, user.email), rounds=20)
        start_page = _time(lambda: client.get("/"))
        db.close()

    print(f"{'measure':<34}{'median':>12}{'× healthz':>12}")
    for name, value in [
        ("GET /healthz (db+queue+disk)", healthz),
        ("GET /login (template, CSRF)", login_page),
        ("GET / signed in", start_page),
        ("GET+POST /login (argon2id verify)", sign_in),
    ]:
        print(f"{name:<34}{value * 1000:>10.2f}ms{value / healthz:>12.1f}")
    __import__("tests.bench.exports", fromlist=["main"]).main()


# --- part 2: the contacts screens on 100,000 persons ---------------------------------------


@contextlib.contextmanager
def postgres_database():
    """A new PostgreSQL database for the block (dropped afterwards); yields its URL, or
    None when PostgreSQL does not answer."""
    try:
        import psycopg2
        from psycopg2 import sql

        admin = psycopg2.connect(PG_URL, connect_timeout=3)
    except Exception as exc:  # no server: the PostgreSQL rows say so
        print(f"(PostgreSQL at {PG_URL} does not answer: {exc.__class__.__name__})")
        yield None
        return
    admin.autocommit = True
    name = f"depesche_bench_{uuid.uuid4().hex[:8]}"
    try:
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        yield urlunsplit(urlsplit(PG_URL)._replace(path=f"/{name}"))
    finally:
        with admin.cursor() as cursor:
            cursor.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        admin.close()


def _percentiles(samples):
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def contacts(backend: str, database_url: str | None, persons: int) -> list[tuple]:
    """Load the data, time the screens in process, then drive the real server."""
    from peewee import fn

    from app.clients.models import FULL
    from app.clients.services import create_client, set_right
    from app.contacts.demo import generate
    from app.contacts.models import Person, PersonOutlet, Topic
    from tests.queries import counted_queries

    results = []
    with tempfile.TemporaryDirectory() as data_dir:
        config = {"DATA_DIR": data_dir, "HUEY_IMMEDIATE": True}
        if database_url:
            config["DATABASE_URL"] = database_url
        app = create_app(config)
        upgrade()
        with app.app_context():
            db.connect(reuse_if_open=True)
            user, _ = create_user("bench@agentur.example", "Bench", password=PASSWORD)
            clients = [create_client(f"Bench-Kunde {n}", origin="demo") for n in range(4)]
            for client in clients:
                set_right(user, client, FULL)
            report = generate(clients, persons, seed=1)
            print(f"[{backend}] {report.line()}", flush=True)
            if database_url:
                # what autovacuum does within a minute of a bulk load: the visibility map
                # (index-only scans for the counts) and statistics; VACUUM needs autocommit
                db.execute_sql("VACUUM (ANALYZE)")
            results.append((backend, "demo data: persons/s", report.per_second, None, None))
            topic = Topic.get((Topic.client == clients[0].id) & (Topic.name == "Politik")).id
            # persons with several outlets: the fullest person pages
            busy = [
                row.person_id
                for row in PersonOutlet.select(PersonOutlet.person)
                .group_by(PersonOutlet.person)
                .order_by(PersonOutlet.person)
                .having(fn.COUNT(PersonOutlet.id) > 1)
                .limit(SCREEN_ROUNDS)
            ]
            assert Person.select().count() >= persons
            db.close()

        browser = _login(app, user.email)
        filtered = urlencode({"q": "mueller", "topic": topic, "country": "DE", "kind": "daily"})
        screens = [
            ("contacts: first page", lambda n: "/contacts/"),
            ("contacts: search q=mueller", lambda n: "/contacts/?q=mueller"),
            ("contacts: search + 3 filters", lambda n: f"/contacts/?{filtered}"),
            ("contacts: last page", lambda n: "/contacts/?page=99999"),
            ("contacts: person page", lambda n: f"/contacts/{busy[n % len(busy)]}"),
        ]
        for name, url in screens:
            assert browser.get(url(0)).status_code == 200, url(0)  # warm
            with counted_queries() as queries:
                browser.get(url(0))
            samples = []
            for n in range(SCREEN_ROUNDS):
                start = time.perf_counter()
                response = browser.get(url(n))
                samples.append(time.perf_counter() - start)
                assert response.status_code == 200
            p50, p95 = _percentiles(samples)
            results.append((backend, name, p50, p95, len(queries)))
            print(f"[{backend}] {name}: p50 {p50 * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms")
        with app.app_context():
            db.close()
        results.extend(_load(backend, data_dir, database_url))
    return results


# --- the real server under load ------------------------------------------------------------


class _Server:
    def __init__(self, data_dir: str, database_url: str | None):
        self.port = _free_port()
        self.requests = 0  # answered in the last _throughput run
        env = {k: v for k, v in os.environ.items() if not k.startswith("DEPESCHE_")}
        env.update(LANG="C.UTF-8", DEPESCHE_DATA_DIR=data_dir)
        if database_url:
            env["DEPESCHE_DATABASE_URL"] = database_url
        self.process = subprocess.Popen(  # noqa: S603 (our own command)
            [DEPESCHE, "serve", "--port", str(self.port), "--workers", "2", "--threads", "4"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                if self.request("GET", "/healthz")[0] == 200:
                    return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("depesche serve did not answer within 30 s")

    def connection(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def request(self, method, path, body=None, headers=None, connection=None):
        own = connection is None
        connection = connection or self.connection()
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            if own:
                connection.close()

    def sign_in(self, email: str) -> str:
        """A session cookie from the real sign-in form."""
        status, headers, body = self.request("GET", "/login")
        cookie = _cookie(headers)
        token = CSRF.search(body.decode()).group(1)
        form = urlencode({"email": email, "password": PASSWORD, "csrf_token": token})
        status, headers, _ = self.request(
            "POST",
            "/login",
            body=form,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": cookie,
                "Accept-Language": "en",
            },
        )
        assert status == 302, status
        return _cookie(headers)

    def stop(self):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def _cookie(headers) -> str:
    return "; ".join(
        value.split(";", 1)[0] for name, value in headers if name.lower() == "set-cookie"
    )


def _cpu_seconds(pids) -> float:
    """CPU time (user + system) the processes have used so far; 0 where /proc is missing."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    """`pid` and its descendants (gunicorn's master and workers), from /proc."""
    parents = {}
    for entry in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            parents[int(entry.name)] = int(fields[1])
    found, todo = [], [pid]
    while todo:
        found.append(todo.pop())
        todo += [child for child, parent in parents.items() if parent == found[-1]]
    return found


def _backends(database_url: str | None) -> list[int]:
    """The PostgreSQL server processes serving the bench's database (their CPU is part of
    a request's cost), found in pg_stat_activity."""
    if not database_url:
        return []
    import psycopg2

    name = urlsplit(database_url).path.lstrip("/")
    with contextlib.closing(psycopg2.connect(PG_URL)) as admin, admin.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (name,))
        return [pid for (pid,) in cursor.fetchall()]


def _throughput(server: _Server, path: str, cookie: str) -> float:
    """Requests per second of LOAD_THREADS clients with keep-alive for LOAD_SECONDS."""
    counts, failures = [0] * LOAD_THREADS, []
    start_gate = threading.Barrier(LOAD_THREADS + 1)
    stop_at = [0.0]

    def client(slot):
        connection = server.connection()
        headers = {"Cookie": cookie, "Accept-Language": "en"}
        start_gate.wait()
        try:
            while time.monotonic() < stop_at[0]:
                status, _, _ = server.request("GET", path, headers=headers, connection=connection)
                if status != 200:
                    failures.append(status)
                    return
                counts[slot] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(LOAD_THREADS)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.monotonic() + LOAD_SECONDS
    begin = time.monotonic()
    start_gate.wait()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - begin
    if failures:
        raise RuntimeError(f"GET {path} answered {failures[0]} under load")
    server.requests = sum(counts)
    return sum(counts) / elapsed


def _load(backend: str, data_dir: str, database_url: str | None) -> list[tuple]:
    server = _Server(data_dir, database_url)
    try:
        cookie = server.sign_in("bench@agentur.example")
        status, _, _ = server.request("GET", "/contacts/", headers={"Cookie": cookie})
        assert status == 200, status
        # The throughput depends on what else the machine runs in those seconds; the CPU
        # time the server (and PostgreSQL's processes for its database) spent per request
        # does much less, so it is printed beside it.
        rates, cpu = {}, {}
        for path, session in (("/healthz", ""), ("/contacts/", cookie)):
            processes = _children(server.process.pid) + _backends(database_url)
            before = _cpu_seconds(processes)
            rates[path] = _throughput(server, path, session)
            cpu[path] = (_cpu_seconds(processes) - before) / max(1, server.requests)
    finally:
        server.stop()
    healthz, screen = rates["/healthz"], rates["/contacts/"]
    cpu_ratio = cpu["/healthz"] / cpu["/contacts/"] if cpu["/contacts/"] else 0.0
    print(
        f"[{backend}] load: /healthz {healthz:.0f}/s, /contacts/ {screen:.0f}/s; server CPU "
        f"per request {cpu['/healthz'] * 1000:.1f} ms and {cpu['/contacts/'] * 1000:.1f} ms"
    )
    return [
        (backend, f"load: GET /healthz, {LOAD_THREADS} clients", healthz, None, None),
        (backend, f"load: GET /contacts/, {LOAD_THREADS} clients", screen, None, None),
        (backend, "load: contacts / healthz", screen / healthz, None, None),
        (backend, "server CPU: healthz / contacts", cpu_ratio, None, None),
    ]


def _table(results) -> None:
    print()
    print(f"{'backend':<11}{'measure':<34}{'p50':>10}{'p95':>10}{'queries':>9}  goal")
    for backend, name, first, p95, queries in results:
        if p95 is not None:
            goal = "ok" if p95 < 0.050 else "MISSED (p95 < 50 ms)"
            print(
                f"{backend:<11}{name:<34}{first * 1000:>8.1f}ms{p95 * 1000:>8.1f}ms"
                f"{queries:>9}  {goal}"
            )
        elif "/ healthz" in name:
            goal = "ok" if first >= 0.25 else "MISSED (≥ 0.25)"
            print(f"{backend:<11}{name:<34}{first:>10.2f}{'':>19}  {goal}")
        elif "server CPU" in name:
            print(f"{backend:<11}{name:<34}{first:>10.2f}{'':>19}  (the same ratio in CPU time)")
        elif "persons/s" in name:
            if backend != "sqlite":  # the goal is the embedded default's (D33)
                goal = "(20,000/s: SQLite's goal; here the database's own checks, D33)"
            else:
                goal = "ok" if first >= 20_000 else "MISSED (≥ 20,000/s)"
            print(f"{backend:<11}{name:<34}{first:>10,.0f}{'':>19}  {goal}")
        else:
            print(f"{backend:<11}{name:<34}{first:>8.0f}/s")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench")
    parser.add_argument("part", nargs="?", choices=("all", "contacts"), default="all")
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"))
    parser.add_argument("--skip-basic", action="store_true")
    parser.add_argument("--skip-backup", action="store_true")
    parser.add_argument("--backup-media-mb", type=int, default=1024)
    args = parser.parse_args()
    if not args.skip_basic and args.part == "all":
        basic()
    results = []
    if args.backend in (None, "sqlite"):
        results += contacts("sqlite", None, args.persons)
    if args.backend in (None, "postgresql"):
        with postgres_database() as url:
            if url:
                results += contacts("postgresql", url, args.persons)
    _table(results)
    if args.part == "contacts":
        return
    if not args.skip_backup:
        backup.main(args.persons, args.backup_media_mb)
    __import__("tests.bench.imports", fromlist=["main"]).main()
    __import__("tests.bench.dispatch", fromlist=["main"]).main()


if __name__ == "__main__":
    main()
