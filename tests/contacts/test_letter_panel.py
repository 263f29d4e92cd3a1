"""The letter panel on a person's page (SPEC C6) through real requests: both letter heads,
the person's language first, exactly the text the Copy button copies, the outlet's address
as fallback, the sender's country from the settings, and user data always escaped."""

import html
import re

import pytest

from app.contacts.models import PersonOutlet
from app.contacts.services import create_person
from app.outlets.models import Outlet
from app.settings.services import set_value
from tests import factories


@pytest.fixture
def alpha(app, login_as):
    """A signed-in user with full access on one client; returns (user, client)."""
    user = login_as("user")
    with app.app_context():
        client = factories.new_client("Alpha AG")
        factories.grant(user, client, "full")
    return user, client


def _letters(page: str) -> dict:
    """{language: copied text} of the panel, in the order shown."""
    found = re.findall(r'<pre class="letter-text" id="letter-(\w+)"[^>]*>(.*?)</pre>', page, re.S)
    return {lang: html.unescape(text) for lang, text in found}


def test_panel_shows_both_letter_heads_with_their_copy_buttons(app, client, alpha):
    user, owner = alpha
    with app.app_context():
        person = create_person(
            user,
            owner,
            gender="female",
            title="Prof. Dr.",
            first_name="Anna",
            last_name="Schmidt-Weiß",
            street="Unter den Linden 1",
            postcode="10117",
            city="Berlin",
            country="DE",
        )
    page = client.get(f"/contacts/{person.id}").get_data(as_text=True)
    assert _letters(page) == {
        "de": "Frau\nProf. Dr. Anna Schmidt-Weiß\nUnter den Linden 1\n10117 Berlin\n\n"
        "Sehr geehrte Frau Professorin Schmidt-Weiß,",
        "en": "Professor Anna Schmidt-Weiß\nUnter den Linden 1\n10117 Berlin\n\n"
        "Dear Professor Schmidt-Weiß,",
    }
    assert list(_letters(page)) == ["de", "en"]  # the person's language first
    for lang in ("de", "en"):
        button = re.search(rf'<button[^>]*data-copy-from="letter-{lang}"[^>]*>', page).group(0)
        assert 'data-copied="Copied"' in button and 'type="button"' in button
    assert "js/clipboard.js" in page
    # the data tab only: the history tab has no letter panel
    assert "letter-text" not in client.get(f"/contacts/{person.id}/history").get_data(as_text=True)


def test_english_speaking_person_gets_the_english_letter_first(app, client, alpha):
    user, owner = alpha
    with app.app_context():
        person = create_person(
            user, owner, gender="male", first_name="James", last_name="Smith", language="en"
        )
    page = client.get(f"/contacts/{person.id}").get_data(as_text=True)
    assert _letters(page) == {
        "en": "Mr James Smith\n\nDear Mr Smith,",
        "de": "Herrn\nJames Smith\n\nSehr geehrter Herr Smith,",
    }
    assert list(_letters(page)) == ["en", "de"]


def test_panel_addresses_the_editorial_office_and_follows_the_sender_country(app, client, alpha):
    user, owner = alpha
    with app.app_context():
        orf = Outlet.create(
            client=owner,
            name="ORF",
            street="Hugo-Portisch-Gasse 1",
            postcode="1136",
            city="Wien",
            country="AT",
        )
        person = create_person(
            user,
            owner,
            gender="female",
            title="Mag.",
            first_name="Eva",
            last_name="Huber",
            country="AT",
            outlet_ids=[orf.id],
        )
        PersonOutlet.update(department="Innenpolitik").where(
            PersonOutlet.person == person.id
        ).execute()
    page = client.get(f"/contacts/{person.id}").get_data(as_text=True)
    assert _letters(page)["de"] == (
        "ORF\nFrau Mag. Eva Huber\nInnenpolitik\nHugo-Portisch-Gasse 1\n1136 Wien\nÖSTERREICH\n\n"
        "Sehr geehrte Frau Mag. Huber,"
    )
    assert _letters(page)["en"] == (
        "ORF\nMs Eva Huber\nInnenpolitik\nHugo-Portisch-Gasse 1\n1136 Wien\nAUSTRIA\n\n"
        "Dear Ms Huber,"
    )
    # an Austrian organisation writes to Vienna without a country line
    with app.app_context():
        set_value("organisation_country", "AT")
    page = client.get(f"/contacts/{person.id}").get_data(as_text=True)
    assert "ÖSTERREICH" not in page and "AUSTRIA" not in page
    assert _letters(page)["de"].endswith("1136 Wien\n\nSehr geehrte Frau Mag. Huber,")


def test_a_reader_sees_the_panel_too(app, client, login_as):
    reader = login_as("user")
    with app.app_context():
        owner = factories.new_client("Beta AG")
        factories.grant(reader, owner, "read")
        writer, _ = factories.user()
        factories.grant(writer, owner, "full")
        person = create_person(writer, owner, gender="male", first_name="Jörg", last_name="Groß")
    page = client.get(f"/contacts/{person.id}").get_data(as_text=True)
    assert _letters(page)["de"] == "Herrn\nJörg Groß\n\nSehr geehrter Herr Groß,"


def test_user_data_in_the_panel_is_escaped(app, client, alpha):
    user, owner = alpha
    with app.app_context():
        outlet = Outlet.create(
            client=owner, name="<b>Bild</b>", street='"><img src=x>', postcode="1", city="&amp;"
        )
        person = create_person(
            user,
            owner,
            gender="female",
            title="<i>Dr.</i>",
            first_name="<svg onload=alert(1)>",
            last_name="<script>x</script>",
            outlet_ids=[outlet.id],
        )
    page = client.get(f"/contacts/{person.id}").get_data(as_text=True)
    for raw in ("<script>x</script>", "<b>Bild</b>", "<img src=x>", "<svg onload", "<i>Dr.</i>"):
        assert raw not in page, raw
    assert "&lt;script&gt;x&lt;/script&gt;" in page
    # what is copied is the text as entered, not markup and not double-escaped
    assert _letters(page)["de"] == (
        '<b>Bild</b>\nFrau <i>Dr.</i> <svg onload=alert(1)> <script>x</script>\n"><img src=x>\n'
        "1 &amp;\n\nSehr geehrte Frau Dr. <script>x</script>,"
    )
