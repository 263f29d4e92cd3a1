"""Shared data of the contacts tests."""

import pytest

from app.contacts.services import create_person
from app.outlets.models import Outlet
from tests import factories


@pytest.fixture
def world(app, client, login_as):
    """A signed-in user with full access on Alpha, read access on Beta, nothing on Gamma."""
    user = login_as("user")
    with app.app_context():
        alpha = factories.new_client("Alpha AG")
        beta = factories.new_client("Beta AG")
        gamma = factories.new_client("Gamma AG")
        factories.grant(user, alpha, "full")
        factories.grant(user, beta, "read")
        writer, _ = factories.user()
        for c in (alpha, beta, gamma):
            factories.grant(writer, c, "full")
        sz = Outlet.create(client=alpha, name="Süddeutsche Zeitung", kind="daily")
        radio = Outlet.create(client=alpha, name="Radio Wien", kind="radio", country="AT")

        def make(c, first, last, **fields):
            outlets = fields.pop("outlet_ids", [])
            return create_person(
                writer, c, first_name=first, last_name=last, **fields, outlet_ids=outlets
            )

        anna = make(
            alpha,
            "Anna",
            "Müller",
            city="München",
            position="Redakteurin",
            emails=["Anna.Mueller@sz.example"],
            outlet_ids=[sz.id],
            topic_names=["Energie"],
        )
        juergen = make(alpha, "Jürgen", "Mueller", city="Wien", country="AT", outlet_ids=[radio.id])
        karl = make(alpha, "Karl", "Strauß", city="Bern", country="CH", language="en")
        bea = make(beta, "Bea", "Brandt", city="Aachen")
        geheim = make(gamma, "Gerda", "Geheimnis", city="Zürich")
    return {
        "user": user,
        "alpha": alpha,
        "beta": beta,
        "gamma": gamma,
        "anna": anna.id,
        "juergen": juergen.id,
        "karl": karl.id,
        "bea": bea.id,
        "geheim": geheim.id,
    }
