"""Sessions (SPEC S5): records that can be listed and ended, timeouts, no fixation."""

from app.auth.models import UserSession
from tests import factories
from tests.auth.helpers import browser, login
from tests.conftest import csrf_token


def test_session_is_renewed_at_sign_in(app, client):
    with app.app_context():
        user, password = factories.user()
    client.get("/login")
    before = client.get_cookie("depesche_session").value
    login(client, user.email, password)
    after = client.get_cookie("depesche_session").value
    assert before != after
    # an attacker who planted the pre-login cookie holds nothing usable
    attacker = browser(app)
    attacker.set_cookie("depesche_session", before)
    assert attacker.get("/").status_code == 302


def test_idle_timeout_and_absolute_timeout(app, client, clock):
    with app.app_context():
        user, password = factories.user()
    login(client, user.email, password)
    clock.advance(minutes=29)
    assert client.get("/").status_code == 200
    clock.advance(minutes=31)
    assert client.get("/").status_code == 302  # idle longer than 30 minutes
    login(client, user.email, password)
    for _ in range(30):  # 30 × 25 minutes: active all along, but 12.5 hours long
        clock.advance(minutes=25)
        client.get("/")
    assert client.get("/").status_code == 302  # older than 12 hours


def test_list_and_end_other_sessions(app):
    with app.app_context():
        user, password = factories.user()
    here, there, elsewhere = browser(app), browser(app), browser(app)
    for b in (here, there, elsewhere):
        login(b, user.email, password)
    page = here.get("/account/security").get_data(as_text=True)
    assert page.count("/end") >= 2 and "this browser" in page
    with app.app_context():
        # the sessions in the order of sign-in: here, there, elsewhere
        other = UserSession.select().order_by(UserSession.id)[1]
    here.post(
        f"/account/sessions/{other.id}/end",
        data={"csrf_token": csrf_token(here, "/account/security")},
    )
    assert there.get("/").status_code == 302
    assert elsewhere.get("/").status_code == 200
    here.post(
        "/account/sessions/end-others", data={"csrf_token": csrf_token(here, "/account/security")}
    )
    assert elsewhere.get("/").status_code == 302
    assert here.get("/").status_code == 200


def test_cannot_end_someone_elses_session(app, client):
    with app.app_context():
        mine, password = factories.user()
        theirs, their_password = factories.user()
    other = browser(app)
    login(other, theirs.email, their_password)
    login(client, mine.email, password)
    with app.app_context():
        record = UserSession.get(UserSession.user == theirs.id)
    response = client.post(
        f"/account/sessions/{record.id}/end",
        data={"csrf_token": csrf_token(client, "/account/security")},
    )
    assert response.status_code == 404
    assert other.get("/").status_code == 200


def test_logout_ends_the_session_record(app, client):
    with app.app_context():
        user, password = factories.user()
    login(client, user.email, password)
    stolen = client.get_cookie("depesche_session").value
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    replay = browser(app)
    replay.set_cookie("depesche_session", stolen)
    assert replay.get("/").status_code == 302


def test_logout_only_by_post(client, login_as):
    login_as()
    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200


def test_deactivation_ends_every_session(app, client):
    from app.users.models import User

    with app.app_context():
        user, password = factories.user()
    login(client, user.email, password)
    with app.app_context():
        User.update(active=False).where(User.id == user.id).execute()
    assert client.get("/").status_code == 302
