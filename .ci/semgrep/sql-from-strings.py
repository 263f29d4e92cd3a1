# Cases for `semgrep --test`: what the rule must find and what it must leave alone.
from peewee import SQL


def bad(db, cursor, name, table):
    # ruleid: sql-from-strings
    db.execute_sql(f"SELECT * FROM person WHERE name = '{name}'")
    # ruleid: sql-from-strings
    db.execute_sql("DROP TABLE %s" % table)
    # ruleid: sql-from-strings
    cursor.execute("SELECT * FROM person WHERE name = '" + name + "'")
    # ruleid: sql-from-strings
    SQL(f"name = '{name}'")


def good(db, name):
    # ok: sql-from-strings
    db.execute_sql("SELECT * FROM person WHERE name = ?", (name,))
    # ok: sql-from-strings
    SQL("name = ?", (name,))
