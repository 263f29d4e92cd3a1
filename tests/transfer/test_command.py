"""`depesche import` as a real process, and the wizard's task taken by a real worker."""

import shutil
import subprocess
import time

from python_calamine import CalamineWorkbook

from app.contacts.models import Person
from app.extensions import huey
from app.lists.models import DistributionList, ListMember
from app.transfer.models import ImportJob
from tests import factories
from tests.conftest import DEPESCHE, run_cli
from tests.transfer.helpers import DATA, import_file


def _setup(app, admin=True):
    with app.app_context():
        user, _ = factories.user(role="administrator" if admin else "user")
        nord = factories.new_client("Nordlicht AG")
        factories.new_client("Südwind GmbH")
        factories.grant(user, nord, "full")
        DistributionList.create(client=nord, name="Hauptstadtpresse")
        return user, nord


def test_the_command_imports_into_a_client_and_a_list_and_writes_the_report(app, cli_env, tmp_path):
    user, nord = _setup(app)
    source = tmp_path / "presse.csv"
    shutil.copy(DATA / "german.csv", source)
    result = run_cli(
        cli_env, "import", str(source), "--client", "nordlicht ag", "--list", "Hauptstadtpresse"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "created=2 updated=0 skipped=0 rejected=1"
    assert "[" not in result.stdout  # no progress bar when the output is not a terminal
    report = tmp_path / "presse.report.xlsx"
    rows = CalamineWorkbook.from_path(str(report)).get_sheet_by_index(1).to_python()
    assert rows[1][:2] == [4.0, "rejected"]
    with app.app_context():
        persons = Person.select().where(Person.client == nord.id)
        assert {p.last_name for p in persons} == {"Schröder", "Bäcker"}
        assert {p.origin_file for p in persons} == {"presse.csv"}
        assert ListMember.select().count() == 2
        job = ImportJob.get()
        assert (job.user_id, job.state) == (user.id, "done")
    # again, skipping what is there now
    again = run_cli(cli_env, "import", str(source), "--client", "Nordlicht AG")
    assert again.stdout.strip().splitlines()[-1] == "created=0 updated=0 skipped=2 rejected=1"


def test_the_command_says_in_one_line_why_it_cannot_import(app, cli_env, tmp_path):
    _setup(app)
    for args, message in [
        (["/nonexistent/liste.csv", "--client", "Nordlicht AG"], "cannot read"),
        ([str(DATA / "not_a_spreadsheet.xlsx"), "--client", "Nordlicht AG"], "not an Excel"),
        ([str(DATA / "zip_bomb.xlsx"), "--client", "Nordlicht AG"], "unpacks to far more"),
        ([str(DATA / "german.csv")], "name one with --client"),
        ([str(DATA / "german.csv"), "--client", "Südwind GmbH"], "no active administrator"),
        ([str(DATA / "german.csv"), "--client", "Nordlicht AG", "--list", "X"], "no fixed list"),
        ([str(DATA / "only_headers.xlsx"), "--client", "Nordlicht AG", "--sheet", "X"], "sheet"),
    ]:
        result = run_cli(cli_env, "import", *args)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], (args, result.stderr)
        assert "Traceback" not in result.stderr


def test_a_real_worker_runs_the_wizards_import(app, client, world, cli_env):
    huey.immediate = False
    huey.flush()
    try:
        job = import_file(client, world["alpha"].id, DATA / "german.csv")
        with app.app_context():
            assert ImportJob.get_by_id(job).state == "queued"
        page = client.get(f"/imports/{job}").get_data(as_text=True)
        assert 'hx-trigger="every 1s"' in page
        proc = subprocess.Popen(
            [DEPESCHE, "worker", "--workers", "1", "--no-periodic"],
            env=cli_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                with app.app_context():
                    state = ImportJob.get_by_id(job).state
                if state in ("done", "failed"):
                    break
                time.sleep(0.2)
        finally:
            proc.send_signal(2)
            output, _ = proc.communicate(timeout=30)
        assert state == "done", output
        with app.app_context():
            assert ImportJob.get_by_id(job).created == 2
        text = client.get(f"/imports/{job}/progress", headers={"HX-Request": "true"}).get_data(
            as_text=True
        )
        assert "hx-trigger" not in text
    finally:
        huey.flush()
        huey.immediate = True
