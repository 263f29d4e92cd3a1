"""Distribution lists and their members (SPEC L1)."""

from peewee import CharField, DateTimeField, ForeignKeyField, Model, TextField


def up(migrator, db):
    class Client(Model):
        class Meta:
            database = db
            table_name = "client"

    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class Person(Model):
        class Meta:
            database = db
            table_name = "person"

    class Base(Model):
        class Meta:
            database = db

    class DistributionList(Base):
        client = ForeignKeyField(Client, backref="+", on_delete="RESTRICT")
        name = CharField(max_length=120)
        description = TextField(default="")
        kind = CharField(max_length=8, default="static")
        search = CharField(max_length=1000, default="")
        created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        created_at = DateTimeField()
        updated_at = DateTimeField()

        class Meta:
            table_name = "distribution_list"
            indexes = ((("client", "name"), True),)

    class ListMember(Base):
        distribution_list = ForeignKeyField(DistributionList, on_delete="CASCADE")
        person = ForeignKeyField(Person, on_delete="CASCADE")
        added_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        added_at = DateTimeField()

        class Meta:
            table_name = "list_member"
            indexes = ((("distribution_list", "person"), True),)

    db.create_tables([DistributionList, ListMember])


def down(migrator, db):
    db.execute_sql('DROP TABLE "list_member"')
    db.execute_sql('DROP TABLE "distribution_list"')
