"""The blacklist (SPEC M8) through real requests: administrators only; addresses and
domains, one or pasted; what recipient resolution asks; marked on persons and lists;
export without formulas; bad input."""

import csv
import io

from app.audit.models import AuditEntry
from app.blacklist.models import BlacklistEntry
from app.blacklist.services import blacklisted
from app.lists.models import DistributionList, ListMember
from tests import factories
from tests.conftest import csrf_token


def _post(client, path, data):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/")})


def _flashes(client, response):
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_administrators_only(client, login_as):
    login_as("user")
    assert client.get("/admin/blacklist/").status_code == 403
    assert _post(client, "/admin/blacklist/add", {"value": "x@y.example"}).status_code == 403
    assert client.get("/admin/blacklist/export.csv").status_code == 403


def test_add_one_and_many_and_remove(app, client, login_as):
    login_as("administrator")
    done = _post(
        client, "/admin/blacklist/add", {"value": " Presse@Spam.Example ", "note": "Beschwerde"}
    )
    assert "presse@spam.example is on the blacklist now." in _flashes(client, done)
    again = _post(client, "/admin/blacklist/add", {"value": "presse@spam.example"})
    assert "This is on the blacklist already." in _flashes(client, again)
    pasted = _post(
        client,
        "/admin/blacklist/add",
        {"values": "a@one.example; @Zwei.Example\nMüller <b@drei.example>, kaputt@, nüsse.example"},
    )
    page = _flashes(client, pasted)
    assert "4 added, 0 already on the blacklist." in page
    assert "Neither an address nor a domain: kaputt@" in page
    with app.app_context():
        values = {e.value: e.kind for e in BlacklistEntry.select()}
    assert values == {
        "presse@spam.example": "address",
        "a@one.example": "address",
        "zwei.example": "domain",
        "b@drei.example": "address",
        "nüsse.example".encode("idna").decode(): "domain",  # the stdlib codec as a check
    }
    listing = client.get("/admin/blacklist/?q=zwei").get_data(as_text=True)
    assert "zwei.example" in listing and "a@one.example" not in listing
    with app.app_context():
        entry = BlacklistEntry.get(BlacklistEntry.value == "a@one.example")
    removed = _post(client, f"/admin/blacklist/{entry.id}/remove", {})
    assert "a@one.example is no longer on the blacklist." in _flashes(client, removed)
    gone = _post(client, f"/admin/blacklist/{entry.id}/remove", {})
    assert "This entry does not exist (any more)." in _flashes(client, gone)
    with app.app_context():
        actions = [
            e.action for e in AuditEntry.select().where(AuditEntry.action.startswith("blacklist."))
        ]
    assert actions.count("blacklist.add") == 5 and actions.count("blacklist.remove") == 1


def test_bad_entries(client, login_as):
    login_as("administrator")
    for value, message in [
        ("", "Please give an address or a domain."),
        ("kein domain", "kein domain is not a valid domain."),
        ("a@b", "a@b is not a valid e-mail address."),
        ("@-bad-.example", "@-bad-.example is not a valid domain."),
    ]:
        response = _post(client, "/admin/blacklist/add", {"value": value})
        assert message in _flashes(client, response), value


def test_what_recipient_resolution_asks(app, login_as):
    with app.app_context():
        BlacklistEntry.create(kind="address", value="weg@a.example")
        BlacklistEntry.create(kind="domain", value="b.example")
        found = blacklisted(
            ["weg@a.example", "bleibt@a.example", "jeder@b.example", "", "x@sub.b.example"]
        )
    assert found == {"weg@a.example", "jeder@b.example"}


def test_marked_on_the_person_and_the_list(app, client, login_as):
    user = login_as("user")
    with app.app_context():
        alpha = factories.new_client("Alpha AG")
        factories.grant(user, alpha, "full")
        from app.contacts.services import create_person

        person = create_person(user, alpha, last_name="Gesperrt", emails=["gesperrt@weg.example"])
        lst = DistributionList.create(client=alpha, name="Verteiler")
        ListMember.create(distribution_list=lst, person=person)
        BlacklistEntry.create(kind="domain", value="weg.example")
    assert "blacklisted" in client.get(f"/contacts/{person.id}").get_data(as_text=True)
    assert "blacklisted" in client.get(f"/lists/{lst.id}").get_data(as_text=True)


def test_export_has_no_formulas(app, client, login_as):
    login_as("administrator")
    with app.app_context():
        BlacklistEntry.create(kind="address", value="a@x.example", note='=HYPERLINK("http://evil")')
        BlacklistEntry.create(kind="domain", value="umlaut-ä.example", note="+49 30 123")
    response = client.get("/admin/blacklist/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["value", "kind", "reason", "note", "created_at"]
    notes = {row[0]: row[3] for row in rows[1:]}
    assert notes["a@x.example"] == '\'=HYPERLINK("http://evil")'
    assert notes["umlaut-ä.example"] == "'+49 30 123"
