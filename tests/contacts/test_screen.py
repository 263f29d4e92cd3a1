"""The contacts screen through real requests (SPEC C4, C1, C5, C9): list, search, filters,
sorting, paging, partials, bulk actions with their rights, a person's page and history,
inline edit, bad input, and a query count that does not grow with the page size."""

import logging
import re

import pytest

from app.audit.models import AuditEntry
from app.contacts.models import Person, PersonEmail, PersonOutlet, PersonTopic, Topic
from app.extensions import db
from app.outlets.models import Outlet
from tests.conftest import csrf_token


def _names(html):
    return re.findall(r'<a href="/contacts/\d+">([^<,]+)', html)


def _post(client, path, data):
    token = csrf_token(client, "/contacts/")
    return client.post(path, data={**data, "csrf_token": token})


def test_list_shows_visible_clients_only(client, world):
    html = client.get("/contacts/").get_data(as_text=True)
    assert sorted(_names(html)) == ["Brandt", "Mueller", "Müller", "Strauß"]
    assert "Geheimnis" not in html and "Gamma AG" not in html
    assert "4 contacts" in html
    assert "Süddeutsche Zeitung" in html and "anna.mueller@sz.example" in html
    assert 'href="/contacts/"' in html  # the navigation entry


def test_search_as_you_type_finds_transliterations(client, world):
    html = client.get("/contacts/?q=mueller").get_data(as_text=True)
    assert sorted(_names(html)) == ["Mueller", "Müller"]
    assert "2 contacts" in html
    assert _names(client.get("/contacts/?q=s%C3%BCddeutsche").get_data(as_text=True)) == ["Müller"]
    assert _names(client.get("/contacts/?q=geheimnis").get_data(as_text=True)) == []


def test_htmx_gets_the_table_and_a_page_gets_everything(client, world):
    full = client.get("/contacts/?q=mueller").get_data(as_text=True)
    part = client.get("/contacts/?q=mueller", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" in full and 'id="contact-q"' in full
    assert (
        client.get("/contacts/?q=mueller&kind=&page=", headers={"HX-Request": "true"}).headers[
            "HX-Push-Url"
        ]
        == "/contacts/?q=mueller"
    )
    assert "<html" not in part and part.lstrip().startswith('<div id="contact-results">')
    assert sorted(_names(part)) == ["Mueller", "Müller"]
    assert 'hx-trigger="input changed delay:250ms, search"' in full
    assert 'hx-push-url="true"' in full


@pytest.mark.parametrize(
    "query, names",
    [
        ("kind=radio", ["Mueller"]),
        ("kind=daily", ["Müller"]),
        ("country=AT", ["Mueller"]),
        ("country=ch", ["Strauß"]),
        ("language=en", ["Strauß"]),
        ("blocked=no", ["Brandt", "Mueller", "Müller", "Strauß"]),
        ("blocked=yes", []),
        (
            "kind=spaceship&country=12&topic=abc&language=xx&blocked=maybe&sort=evil&dir=up",
            ["Brandt", "Mueller", "Müller", "Strauß"],
        ),
        ("page=-3&page=x", ["Brandt", "Mueller", "Müller", "Strauß"]),
    ],
)
def test_filters_and_unknown_values(client, world, query, names):
    response = client.get(f"/contacts/?{query}")
    assert response.status_code == 200
    assert sorted(_names(response.get_data(as_text=True))) == names


def test_one_filter_shape_with_other_values(client, world):
    """The page's statement is compiled once per filter shape (D41): its values are not."""
    for query, names in [
        ("country=AT", ["Mueller"]),
        ("country=CH", ["Strauß"]),
        ("q=mueller", ["Mueller", "Müller"]),
        ("q=strauss", ["Strauß"]),
        ("blocked=no", ["Brandt", "Mueller", "Müller", "Strauß"]),
        ("blocked=yes", []),
    ]:
        html = client.get(f"/contacts/?{query}").get_data(as_text=True)
        assert sorted(_names(html)) == names, query


def test_topic_filter(app, client, world):
    with app.app_context():
        topic = Topic.get(Topic.name == "Energie")
    html = client.get(f"/contacts/?topic={topic.id}").get_data(as_text=True)
    assert _names(html) == ["Müller"]


def test_sorting(client, world):
    assert _names(client.get("/contacts/").get_data(as_text=True)) == [
        "Brandt",
        "Mueller",
        "Müller",
        "Strauß",
    ]
    by_city = _names(client.get("/contacts/?sort=city").get_data(as_text=True))
    assert by_city == ["Brandt", "Strauß", "Müller", "Mueller"]  # Aachen, Bern, München, Wien
    desc = _names(client.get("/contacts/?sort=city&dir=desc").get_data(as_text=True))
    assert desc == list(reversed(by_city))


@pytest.fixture
def many(app, world):
    """120 more persons in Alpha (3 pages of 50)."""
    with app.app_context(), db.atomic():
        for n in range(120):
            Person.create(client=world["alpha"], first_name="Nr", last_name=f"Zett{n:03d}")
    return world


def test_paging_total_and_past_the_end(client, many):
    first = client.get("/contacts/").get_data(as_text=True)
    assert "124 contacts" in first and "page 1 of 3" in first
    assert len(_names(first)) == 50
    last = client.get("/contacts/?page=99").get_data(as_text=True)
    assert "page 3 of 3" in last
    assert len(_names(last)) == 24 and _names(last)[-1] == "Zett119"
    assert "page=3" in client.get("/contacts/?page=2").get_data(as_text=True)


def _count_queries(caplog, client, url):
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="peewee"):
        response = client.get(url)
    assert response.status_code == 200
    return len([r for r in caplog.records if r.name == "peewee"])


def test_query_count_does_not_grow_with_the_page(app, client, many, caplog):
    with app.app_context():
        topic = Topic.get(Topic.name == "Energie")
        outlet = Outlet.get(Outlet.name == "Radio Wien")
        with db.atomic():
            for person in Person.select().where(Person.last_name.startswith("Zett")):
                PersonEmail.create(
                    person=person, address=f"p{person.id}@x.example", is_primary=True
                )
                PersonTopic.create(person=person, topic=topic)
                PersonOutlet.create(person=person, outlet=outlet)
    client.get("/contacts/")  # warm: session, user
    # page 3 shows 24 rows; page 1 shows 50, page 2 of `sort=city` too: all the same count
    small = _count_queries(caplog, client, "/contacts/?page=3")
    large = _count_queries(caplog, client, "/contacts/?page=1")
    assert small == large, (small, large)
    assert large < 25


def test_read_only_rows_have_no_buttons_and_refuse_changes(app, client, world):
    html = client.get("/contacts/?q=brandt").get_data(as_text=True)
    assert "Brandt" in html
    assert f'value="{world["bea"]}" form="bulk-form"' not in html
    assert f"/contacts/{world['bea']}/row/edit" not in html
    for action in ("tag", "block", "delete"):
        response = _post(
            client, "/contacts/bulk", {"action": action, "ids": [world["bea"]], "topic": "x"}
        )
        assert response.status_code == 403, action
    response = _post(
        client, "/contacts/bulk", {"action": "block", "ids": [world["anna"], world["bea"]]}
    )
    assert response.status_code == 403
    assert _post(client, f"/contacts/{world['bea']}/block", {}).status_code == 403
    assert _post(client, f"/contacts/{world['bea']}/row", {"city": "X"}).status_code == 403
    assert _post(client, f"/contacts/{world['bea']}", {"last_name": "X"}).status_code == 403
    with app.app_context():
        assert not Person.get_by_id(world["anna"]).blocked  # a refused request changes nothing
        assert Person.get_by_id(world["bea"]).city == "Aachen"


def test_hidden_ids_answer_404_everywhere(client, world):
    hidden = world["geheim"]
    for path in (
        f"/contacts/{hidden}",
        f"/contacts/{hidden}/history",
        f"/contacts/{hidden}/row",
        f"/contacts/{hidden}/row/edit",
        "/contacts/999999",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Geheimnis" not in response.get_data(as_text=True)
    assert _post(client, "/contacts/bulk", {"action": "block", "ids": [hidden]}).status_code == 404
    assert _post(client, f"/contacts/{hidden}/block", {}).status_code == 404
    assert _post(client, f"/contacts/{hidden}/row", {"city": "X"}).status_code == 404


def test_bulk_tag_untag_block(app, client, world):
    ids = [world["anna"], world["karl"]]
    response = _post(
        client,
        "/contacts/bulk",
        {"action": "tag", "ids": ids, "topic": "Klimapolitik", "back": "q=m&sort=city&evil=1"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/contacts/?q=m&sort=city"
    html = client.get("/contacts/?q=klimapolitik").get_data(as_text=True)
    assert sorted(_names(html)) == ["Müller", "Strauß"]
    _post(
        client,
        "/contacts/bulk",
        {"action": "untag", "ids": [world["karl"]], "topic": "klimapolitik"},
    )
    assert _names(client.get("/contacts/?q=klimapolitik").get_data(as_text=True)) == ["Müller"]
    _post(client, "/contacts/bulk", {"action": "block", "ids": ids, "reason": "Wunsch"})
    html = client.get("/contacts/?blocked=yes").get_data(as_text=True)
    assert sorted(_names(html)) == ["Müller", "Strauß"] and "blocked" in html
    with app.app_context():
        actions = [
            e.action for e in AuditEntry.select().where(AuditEntry.target_id == world["karl"])
        ]
    assert {"person.tag", "person.untag", "person.block"} <= set(actions)
    # no topic, no selection, no action: a message, nothing changed
    response = _post(client, "/contacts/bulk", {"action": "tag", "ids": ids, "topic": " "})
    assert response.status_code == 302
    assert "Please name the topic." in client.get("/contacts/").get_data(as_text=True)


def test_select_all_on_the_page(app, client, world):
    page_ids = [world["anna"], world["juergen"]]
    _post(client, "/contacts/bulk", {"action": "block", "select_all": "1", "page_ids": page_ids})
    with app.app_context():
        assert {p.id for p in Person.select().where(Person.blocked == True)} == set(page_ids)  # noqa: E712


def test_delete_asks_first(app, client, world):
    ids = [world["anna"], world["karl"]]
    response = _post(client, "/contacts/bulk", {"action": "delete", "ids": ids})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "These 2 contacts will be deleted" in html and "Anna Müller" in html
    with app.app_context():
        assert Person.select().where(Person.id.in_(ids)).count() == 2
    response = _post(client, "/contacts/bulk", {"action": "delete", "ids": ids, "confirmed": "yes"})
    assert response.status_code == 302
    with app.app_context():
        assert Person.select().where(Person.id.in_(ids)).count() == 0
        assert AuditEntry.select().where(AuditEntry.action == "person.delete").count() == 2
    assert _names(client.get("/contacts/").get_data(as_text=True)) == ["Brandt", "Mueller"]
    assert _names(client.get("/contacts/?q=m%C3%BCller").get_data(as_text=True)) == ["Mueller"]


def test_detail_tabs_edit_and_history(app, client, world):
    anna = world["anna"]
    html = client.get(f"/contacts/{anna}").get_data(as_text=True)
    assert "Anna Müller" in html and "Süddeutsche Zeitung" in html and "Energie" in html
    assert "anna.mueller@sz.example" in html and 'aria-current="page">Data' in html
    response = _post(
        client,
        f"/contacts/{anna}",
        {
            "first_name": "Anna",
            "last_name": "Müller",
            "position": "Ressortleiterin",
            "language": "de",
            "email": "anna@neu.example",
        },
    )
    assert response.status_code == 302
    history = client.get(f"/contacts/{anna}/history").get_data(as_text=True)
    assert 'aria-current="page">History' in history
    assert "Changed" in history and "Redakteurin → Ressortleiterin" in history
    assert "anna.mueller@sz.example → anna@neu.example" in history
    _post(client, f"/contacts/{anna}/block", {"reason": "DSGVO-Widerspruch"})
    history = client.get(f"/contacts/{anna}/history").get_data(as_text=True)
    assert "Blocked" in history and "DSGVO-Widerspruch" in history
    assert history.index("Blocked") < history.index("Redakteurin → Ressortleiterin")  # newest first
    assert "Created" in history and "entered by hand" in history
    assert "Unblock" in client.get(f"/contacts/{anna}").get_data(as_text=True)
    _post(client, f"/contacts/{anna}/unblock", {})
    assert "Unblocked" in client.get(f"/contacts/{anna}/history").get_data(as_text=True)


def test_detail_edit_bad_input_answers_422(client, world):
    anna = world["anna"]
    for data, message in [
        ({"last_name": "Müller", "email": "not-an-address"}, "This is not a valid e-mail address."),
        ({"last_name": ""}, "A last name is needed."),
        ({"last_name": "Müller", "city": "x" * 121}, "At most 120 characters, please."),
        ({"last_name": "Müller", "country": "D1"}, "A country is a two-letter code"),
    ]:
        response = _post(client, f"/contacts/{anna}", data)
        assert response.status_code == 422, data
        assert message in response.get_data(as_text=True)


def test_new_person_form(app, client, world):
    html = client.get("/contacts/new").get_data(as_text=True)
    assert "Alpha AG" in html and "Beta AG" not in html and "Gamma AG" not in html
    response = _post(
        client,
        "/contacts/new",
        {
            "client_id": world["alpha"].id,
            "first_name": "Zoë",
            "last_name": "Öztürk",
            "email": "ZOE@Example.ORG",
            "language": "de",
            "country": "de",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        person = Person.get(Person.last_name == "Öztürk")
        assert person.country == "DE" and person.origin == "manual"
        assert [e.address for e in person.emails] == ["zoe@example.org"]
        entry = AuditEntry.get(
            AuditEntry.action == "person.create", AuditEntry.target_id == person.id
        )
        assert '"origin": "manual"' in entry.details
    assert _names(client.get("/contacts/?q=ozturk").get_data(as_text=True)) == ["Öztürk"]
    response = _post(
        client, "/contacts/new", {"client_id": world["alpha"].id, "last_name": "", "email": "x@"}
    )
    assert response.status_code == 422
    assert (
        _post(
            client, "/contacts/new", {"client_id": world["beta"].id, "last_name": "B"}
        ).status_code
        == 403
    )
    assert (
        _post(
            client, "/contacts/new", {"client_id": world["gamma"].id, "last_name": "G"}
        ).status_code
        == 404
    )


def test_inline_edit(app, client, world):
    anna = world["anna"]
    hx = {"HX-Request": "true"}
    edit = client.get(f"/contacts/{anna}/row/edit", headers=hx).get_data(as_text=True)
    assert edit.lstrip().startswith("<tr") and 'name="city"' in edit and "München" in edit
    token = csrf_token(client, "/contacts/")
    response = client.post(
        f"/contacts/{anna}/row",
        headers={**hx, "X-CSRFToken": token},
        data={
            "position": "Chefin vom Dienst",
            "city": "Köln",
            "email": "anna@koeln.example",
            "phone": "+49 221 1234",
        },
    )
    assert response.status_code == 200
    row = response.get_data(as_text=True)
    assert "Köln" in row and "anna@koeln.example" in row and 'name="city"' not in row
    assert "+49 221 1234" in row
    response = client.post(
        f"/contacts/{anna}/row",
        headers={**hx, "X-CSRFToken": token},
        data={"city": "Bonn", "email": "kaputt@"},
    )
    assert response.status_code == 422
    row = response.get_data(as_text=True)
    assert "This is not a valid e-mail address." in row and 'value="kaputt@"' in row
    with app.app_context():
        assert Person.get_by_id(anna).city == "Köln"  # nothing saved


def test_html_is_rendered_escaped(app, client, world):
    anna = world["anna"]
    evil = '<script>alert("x")</script>'
    _post(client, f"/contacts/{anna}", {"last_name": evil, "city": "<b>fett</b>", "notes": evil})
    for path in (
        "/contacts/",
        f"/contacts/{anna}",
        f"/contacts/{anna}/history",
        "/contacts/?q=alert",
    ):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "<b>fett" not in html, path
        assert "&lt;script&gt;" in html or "&lt;b&gt;" in html, path


def test_topic_lists_follow_their_topics(app, client, world):
    """The topic filter's options and the bulk form's names are kept per process by their
    values (app/fragments.py): a renamed topic shows at once, escaped, and the chosen
    topic stays marked."""
    client.get("/contacts/")
    with app.app_context():
        topic = Topic.get(Topic.name == "Energie")
        Topic.update(name="<i>Strom</i>").where(Topic.id == topic.id).execute()
    html = client.get("/contacts/").get_data(as_text=True)
    assert "Energie" not in html and "<i>Strom" not in html
    assert html.count("&lt;i&gt;Strom&lt;/i&gt;") >= 2  # the filter's option and the datalist
    html = client.get(f"/contacts/?topic={topic.id}").get_data(as_text=True)
    assert f'<option value="{topic.id}" selected>&lt;i&gt;Strom&lt;/i&gt;</option>' in html


def test_german_screen(client, world):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    html = client.get("/contacts/").get_data(as_text=True)
    assert "Kontakte" in html and "Medium" in html


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York"])
@pytest.mark.parametrize("lang", ["de", "en"])
def test_the_list_formats_dates_as_format_datetime_does(app, lang, zone):
    """The rows' dates come from listing.datetime_formatter, which looks the locale, the
    time zone and the patterns up once per page: the same text as format_datetime, in
    winter and summer time and around the changes."""
    import datetime

    from flask_babel import format_datetime

    from app.contacts.listing import datetime_formatter

    values = [
        datetime.datetime(2026, 1, 15, 23, 30),
        datetime.datetime(2026, 3, 29, 0, 59, 59),
        datetime.datetime(2026, 3, 29, 1, 0),
        datetime.datetime(2026, 7, 1, 12, 5, 9),
        datetime.datetime(2026, 10, 25, 0, 30),
        datetime.datetime(2026, 10, 25, 1, 30),
        datetime.datetime(2026, 12, 31, 23, 59),
    ]
    # every hour (am/pm, 12 and 0), minute and second, on every weekday and month: the
    # text of each field is kept per part, so each part must give babel's text
    values += [
        datetime.datetime(2026, 1 + n % 12, 1 + n % 28, n % 24, n % 60, (7 * n) % 60)
        for n in range(200)
    ]
    app.extensions["babel"].default_timezone = zone
    with app.test_request_context("/contacts/", headers={"Accept-Language": lang}):
        for format in ("short", "medium", "long", "full"):
            formatted = datetime_formatter(format)
            assert [formatted(v) for v in values] == [format_datetime(v, format) for v in values]
