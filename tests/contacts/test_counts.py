"""The contacts screen's count is kept per process until persons, their links or list
memberships change (D41, app/data_versions.py): it is counted once, and right again
immediately after every kind of write — through real requests, in the process that wrote
and in another process (a real gunicorn with two workers)."""

import re
import subprocess
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

import pytest

from app.clients.models import HIDDEN
from app.clients.services import set_right
from app.contacts.demo import generate
from app.contacts.models import Person, Topic
from app.lists.services import create_list
from app.outlets.models import Outlet
from app.transfer.models import ImportJob
from tests import factories
from tests.conftest import CSRF_RE, DEPESCHE, csrf_token
from tests.mailings.workers import free_port, wait_for
from tests.queries import counted_queries
from tests.transfer.helpers import DATA, import_file

COUNT = re.compile(r'class="result-count">\s*([\d,]+) contacts?\b')
COUNTING = 'SELECT COUNT(*) FROM "person"'


def _total(client, query="") -> int:
    response = client.get(f"/contacts/{query}")
    assert response.status_code == 200
    return int(COUNT.search(response.get_data(as_text=True)).group(1).replace(",", ""))


def _post(client, path, data):
    token = csrf_token(client, "/contacts/")
    response = client.post(path, data={**data, "csrf_token": token})
    assert response.status_code in (200, 302), (path, response.status_code)
    return response


def _countings(client, query="") -> int:
    """How many times a request of the list counted the persons."""
    with counted_queries() as queries:
        _total(client, query)
    return sum(sql.startswith(COUNTING) for sql, _ in queries)


def test_a_count_is_read_once_and_again_after_a_write(client, world):
    assert _countings(client) == 1
    assert _countings(client) == 0, "the second request reuses the count"
    assert _countings(client, "?country=AT") == 1, "each filter has its own count"
    assert _countings(client, "?page=2&sort=city") == 0, "order and page are not filters"
    _post(client, f"/contacts/{world['karl']}/block", {"reason": "Widerspruch"})
    assert _countings(client) == 1
    assert _countings(client) == 0


def test_create_and_search(client, world):
    assert (_total(client), _total(client, "?q=ozturk")) == (4, 0)
    _post(
        client,
        "/contacts/new",
        {"client_id": world["alpha"].id, "first_name": "Zoë", "last_name": "Öztürk"},
    )
    assert (_total(client), _total(client, "?q=ozturk")) == (5, 1)


def test_edit_changes_the_filtered_counts(client, world):
    assert (_total(client, "?country=AT"), _total(client, "?country=CH")) == (1, 1)
    karl = {"first_name": "Karl", "last_name": "Strauß", "language": "en", "country": "AT"}
    _post(client, f"/contacts/{world['karl']}", karl)
    assert (_total(client, "?country=AT"), _total(client, "?country=CH")) == (2, 0)
    assert _total(client, "?q=strauss") == 1
    _post(client, f"/contacts/{world['karl']}", karl | {"last_name": "Kraus"})
    assert _total(client, "?q=strauss") == 0


def test_block_unblock_and_delete(client, world):
    assert (_total(client, "?blocked=yes"), _total(client, "?blocked=no")) == (0, 4)
    _post(client, f"/contacts/{world['anna']}/block", {"reason": "Widerspruch"})
    assert (_total(client, "?blocked=yes"), _total(client, "?blocked=no")) == (1, 3)
    _post(client, f"/contacts/{world['anna']}/unblock", {})
    assert (_total(client, "?blocked=yes"), _total(client, "?blocked=no")) == (0, 4)
    _post(client, "/contacts/bulk", {"action": "block", "ids": [world["karl"]]})
    assert _total(client, "?blocked=yes") == 1
    _post(
        client, "/contacts/bulk", {"action": "delete", "ids": [world["karl"]], "confirmed": "yes"}
    )
    assert (_total(client), _total(client, "?blocked=yes")) == (3, 0)


def test_erase(client, world):
    assert _total(client) == 4
    _post(client, f"/contacts/{world['anna']}/erase", {"confirm": "Müller"})
    assert _total(client) == 3


def test_merge(app, client, world):
    _post(
        client,
        "/contacts/new",
        {"client_id": world["alpha"].id, "first_name": "Anna", "last_name": "Mueller"},
    )
    assert _total(client, "?q=anna") == 2
    with app.app_context():
        twin = Person.get(Person.last_name == "Mueller", Person.first_name == "Anna").id
    _post(client, "/contacts/merge", {"keep": world["anna"], "other": twin})
    assert (_total(client), _total(client, "?q=anna")) == (4, 1)


def test_topics_lists_and_outlets(app, client, world):
    user = world["user"]
    with app.app_context():
        energy = Topic.get(Topic.name == "Energie").id
        radio = Outlet.get(Outlet.name == "Radio Wien").id
        sz = Outlet.get(Outlet.name == "Süddeutsche Zeitung").id
        press = create_list(user, world["alpha"], name="Presseverteiler").id
    # topics (bulk tag and untag)
    assert _total(client, f"?topic={energy}") == 1
    _post(client, "/contacts/bulk", {"action": "tag", "ids": [world["karl"]], "topic": "Energie"})
    assert _total(client, f"?topic={energy}") == 2
    _post(client, "/contacts/bulk", {"action": "untag", "ids": [world["anna"]], "topic": "Energie"})
    assert _total(client, f"?topic={energy}") == 1
    # list members (bulk add, remove on the list's page)
    assert _total(client, f"?list={press}") == 0
    ids = [world["anna"], world["karl"]]
    _post(client, "/contacts/bulk", {"action": "list", "ids": ids, "list_id": press})
    assert _total(client, f"?list={press}") == 2
    _post(client, f"/lists/{press}/members", {"action": "remove", "ids": [world["anna"]]})
    assert _total(client, f"?list={press}") == 1
    # outlet links and an outlet's type
    assert (_total(client, "?kind=daily"), _total(client, "?kind=radio")) == (1, 1)
    _post(client, "/outlets/links", {"outlet_id": sz, "person_id": world["karl"]})
    assert _total(client, "?kind=daily") == 2
    form = {"name": "Radio Wien", "kind": "daily", "language": "de", "country": "AT"}
    _post(client, f"/outlets/{radio}", form)
    assert (_total(client, "?kind=daily"), _total(client, "?kind=radio")) == (3, 0)
    _post(client, f"/outlets/{sz}/delete", {})
    assert _total(client, "?kind=daily") == 1, "the outlet's links went with it"


def test_import(app, client, world):
    assert _total(client) == 4
    job = import_file(client, world["alpha"].id, DATA / "german.csv")  # upload to the end
    with app.app_context():
        created = ImportJob.get_by_id(job).created
    assert created > 0
    assert _total(client) == 4 + created


def test_a_bulk_load_into_empty_tables(app, client, login_as):
    """The demo loader writes past the services (COPY on PostgreSQL, its indexes built
    afterwards in the same transaction): the triggers see its rows too."""
    user = login_as("user")
    with app.app_context():
        agency = factories.new_client("Agentur")
        factories.grant(user, agency, "full")
    assert _total(client) == 0
    with app.app_context():
        generate([agency], 30, seed=2)
    assert _total(client) == 30


def test_rights(app, client, world):
    assert _total(client) == 4
    with app.app_context():
        set_right(world["user"], world["beta"], HIDDEN)
    assert _total(client) == 3


# --- another process ------------------------------------------------------------------------


class _Browser:
    """A signed-in session on a real server, by urllib (cookies, the real sign-in form)."""

    def __init__(self, base: str, email: str, password: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        self.opener.addheaders = [("Accept-Language", "en")]
        self.post("/login", {"email": email, "password": password}, form_page="/login")

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.read().decode()

    def post(self, path: str, data: dict, form_page: str = "/contacts/"):
        match = CSRF_RE.search(self.get(form_page))
        form = {**data, "csrf_token": match.group(1) or match.group(2)}
        body = urllib.parse.urlencode(form, doseq=True).encode()
        with self.opener.open(self.base + path, data=body, timeout=30) as response:
            assert response.status == 200, response.status  # after the redirect

    def total(self, query="") -> int:
        return int(COUNT.search(self.get(f"/contacts/{query}")).group(1).replace(",", ""))


@pytest.fixture
def server(app, cli_env, world):
    """`depesche serve` with two worker processes on the test database."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 (our own command)
        [DEPESCHE, "serve", "--port", str(port), "--workers", "2", "--threads", "2"],
        env=cli_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"

    def answers():
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:  # noqa: S310
                return response.status == 200
        except OSError:
            return False

    try:
        assert wait_for(answers, timeout=60), "depesche serve did not answer"
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_write_in_one_process_is_counted_in_the_others(app, client, world, server):
    with app.app_context():
        reader, password = factories.user()
        factories.grant(reader, world["alpha"], "full")
    browsers = [_Browser(server, reader.email, password) for _ in range(4)]
    # every worker process that answers keeps the count of Alpha's three persons
    assert {b.total() for b in browsers for _ in range(5)} == {3}
    assert _total(client) == 4  # this process keeps its own (Alpha and Beta)
    _post(client, f"/contacts/{world['karl']}/erase", {"confirm": "Strauß"})
    assert {b.total() for b in browsers for _ in range(5)} == {2}
    browsers[0].post(
        "/contacts/new", {"client_id": world["alpha"].id, "first_name": "Ida", "last_name": "Neu"}
    )
    assert {b.total() for b in browsers for _ in range(5)} == {3}
    assert _total(client) == 4, "written by a worker process, counted in this one"


def test_a_write_after_a_rolled_back_savepoint_still_changes_the_version(app, world):
    """The version is changed once per writing transaction (PostgreSQL: migration 0027 marks
    the transaction at its first write). A savepoint rolled back takes that mark with it, so
    a later write of the same transaction must mark it again, and nothing is left pending."""
    from app import data_versions
    from app.contacts.search import is_postgres
    from app.extensions import db

    with app.app_context():
        before = data_versions.current("contacts")
        with db.atomic():
            with db.atomic() as savepoint:
                Person.update(city="Bonn").where(Person.id == world["karl"]).execute()
                savepoint.rollback()
            Person.update(city="Graz").where(Person.id == world["karl"]).execute()
        after = data_versions.current("contacts")
        assert after is not None and after != before
        with db.atomic(), db.atomic() as savepoint:
            Person.update(city="Linz").where(Person.id == world["karl"]).execute()
            savepoint.rollback()
        assert data_versions.current("contacts") == after, "nothing written, nothing changed"
        if is_postgres():
            assert db.execute_sql("SELECT count(*) FROM data_version_pending").fetchone()[0] == 0
