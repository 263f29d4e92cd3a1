"""A person's outlets on the person's page (SPEC C1, C2): the section, the outlet picker,
linking and unlinking through htmx and without it, and the refusals."""

import re

from app.audit.models import AuditEntry
from app.contacts.models import Person, PersonOutlet
from tests.conftest import csrf_token

HX = {"HX-Request": "true"}


def _post(client, path, data, headers=None):
    token = csrf_token(client, "/outlets/")
    return client.post(path, data={**data, "csrf_token": token}, headers=headers or {})


def _linked(app, person_id):
    with app.app_context():
        return sorted(
            link.outlet.name
            for link in PersonOutlet.select().where(PersonOutlet.person == person_id)
        )


def _contacts(client, q):
    html = client.get("/contacts/", query_string={"q": q}).get_data(as_text=True)
    return re.findall(r'<a href="/contacts/\d+">([^<,]+)', html)


def test_the_person_page_shows_the_section(client, world):
    html = client.get(f"/contacts/{world['anna']}").get_data(as_text=True)
    section = html.split('id="person-outlets"')[1].split("</section>")[0]
    assert f'href="/outlets/{world["sz"]}"' in section and "Redakteurin" in section
    assert "Politik" in section and 'id="pick-outlet"' in section
    assert f'hx-get="/outlets/pick/{world["anna"]}"' in section


def test_the_picker_offers_outlets_of_the_persons_client_only(client, world):
    anna = world["anna"]
    html = client.get(f"/outlets/pick/{anna}?q=wien", headers=HX).get_data(as_text=True)
    assert f'value="{world["radio"]}"' in html and "Radio Wien" in html and "<html" not in html
    for q in ("bote", "kurier", "geheim"):  # Beta (read), Delta (full), Gamma (hidden)
        html = client.get(f"/outlets/pick/{anna}?q={q}", headers=HX).get_data(as_text=True)
        assert 'name="outlet_id"' not in html, q
        assert "No outlet of this contact" in html
    assert client.get(f"/outlets/pick/{anna}").get_data(as_text=True).strip() == ""
    # at most ten
    from app.outlets import services

    with client.application.app_context():
        writer = world["writer"]
        for n in range(12):
            services.create_outlet(writer, world["alpha"], name=f"Stadtblatt {n}")
    html = client.get(f"/outlets/pick/{anna}?q=stadtblatt", headers=HX).get_data(as_text=True)
    assert html.count('name="outlet_id"') == 10


def test_link_and_unlink_with_htmx(app, client, world):
    anna = world["anna"]
    response = _post(
        client,
        "/outlets/links",
        {
            "from": "person",
            "person_id": anna,
            "outlet_id": world["radio"],
            "position": "Korrespondentin",
            "department": "Kultur",
        },
        headers=HX,
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="person-outlets"')
    assert "Radio Wien" in html and "Korrespondentin" in html and "Kultur" in html
    assert _linked(app, anna) == ["Radio Wien", "Süddeutsche Zeitung"]
    assert _contacts(client, "radio wien") == ["Müller"]  # the search text knows the outlet
    with app.app_context():
        link = PersonOutlet.get(
            (PersonOutlet.person == anna) & (PersonOutlet.outlet == world["radio"])
        )
        entry = (
            AuditEntry.select()
            .where(AuditEntry.action == "outlet.link")
            .order_by(AuditEntry.seq.desc())
            .get()
        )
        assert (entry.target_type, entry.target_id) == ("outlet", world["radio"])
        assert f'"person_id": {anna}' in entry.details and "Korrespondentin" in entry.details
    response = _post(client, f"/outlets/links/{link.id}/delete", {"from": "person"}, headers=HX)
    assert response.status_code == 200
    assert "Radio Wien" not in response.get_data(as_text=True)
    assert _linked(app, anna) == ["Süddeutsche Zeitung"]
    assert _contacts(client, "radio wien") == []
    with app.app_context():
        assert Person.get_by_id(anna).last_name == "Müller"


def test_link_without_htmx_redirects_to_the_person(app, client, world):
    anna = world["anna"]
    # typed, not chosen: the only match is taken
    response = _post(
        client, "/outlets/links", {"from": "person", "person_id": anna, "q": "müllerei"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/contacts/{anna}"
    assert _linked(app, anna) == ["Fachblatt Müllerei", "Süddeutsche Zeitung"]
    # nothing chosen and no match: a message on the person's page
    response = _post(client, "/outlets/links", {"from": "person", "person_id": anna, "q": "zzz"})
    assert response.status_code == 302
    assert "Please choose an outlet." in client.get(f"/contacts/{anna}").get_data(as_text=True)
    with app.app_context():
        link = PersonOutlet.get(
            (PersonOutlet.person == anna) & (PersonOutlet.outlet == world["fach"])
        )
    response = _post(client, f"/outlets/links/{link.id}/delete", {"from": "person"})
    assert response.status_code == 302 and response.headers["Location"] == f"/contacts/{anna}"
    html = client.get(f"/contacts/{anna}").get_data(as_text=True)
    assert "The contact no longer works for this outlet." in html
    assert _linked(app, anna) == ["Süddeutsche Zeitung"]


def test_refusals_on_the_person_page(app, client, world):
    anna = world["anna"]
    # an outlet of another client the user may write to: refused with a message
    response = _post(
        client,
        "/outlets/links",
        {"from": "person", "person_id": anna, "outlet_id": world["delta_outlet"]},
        headers=HX,
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Only contacts of the outlet&#39;s own client can work for it." in html
    assert 'aria-invalid="true"' in html
    response = _post(
        client,
        "/outlets/links",
        {"from": "person", "person_id": anna, "position": "x" * 121, "outlet_id": world["radio"]},
        headers=HX,
    )
    assert response.status_code == 422
    assert "At most 120 characters, please." in response.get_data(as_text=True)
    response = _post(client, "/outlets/links", {"from": "person", "person_id": anna}, headers=HX)
    assert response.status_code == 422
    assert "Please choose an outlet." in response.get_data(as_text=True)
    # a read-only outlet 403, a hidden one 404
    data = {"from": "person", "person_id": anna}
    assert _post(client, "/outlets/links", data | {"outlet_id": world["bote"]}).status_code == 403
    assert _post(client, "/outlets/links", data | {"outlet_id": world["geheim"]}).status_code == 404
    assert _linked(app, anna) == ["Süddeutsche Zeitung"]


def test_read_only_person_has_no_form(client, world):
    html = client.get(f"/contacts/{world['bea']}").get_data(as_text=True)
    section = html.split('id="person-outlets"')[1].split("</section>")[0]
    assert "Beta Bote" in section and "Chefin" in section
    assert "pick-outlet" not in section and "<form" not in section
    assert client.get(f"/outlets/pick/{world['bea']}?q=b").status_code == 403


def test_german_person_page(client, world):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    html = client.get(f"/contacts/{world['anna']}").get_data(as_text=True)
    assert '<html lang="de">' in html and 'id="person-outlets"' in html
    assert "Tageszeitung" in html  # the outlet's type, translated
