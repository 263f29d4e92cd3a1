"""Five indexes whose every use another index serves (D42): each is the leading column(s)
of a wider index on the same table, so the planner reads the wider one instead, while every
written row paid for both (an import of 100,000 persons writes each of them 100,000 times).

- person_client_id: (client_id, erased_at) of migration 0019
- person_last_name: (last_name, first_name, id) of migration 0008
- personoutlet_person_id, persontopic_person_id: their unique (person_id, …) pairs
- importissue_job_id: (job_id, row)
"""

COVERED = (
    ("person", "person_client_id", ("client_id",)),
    ("person", "person_last_name", ("last_name",)),
    ("person_outlet", "personoutlet_person_id", ("person_id",)),
    ("person_topic", "persontopic_person_id", ("person_id",)),
    ("import_issue", "importissue_job_id", ("job_id",)),
)


def up(migrator, db):
    migrator.migrate(*(migrator.drop_index(table, name) for table, name, _ in COVERED))


def down(migrator, db):
    migrator.migrate(
        *(migrator.add_index(table, columns, False, name=name) for table, name, columns in COVERED)
    )
