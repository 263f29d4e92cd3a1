"""Operator notices and the users' status page (SPEC A8): posted with `depesche notice` as
a real process, shown as a banner and on /status, ended by time or by withdrawal."""

from app.status import notices
from tests.conftest import run_cli


def test_notice_from_the_command_line_to_every_page(app, client, login_as, cli_env, clock):
    login_as("user")
    posted = run_cli(
        cli_env, "notice", "post", "Wartung heute ab 22 Uhr", "--level", "warning", "--hours", "2"
    )
    assert posted.returncode == 0, posted.stderr
    assert "posted (warning)" in posted.stdout
    notices.forget()
    start = client.get("/").get_data(as_text=True)
    assert "Wartung heute ab 22 Uhr" in start and "operator-notice notice-warning" in start
    status = client.get("/status").get_data(as_text=True)
    assert "Wartung heute ab 22 Uhr" in status
    listed = run_cli(cli_env, "notice", "list")
    assert "warning" in listed.stdout and "Wartung" in listed.stdout
    # it ends by itself
    clock.advance(hours=3)
    notices.forget()
    assert "Wartung heute" not in client.get("/").get_data(as_text=True)


def test_withdraw_and_bad_input(app, client, login_as, cli_env):
    login_as("user")
    first = run_cli(cli_env, "notice", "post", "Störung beim Versand", "--level", "outage")
    notice_id = first.stdout.split()[1]
    notices.forget()
    page = client.get("/contacts/").get_data(as_text=True)
    assert 'role="alert"' in page and "Störung beim Versand" in page
    assert run_cli(cli_env, "notice", "withdraw", notice_id).returncode == 0
    notices.forget()
    assert "Störung beim Versand" not in client.get("/contacts/").get_data(as_text=True)
    again = run_cli(cli_env, "notice", "withdraw", notice_id)
    assert again.returncode != 0 and "no such current notice" in again.stderr
    empty = run_cli(cli_env, "notice", "post", "   ")
    assert empty.returncode != 0 and "no text" in empty.stderr
    level = run_cli(cli_env, "notice", "post", "x", "--level", "panic")
    assert level.returncode != 0
    neither = run_cli(cli_env, "notice", "withdraw")
    assert neither.returncode != 0 and "name a notice id or use --all" in neither.stderr


def test_status_page_shows_each_part(app, client, login_as, outbox):
    login_as("user")
    page = client.get("/status").get_data(as_text=True)
    assert "Web application" in page and "Database" in page and "Mail relay" in page
    assert "No backup recorded yet." in page
    # the test's SMTP sink answers: the relay is working
    assert page.count("state-ok") >= 3


def test_status_page_says_when_the_relay_is_down(app, client, login_as):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    login_as("user")
    page = client.get("/status").get_data(as_text=True)
    assert "Mailings wait until the relay answers again." in page


def test_status_needs_a_signed_in_user(client):
    response = client.get("/status")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
