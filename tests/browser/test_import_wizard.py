"""The import wizard's main path in a real browser (issue 5, SPEC L3): upload a German CSV,
see the columns found, check the preview, run the import, read the report and download it."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from app.lists.models import DistributionList
from tests import factories
from tests.browser.helpers import sign_in
from tests.transfer.helpers import DATA


def test_upload_map_preview_run_and_report(app, page, live_server):
    with app.app_context():
        user, password = factories.user(name="Petra Presse")
        client = factories.new_client("Alpha AG")
        factories.grant(user, client, "full")
        DistributionList.create(client=client, name="Hauptstadtpresse")
    page.goto("/contacts/")
    sign_in(page, user.email, password)
    page.get_by_role("link", name="Import", exact=True).click()
    expect(page).to_have_url(re.compile(r"/imports/$"))

    page.get_by_label("File").set_input_files(str(DATA / "german.csv"))
    page.get_by_role("button", name="Upload and continue").click()
    expect(page).to_have_url(re.compile(r"/imports/\d+/columns$"))
    expect(page.get_by_label("Nachname")).to_have_value("last_name")
    expect(page.get_by_label("E-Mail")).to_have_value("email")
    expect(page.get_by_label("Medium")).to_have_value("outlet")
    page.get_by_label("Update the existing contact").check()
    page.get_by_label("Also put the imported contacts on a list").select_option(
        label="Hauptstadtpresse"
    )
    page.get_by_role("button", name="Check the first rows").click()

    expect(page).to_have_url(re.compile(r"/imports/\d+/preview$"))
    preview = page.locator("table.preview")
    expect(preview).to_contain_text("Schröder")
    expect(preview.locator("tr.rejected")).to_contain_text("not a valid e-mail address")
    page.get_by_role("button", name="Start the import").click()

    expect(page).to_have_url(re.compile(r"/imports/\d+$"))
    progress = page.locator("#import-progress")
    expect(progress).to_contain_text("Done")
    expect(progress).not_to_have_attribute("hx-trigger", re.compile(".*"))
    expect(progress.locator("dl")).to_contain_text("Created2")
    issues = page.locator("table.issues")
    expect(issues).to_contain_text("Kai Ohnemail")
    expect(issues).to_contain_text("not a valid e-mail address")

    report = page.get_by_role("link", name="Download the report (.xlsx)")
    response = page.request.get(report.get_attribute("href"))
    assert response.status == 200
    assert response.body()[:2] == b"PK"

    page.get_by_role("link", name="Open the list").click()
    expect(page.locator("main")).to_contain_text("Bäcker")
