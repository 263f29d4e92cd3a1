from peewee import BigIntegerField, CharField, DateTimeField, IntegerField, TextField

from app.clock import utcnow
from app.models import BaseModel

GENESIS_HASH = "0" * 64


class AuditEntry(BaseModel):
    """One event. Never updated or deleted by the application."""

    seq = BigIntegerField(unique=True)  # gapless order of the chain
    created_at = DateTimeField(default=utcnow, index=True)
    actor_id = IntegerField(null=True, index=True)
    actor_name = CharField(max_length=254)
    action = CharField(max_length=64, index=True)
    target_type = CharField(max_length=64, null=True, index=True)
    target_id = IntegerField(null=True)
    target_label = CharField(max_length=254, default="")
    client_id = IntegerField(null=True, index=True)
    changes = TextField(default="{}")  # JSON {field: [old, new]}
    details = TextField(default="{}")  # JSON
    source_address = CharField(max_length=64, default="")
    user_agent = CharField(max_length=254, default="")
    prev_hash = CharField(max_length=64)
    hash = CharField(max_length=64)
    # Version 2 chains a digest of the payload (label, changes, details) instead of the
    # payload itself, so that an erasure (C9) can blank the payload of a person's entries
    # and the chain still verifies (app.audit.services.redact_target).
    version = IntegerField(default=1)
    payload_sha256 = CharField(max_length=64, default="")
    redacted_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("target_type", "target_id"), False),)


class AuditHead(BaseModel):
    """The single row that holds the end of the chain; updating it is the append lock."""

    seq = BigIntegerField(default=0)
    last_hash = CharField(max_length=64, default=GENESIS_HASH)
