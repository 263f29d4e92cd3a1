"""Export of a distribution list of 100,000 persons to .xlsx (SPEC L4), end to end through
the HTTP request with every column: time and peak memory.

The database (SQLite) is filled by the demo generator in this process; the export runs in
a fresh Python process, so that its peak resident memory (`resource.getrusage`) is the
export's and not the generator's. Run alone: `python -m tests.bench.exports [PERSONS]`.
"""

from __future__ import annotations

import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PERSONS = 100_000
EMAIL = "messung@agentur.example"
PASSWORD = "Tabellen-Ausgabe-2026!"


def peak_rss_kb() -> int:
    """The process's peak resident memory. On Linux `ru_maxrss` of getrusage keeps the
    parent's peak across fork and exec (the child starts as a copy of the parent's memory),
    so /proc's VmHWM, which belongs to the new process image alone, is read first."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _prepare(data_dir: str, persons: int) -> tuple[int, str]:
    """A database with `persons` persons on one static list, and a signed-in session;
    returns the list's id and the session cookie."""
    from peewee import Value

    from app import create_app
    from app.clients.models import Client
    from app.clients.services import set_right
    from app.clock import utcnow
    from app.contacts.demo import generate
    from app.contacts.models import Person
    from app.extensions import db
    from app.lists.models import DistributionList, ListMember
    from app.models import upgrade
    from app.users.services import create_user

    app = create_app({"DATA_DIR": data_dir, "HUEY_IMMEDIATE": True})
    upgrade()
    with app.app_context():
        db.connect(reuse_if_open=True)
        user, _ = create_user(EMAIL, "Messung", password=PASSWORD)
        client = Client.create(name="Messung AG")
        set_right(user, client, "full")
        generate([client], persons)
        lst = DistributionList.create(client=client, name="Alle")
        with db.atomic():
            ListMember.insert_from(
                Person.select(Value(lst.id), Person.id, Value(utcnow())),
                [ListMember.distribution_list, ListMember.person, ListMember.added_at],
            ).execute()
        db.close()
    # Signed in here, not in the measured process: checking the password (argon2id) takes
    # more memory than the export, and would be that process's peak.
    browser = app.test_client()
    html = browser.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    browser.post("/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token})
    return lst.id, browser.get_cookie(app.config["SESSION_COOKIE_NAME"]).value


def _export(data_dir: str, list_id: int, cookie: str) -> None:
    """The measured process: in the signed-in session, ask for the list with every column
    and keep the file; print the figures as JSON."""
    from app import create_app
    from app.exports.persons import PERSON_COLUMNS

    app = create_app({"DATA_DIR": data_dir, "HUEY_IMMEDIATE": True})
    browser = app.test_client()
    browser.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
    html = browser.get(f"/exports/lists/{list_id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    before = peak_rss_kb()
    start = time.perf_counter()
    response = browser.post(
        f"/exports/lists/{list_id}",
        data={"csrf_token": token, "columns": [c.key for c in PERSON_COLUMNS]},
        buffered=False,
    )
    target = Path(data_dir) / "export.xlsx"
    with target.open("wb") as out:
        for chunk in response.response:
            out.write(chunk)
    response.close()
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "status": response.status_code,
                "rows": int(response.headers.get("X-Export-Rows", 0)),
                "seconds": seconds,
                "bytes": target.stat().st_size,
                "rss_before_kb": before,
                "peak_rss_kb": peak_rss_kb(),
            }
        )
    )


def main(persons: int = PERSONS) -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        start = time.perf_counter()
        list_id, cookie = _prepare(data_dir, persons)
        prepared = time.perf_counter() - start
        child = subprocess.run(
            [sys.executable, "-m", "tests.bench.exports", "--export", data_dir, str(list_id)],
            input=cookie,
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(child.stdout.strip().splitlines()[-1])
    assert result["status"] == 200, result
    print(f"\nexport of a list of {persons:,} persons to .xlsx (16 columns, SQLite)")
    print(f"  {'data prepared (not measured)':<34}{prepared:>10.1f} s")
    print(f"  {'rows exported (blocked left out)':<34}{result['rows']:>10,}")
    print(f"  {'time, request to last byte':<34}{result['seconds']:>10.1f} s")
    print(f"  {'rows per second':<34}{result['rows'] / result['seconds']:>10,.0f}")
    print(f"  {'file size':<34}{result['bytes'] / 2**20:>10.1f} MB")
    print(f"  {'peak RSS of the export process':<34}{result['peak_rss_kb'] / 1024:>10.0f} MB")
    rise = (result["peak_rss_kb"] - result["rss_before_kb"]) / 1024
    print(f"  {'of which added by the export':<34}{rise:>10.0f} MB")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--export":
        _export(sys.argv[2], int(sys.argv[3]), sys.stdin.read().strip())
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else PERSONS)
