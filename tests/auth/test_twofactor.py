"""Second factor (SPEC S4): app codes once each, e-mailed codes bound to one sign-in,
recovery codes once each, required for administrators."""

import datetime
import re

from app.audit.models import AuditEntry
from app.auth.models import TotpState
from app.users.models import User
from tests import factories
from tests.auth.helpers import browser, login, verify
from tests.conftest import csrf_token


def test_app_code_signs_in_and_cannot_be_replayed(app, client, clock):
    with app.app_context():
        user, password = factories.user(totp=True)
        code = factories.totp_code()
    assert login(client, user.email, password).headers["Location"] == "/login/verify"
    assert client.get("/").status_code == 302  # half signed in is not signed in
    assert verify(client, code).status_code == 302
    assert client.get("/").status_code == 200
    other = browser(app)
    login(other, user.email, password)
    replay = verify(other, code)
    assert replay.status_code == 422 and "The code is not valid." in replay.get_data(as_text=True)
    clock.advance(seconds=30)
    with app.app_context():
        assert verify(other, factories.totp_code()).status_code == 302


def test_codes_of_neighbouring_steps_are_accepted_but_not_older(app, client, clock):
    with app.app_context():
        user, password = factories.user(totp=True)
        previous = factories.totp_code(offset_steps=-1)
        old = factories.totp_code(offset_steps=-2)
    login(client, user.email, password)
    assert verify(client, old).status_code == 422
    assert verify(client, previous).status_code == 302


def test_email_code_flow_expiry_and_single_use(app, client, outbox, clock):
    with app.app_context():
        user, password = factories.user()
        User.update(second_factor="email").where(User.id == user.id).execute()
    login(client, user.email, password)
    assert len(outbox) == 1
    code = re.search(r"\b(\d{6})\b", outbox[0].get_content()).group(1)
    clock.advance(minutes=11)
    # the sign-in is older than 10 minutes: its code is gone, the browser starts again
    assert client.get("/login/verify").headers["Location"] == "/login"
    assert client.get("/").status_code == 302
    login(client, user.email, password)
    code = re.search(r"\b(\d{6})\b", outbox[-1].get_content()).group(1)
    assert verify(client, code).status_code == 302
    assert client.get("/").status_code == 200


def test_email_code_is_bound_to_its_sign_in(app, outbox):
    with app.app_context():
        user, password = factories.user()
        User.update(second_factor="email").where(User.id == user.id).execute()
    first, second = browser(app), browser(app)
    login(first, user.email, password)
    code = re.search(r"\b(\d{6})\b", outbox[-1].get_content()).group(1)
    login(second, user.email, password)
    assert verify(second, code).status_code == 422  # the first browser's code


def test_email_code_resends_are_limited(app, client, outbox):
    with app.app_context():
        user, password = factories.user()
        User.update(second_factor="email").where(User.id == user.id).execute()
    login(client, user.email, password)
    for _ in range(3):
        client.post(
            "/login/verify/resend", data={"csrf_token": csrf_token(client, "/login/verify")}
        )
    assert len(outbox) == 3  # the first send and two resends
    page = client.get("/login/verify").get_data(as_text=True)
    assert "Three codes have been sent already" in page


def test_email_code_allows_five_tries(app, client, outbox):
    with app.app_context():
        user, password = factories.user()
        User.update(second_factor="email").where(User.id == user.id).execute()
    login(client, user.email, password)
    code = re.search(r"\b(\d{6})\b", outbox[-1].get_content()).group(1)
    wrong = "111111" if code != "111111" else "222222"
    for _ in range(4):
        verify(client, wrong)
    with app.app_context():
        User.update(failed_logins=0).where(User.id == user.id).execute()  # lockout aside
    verify(client, wrong)  # the fifth try
    assert verify(client, code).status_code == 422  # tries used up


def test_recovery_code_works_once(app, client):
    from app.auth.twofactor import regenerate_recovery_codes

    with app.app_context():
        user, password = factories.user(totp=True)
        codes = regenerate_recovery_codes(User.get_by_id(user.id))
    assert len(codes) == 10 and len(set(codes)) == 10
    login(client, user.email, password)
    assert verify(client, codes[0].upper()).status_code == 302
    other = browser(app)
    login(other, user.email, password)
    assert verify(other, codes[0]).status_code == 422


def test_set_up_the_app_through_the_qr_screen(app, client, login_as, clock):
    import pyotp

    login_as("user")
    page = client.get("/account/second-factor/app").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page
    secret = re.search(r"<code>([A-Z2-7 ]+)</code>", page).group(1).replace(" ", "")
    code = pyotp.TOTP(secret).generate_otp(_step())
    response = client.post(
        "/account/second-factor/app",
        data={"code": code, "csrf_token": csrf_token(client, "/account/security")},
    )
    assert response.headers["Location"] == "/account/recovery-codes"
    codes_page = client.get("/account/recovery-codes").get_data(as_text=True)
    assert len(re.findall(r"<li><code>", codes_page)) == 10
    # shown once only
    assert client.get("/account/recovery-codes").status_code == 302
    with app.app_context():
        state = TotpState.get()
        assert secret not in state.secret  # encrypted at rest
        assert AuditEntry.select().where(AuditEntry.action == "user.second_factor").count() == 1


def _step():
    from app.auth.twofactor import current_step

    return current_step()


def test_changing_the_second_factor_needs_a_recent_sign_in(app, client, login_as, clock):
    login_as("user")
    clock.advance(minutes=16)
    client.get("/")  # keep the session alive (idle timeout is 30 minutes)
    response = client.get("/account/second-factor/app")
    assert response.headers["Location"].startswith("/account/reauthenticate")
    response = client.post(
        "/account/reauthenticate?next=/account/second-factor/app",
        data={"password": factories.PASSWORD, "csrf_token": csrf_token(client, "/")},
    )
    assert response.headers["Location"] == "/account/second-factor/app"
    assert client.get("/account/second-factor/app").status_code == 200


def test_administrators_must_set_up_a_second_factor(app, client):
    with app.app_context():
        admin, password = factories.user(role="administrator", totp=False)
    response = login(client, admin.email, password)
    assert response.headers["Location"] == "/account/security"
    assert client.get("/admin/").headers["Location"] == "/account/security"
    assert "requires a second factor" in client.get("/account/security").get_data(as_text=True)


def test_the_administrator_can_require_it_for_everyone(app, client):
    from app.settings.services import set_value

    with app.app_context():
        set_value("require_second_factor", True)
        user, password = factories.user()
    login(client, user.email, password)
    assert client.get("/").headers["Location"] == "/account/security"


def test_second_factor_can_be_turned_off_only_where_not_required(app, client, login_as):
    user = login_as("user")
    token = csrf_token(client, "/account/security")
    client.post("/account/second-factor/email", data={"csrf_token": token})
    with app.app_context():
        assert User.get_by_id(user.id).second_factor == "email"
    client.post("/account/second-factor/disable", data={"csrf_token": token})
    with app.app_context():
        assert User.get_by_id(user.id).second_factor is None


def test_operator_resets_a_lost_second_factor_and_lifts_a_lock(app, cli_env):
    from tests.conftest import run_cli

    with app.app_context():
        admin, password = factories.user(role="administrator")
        User.update(locked_until=datetime.datetime(2100, 1, 1)).where(User.id == admin.id).execute()
    for args in (["reset-second-factor", admin.email], ["unlock", admin.email]):
        result = run_cli(cli_env, *args)
        assert result.returncode == 0, result.stderr
    unknown = run_cli(cli_env, "unlock", "x@agentur.example")
    assert unknown.returncode == 1 and "no user" in unknown.stderr
    with app.app_context():
        fresh = User.get_by_id(admin.id)
        assert fresh.second_factor is None and fresh.locked_until is None
        assert TotpState.select().count() == 0
    client = browser(app)
    assert login(client, admin.email, password).headers["Location"] == "/account/security"
