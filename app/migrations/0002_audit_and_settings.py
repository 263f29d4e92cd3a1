"""Audit trail with its hash chain head, and run-time settings."""

from peewee import BigIntegerField, CharField, DateTimeField, IntegerField, Model, TextField


def up(migrator, db):
    class AuditEntry(Model):
        seq = BigIntegerField(unique=True)
        created_at = DateTimeField(index=True)
        actor_id = IntegerField(null=True, index=True)
        actor_name = CharField(max_length=254)
        action = CharField(max_length=64, index=True)
        target_type = CharField(max_length=64, null=True, index=True)
        target_id = IntegerField(null=True)
        target_label = CharField(max_length=254, default="")
        client_id = IntegerField(null=True, index=True)
        changes = TextField(default="{}")
        details = TextField(default="{}")
        source_address = CharField(max_length=64, default="")
        user_agent = CharField(max_length=254, default="")
        prev_hash = CharField(max_length=64)
        hash = CharField(max_length=64)

        class Meta:
            database = db
            table_name = "audit_entry"
            indexes = ((("target_type", "target_id"), False),)

    class AuditHead(Model):
        seq = BigIntegerField(default=0)
        last_hash = CharField(max_length=64, default="0" * 64)

        class Meta:
            database = db
            table_name = "audit_head"

    class Setting(Model):
        key = CharField(max_length=64, primary_key=True)
        value = TextField()

        class Meta:
            database = db
            table_name = "setting"

    db.create_tables([AuditEntry, AuditHead, Setting])
    AuditHead.create(id=1, seq=0, last_hash="0" * 64)


def down(migrator, db):
    db.execute_sql('DROP TABLE "setting"')
    db.execute_sql('DROP TABLE "audit_head"')
    db.execute_sql('DROP TABLE "audit_entry"')
