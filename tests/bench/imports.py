"""Import benchmark (SPEC L3, issue 5): a generated 100,000-row .xlsx with twelve columns
into an empty database through the real task path, on SQLite and (when the server answers)
PostgreSQL. Each import runs in its own process, so the peak RSS printed is the import's
own; a bare read of the same file with the chosen reader (python-calamine) runs in another
process for the ratio.

    python -m tests.bench.imports [ROWS]
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROWS = 100_000
PG_ADMIN_URL = os.environ.get(
    "DEPESCHE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process on this machine (a PostgreSQL backend)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


_BACKENDS = (
    "SELECT pid FROM pg_stat_activity "
    "WHERE datname = current_database() AND backend_type = 'client backend'"
)


def _server_cpu(db) -> float | None:
    """The CPU of the database's client backends (the import's own and its writer's); None
    for SQLite or a server on another machine."""
    from peewee import PostgresqlDatabase

    if not isinstance(db.obj, PostgresqlDatabase):
        return None
    try:
        return sum(_process_cpu(pid) for (pid,) in db.execute_sql(_BACKENDS).fetchall())
    except OSError:
        return None


def child_read(path: str) -> dict:
    from app.transfer import reading

    start, cpu = time.perf_counter(), _cpu()
    rows = sum(1 for _ in reading.rows(path, "xlsx", "Kontakte"))
    return {
        "rows": rows,
        "seconds": time.perf_counter() - start,
        "cpu": _cpu() - cpu,
        "peak_mb": _peak_mb(),
    }


def child_import(path: str, database_url: str, data_dir: str) -> dict:
    from app import create_app
    from app.clients.services import create_client, set_right
    from app.contacts.models import Person
    from app.extensions import db
    from app.models import upgrade
    from app.transfer import services
    from app.transfer.models import ImportJob
    from app.transfer.tasks import run_import_task
    from app.users.services import create_user

    app = create_app({"DATA_DIR": data_dir, "DATABASE_URL": database_url, "HUEY_IMMEDIATE": True})
    upgrade()
    with app.app_context():
        db.connect(reuse_if_open=True)
        user, _ = create_user("bench@agentur.example", "Bench", password="Lauf-Messung-2026!")
        client = create_client("Bench AG", "")
        set_right(user, client, "full")
        with open(path, "rb") as handle:
            job = services.create_job(user, client.id, handle, Path(path).name)
        ImportJob.update(state="queued").where(ImportJob.id == job.id).execute()
        server = _server_cpu(db)
        start, cpu = time.perf_counter(), _cpu()
        run_import_task(job.id)  # immediate mode: the task's own code path
        seconds, cpu = time.perf_counter() - start, _cpu() - cpu
        if server is not None:
            server = _server_cpu(db) - server
        job = ImportJob.get_by_id(job.id)
        persons = Person.select().count()
        db.close()
    return {
        "state": job.state,
        "error": job.error,
        "created": job.created,
        "persons": persons,
        "seconds": seconds,
        "cpu": cpu,
        "server_cpu": server,
        "peak_mb": _peak_mb(),
    }


def _run_child(*args) -> dict:
    env = dict(os.environ, LANG="C.UTF-8")
    env = {k: v for k, v in env.items() if not k.startswith("DEPESCHE_")}
    result = subprocess.run(
        [sys.executable, "-m", "tests.bench.imports", "--child", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def _postgres_url(name: str):
    try:
        import psycopg2

        admin = psycopg2.connect(PG_ADMIN_URL, connect_timeout=3)
    except Exception:
        return None, None
    admin.autocommit = True
    from psycopg2 import sql

    with admin.cursor() as cur:
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{name}", admin


def main(rows: int = ROWS) -> None:
    from tests.data.make_files import people_xlsx

    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "presseliste.xlsx"
        start = time.perf_counter()
        people_xlsx(path, rows)
        print(
            f"\nimport: {rows:,} rows × 12 columns, {path.stat().st_size / 1e6:.1f} MB .xlsx "
            f"(written in {time.perf_counter() - start:.1f} s)"
        )
        read = _run_child("read", str(path))
        print(
            f"{'measure':<36}{'seconds':>8}{'CPU s':>7}{'rows/s':>9}{'peak RSS':>10}{'× read':>8}"
            f"{'server CPU s':>14}"
        )
        print(
            f"{'bare read (python-calamine)':<36}{read['seconds']:>8.2f}{read['cpu']:>7.2f}"
            f"{read['rows'] / read['seconds']:>9,.0f}{read['peak_mb']:>8.0f}MB{1:>8.1f}"
        )
        targets = [("SQLite", f"sqlite:///{work}/bench.db", None)]
        pg_name = f"depesche_bench_import_{os.getpid()}"
        pg_url, admin = _postgres_url(pg_name)
        if pg_url:
            targets.append(("PostgreSQL", pg_url, admin))
        try:
            for label, url, _admin in targets:
                result = _run_child("import", str(path), url, str(Path(work) / label))
                if result["state"] != "done" or result["persons"] != rows:
                    raise RuntimeError(f"{label}: import did not finish: {result}")
                rate = rows / result["seconds"]
                print(
                    f"{'import through the task, ' + label:<36}{result['seconds']:>8.2f}"
                    f"{result['cpu']:>7.2f}{rate:>9,.0f}{result['peak_mb']:>8.0f}MB"
                    f"{result['seconds'] / read['seconds']:>8.1f}"
                    + (f"{result['server_cpu']:>14.2f}" if result["server_cpu"] is not None else "")
                )
        finally:
            if admin is not None:
                from psycopg2 import sql

                with admin.cursor() as cur:
                    cur.execute(
                        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                            sql.Identifier(pg_name)
                        )
                    )
                admin.close()
        print(
            "goals: ≥ 10,000 rows/s on both databases, peak RSS < 300 MB "
            f"(load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
        )


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        kind, *rest = sys.argv[2:]
        print(json.dumps(child_read(*rest) if kind == "read" else child_import(*rest)))
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else ROWS)
