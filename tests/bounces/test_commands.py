"""`depesche bounces pipe` as the MTA runs it (a real process, the message on stdin), and
the appliance's Postfix wrapper around it: 0 when handled, 75 (EX_TEMPFAIL) when the
database is away, so that Postfix keeps the message and retries."""

import os
import subprocess

from app.bounces.models import BounceMessage
from app.config import ROOT
from app.mailings.models import MailingRecipient
from tests.bounces.conftest import deliver, dsn, sample
from tests.conftest import DEPESCHE

ANNA = "anna.mueller@sz.example"
WRAPPER = ROOT / "appliance" / "bounce-pipe"
UNREACHABLE = "postgresql://nobody@127.0.0.1:9/depesche"


def pipe(env, raw: bytes, *args):
    return subprocess.run(
        [DEPESCHE, "bounces", "pipe", *args], env=env, input=raw, capture_output=True, timeout=60
    )


def test_pipe_applies_a_bounce_from_stdin(app, world, mailing, cli_env):
    with app.app_context():
        row = deliver(mailing, world["anna"], ANNA, token="FromPipe4242")
    raw = sample("qmail.eml")  # names another token in its headers: the envelope wins
    done = pipe(cli_env, raw, "--recipient", "bounces+FromPipe4242@agentur.example")
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().strip() == f"hard {ANNA} 5.1.1"
    with app.app_context():
        assert MailingRecipient.get_by_id(row.id).state == "bounced_hard"
    # the same message again: handled, nothing changes
    again = pipe(cli_env, raw, "--recipient", "bounces+FromPipe4242@agentur.example")
    assert (again.returncode, again.stdout.decode().strip()) == (0, f"duplicate {ANNA} 5.1.1")


def test_pipe_keeps_what_it_cannot_use_and_still_answers_0(app, cli_env):
    for raw in (b"", sample("junk.bin"), dsn("UnknownTok777", "x@y.example")):
        done = pipe(cli_env, raw, "--recipient", "bounces+UnknownTok777@agentur.example")
        assert done.returncode == 0, done.stderr
    with app.app_context():
        outcomes = sorted(m.outcome for m in BounceMessage.select())
    assert outcomes == ["unmatched", "unreadable", "unreadable"]


def test_pipe_answers_tempfail_when_the_database_is_away(cli_env):
    env = {**cli_env, "DEPESCHE_DATABASE_URL": UNREACHABLE}
    done = pipe(env, sample("dsn_hard_511.eml"))
    assert done.returncode == 75, (done.stdout, done.stderr)
    assert b"database unavailable" in done.stderr


def test_pipe_answers_tempfail_on_a_configuration_error(cli_env):
    env = {**cli_env, "DEPESCHE_BOUNCE_IMAP_URL": "ftp://nowhere"}
    done = pipe(env, sample("dsn_hard_511.eml"))
    assert done.returncode == 75
    assert b"configuration error" in done.stderr
    # other commands keep their usual status for a bad setting
    other = subprocess.run([DEPESCHE, "bounces", "fetch"], env=env, capture_output=True)
    assert other.returncode == 2


def _wrapper(env, env_file, raw, *args):
    wrapper_env = {
        **{k: v for k, v in env.items() if not k.startswith("DEPESCHE_")},
        "DEPESCHE_BOUNCE_PIPE_ENV": str(env_file),
        "DEPESCHE_BOUNCE_PIPE_BIN": DEPESCHE,
    }
    return subprocess.run(
        ["sh", str(WRAPPER), *args], env=wrapper_env, input=raw, capture_output=True, timeout=60
    )


def test_the_postfix_wrapper_passes_the_recipient_and_maps_failures_to_75(
    app, world, mailing, cli_env, tmp_path
):
    assert os.access(WRAPPER, os.X_OK)
    with app.app_context():
        row = deliver(mailing, world["anna"], ANNA, token="ViaPostfix55")
    env_file = tmp_path / "depesche.env"
    env_file.write_text(
        "".join(f"{k}={v}\n" for k, v in cli_env.items() if k.startswith("DEPESCHE_"))
    )
    raw = sample("ooo_de.eml").replace(b"OooGerman001", b"x") + b"\n"
    # as master.cf calls it: argv=/opt/depesche/appliance/bounce-pipe ${recipient}
    done = _wrapper(cli_env, env_file, dsn("x", ANNA), "bounces+ViaPostfix55@agentur.example")
    assert done.returncode == 0, done.stderr
    with app.app_context():
        assert MailingRecipient.get_by_id(row.id).state == "bounced_hard"
    assert _wrapper(cli_env, env_file, raw, "bounces+ViaPostfix55@x.example").returncode == 0
    # no recipient, no settings file, no database: Postfix keeps the message (75)
    assert _wrapper(cli_env, env_file, raw).returncode == 75
    assert _wrapper(cli_env, tmp_path / "missing.env", raw, "a@b.example").returncode == 75
    env_file.write_text(f"DEPESCHE_DATABASE_URL={UNREACHABLE}\n")
    down = _wrapper(cli_env, env_file, dsn("x", ANNA, message_id="<new@x>"), "bounces+x@y.example")
    assert down.returncode == 75, down.stderr


def test_the_master_cf_entry_calls_the_wrapper_with_the_recipient():
    master = (ROOT / "appliance" / "files" / "postfix-master-extra.cf").read_text()
    assert "argv=/opt/depesche/appliance/bounce-pipe ${recipient}" in master
    assert "bounces pipe --recipient" in WRAPPER.read_text()
