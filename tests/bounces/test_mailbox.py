"""The bounce mailbox (SPEC M7) against a real IMAP server (a throw-away Dovecot):
`depesche bounces fetch` and the worker's periodic task read it, take every message in,
and delete or move what was handled; what failed stays for the next run."""

import subprocess

import pytest

from app.bounces.models import BounceMessage
from app.mailings.models import MailingRecipient
from tests.bounces import dovecot
from tests.bounces.conftest import deliver, dsn, sample
from tests.conftest import DEPESCHE

ANNA = "anna.mueller@sz.example"


@pytest.fixture(scope="module")
def imap_server():
    reason = dovecot.available()
    if reason:
        pytest.skip(reason)
    server = dovecot.start()
    yield server
    dovecot.stop(server)


@pytest.fixture
def imap(imap_server):
    """The server with an empty INBOX and no other folders."""
    client = imap_server.client()
    for _flags, _delimiter, name in client.list_folders():
        if name != "INBOX":
            client.delete_folder(name)
    client.select_folder("INBOX")
    client.delete_messages(client.search(["ALL"]))
    client.expunge()
    client.logout()
    return imap_server


def _put(server, *messages):
    client = server.client()
    for raw in messages:
        client.append("INBOX", raw)
    client.logout()


def _count(server, folder="INBOX"):
    client = server.client()
    if not client.folder_exists(folder):
        client.logout()
        return None
    client.select_folder(folder, readonly=True)
    count = len(client.search(["NOT", "DELETED"]))
    client.logout()
    return count


def _fetch(env, url, *extra_env):
    env = {**env, "DEPESCHE_BOUNCE_IMAP_URL": url, **dict(extra_env)}
    return subprocess.run(
        [DEPESCHE, "bounces", "fetch"], env=env, capture_output=True, text=True, timeout=120
    )


def test_fetch_takes_in_every_message_and_deletes_them(app, world, mailing, cli_env, imap):
    with app.app_context():
        row = deliver(mailing, world["anna"], ANNA)
    _put(imap, dsn(row.token, ANNA), sample("ooo_de.eml"), sample("junk.bin") + b"\r\n")
    done = _fetch(cli_env, imap.url())
    assert done.returncode == 0, (done.stdout, done.stderr, imap.log())
    assert done.stdout.strip() == "read=3 hard=1 ignored=1 unreadable=1 failed=0 left=0"
    assert _count(imap) == 0
    with app.app_context():
        assert MailingRecipient.get_by_id(row.id).state == "bounced_hard"
        kept = BounceMessage.get(BounceMessage.outcome == "unreadable")
        assert kept.source == "imap" and kept.raw is not None
    # nothing left: a second run reads nothing
    assert _fetch(cli_env, imap.url()).stdout.strip() == "read=0 failed=0 left=0"


def test_fetch_moves_handled_messages_to_the_done_folder(app, world, mailing, cli_env, imap):
    with app.app_context():
        row = deliver(mailing, world["anna"], ANNA)
    _put(imap, dsn(row.token, ANNA, "4.2.2", "Mailbox full"))
    done = _fetch(cli_env, imap.url(), ("DEPESCHE_BOUNCE_IMAP_DONE_FOLDER", "Erledigt"))
    assert done.returncode == 0, done.stderr
    assert (_count(imap), _count(imap, "Erledigt")) == (0, 1)
    with app.app_context():
        assert MailingRecipient.get_by_id(row.id).state == "bounced_soft"


def test_messages_stay_when_the_database_is_away(cli_env, imap):
    _put(imap, sample("dsn_hard_511.eml"), sample("qmail.eml"))
    done = _fetch(
        cli_env,
        imap.url(),
        ("DEPESCHE_DATABASE_URL", "postgresql://nobody@127.0.0.1:9/depesche"),
    )
    assert done.returncode == 1
    assert "failed=2" in done.stdout
    assert _count(imap) == 2


def test_a_wrong_password_or_folder_is_one_line(cli_env, imap):
    done = _fetch(cli_env, imap.url(password="wrong-one"))
    assert done.returncode == 1
    assert "cannot sign in to the bounce mailbox" in done.stderr
    assert "Traceback" not in done.stderr
    done = _fetch(cli_env, imap.url(folder="Nirgendwo"))
    assert done.returncode == 1 and "cannot open the folder 'Nirgendwo'" in done.stderr


def test_the_worker_reads_the_mailbox_only_when_one_is_configured(app, world, mailing, imap):
    from app.bounces.tasks import fetch_bounces_periodically

    with app.app_context():
        row = deliver(mailing, world["anna"], ANNA)
        _put(imap, dsn(row.token, ANNA))
        assert app.config["BOUNCE_IMAP_URL"] == ""
        fetch_bounces_periodically()
        assert _count(imap) == 1
        app.config["BOUNCE_IMAP_URL"] = imap.url()
        fetch_bounces_periodically()
        assert _count(imap) == 0
        assert MailingRecipient.get_by_id(row.id).state == "bounced_hard"


def test_fetch_without_a_mailbox_says_so(cli_env):
    done = subprocess.run(
        [DEPESCHE, "bounces", "fetch"], env=cli_env, capture_output=True, text=True
    )
    assert done.returncode == 1 and "no bounce mailbox configured" in done.stderr
