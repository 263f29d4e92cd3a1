"""The tamper-evident audit trail (SPEC S7, B2)."""

import json

from app.audit.models import AuditEntry
from app.audit.services import record, verify
from app.extensions import db
from tests import factories
from tests.conftest import run_cli


def test_user_creation_is_audited_without_secrets(app_ctx):
    user, _ = factories.user(name="Lena Huber")
    entry = AuditEntry.get(AuditEntry.action == "user.create")
    assert entry.target_id == user.id and entry.target_label == "Lena Huber"
    changes = json.loads(entry.changes)
    assert changes["email"] == [None, user.email]
    assert "password_hash" not in changes and "session_token" not in changes
    assert json.loads(entry.details)["origin"] == "manual"
    assert entry.actor_name.startswith("system (")


def test_chain_verifies_and_names_the_first_tampered_entry(app_ctx):
    for n in range(5):
        record("test.event", target_type="thing", target_id=n, details={"n": n})
    result = verify()
    assert result.ok and result.checked == 5
    # change an entry behind the application's back
    AuditEntry.update(details='{"n": 99}').where(AuditEntry.seq == 3).execute()
    result = verify()
    assert not result.ok and result.broken_seq == 3 and result.reason == "content changed"


def test_deleted_entries_are_detected(app_ctx):
    for n in range(4):
        record("test.event", details={"n": n})
    AuditEntry.delete().where(AuditEntry.seq == 2).execute()
    result = verify()
    assert not result.ok and result.broken_seq == 2
    AuditEntry.delete().where(AuditEntry.seq >= 2).execute()  # cut off the tail as well
    result = verify()
    assert not result.ok and result.reason == "entries removed from the end"


def test_entries_of_a_failed_transaction_vanish_with_it(app_ctx):
    try:
        with db.atomic():
            record("test.event")
            raise RuntimeError("the change failed")
    except RuntimeError:
        pass
    assert AuditEntry.select().count() == 0
    record("test.event")
    assert verify().ok


def test_audit_verify_command(app, cli_env):
    with app.app_context():
        db.connect(reuse_if_open=True)
        record("test.event")
        record("test.event")
    ok = run_cli(cli_env, "audit", "verify")
    assert ok.returncode == 0 and "intact: 2 entries" in ok.stdout
    with app.app_context():
        db.connect(reuse_if_open=True)
        AuditEntry.update(actor_name="someone else").where(AuditEntry.seq == 1).execute()
    broken = run_cli(cli_env, "audit", "verify")
    assert broken.returncode == 1 and "broken at entry 1" in broken.stderr
