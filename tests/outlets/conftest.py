"""The outlets tests' world: clients with full, read and no access, outlets and persons."""

import pytest

from app.contacts.services import create_person
from app.outlets import services
from tests import factories


@pytest.fixture
def world(app, client, login_as):
    """A signed-in user with full access on Alpha and Delta, read access on Beta, nothing on
    Gamma; outlets and persons in each."""
    user = login_as("user")
    with app.app_context():
        alpha = factories.new_client("Alpha AG")
        beta = factories.new_client("Beta AG")
        gamma = factories.new_client("Gamma AG")
        delta = factories.new_client("Delta AG")
        factories.grant(user, alpha, "full")
        factories.grant(user, delta, "full")
        factories.grant(user, beta, "read")
        writer, _ = factories.user()
        for c in (alpha, beta, gamma, delta):
            factories.grant(writer, c, "full")
        sz = services.create_outlet(
            writer,
            alpha,
            name="Süddeutsche Zeitung",
            kind="daily",
            city="München",
            region="Bayern",
            circulation=300000,
            reach=1200000,
        )
        services.add_department(writer, sz, "Politik")
        services.add_department(writer, sz, "Wirtschaft")
        services.add_topic(writer, sz, "Energie")
        radio = services.create_outlet(
            writer, alpha, name="Radio Wien", kind="radio", city="Wien", country="AT", reach=500
        )
        fach = services.create_outlet(
            writer, alpha, name="Fachblatt Müllerei", kind="trade", city="Köln", circulation=5000
        )
        bote = services.create_outlet(writer, beta, name="Beta Bote", kind="weekly", city="Aachen")
        geheim = services.create_outlet(writer, gamma, name="Geheimblatt", city="Zürich")
        delta_outlet = services.create_outlet(writer, delta, name="Delta Kurier", city="Bonn")
        anna = create_person(writer, alpha, first_name="Anna", last_name="Müller")
        services.link_person(writer, sz, anna, "Redakteurin", "Politik")
        juergen = create_person(writer, alpha, first_name="Jürgen", last_name="Jansen")
        bea = create_person(writer, beta, first_name="Bea", last_name="Brandt")
        services.link_person(writer, bote, bea, "Chefin", "")
        gerda = create_person(writer, gamma, first_name="Gerda", last_name="Geheimnis")
        services.link_person(writer, geheim, gerda)
    return {
        "user": user,
        "writer": writer,
        "alpha": alpha,
        "beta": beta,
        "gamma": gamma,
        "delta": delta,
        "sz": sz.id,
        "radio": radio.id,
        "fach": fach.id,
        "bote": bote.id,
        "geheim": geheim.id,
        "delta_outlet": delta_outlet.id,
        "anna": anna.id,
        "juergen": juergen.id,
        "bea": bea.id,
        "gerda": gerda.id,
    }
