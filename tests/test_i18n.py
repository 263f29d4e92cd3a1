"""German and English: the switch, its memory, and complete catalogues."""

from babel.messages.pofile import read_po

from app import i18n
from app.users.models import User
from tests.conftest import csrf_token


def _switch(client, code, next_path="/login"):
    return client.post(
        "/account/language",
        data={"language": code, "next": next_path, "csrf_token": csrf_token(client, next_path)},
    )


def test_browser_language_decides_before_login(client):
    german = client.get("/login", headers={"Accept-Language": "de-AT,de;q=0.9,en;q=0.5"})
    assert '<html lang="de">' in german.get_data(as_text=True)
    assert "Anmelden" in german.get_data(as_text=True)
    english = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert "Sign in" in english.get_data(as_text=True)


def test_switch_before_login_is_kept_in_the_session_and_taken_over(app, client):
    response = _switch(client, "en")
    assert response.headers["Location"] == "/login"
    page = client.get("/login", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert '<html lang="en">' in page
    from tests import factories

    with app.app_context():
        user, password = factories.user()
    client.post(
        "/login",
        data={"email": user.email, "password": password, "csrf_token": csrf_token(client)},
    )
    with app.app_context():
        assert User.get_by_id(user.id).locale == "en"


def test_signed_in_user_switch_is_stored_on_the_user(app, client, login_as):
    user = login_as(locale="en")
    assert "Sign out" in client.get("/").get_data(as_text=True)
    response = _switch(client, "de", "/")
    assert response.headers["Location"] == "/"
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Abmelden" in page and '<html lang="de">' in page
    with app.app_context():
        assert User.get_by_id(user.id).locale == "de"
    # a new session of the same user gets the stored language
    other = app.test_client()
    other.post(
        "/login",
        data={
            "email": user.email,
            "password": "Korrekt-Pferd-42!",
            "csrf_token": csrf_token(other),
        },
        headers={"Accept-Language": "en"},
    )
    assert "Abmelden" in other.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_unknown_language_is_refused_with_a_message(client):
    response = _switch(client, "fr")
    assert response.status_code == 302
    page = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "This language is not available." in page


def test_form_validation_messages_are_translated(client, login_as):
    login_as(locale="de")
    response = client.post(
        "/account/password",
        data={
            "current_password": "",
            "new_password": "",
            "confirm": "",
            "csrf_token": csrf_token(client, "/account/password"),
        },
    )
    assert response.status_code == 422
    assert "Dieses Feld wird benötigt." in response.get_data(as_text=True)


def test_every_string_has_a_german_and_an_english_translation(tmp_path):
    pot_path = tmp_path / "messages.pot"
    i18n.extract(pot_path)
    with pot_path.open("rb") as fh:
        template = read_po(fh)
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in template if m.id}
    assert len(ids) > 20
    for lang in i18n.LANGUAGES:
        with i18n.catalogue_path(lang).open("rb") as fh:
            catalogue = read_po(fh, locale=lang)
        present = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue if m.id}
        absent = sorted(ids - present)
        assert not absent, f"{lang}: not in the catalogue (run depesche translate update): {absent}"
        missing = [m for m in i18n.missing_translations(catalogue) if m in ids]
        assert not missing, f"{lang}: untranslated: {missing}"


def test_welcome_after_sign_in_is_in_the_users_stored_language(app, client):
    from tests import factories

    with app.app_context():
        user, password = factories.user(locale="de")
    client.post(
        "/login",
        data={"email": user.email, "password": password, "csrf_token": csrf_token(client)},
    )
    page = client.get("/").get_data(as_text=True)  # the client's browser asks for English
    assert "Willkommen, " in page and '<html lang="de">' in page


# A page's strings: each in its language, escaped and formatted as jinja2.ext does (D41).
PAGE_STRINGS = (
    "{{ _('Contacts') }}|{{ _('Select %(name)s', name='<b>Ö</b>') }}|{{ gettext('Contacts') }}|"
    "{% trans count=n %}{{ count }} contact{% pluralize %}{{ count }} contacts{% endtrans %}|"
    "{{ _('100%% <i>') }}"
)


def test_template_strings_follow_the_language_of_each_rendering(app):
    from flask import render_template_string
    from flask_babel import force_locale

    expected = {
        "de": "Kontakte|&lt;b&gt;Ö&lt;/b&gt; auswählen|Kontakte|1 Kontakt|100% <i>",
        "en": "Contacts|Select &lt;b&gt;Ö&lt;/b&gt;|Contacts|1 contact|100% <i>",
    }
    with app.test_request_context("/"):
        for code in ("de", "en", "de", "en"):  # no language is kept from one rendering to the next
            with force_locale(code):
                assert render_template_string(PAGE_STRINGS, n=1) == expected[code]
                # a template without the request's context (a macro imported without it)
                assert app.jinja_env.from_string(PAGE_STRINGS).render(n=1) == expected[code]
        with force_locale("de"):
            assert "2 Kontakte" in render_template_string(PAGE_STRINGS, n=2)
