"""Exports in the browser (SPEC L4–L6): a list downloaded as .xlsx from the list page, a
person's access report as PDF from the person page, and the administrator's full export
whose progress fragment polls itself and stops once the export is ready."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import openpyxl
from playwright.sync_api import expect

from app.contacts.models import Person, PersonPhone
from app.exports.models import ExportJob
from app.lists.models import DistributionList, ListMember
from tests import factories
from tests.browser.helpers import sign_in


def test_a_list_to_excel_and_an_access_report_to_pdf(app, page, tmp_path):
    with app.app_context():
        user, password = factories.user()
        owner = factories.new_client("Alpha AG")
        factories.grant(user, owner, "full")
        person = Person.create(client=owner, first_name="Ilse", last_name="=Formel", city="Kiel")
        PersonPhone.create(person=person, number="+49 431 90", is_primary=True)
        lst = DistributionList.create(client=owner, name="Nordpresse")
        ListMember.create(distribution_list=lst, person=person)
    page.goto("/login")
    sign_in(page, user.email, password)
    page.get_by_role("link", name="Lists").first.click()
    page.get_by_role("link", name="Nordpresse").click()
    page.get_by_role("link", name="Export to Excel…").click()
    page.get_by_label("Phone").check()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download .xlsx").click()
    assert download.value.suggested_filename == "Nordpresse.xlsx"
    path = tmp_path / "list.xlsx"
    download.value.save_as(path)
    sheet = openpyxl.load_workbook(path).active
    rows = list(sheet.iter_rows())
    assert [c.value for c in rows[0]][:4] == ["Salutation", "Title", "First name", "Last name"]
    values = {c.value for c in rows[1]}
    assert {"Ilse", "=Formel", "+49 431 90"} <= values
    assert all(c.data_type != "f" for row in rows for c in row)

    page.goto(f"/contacts/{person.id}")
    with page.expect_download() as download:
        page.locator("form.person-report").get_by_role("button", name="PDF").click()
    assert download.value.suggested_filename.endswith(".pdf")
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")


def test_the_full_export_polls_until_it_is_ready(app, page):
    with app.app_context():
        admin, password = factories.user("administrator")
        job = ExportJob.create(user=admin.id, state="running", progress=30, step="person")
    page.goto("/login")
    sign_in(page, admin.email, password)
    with app.app_context():
        code = factories.totp_code(offset_steps=1)
    page.get_by_label("Code", exact=True).fill(code)
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("link", name="Administration").first.click()
    page.get_by_role("link", name="Data export").click()
    fragment = page.locator(f"#export-job-{job.id}")
    expect(fragment).to_contain_text("30 %")
    expect(page.get_by_role("button", name="Start a full export")).to_be_disabled()
    with app.app_context():
        ExportJob.update(progress=70, step="history_entry").where(ExportJob.id == job.id).execute()
    expect(fragment).to_contain_text("70 % · history_entry", timeout=4_000)
    with app.app_context():
        ExportJob.update(state="failed", error="interrupted: the worker stopped").where(
            ExportJob.id == job.id
        ).execute()
    expect(fragment).to_contain_text("interrupted: the worker stopped", timeout=4_000)
    polls = []
    page.on("request", lambda r: polls.append(r.url) if f"/admin/export/{job.id}" in r.url else 0)
    page.wait_for_timeout(2_500)
    assert polls == []  # the finished job's fragment has no trigger: polling has stopped

    page.reload()
    page.get_by_role("button", name="Start a full export").click()
    link = page.get_by_role("link", name="Download ZIP")
    expect(link).to_be_visible()
    with page.expect_download() as download:
        link.click()
    assert re.match(r"depesche-export-\d{8}-\d{6}-\d+\.zip", download.value.suggested_filename)
    archive = zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert "README.txt" in archive.namelist() and "tables/person.csv" in archive.namelist()
