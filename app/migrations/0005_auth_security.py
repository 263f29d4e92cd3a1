"""Sign-in security: lockout, attempts, server-side sessions, password history, second factor."""

from peewee import (
    BigIntegerField,
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
)


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class Base(Model):
        class Meta:
            database = db

    class LoginAttempt(Base):
        created_at = DateTimeField(index=True)
        user = ForeignKeyField(User, null=True, on_delete="SET NULL")
        email = CharField(max_length=254, default="")
        outcome = CharField(max_length=32)
        source_address = CharField(max_length=64, default="")
        user_agent = CharField(max_length=254, default="")

        class Meta:
            table_name = "login_attempt"

    class UserSession(Base):
        token_hash = CharField(max_length=64, unique=True)
        user = ForeignKeyField(User, on_delete="CASCADE")
        generation = CharField(max_length=64)
        created_at = DateTimeField()
        last_seen_at = DateTimeField()
        authenticated_at = DateTimeField()
        ended_at = DateTimeField(null=True, index=True)
        source_address = CharField(max_length=64, default="")
        user_agent = CharField(max_length=254, default="")

        class Meta:
            table_name = "user_session"

    class PasswordHistory(Base):
        user = ForeignKeyField(User, on_delete="CASCADE")
        password_hash = CharField(max_length=255)
        created_at = DateTimeField()

        class Meta:
            table_name = "password_history"

    class RecoveryCode(Base):
        user = ForeignKeyField(User, on_delete="CASCADE")
        code_hash = CharField(max_length=64)
        used_at = DateTimeField(null=True)

        class Meta:
            table_name = "recovery_code"

    class LoginChallenge(Base):
        token_hash = CharField(max_length=64, unique=True)
        user = ForeignKeyField(User, on_delete="CASCADE")
        created_at = DateTimeField()
        code_hash = CharField(max_length=64, null=True)
        code_expires_at = DateTimeField(null=True)
        tries = IntegerField(default=0)
        sends = IntegerField(default=0)
        first_send_at = DateTimeField(null=True)
        done = BooleanField(default=False)

        class Meta:
            table_name = "login_challenge"

    class TotpState(Base):
        user = ForeignKeyField(User, on_delete="CASCADE", unique=True)
        secret = CharField(max_length=512)
        last_step = BigIntegerField(null=True)
        created_at = DateTimeField()

        class Meta:
            table_name = "totp_state"

    class PasswordReset(Base):
        user = ForeignKeyField(User, on_delete="CASCADE")
        password_hash = CharField(max_length=255)
        created_at = DateTimeField()
        expires_at = DateTimeField()
        used_at = DateTimeField(null=True)

        class Meta:
            table_name = "password_reset"

    migrator.migrate(
        migrator.add_column("user", "failed_logins", IntegerField(default=0)),
        migrator.add_column("user", "locked_until", DateTimeField(null=True)),
        migrator.add_column("user", "second_factor", CharField(max_length=16, null=True)),
    )
    db.create_tables(
        [
            LoginAttempt,
            UserSession,
            PasswordHistory,
            RecoveryCode,
            LoginChallenge,
            TotpState,
            PasswordReset,
        ]
    )


def down(migrator, db):
    db.execute_sql('DROP TABLE "password_reset"')
    db.execute_sql('DROP TABLE "totp_state"')
    db.execute_sql('DROP TABLE "login_challenge"')
    db.execute_sql('DROP TABLE "recovery_code"')
    db.execute_sql('DROP TABLE "password_history"')
    db.execute_sql('DROP TABLE "user_session"')
    db.execute_sql('DROP TABLE "login_attempt"')
    migrator.migrate(
        migrator.drop_column("user", "failed_logins"),
        migrator.drop_column("user", "locked_until"),
        migrator.drop_column("user", "second_factor"),
    )
