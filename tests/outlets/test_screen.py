"""The outlets screen and an outlet's page through real requests (SPEC C2, C3, C4, C5):
list, search, filters, sorting, paging, partials, the data, departments, journalists and
history tabs, topics, deleting, bad input and the rights of read-only and hidden clients."""

import logging
import re

import pytest

from app.audit.models import AuditEntry
from app.contacts.models import OutletTopic, Person, PersonOutlet, Topic
from app.extensions import db
from app.outlets.models import Outlet, OutletDepartment
from tests.conftest import csrf_token


def _names(html):
    return re.findall(r'<td><a href="/outlets/\d+">([^<]+)</a></td>', html)


def _post(client, path, data, **kwargs):
    token = csrf_token(client, "/outlets/")
    return client.post(path, data={**data, "csrf_token": token}, **kwargs)


def _actions(app, outlet_id):
    with app.app_context():
        return [
            e.action
            for e in AuditEntry.select()
            .where((AuditEntry.target_type == "outlet") & (AuditEntry.target_id == outlet_id))
            .order_by(AuditEntry.seq)
        ]


ALL_VISIBLE = [
    "Beta Bote",
    "Delta Kurier",
    "Fachblatt Müllerei",
    "Radio Wien",
    "Süddeutsche Zeitung",
]


# --- the list -----------------------------------------------------------------------------


def test_list_shows_visible_clients_only(client, world):
    html = client.get("/outlets/").get_data(as_text=True)
    assert _names(html) == ALL_VISIBLE
    assert "Geheimblatt" not in html and "Gamma AG" not in html
    assert "5 outlets" in html
    assert 'href="/outlets/"' in html and 'aria-current="page">Media' in html  # navigation
    assert "300,000" in html and "1,200,000" in html and "Daily newspaper" in html
    assert "Energie" in html


@pytest.mark.parametrize(
    "query, names",
    [
        ("muenchen", ["Süddeutsche Zeitung"]),  # city, transliterated
        ("munchen", ["Süddeutsche Zeitung"]),
        ("bayern", ["Süddeutsche Zeitung"]),  # region
        ("politik", ["Süddeutsche Zeitung"]),  # department
        ("energ", ["Süddeutsche Zeitung"]),  # topic, as a prefix
        ("müllerei", ["Fachblatt Müllerei"]),
        ("muellerei fach", ["Fachblatt Müllerei"]),
        ("wien radio", ["Radio Wien"]),
        ("geheim", []),
        ("zürich", []),
        ("\"'*:&|()", ALL_VISIBLE),  # no words: no search, nothing breaks
    ],
)
def test_search_as_you_type(client, world, query, names):
    response = client.get("/outlets/", query_string={"q": query})
    assert response.status_code == 200
    assert sorted(_names(response.get_data(as_text=True))) == names


def test_htmx_gets_the_table_and_a_page_gets_everything(client, world):
    full = client.get("/outlets/?q=wien").get_data(as_text=True)
    part = client.get("/outlets/?q=wien&kind=&page=", headers={"HX-Request": "true"})
    assert "<html" in full and 'id="outlet-q"' in full
    assert 'hx-trigger="input changed delay:250ms, search"' in full
    assert part.headers["HX-Push-Url"] == "/outlets/?q=wien"
    html = part.get_data(as_text=True)
    assert "<html" not in html and html.lstrip().startswith('<div id="outlet-results">')
    assert _names(html) == ["Radio Wien"]


@pytest.mark.parametrize(
    "query, names",
    [
        ("kind=radio", ["Radio Wien"]),
        ("kind=trade", ["Fachblatt Müllerei"]),
        ("country=at", ["Radio Wien"]),
        ("country=CH", []),
        (
            "kind=spaceship&country=12&topic=abc&sort=evil&dir=up&page=-3",
            ALL_VISIBLE,
        ),
        ("topic=999999", ALL_VISIBLE),
    ],
)
def test_filters_and_unknown_values(client, world, query, names):
    response = client.get(f"/outlets/?{query}")
    assert response.status_code == 200
    assert sorted(_names(response.get_data(as_text=True))) == names


def test_topic_filter_and_countries_in_use(app, client, world):
    with app.app_context():
        topic = Topic.get(Topic.name == "Energie")
    html = client.get(f"/outlets/?topic={topic.id}").get_data(as_text=True)
    assert _names(html) == ["Süddeutsche Zeitung"]
    # the country filter offers the countries of the visible outlets, by name
    assert '<option value="AT">Austria</option>' in html
    assert '<option value="CH">' not in html  # only the hidden outlet is Swiss


def test_sorting(client, world):
    def names(query):
        return _names(client.get(f"/outlets/?{query}").get_data(as_text=True))

    assert names("") == ALL_VISIBLE
    assert names("sort=name&dir=desc") == list(reversed(ALL_VISIBLE))
    # Aachen, Bonn, Köln, München, Wien
    assert names("sort=city") == [
        "Beta Bote",
        "Delta Kurier",
        "Fachblatt Müllerei",
        "Süddeutsche Zeitung",
        "Radio Wien",
    ]
    # outlets without a figure come last in both directions
    assert names("sort=circulation")[:2] == ["Fachblatt Müllerei", "Süddeutsche Zeitung"]
    assert names("sort=circulation&dir=desc")[:2] == ["Süddeutsche Zeitung", "Fachblatt Müllerei"]
    assert names("sort=reach&dir=desc")[:2] == ["Süddeutsche Zeitung", "Radio Wien"]
    assert names("sort=journalists&dir=desc")[:2] == ["Beta Bote", "Süddeutsche Zeitung"]
    assert names("sort=journalists")[-2:] == ["Beta Bote", "Süddeutsche Zeitung"]
    # by the type's label: Daily newspaper, Radio, Trade press, Weekly newspaper
    assert names("sort=kind") == [
        "Delta Kurier",
        "Süddeutsche Zeitung",
        "Radio Wien",
        "Fachblatt Müllerei",
        "Beta Bote",
    ]


def test_sorting_by_type_follows_the_language(client, world):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    names = _names(client.get("/outlets/?sort=kind").get_data(as_text=True))
    # Fachpresse, Radio, Tageszeitung (2), Wochenzeitung
    assert names[0] == "Fachblatt Müllerei" and names[-1] == "Beta Bote"


@pytest.fixture
def many(app, world):
    """120 more outlets in Alpha (3 pages of 50 with the others)."""
    with app.app_context(), db.atomic():
        for n in range(120):
            Outlet.create(client=world["alpha"], name=f"Zett {n:03d}", kind="online")
    return world


def test_paging_total_and_past_the_end(client, many):
    first = client.get("/outlets/").get_data(as_text=True)
    assert "125 outlets" in first and "page 1 of 3" in first
    assert len(_names(first)) == 50
    last = client.get("/outlets/?page=99").get_data(as_text=True)
    assert "page 3 of 3" in last
    assert len(_names(last)) == 25 and _names(last)[-1] == "Zett 119"
    assert "page=3" in client.get("/outlets/?page=2").get_data(as_text=True)


def test_outlets_written_around_the_services_are_found(client, many):
    """The demo generator writes outlets in bulk without a search text; the first search
    indexes them."""
    html = client.get("/outlets/?q=zett").get_data(as_text=True)
    assert "120 outlets" in html


def _count_queries(caplog, client, url):
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="peewee"):
        response = client.get(url)
    assert response.status_code == 200
    return len([r for r in caplog.records if r.name == "peewee"])


def test_query_count_does_not_grow_with_the_page(app, client, many, caplog):
    with app.app_context():
        topic = Topic.get(Topic.name == "Energie")
        anna = Person.get_by_id(many["anna"])
        with db.atomic():
            for outlet in Outlet.select().where(Outlet.name.startswith("Zett")):
                OutletTopic.create(outlet=outlet, topic=topic)
                PersonOutlet.create(outlet=outlet, person=anna)
    client.get("/outlets/")  # warm: session, user
    for sort in ("", "&sort=journalists", "&sort=kind"):
        small = _count_queries(caplog, client, f"/outlets/?page=3{sort}")
        large = _count_queries(caplog, client, f"/outlets/?page=1{sort}")
        assert small == large, (sort, small, large)
        assert large < 25


# --- creating and changing an outlet ------------------------------------------------------


def test_new_outlet_form(app, client, world):
    html = client.get("/outlets/new").get_data(as_text=True)
    assert "Alpha AG" in html and "Delta AG" in html
    assert "Beta AG" not in html and "Gamma AG" not in html
    response = _post(
        client,
        "/outlets/new",
        {
            "client_id": world["alpha"].id,
            "name": "Kölner Stadt-Anzeiger",
            "kind": "daily",
            "circulation": "180.000",
            "reach": "1 200 000",
            "region": "Rheinland",
            "language": "de",
            "website": "www.ksta.example",
            "email": "Redaktion@KSTA.example",
            "phone": "+49 221 2240",
            "street": "Neven DuMont Straße 1",
            "postcode": "51149",
            "city": "Köln",
            "country": "de",
            "notes": "Regionalzeitung",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        outlet = Outlet.get(Outlet.name == "Kölner Stadt-Anzeiger")
        assert response.headers["Location"] == f"/outlets/{outlet.id}"
        assert (outlet.circulation, outlet.reach) == (180000, 1200000)
        assert outlet.website == "https://www.ksta.example"
        assert outlet.email == "redaktion@ksta.example"
        assert outlet.country == "DE" and outlet.origin == "manual"
        assert outlet.client_id == world["alpha"].id
        entry = AuditEntry.get(
            AuditEntry.action == "outlet.create", AuditEntry.target_id == outlet.id
        )
        assert '"origin": "manual"' in entry.details and "search_text" not in entry.changes
    assert _names(client.get("/outlets/?q=rheinland").get_data(as_text=True)) == [
        "Kölner Stadt-Anzeiger"
    ]
    page = client.get(f"/outlets/{outlet.id}").get_data(as_text=True)
    assert "entered by hand" in page and "Kölner Stadt-Anzeiger" in page


BAD_INPUT = [
    ({"email": "not-an-address"}, "This is not a valid e-mail address."),
    ({"name": ""}, "Please give the outlet a name."),
    ({"name": "x" * 201}, "At most 200 characters, please."),
    ({"city": "x" * 121}, "At most 120 characters, please."),
    ({"notes": "x" * 10_001}, "At most 10000 characters, please."),
    ({"circulation": "-5"}, "The number cannot be negative."),
    ({"circulation": "viele"}, "Please enter a whole number such as 25000."),
    ({"reach": "1.5"}, "Please enter a whole number such as 25000."),
    ({"reach": "99999999999"}, "That number is too large."),
    ({"kind": "spaceship"}, "Unknown type of medium."),
    ({"country": "XX"}, "Unknown country."),
    ({"country": "Deutschland"}, "Unknown country."),
    ({"language": "xx"}, "Unknown language."),
    ({"website": "javascript:alert(1)"}, "This is not a web address"),
    ({"website": "https://nur-ein-wort"}, "This is not a web address"),
]


@pytest.mark.parametrize("data, message", BAD_INPUT)
def test_new_outlet_bad_input_answers_422(app, client, world, data, message):
    form = {"client_id": world["alpha"].id, "name": "Neu", "kind": "daily", "language": "de"}
    response = _post(client, "/outlets/new", form | data)
    assert response.status_code == 422, data
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert not Outlet.select().where(Outlet.name == "Neu").exists()


@pytest.mark.parametrize("data, message", BAD_INPUT)
def test_edit_bad_input_answers_422(app, client, world, data, message):
    sz = world["sz"]
    form = {"name": "Süddeutsche Zeitung", "kind": "daily", "language": "de", "country": "DE"}
    response = _post(client, f"/outlets/{sz}", form | data)
    assert response.status_code == 422, data
    html = response.get_data(as_text=True)
    assert message in html and 'aria-invalid="true"' in html
    with app.app_context():
        assert Outlet.get_by_id(sz).name == "Süddeutsche Zeitung"  # nothing saved


def test_new_outlet_in_other_clients(client, world):
    form = {"name": "Fremd", "kind": "daily", "language": "de"}
    assert _post(client, "/outlets/new", form | {"client_id": world["beta"].id}).status_code == 403
    assert _post(client, "/outlets/new", form | {"client_id": world["gamma"].id}).status_code == 404
    assert _post(client, "/outlets/new", form | {"client_id": "abc"}).status_code == 404


def test_edit_and_history(app, client, world):
    sz = world["sz"]
    html = client.get(f"/outlets/{sz}").get_data(as_text=True)
    assert 'aria-current="page">Data' in html and 'value="Bayern"' in html
    response = _post(
        client,
        f"/outlets/{sz}",
        {
            "name": "SZ",
            "kind": "daily",
            "circulation": "290000",
            "reach": "1200000",
            "region": "Oberbayern",
            "language": "de",
            "city": "München",
            "country": "DE",
        },
    )
    assert response.status_code == 302
    _post(client, f"/outlets/{sz}/departments", {"name": "Sport"})
    history = client.get(f"/outlets/{sz}/history").get_data(as_text=True)
    assert 'aria-current="page">History' in history
    assert "Süddeutsche Zeitung → SZ" in history and "300000 → 290000" in history
    assert "Bayern → Oberbayern" in history
    assert history.index("Department added") < history.index("Bayern → Oberbayern")  # newest first
    assert "Created" in history and "entered by hand" in history
    assert "search_text" not in history


def test_a_new_name_reaches_the_journalists_search_text(app, client, world):
    def contacts(q):
        html = client.get("/contacts/", query_string={"q": q}).get_data(as_text=True)
        return re.findall(r'<a href="/contacts/\d+">([^<,]+)', html)

    assert contacts("süddeutsche") == ["Müller"]
    _post(
        client,
        f"/outlets/{world['sz']}",
        {"name": "Münchner Merkur", "kind": "daily", "language": "de", "country": "DE"},
    )
    assert contacts("süddeutsche") == []
    assert contacts("merkur") == ["Müller"]


# --- departments --------------------------------------------------------------------------


def _department_id(app, outlet_id, name):
    with app.app_context():
        return OutletDepartment.get(
            (OutletDepartment.outlet == outlet_id) & (OutletDepartment.name == name)
        ).id


def test_departments_add_rename_remove(app, client, world):
    sz = world["sz"]
    html = client.get(f"/outlets/{sz}/departments").get_data(as_text=True)
    assert 'value="Politik"' in html and 'value="Wirtschaft"' in html
    response = _post(client, f"/outlets/{sz}/departments", {"name": "  Feuilleton "})
    assert response.status_code == 302
    for name, message in [
        ("politik", "This outlet has a department called politik already."),
        ("", "Please name the department."),
        ("x" * 121, "At most 120 characters, please."),
    ]:
        response = _post(client, f"/outlets/{sz}/departments", {"name": name})
        assert response.status_code == 422, name
        assert message in response.get_data(as_text=True)
    politik = _department_id(app, sz, "Politik")
    response = _post(client, f"/outlets/{sz}/departments/{politik}", {"name": "Feuilleton"})
    assert response.status_code == 422
    assert "called Feuilleton already" in response.get_data(as_text=True)
    response = _post(client, f"/outlets/{sz}/departments/{politik}", {"name": "Innenpolitik"})
    assert response.status_code == 302
    with app.app_context():
        # Anna worked in "Politik": she moves along with the department
        assert PersonOutlet.get(PersonOutlet.person == world["anna"]).department == "Innenpolitik"
        names = sorted(
            d.name for d in OutletDepartment.select().where(OutletDepartment.outlet == sz)
        )
    assert names == ["Feuilleton", "Innenpolitik", "Wirtschaft"]
    assert _names(client.get("/outlets/?q=innenpolitik").get_data(as_text=True)) == [
        "Süddeutsche Zeitung"
    ]
    wirtschaft = _department_id(app, sz, "Wirtschaft")
    assert _post(client, f"/outlets/{sz}/departments/{wirtschaft}/delete", {}).status_code == 302
    assert _names(client.get("/outlets/?q=wirtschaft").get_data(as_text=True)) == []
    actions = _actions(app, sz)
    for action in ("outlet.department_add", "outlet.department_rename", "outlet.department_remove"):
        assert action in actions
    history = client.get(f"/outlets/{sz}/history").get_data(as_text=True)
    assert "Politik → Innenpolitik" in history and "Department removed: Wirtschaft" in history


def test_departments_of_another_outlet_are_404(app, client, world):
    politik = _department_id(app, world["sz"], "Politik")
    radio = world["radio"]
    assert (
        _post(client, f"/outlets/{radio}/departments/{politik}", {"name": "X"}).status_code == 404
    )
    assert _post(client, f"/outlets/{radio}/departments/{politik}/delete", {}).status_code == 404
    with app.app_context():
        assert OutletDepartment.get_by_id(politik).name == "Politik"


# --- topics -------------------------------------------------------------------------------


def test_topics_add_and_remove(app, client, world):
    radio = world["radio"]
    assert _post(client, f"/outlets/{radio}/topics", {"topic": "energie"}).status_code == 302
    assert _post(client, f"/outlets/{radio}/topics", {"topic": "Klimapolitik"}).status_code == 302
    with app.app_context():
        energie = Topic.get(Topic.name == "Energie")  # the client's topic, not a second one
        assert Topic.select().where(Topic.client == world["alpha"].id).count() == 2
        klima = Topic.get(Topic.name == "Klimapolitik")
        assert klima.client_id == world["alpha"].id
    html = client.get(f"/outlets/{radio}").get_data(as_text=True)
    assert "Klimapolitik" in html and "Energie" in html
    assert _names(client.get("/outlets/?q=klimapolitik").get_data(as_text=True)) == ["Radio Wien"]
    # giving it again changes nothing
    _post(client, f"/outlets/{radio}/topics", {"topic": "Energie"})
    assert _actions(app, radio).count("outlet.tag") == 2
    for topic, message in [
        ("", "Please name the topic."),
        ("x" * 81, "At most 80 characters, please."),
    ]:
        response = _post(client, f"/outlets/{radio}/topics", {"topic": topic})
        assert response.status_code == 422 and message in response.get_data(as_text=True)
    response = _post(client, f"/outlets/{radio}/topics/{klima.id}/delete", {})
    assert response.status_code == 302
    assert _names(client.get("/outlets/?q=klimapolitik").get_data(as_text=True)) == []
    # a topic the outlet does not have
    assert _post(client, f"/outlets/{radio}/topics/{klima.id}/delete", {}).status_code == 404
    assert (
        _post(client, f"/outlets/{world['fach']}/topics/{energie.id}/delete", {}).status_code == 404
    )
    assert "outlet.untag" in _actions(app, radio)


def test_a_topic_goes_to_the_outlets_client(app, client, world):
    """Delta has no topic "Energie": giving it to Delta's outlet creates Delta's own."""
    _post(client, f"/outlets/{world['delta_outlet']}/topics", {"topic": "Energie"})
    with app.app_context():
        clients = sorted(t.client_id for t in Topic.select().where(Topic.name == "Energie"))
    assert clients == sorted([world["alpha"].id, world["delta"].id])


# --- journalists --------------------------------------------------------------------------


def test_journalists_tab_link_and_unlink(app, client, world):
    sz = world["sz"]
    html = client.get(f"/outlets/{sz}/journalists").get_data(as_text=True)
    assert f'href="/contacts/{world["anna"]}"' in html and "Redakteurin" in html
    picker = client.get(f"/outlets/{sz}/persons?q=j", headers={"HX-Request": "true"})
    choices = picker.get_data(as_text=True)
    assert f'value="{world["juergen"]}"' in choices and "Jürgen Jansen" in choices
    for q in ("brandt", "geheimnis"):  # other clients' persons are not offered
        html = client.get(f"/outlets/{sz}/persons?q={q}").get_data(as_text=True)
        assert 'name="person_id"' not in html and "No contact of this outlet" in html
    response = _post(
        client,
        "/outlets/links",
        {
            "outlet_id": sz,
            "person_id": world["juergen"],
            "position": "Volontär",
            "department": "Wirtschaft",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/outlets/{sz}/journalists"
    html = client.get(f"/outlets/{sz}/journalists").get_data(as_text=True)
    assert "Volontär" in html and "Jürgen" in html
    assert 'class="count">2</span>' in html
    # linking again changes position and department
    _post(
        client,
        "/outlets/links",
        {"outlet_id": sz, "person_id": world["juergen"], "position": "Redakteur"},
    )
    with app.app_context():
        link = PersonOutlet.get(PersonOutlet.person == world["juergen"])
        assert (link.position, link.department) == ("Redakteur", "")
    # typed without choosing: the only match is taken
    _post(client, "/outlets/links", {"outlet_id": world["radio"], "q": "jansen"})
    with app.app_context():
        assert PersonOutlet.select().where(PersonOutlet.person == world["juergen"]).count() == 2
    contacts = client.get("/contacts/?q=radio").get_data(as_text=True)
    assert "Jansen" in contacts
    response = _post(client, f"/outlets/links/{link.id}/delete", {"from": "outlet"})
    assert response.status_code == 302
    with app.app_context():
        assert Person.get_by_id(world["juergen"]).last_name == "Jansen"  # the person stays
        assert not PersonOutlet.select().where(PersonOutlet.id == link.id).exists()
    assert "Jansen" not in client.get("/contacts/?q=s%C3%BCddeutsche").get_data(as_text=True)
    actions = _actions(app, sz)
    assert {"outlet.link", "outlet.link_update", "outlet.unlink"} <= set(actions)
    history = client.get(f"/outlets/{sz}/history").get_data(as_text=True)
    assert "Journalist added: Jürgen Jansen" in history and "Volontär → Redakteur" in history


def test_linking_persons_of_other_clients(app, client, world):
    sz = world["sz"]
    # a visible person of another client: refused with a message
    response = _post(client, "/outlets/links", {"outlet_id": sz, "person_id": world["bea"]})
    assert response.status_code == 422
    assert "Only contacts of the outlet&#39;s own client can work for it." in response.get_data(
        as_text=True
    )
    # a hidden person, an unknown one, garbage: 404 without a hint
    for person_id in (world["gerda"], 999999, "abc", ""):
        response = _post(client, "/outlets/links", {"outlet_id": sz, "person_id": person_id})
        if person_id == "":
            assert response.status_code == 422  # nothing chosen
            assert "Please choose a contact." in response.get_data(as_text=True)
        else:
            assert response.status_code == 404, person_id
            assert "Geheimnis" not in response.get_data(as_text=True)
    with app.app_context():
        assert PersonOutlet.select().where(PersonOutlet.outlet == sz).count() == 1


# --- deleting -----------------------------------------------------------------------------


def test_delete_asks_first_and_keeps_the_persons(app, client, world):
    sz = world["sz"]
    html = client.get(f"/outlets/{sz}/delete").get_data(as_text=True)
    assert "will be deleted with its departments and topics" in html
    assert "1 contact works for it" in html
    with app.app_context():
        assert Outlet.select().where(Outlet.id == sz).exists()
    response = _post(client, f"/outlets/{sz}/delete", {})
    assert response.status_code == 302 and response.headers["Location"] == "/outlets/"
    with app.app_context():
        assert not Outlet.select().where(Outlet.id == sz).exists()
        assert not OutletDepartment.select().where(OutletDepartment.outlet == sz).exists()
        assert Person.get_by_id(world["anna"]).search_text.find("sueddeutsche") == -1
        assert not PersonOutlet.select().where(PersonOutlet.person == world["anna"]).exists()
        entry = AuditEntry.get(AuditEntry.action == "outlet.delete", AuditEntry.target_id == sz)
        assert '"linked_persons": 1' in entry.details and "Politik" in entry.details
    assert client.get(f"/outlets/{sz}").status_code == 404
    assert "Müller" in client.get(f"/contacts/{world['anna']}").get_data(as_text=True)


# --- rights and bad ids -------------------------------------------------------------------


def test_read_only_outlets_show_without_forms_and_refuse_changes(app, client, world):
    bote = world["bote"]
    html = client.get(f"/outlets/{bote}").get_data(as_text=True)
    assert "Beta Bote" in html and "Weekly newspaper" in html
    assert "Save changes" not in html and "Delete …" not in html and "Add topic" not in html
    journalists = client.get(f"/outlets/{bote}/journalists").get_data(as_text=True)
    assert "Brandt" in journalists and "Add a journalist" not in journalists
    assert "Add a department" not in client.get(f"/outlets/{bote}/departments").get_data(
        as_text=True
    )
    with app.app_context():
        link = PersonOutlet.get(PersonOutlet.outlet == bote)
        topic = Topic.create(client=world["beta"], name="Beta-Thema")
        OutletTopic.create(outlet=bote, topic=topic)
        department = OutletDepartment.create(outlet=bote, name="Lokales")
    for path, data in [
        (f"/outlets/{bote}", {"name": "X", "kind": "daily", "language": "de"}),
        (f"/outlets/{bote}/delete", {}),
        (f"/outlets/{bote}/topics", {"topic": "Neu"}),
        (f"/outlets/{bote}/topics/{topic.id}/delete", {}),
        (f"/outlets/{bote}/departments", {"name": "Neu"}),
        (f"/outlets/{bote}/departments/{department.id}", {"name": "Neu"}),
        (f"/outlets/{bote}/departments/{department.id}/delete", {}),
        ("/outlets/links", {"outlet_id": bote, "person_id": world["bea"]}),
        (f"/outlets/links/{link.id}/delete", {}),
        ("/outlets/links", {"from": "person", "person_id": world["bea"], "outlet_id": bote}),
    ]:
        assert _post(client, path, data).status_code == 403, path
    for path in (
        f"/outlets/{bote}/delete",
        f"/outlets/{bote}/persons?q=b",
        f"/outlets/pick/{world['bea']}",
    ):
        assert client.get(path).status_code == 403, path
    with app.app_context():
        assert Outlet.get_by_id(bote).name == "Beta Bote"
        assert OutletTopic.select().where(OutletTopic.outlet == bote).count() == 1
        assert OutletDepartment.get_by_id(department.id).name == "Lokales"
        assert PersonOutlet.select().where(PersonOutlet.id == link.id).exists()


def test_hidden_ids_answer_404_everywhere(app, client, world):
    hidden = world["geheim"]
    with app.app_context():
        link = PersonOutlet.get(PersonOutlet.outlet == hidden)
        department = OutletDepartment.create(outlet=hidden, name="Geheimressort")
        topic = Topic.create(client=world["gamma"], name="Geheimthema")
        OutletTopic.create(outlet=hidden, topic=topic)
    for path in (
        f"/outlets/{hidden}",
        f"/outlets/{hidden}/history",
        f"/outlets/{hidden}/departments",
        f"/outlets/{hidden}/journalists",
        f"/outlets/{hidden}/persons?q=g",
        f"/outlets/{hidden}/delete",
        f"/outlets/pick/{world['gerda']}?q=g",
        "/outlets/999999",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Geheim" not in response.get_data(as_text=True)
    for path, data in [
        (f"/outlets/{hidden}", {"name": "X", "kind": "daily", "language": "de"}),
        (f"/outlets/{hidden}/delete", {}),
        (f"/outlets/{hidden}/topics", {"topic": "X"}),
        (f"/outlets/{hidden}/topics/{topic.id}/delete", {}),
        (f"/outlets/{hidden}/departments", {"name": "X"}),
        (f"/outlets/{hidden}/departments/{department.id}", {"name": "X"}),
        (f"/outlets/{hidden}/departments/{department.id}/delete", {}),
        ("/outlets/links", {"outlet_id": hidden, "person_id": world["gerda"]}),
        ("/outlets/links", {"outlet_id": "x' OR 1=1", "person_id": world["anna"]}),
        (f"/outlets/links/{link.id}/delete", {}),
        ("/outlets/links/999999/delete", {}),
        ("/outlets/links", {"from": "person", "person_id": world["gerda"], "outlet_id": hidden}),
        ("/outlets/links", {"from": "person", "person_id": world["anna"], "outlet_id": hidden}),
    ]:
        response = _post(client, path, data)
        assert response.status_code == 404, path
        assert "Geheim" not in response.get_data(as_text=True)
    with app.app_context():
        assert Outlet.get_by_id(hidden).name == "Geheimblatt"
        assert PersonOutlet.select().where(PersonOutlet.id == link.id).exists()
        assert OutletDepartment.get_by_id(department.id).name == "Geheimressort"


def test_html_is_rendered_escaped(app, client, world):
    sz = world["sz"]
    evil = '<script>alert("x")</script>'
    _post(
        client,
        f"/outlets/{sz}",
        {"name": evil, "kind": "daily", "language": "de", "city": "<b>fett</b>", "notes": evil},
    )
    _post(client, f"/outlets/{sz}/departments", {"name": "<i>Ressort</i>"})
    _post(client, f"/outlets/{sz}/topics", {"topic": "<u>Thema</u>"})
    for path in (
        "/outlets/",
        "/outlets/?q=alert",
        f"/outlets/{sz}",
        f"/outlets/{sz}/departments",
        f"/outlets/{sz}/journalists",
        f"/outlets/{sz}/history",
        f"/outlets/{sz}/delete",
        f"/contacts/{world['anna']}",
    ):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "<b>fett" not in html, path
        assert "<i>Ressort" not in html and "<u>Thema" not in html, path
        assert "&lt;" in html, path


@pytest.mark.parametrize(
    "language, list_word, form_word",
    [("en", "Media", "Type of medium"), ("de", "Medien", "Medientyp")],
)
def test_pages_render_in_both_languages(client, world, language, list_word, form_word):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    for path in (
        "/outlets/",
        "/outlets/new",
        f"/outlets/{world['sz']}",
        f"/outlets/{world['sz']}/departments",
        f"/outlets/{world['sz']}/journalists",
        f"/outlets/{world['sz']}/history",
        f"/outlets/{world['sz']}/delete",
        f"/outlets/{world['bote']}",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert f'<html lang="{language}">' in response.get_data(as_text=True), path
    assert f"<h1>{list_word}</h1>" in client.get("/outlets/").get_data(as_text=True)
    assert form_word in client.get("/outlets/new").get_data(as_text=True)
