"""No N+1 queries: the contacts list and a person's pages run a fixed number of SQL
statements, however many rows, addresses, outlets, topics or history entries they show."""

import pytest

from app.contacts.models import Person, PersonEmail, PersonOutlet, PersonPhone, PersonTopic, Topic
from app.contacts.services import create_person, tag_persons, update_person
from app.extensions import db
from app.outlets.models import Outlet
from tests import factories
from tests.queries import counted_queries


@pytest.fixture
def setup(app, client, login_as):
    """55 persons of one client, each with an address, a number, an outlet and a topic;
    a signed-in user with full access."""
    user = login_as("user")
    with app.app_context():
        alpha = factories.new_client("Alpha AG")
        factories.grant(user, alpha, "full")
        outlets = [Outlet.create(client=alpha, name=f"Blatt {n}", kind="daily") for n in range(5)]
        topics = [Topic.create(client=alpha, name=f"Thema {n}") for n in range(5)]
        with db.atomic():
            for n in range(55):
                person = Person.create(client=alpha, first_name="Eva", last_name=f"Zahl{n:02d}")
                PersonEmail.create(person=person, address=f"p{n}@x.example", is_primary=True)
                PersonPhone.create(person=person, number=f"+49 30 {n}", is_primary=True)
                PersonOutlet.create(person=person, outlet=outlets[n % 5])
                PersonTopic.create(person=person, topic=topics[n % 5])
    client.get("/contacts/")  # warm: the session and the user are loaded once
    return {"user": user, "client": alpha, "outlets": outlets, "topics": topics}


def _count(client, url) -> int:
    """The statements of a request whose count is kept already (the first request of a
    filter counts the persons once, tests/contacts/test_counts.py); the fewer of two, as
    a request may also refresh what is kept for seconds (the operator notices)."""
    client.get(url)
    counts = []
    for _ in range(2):
        with counted_queries() as queries:
            response = client.get(url)
        assert response.status_code == 200, url
        counts.append(len(queries))
    return min(counts)


@pytest.mark.parametrize(
    "params",
    ["", "&q=eva", "&q=eva&country=DE&kind=daily&topic={topic}", "&sort=city&dir=desc"],
)
def test_the_list_runs_as_many_queries_for_5_rows_as_for_50(client, setup, params):
    params = params.format(topic=setup["topics"][0].id)
    # page 2 shows 5 rows (55 in all), page 1 shows 50; with the topic filter 11 and 11
    small = _count(client, f"/contacts/?page=2{params}")
    large = _count(client, f"/contacts/?page=1{params}")
    assert small == large, (small, large)
    assert large <= 20


def test_the_list_partial_runs_as_many_queries(client, setup):
    client.environ_base["HTTP_HX_REQUEST"] = "true"
    small = _count(client, "/contacts/?page=2")
    large = _count(client, "/contacts/?page=1")
    assert small == large


@pytest.mark.parametrize("page", ["", "/history"])
def test_a_person_page_runs_as_many_queries_for_one_link_as_for_five(app, client, setup, page):
    user, alpha = setup["user"], setup["client"]
    with app.app_context():
        one = create_person(
            user,
            alpha,
            first_name="Ein",
            last_name="Fach",
            emails=["ein@x.example"],
            phone="+49 1",
            outlet_ids=[setup["outlets"][0].id],
            topic_names=["Thema 0"],
        )
        many = create_person(
            user,
            alpha,
            first_name="Viel",
            last_name="Fach",
            emails=[f"viel{n}@x.example" for n in range(5)],
            phone="+49 2",
            outlet_ids=[o.id for o in setup["outlets"]],
            topic_names=[t.name for t in setup["topics"]],
        )
        for n in range(4):
            PersonPhone.create(person=many, number=f"+49 3 {n}")
            update_person(user, many, city=f"Stadt {n}")  # four more history entries
        tag_persons(user, [many.id], "Noch ein Thema")
    assert _count(client, f"/contacts/{one.id}{page}") == _count(
        client, f"/contacts/{many.id}{page}"
    )
    html = client.get(f"/contacts/{many.id}{page}").get_data(as_text=True)
    if page:
        assert html.count("Stadt 3") == 1 and "Noch ein Thema" in html
    else:
        assert all(f"Blatt {n}" in html and f"Thema {n}" in html for n in range(5))
        assert all(f"viel{n}@x.example" in html for n in range(5))
