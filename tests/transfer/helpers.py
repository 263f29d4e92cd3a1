"""Driving the import wizard through real requests."""

from __future__ import annotations

import re
from pathlib import Path

from werkzeug.test import EnvironBuilder

from tests.conftest import csrf_token

DATA = Path(__file__).resolve().parent.parent / "data"


def post_closing(client, path, data):
    """A multipart POST whose encoded body is closed afterwards (werkzeug's test client
    leaves a body over 500 KB in an open temporary file)."""
    builder = EnvironBuilder(path=path, method="POST", data=data)
    environ = builder.get_environ()
    try:
        return client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()


def upload(client, client_id, path, name=None):
    """POST the file to the upload form; the response (a redirect when accepted)."""
    token = csrf_token(client, "/imports/")
    with open(path, "rb") as handle:
        data = {
            "csrf_token": token,
            "client_id": str(client_id),
            "file": (handle, name or Path(path).name),
        }
        return post_closing(client, "/imports/", data)


def job_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return int(re.search(r"/imports/(\d+)/", response.headers["Location"]).group(1))


def columns(client, job, mapping=None, on_duplicate="skip", list_id=""):
    """Post the columns form: the page's own choices, changed by `mapping` {index: field}."""
    page = client.get(f"/imports/{job}/columns").get_data(as_text=True)
    chosen = {}
    for select in re.finditer(r'<select id="col-(\d+)" name="col-\d+">(.*?)</select>', page, re.S):
        selected = re.search(r'<option value="([^"]*)" selected>', select.group(2))
        chosen[f"col-{select.group(1)}"] = selected.group(1) if selected else ""
    for index, name in (mapping or {}).items():
        chosen[f"col-{index}"] = name
    token = csrf_token(client, f"/imports/{job}/columns")
    return client.post(
        f"/imports/{job}/columns",
        data={**chosen, "on_duplicate": on_duplicate, "list_id": list_id, "csrf_token": token},
    )


def run(client, job):
    token = csrf_token(client, f"/imports/{job}/preview")
    return client.post(f"/imports/{job}/start", data={"csrf_token": token})


def import_file(client, client_id, path, **options):
    """Upload, keep the found columns (or `mapping`), start; the job id."""
    response = upload(client, client_id, path)
    job = job_id(response)
    if "/sheet" in response.headers["Location"]:
        token = csrf_token(client, f"/imports/{job}/sheet")
        sheet = options.pop("sheet")
        assert (
            client.post(
                f"/imports/{job}/sheet", data={"sheet": sheet, "csrf_token": token}
            ).status_code
            == 302
        )
    response = columns(client, job, **options)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    assert client.get(f"/imports/{job}/preview").status_code == 200
    response = run(client, job)
    assert response.status_code == 302
    return job
